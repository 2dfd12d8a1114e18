"""Isotropic Migdal–Eliashberg engine: α²F → Z, Δ, T_c, real-axis gap, DOS, dI/dV."""

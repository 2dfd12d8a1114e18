"""Physical constants and unit conversions (energies in meV, temperatures in K)."""

from __future__ import annotations

KB_MEV_PER_K: float = 0.08617333262
"""Boltzmann constant in meV/K."""

CM1_PER_MEV: float = 8.065544
"""Wavenumbers (cm^-1) per meV."""

THZ_PER_MEV: float = 0.2417989242
"""Frequency (THz) per meV (E = h f)."""

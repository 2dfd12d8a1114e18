"""Physical constants and unit conversions (energies in meV, temperatures in K)."""

from __future__ import annotations

KB_MEV_PER_K: float = 0.08617333262
"""Boltzmann constant in meV/K."""

CM1_PER_MEV: float = 8.065544
"""Wavenumbers (cm^-1) per meV."""

THZ_PER_MEV: float = 0.2417989242
"""Frequency (THz) per meV (E = h f)."""


def kelvin_to_mev(temperature_k: float) -> float:
    """k_B T in meV for a temperature in K.

    Parameters
    ----------
    temperature_k : float
        Temperature (K).

    Returns
    -------
    float
        k_B T (meV).
    """
    return KB_MEV_PER_K * temperature_k


def mev_to_kelvin(energy_mev: float) -> float:
    """Temperature in K for an energy k_B T in meV.

    Parameters
    ----------
    energy_mev : float
        k_B T (meV).

    Returns
    -------
    float
        Temperature (K).
    """
    return energy_mev / KB_MEV_PER_K

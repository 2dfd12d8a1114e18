"""Plausibility checks of a tunneling spectrum before it is deconvolved.

Each check names the quantity and the likely mistake: a bias axis in volts, a
conductance column that is zero or negative (wrong column, flipped lock-in
phase), a temperature or lock-in amplitude whose broadening covers the whole
bias window.
"""

from __future__ import annotations

import numpy as np

from specinv.core.errors import InputError, ParameterError
from specinv.core.units import KB_MEV_PER_K

#: full width at half maximum of the thermal kernel -f'(E), in units of k_B T
THERMAL_FWHM_KT = 3.525
#: narrowest plausible bias window, mV: anything below is a bias column in volts
MIN_BIAS_SPAN_MV = 0.02


def broadening_mev(temperature: float, lockin_rms: float) -> float:
    """Combined thermal and lock-in FWHM in meV.

    Parameters
    ----------
    temperature : float
        K.
    lockin_rms : float
        Lock-in modulation rms amplitude, mV (its kernel spans ±√2 × rms).

    Returns
    -------
    float
        ``√(FWHM_thermal² + FWHM_lock-in²)`` in meV, with the thermal FWHM
        :data:`THERMAL_FWHM_KT` k_B T and the lock-in width ``2√2 V_rms``.
    """
    thermal = THERMAL_FWHM_KT * KB_MEV_PER_K * temperature
    lockin = 2.0 * np.sqrt(2.0) * lockin_rms
    return float(np.hypot(thermal, lockin))


def check_spectrum(bias: np.ndarray, didv: np.ndarray, temperature: float,
                   lockin_rms: float, source: str) -> None:
    """Refuse a spectrum (or a map's spectra) that cannot be what the user meant.

    Parameters
    ----------
    bias : ndarray of shape (n_bias,)
        Increasing bias, mV.
    didv : ndarray of shape (..., n_bias)
        Conductance (one curve or a map).
    temperature : float
        K.
    lockin_rms : float
        mV.
    source : str
        File name for messages.

    Raises
    ------
    InputError
        Bias window narrower than :data:`MIN_BIAS_SPAN_MV` (volts given for mV);
        conductance zero everywhere or negative at most biases.
    ParameterError
        ``--temperature`` / ``--lockin-rms`` broadening at least half the bias window.
    """
    span = float(bias[-1] - bias[0])
    if span < MIN_BIAS_SPAN_MV:
        raise InputError(f"the bias spans only {span:.3g} mV ({bias[0]:.3g} to {bias[-1]:.3g}): "
                         "is the bias column in V? expected mV (multiply by 1000)", source)
    g = np.asarray(didv, dtype=float)
    if not np.any(g != 0):
        raise InputError("dI/dV is zero everywhere: wrong column, or the lock-in was off?",
                         source)
    med = float(np.median(g))
    if med < 0 or float(np.max(g)) <= 0:
        raise InputError(f"dI/dV is negative at most biases (median {med:.3g}): wrong column, "
                         "or a lock-in phase off by 180° (negate the conductance)", source)
    width = broadening_mev(temperature, lockin_rms)
    if width >= span / 2:
        raise ParameterError(
            f"--temperature {temperature:g} K and --lockin-rms {lockin_rms:g} mV broaden by "
            f"{width:.3g} meV (FWHM), at least half the bias window of {span:.3g} mV in "
            f"{source}: the whole window would be washed out. Is the temperature in mK or "
            "the lock-in amplitude in µV, or the bias in V?")

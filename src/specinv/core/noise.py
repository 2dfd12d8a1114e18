"""Estimate the white-noise level of a smooth curve from its own roughness."""

from __future__ import annotations

import numpy as np

#: floor of the relative noise estimate: below this, rounding of the data dominates
RELATIVE_FLOOR = 1e-6


def estimate_noise(values: np.ndarray, *, window: int = 11, order: int = 3) -> float:
    """Standard deviation of white noise on a densely sampled smooth curve.

    The residual ``r = g − S g`` of a Savitzky–Golay smoother ``S`` removes the
    smooth signal; for white noise of variance σ², ``var(r_i) = σ²(1 − c₀)``
    with ``c₀`` the central smoothing coefficient, so
    ``σ̂ = 1.4826 · MAD(r) / √(1 − c₀)`` (robust to a few outliers).

    Parameters
    ----------
    values : ndarray of shape (n,)
        Samples on a uniform (or smoothly varying) grid, ``n >= window``.
    window, order : int
        Savitzky–Golay window length (odd) and polynomial order.

    Returns
    -------
    float
        Estimated σ, never below ``RELATIVE_FLOOR · max|values|`` (so noise-free
        simulated data still give a usable, tiny, positive error bar).
    """
    g = np.asarray(values, dtype=float)
    scale = float(np.max(np.abs(g))) if g.size else 0.0
    floor = RELATIVE_FLOOR * scale if scale > 0 else RELATIVE_FLOOR
    if g.size < window:
        return floor
    from scipy.signal import savgol_filter  # here: scipy.signal costs ~1 s of import time

    r = g - savgol_filter(g, window, order, mode="interp")
    c0 = savgol_filter(np.eye(window)[window // 2], window, order, mode="interp")[window // 2]
    mad = float(np.median(np.abs(r - np.median(r))))
    sigma = 1.4826 * mad / np.sqrt(max(1.0 - c0, 1e-12))
    return max(sigma, floor)

"""Classical baseline: quadrature matched filter of the Friedel ring, bias-averaged.

For each bias map (standardized, smooth background removed) the response to a
pair of radial templates ``cos(2 k r)/(r + 1)`` and ``sin(2 k r)/(r + 1)`` (zero
mean, radius ``radius`` pixels) is squared and summed, so the unknown scattering
phase drops out; the energies are averaged over biases and the impurities are the
local maxima. ``k`` per bias comes from the Fourier ring; where the ring is not
visible (small or very noisy maps) the detector falls back to the bias-averaged
local energy (template = a delta).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, signal

from specinv.stm.scale import estimate_kf, map_kf


def _template(k: float, radius: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    r = np.hypot(y, x)
    inside = r <= radius
    out = []
    for f in (np.cos, np.sin):
        t = np.where(inside, f(2 * k * r) / (r + 1.0), 0.0)
        t[inside] -= t[inside].mean()
        out.append(t / np.linalg.norm(t))
    return out[0], out[1]


def matched_filter_scores(maps: np.ndarray, kf_per_px: float | np.ndarray | None = None,
                          radius: int = 6, min_prominence: float = 4.0) -> np.ndarray:
    """Bias-averaged quadrature matched-filter energy.

    Parameters
    ----------
    maps : ndarray of shape (n_bias, H, W)
        Conductance maps (any units).
    kf_per_px : float or ndarray of shape (n_bias,), optional
        Fermi wave number(s) in rad/pixel; estimated from the Fourier ring if omitted.
    radius : int
        Template radius in pixels.
    min_prominence : float
        Without ``kf_per_px``: the Fourier ring must stand this far above the median
        spectral weight to be used (see :func:`~specinv.stm.scale.map_kf`); below it
        the score is the smoothed local power instead of the matched filter.

    Returns
    -------
    ndarray of shape (H, W)
        Score (log of the mean energy, so that thresholds are scale-free).
    """
    m = np.asarray(maps, float)
    m = m - ndimage.gaussian_filter(m, (0, 4.0, 4.0), mode="reflect")
    m = (m - m.mean(axis=(1, 2), keepdims=True)) / (m.std(axis=(1, 2), keepdims=True) + 1e-12)
    if kf_per_px is None:
        _, prom = map_kf(m)
        if prom >= min_prominence:
            k = ndimage.median_filter(estimate_kf(m), size=5, mode="nearest")
        else:
            k = None
    else:
        k = np.broadcast_to(np.asarray(kf_per_px, float), (len(m),))
    if k is None:
        energy = ndimage.gaussian_filter(m**2, (0, 1.0, 1.0)).mean(axis=0)
    else:
        energy = np.zeros(m.shape[1:])
        for img, ki in zip(m, k, strict=True):
            c, s = _template(float(ki), radius)
            energy += (signal.fftconvolve(img, c, mode="same") ** 2
                       + signal.fftconvolve(img, s, mode="same") ** 2)
        energy /= len(m)
    return np.log(energy + 1e-12).astype(np.float32)


def oracle_friedel_scores(maps: np.ndarray, kf_per_px: np.ndarray, epsilon: float = 1.0,
                          radius: int = 8) -> np.ndarray:
    """Quadrature energy of the exact Eq. 3 templates at the true ``k_i`` of every map.

    A reference on simulated Friedel maps, not a detector for real data. Nor is it an
    upper bound: it is one fixed detector (one impurity's template at a time, energies
    added over the maps), and the trained network beats it at 126 biases. It is told
    each map's Fermi wave number and uses the simulator's own radial form
    ``cos, sin(2 k r)/(r + ε)²``, so the unknown scattering phase is the only
    nuisance left (removed by summing both quadratures).

    Parameters
    ----------
    maps : ndarray of shape (n_bias, H, W)
        Conductance maps (any units).
    kf_per_px : ndarray of shape (n_bias,)
        True ``k_i`` in rad/pixel.
    epsilon : float
        Cutoff ``ε`` of Eq. 3 (pixels).
    radius : int
        Template half-width in pixels.

    Returns
    -------
    ndarray of shape (H, W)
        Summed energy of the two unit-norm template responses over the maps.
    """
    y, x = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    r = np.hypot(y, x)
    score = np.zeros(np.shape(maps)[1:])
    for img, k in zip(np.asarray(maps, float), np.asarray(kf_per_px, float), strict=True):
        for f in (np.cos, np.sin):
            t = f(2.0 * k * r) / (r + epsilon) ** 2
            t -= t.mean()
            # the templates are symmetric under r → −r, so convolution = correlation
            score += signal.fftconvolve(img, t / np.linalg.norm(t), mode="same") ** 2
    return score

"""Oscillation scale of a conductance map from the ring in its Fourier transform.

Quasiparticle interference around scatterers gives a ring at ``|q| = 2 k_F`` in the
power spectrum of each bias map. The detector works in pixels, so a map whose
``k_F`` (rad/pixel) lies outside the range it was trained on is resampled to the
centre of that range before detection (:func:`zoom_factor`).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def radial_power(img: np.ndarray, n_bins: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Azimuthally averaged power spectrum of one map.

    Parameters
    ----------
    img : ndarray of shape (H, W)
        One map.
    n_bins : int, optional
        Bins on [0, π] rad/pixel (default ``max(min(H, W) // 2, 8)``).

    Returns
    -------
    q : ndarray of shape (n_bins,)
        Bin centres (rad/pixel).
    power : ndarray of shape (n_bins,)
        Mean power of the Hann-windowed map in each bin.
    """
    H, W = img.shape
    x = img - img.mean()
    win = np.outer(np.hanning(H), np.hanning(W))
    p = np.abs(np.fft.fft2(x * win)) ** 2
    qy = 2 * np.pi * np.fft.fftfreq(H)
    qx = 2 * np.pi * np.fft.fftfreq(W)
    q = np.hypot(qy[:, None], qx[None, :])
    n_bins = n_bins or max(min(H, W) // 2, 8)
    edges = np.linspace(0.0, np.pi, n_bins + 1)
    idx = np.clip(np.digitize(q.ravel(), edges) - 1, 0, n_bins)
    s = np.bincount(idx, weights=p.ravel(), minlength=n_bins + 1)[:n_bins]
    c = np.bincount(idx, minlength=n_bins + 1)[:n_bins]
    return 0.5 * (edges[1:] + edges[:-1]), s / np.maximum(c, 1)


def _ring(q: np.ndarray, p: np.ndarray, q_min: float, with_prominence: bool = False):
    """Ring position: maximum of ``q (P − floor)`` above ``q_min``, parabola-refined.

    With ``with_prominence`` also returns the peak height over the median of
    ``q P`` above ``q_min`` (a ring stands well above 1; white noise does not)."""
    floor = np.median(p[q > 0.85 * np.pi]) if np.any(q > 0.85 * np.pi) else 0.0
    w = q * np.maximum(p - floor, 0.0)
    w[q < q_min] = 0.0
    j = int(np.argmax(w))
    qr = float(q[j])
    if 0 < j < len(q) - 1 and w[j - 1] > 0 and w[j + 1] > 0:
        a, b, c = np.log(w[j - 1:j + 2])
        den = a - 2 * b + c
        shift = 0.5 * (a - c) / den if den < 0 else 0.0
        qr = float(q[j] + np.clip(shift, -0.5, 0.5) * (q[1] - q[0]))
    if with_prominence:
        qp = (q * p)[q >= q_min]
        return qr, float((q[j] * p[j]) / max(np.median(qp), 1e-300))
    return qr


def _spectra(maps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ps = []
    for m in np.asarray(maps, float):
        hp = m - ndimage.gaussian_filter(m, 4.0, mode="reflect")
        q, p = radial_power(hp / (hp.std() + 1e-300))
        ps.append(p)
    return q, np.asarray(ps)


def estimate_kf(maps: np.ndarray, q_min: float = 0.5) -> np.ndarray:
    """Fermi wave number per bias map (rad/pixel) from the Fourier ring.

    The ring is the maximum of ``q (P(q) − P_floor)`` for ``q > q_min``, where the
    white-noise floor ``P_floor`` is the median power near the zone edge and the
    weight ``q`` suppresses the smooth background at small ``q``; a parabola through
    the peak bin and its neighbours refines it. ``k_F = q_ring / 2``. Noisy single
    maps give scattered values; :func:`map_kf` pools the biases.

    Parameters
    ----------
    maps : ndarray of shape (n_bias, H, W)
        Conductance maps.
    q_min : float
        Smallest ring radius considered (rad/pixel).

    Returns
    -------
    ndarray of shape (n_bias,)
        k_F of every map (rad/pixel).
    """
    q, ps = _spectra(maps)
    return np.array([_ring(q, p, q_min) / 2 for p in ps])


def map_kf(maps: np.ndarray, q_min: float = 0.5) -> tuple[float, float]:
    """One typical ``k_F`` (rad/pixel) of a stack from the bias-averaged spectrum.

    Parameters
    ----------
    maps : ndarray of shape (n_bias, H, W)
        Conductance maps.
    q_min : float
        Smallest ring radius considered (rad/pixel).

    Returns
    -------
    kf : float
        Half the ring radius (rad/pixel).
    prominence : float
        Ring height over the median spectral weight; below ~3 the ring is not
        reliably visible (very noisy or very small maps).
    """
    q, ps = _spectra(maps)
    qr, prom = _ring(q, ps.mean(axis=0), q_min, with_prominence=True)
    return qr / 2, prom


def zoom_factor(kf_map: float, kf_range: tuple[float, float], margin: float = 0.05) -> float:
    """Resampling factor that brings ``kf_map`` into ``kf_range``.

    1 when the map's ``k_F`` is already inside the range (shrunk by ``margin``);
    otherwise the factor that maps it onto the centre of the range. After zooming by
    ``z`` (new size = z · old size), ``k_F`` becomes ``kf_map / z``.

    Parameters
    ----------
    kf_map : float
        k_F of the map (rad/pixel).
    kf_range : (float, float)
        k_F range the detector was trained on (rad/pixel).
    margin : float
        Relative shrink of the range before testing ``kf_map``.

    Returns
    -------
    float
        Zoom factor ``z`` (1: no resampling).
    """
    lo, hi = kf_range
    if lo * (1 + margin) <= kf_map <= hi * (1 - margin):
        return 1.0
    return float(kf_map / (0.5 * (lo + hi)))

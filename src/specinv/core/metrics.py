"""Figures of merit of a recovered spectrum against the truth.

Peak positions use sub-grid parabolic interpolation through the maximum and
its two neighbours (exact for any three points of a parabola, so it works on
non-uniform meshes).
"""

from __future__ import annotations

import numpy as np


def _parabolic_vertex(x: np.ndarray, y: np.ndarray, i: int) -> tuple[float, float]:
    if i <= 0 or i >= x.size - 1:
        return float(x[i]), float(y[i])
    x0, x1, x2 = x[i - 1 : i + 2]
    y0, y1, y2 = y[i - 1 : i + 2]
    # Newton form of the interpolating parabola
    d1 = (y1 - y0) / (x1 - x0)
    d2 = ((y2 - y1) / (x2 - x1) - d1) / (x2 - x0)
    if d2 >= 0:  # not a maximum of a parabola: keep the grid point
        return float(x1), float(y1)
    xv = 0.5 * (x0 + x1) - d1 / (2.0 * d2)
    xv = float(np.clip(xv, x0, x2))
    yv = float(y0 + d1 * (xv - x0) + d2 * (xv - x0) * (xv - x1))
    return xv, yv


def coherence_peaks(omega: np.ndarray, dos: np.ndarray) -> dict[str, tuple[float, float]]:
    """Positions and heights of the highest local maximum at ω < 0 and at ω > 0.

    Only interior maxima count (higher than both neighbours): a spectrum that
    rises into the edge of its mesh has no peak there, only a window that ends.

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Energies (meV), increasing.
    dos : ndarray of shape (n,)
        Spectrum.

    Returns
    -------
    dict
        ``{"negative": (energy, height), "positive": (energy, height)}``;
        a side without an interior maximum is ``(nan, nan)``.
    """
    x = np.asarray(omega, dtype=float)
    y = np.asarray(dos, dtype=float)
    maxima = np.flatnonzero((y[1:-1] > y[:-2]) & (y[1:-1] >= y[2:])) + 1
    out: dict[str, tuple[float, float]] = {}
    for side, mask in (("negative", x < 0), ("positive", x > 0)):
        idx = maxima[mask[maxima]]
        if idx.size == 0:
            out[side] = (float("nan"), float("nan"))
            continue
        i = int(idx[np.argmax(y[idx])])
        out[side] = _parabolic_vertex(x, y, i)
    return out


def l2_error(dos: np.ndarray, truth: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Relative L2 error ``‖f − t‖ / ‖t‖`` with quadrature ``weights`` (default uniform).

    Parameters
    ----------
    dos : ndarray of shape (n,)
        Recovered spectrum.
    truth : ndarray of shape (n,)
        Exact spectrum on the same mesh.
    weights : ndarray of shape (n,), optional
        Quadrature weights of the mesh (default: all ones).

    Returns
    -------
    float
        The relative error (dimensionless).
    """
    f = np.asarray(dos, float)
    t = np.asarray(truth, float)
    w = np.ones_like(t) if weights is None else np.asarray(weights, float)
    return float(np.sqrt(np.sum(w * (f - t) ** 2) / np.sum(w * t**2)))


def count_extrema(values: np.ndarray, prominence: float) -> int:
    """Number of local maxima and minima whose prominence exceeds ``prominence``.

    Parameters
    ----------
    values : ndarray of shape (n,)
        Curve to scan.
    prominence : float
        Minimum prominence (unit of ``values``) for an extremum to count.

    Returns
    -------
    int
        Maxima plus minima.
    """
    y = np.asarray(values, float)
    from scipy.signal import find_peaks  # a heavy import, paid only by its users

    n_max = len(find_peaks(y, prominence=prominence)[0])
    return n_max + len(find_peaks(-y, prominence=prominence)[0])


def total_variation(values: np.ndarray) -> float:
    """``Σ |y_{j+1} − y_j|``.

    Parameters
    ----------
    values : ndarray of shape (n,)
        Curve ``y``.

    Returns
    -------
    float
        Total variation (unit of ``values``).
    """
    return float(np.sum(np.abs(np.diff(np.asarray(values, float)))))


def oscillation(dos: np.ndarray, truth: np.ndarray, *, rel_prominence: float = 1e-2
                ) -> dict[str, float]:
    """Spurious oscillation of ``dos`` relative to ``truth``.

    Parameters
    ----------
    dos : ndarray of shape (n,)
        Recovered spectrum.
    truth : ndarray of shape (n,)
        Exact spectrum on the same mesh.
    rel_prominence : float
        Minimum prominence of a counted extremum, relative to ``max|truth|``.

    Returns
    -------
    dict
        ``spurious_extrema``: extrema (prominence above ``rel_prominence ·
        max|truth|``) in excess of those of the truth (≥ 0);
        ``excess_tv``: total variation of ``dos`` minus that of ``truth``,
        relative to the truth's.
    """
    t = np.asarray(truth, float)
    prom = rel_prominence * float(np.max(np.abs(t)))
    spurious = max(count_extrema(dos, prom) - count_extrema(t, prom), 0)
    tv_t = total_variation(t)
    return {
        "spurious_extrema": float(spurious),
        "excess_tv": (total_variation(dos) - tv_t) / tv_t if tv_t > 0 else float("nan"),
    }


def negativity(dos: np.ndarray, weights: np.ndarray | None = None) -> float:
    """``∫ max(−f, 0) / ∫ |f|``: fraction of spectral weight that is negative.

    Parameters
    ----------
    dos : ndarray of shape (n,)
        Spectrum ``f``.
    weights : ndarray of shape (n,), optional
        Quadrature weights of the mesh (default: all ones).

    Returns
    -------
    float
        Fraction in [0, 1]; 0 for an all-zero spectrum.
    """
    f = np.asarray(dos, float)
    w = np.ones_like(f) if weights is None else np.asarray(weights, float)
    total = float(np.sum(w * np.abs(f)))
    return float(np.sum(w * np.clip(-f, 0, None)) / total) if total > 0 else 0.0

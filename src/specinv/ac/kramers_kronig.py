"""Kramers–Kronig on a real-frequency mesh: the principal-value integral done exactly.

The real part of a causal function whose spectral function ``A(ω)`` is known on a
non-uniform mesh is

    Re F(ω) = P ∫ A(x) / (ω − x) dx .

:func:`hilbert_real_part` takes ``A`` as the piecewise-linear function through the mesh
points, zero outside the mesh's outer cell edges, and integrates it exactly segment by
segment: on a segment ``[a, b]`` where ``A(x) = A(a) + s (x − a)``,

    ∫ₐᵇ A(x)/(ω − x) dx = A_lin(ω) · ln|(ω − a)/(ω − b)| − s (b − a),

``A_lin`` being the segment's line continued to ω. At a node the two logarithms of
the neighbouring segments have the same coefficient and cancel exactly, so the
result is finite at every mesh point (no FFT, no periodic images, no uniform-grid
assumption as in ``scipy.signal.hilbert``).
"""

from __future__ import annotations

import numpy as np

from specinv.core.errors import ParameterError

#: elements of the (frequency × node × spectrum) work arrays evaluated at once
CHUNK_ELEMENTS = 2_000_000


def _nodes(points: np.ndarray, values: np.ndarray,
           edges: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Nodes of the piecewise-linear A, padded with zeros at the outer edges."""
    x = np.asarray(points, dtype=float)
    y = np.asarray(values, dtype=float)
    if x.ndim != 1 or x.shape != y.shape[:1] or x.size < 2:
        raise ParameterError(f"points must be 1-D with >= 2 values matching the spectrum, got "
                             f"{x.shape} and {y.shape}")
    if np.any(np.diff(x) <= 0):
        raise ParameterError("mesh points must be strictly increasing")
    if edges is not None:
        lo, hi = float(edges[0]), float(edges[-1])
        pad = np.zeros((1, *y.shape[1:]))
        if lo < x[0]:
            x, y = np.concatenate([[lo], x]), np.concatenate([pad, y])
        if hi > x[-1]:
            x, y = np.concatenate([x, [hi]]), np.concatenate([y, pad])
    return x, y


def hilbert_real_part(points: np.ndarray, values: np.ndarray, omega: np.ndarray | None = None,
                      *, edges: np.ndarray | None = None) -> np.ndarray:
    """``P ∫ A(x)/(ω − x) dx`` of the piecewise-linear A through ``(points, values)``.

    Parameters
    ----------
    points : ndarray of shape (n,)
        Increasing real frequencies (energy unit of the data).
    values : ndarray of shape (n,) or (n, m)
        A at ``points`` (m spectra at once when 2-D).
    omega : ndarray of shape (k,), optional
        Where to evaluate; default ``points``.
    edges : ndarray of shape (n + 1,), optional
        Cell edges of the mesh: A falls linearly to zero from the first and last points
        to the outer edges (the cell picture of the spectrum); without them A ends at
        the first and last points (a jump there gives a log divergence next to them).

    Returns
    -------
    ndarray of shape (k,) or (k, m)
        The principal-value integral (unit of A times energy over energy: that of ``∫A dω / ω``).
    """
    w = np.asarray(points if omega is None else omega, dtype=float)
    x, y = _nodes(points, values, edges)
    per_row = x.size * (y.shape[1] if y.ndim == 2 else 1)
    step = max(1, CHUNK_ELEMENTS // per_row)  # bounded memory on large meshes
    return np.concatenate([_segments(w[i:i + step], x, y) for i in range(0, w.size, step)])


def _segments(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sum of the exact segment integrals at the frequencies ``w``."""
    a, b = x[:-1], x[1:]
    ya, yb = y[:-1], y[1:]
    slope = (yb - ya) / (b - a).reshape(-1, *([1] * (y.ndim - 1)))
    d = w[:, None] - x[None, :]  # (k, n_nodes)
    with np.errstate(divide="ignore"):
        log = np.log(np.abs(d))
    # log|ω − x| at ω = x is −inf; it enters with equal and opposite coefficients from the
    # two segments sharing the node (or with a zero coefficient at a zero-padded end), so
    # any finite stand-in gives the exact limit
    log[~np.isfinite(log)] = 0.0
    la, lb = log[:, :-1], log[:, 1:]
    if y.ndim == 1:
        lin = ya[None, :] + slope[None, :] * (w[:, None] - a[None, :])
        return np.sum(lin * (la - lb), axis=1) - np.sum(slope * (b - a))
    lin = ya[None] + slope[None] * (w[:, None, None] - a[None, :, None])
    return (np.einsum("kjm,kj->km", lin, la - lb)
            - np.sum(slope * (b - a)[:, None], axis=0)[None, :])

"""Does a continued spectrum resolve on its mesh, and a finer mesh where it does not.

A continuation's answer is reported on its mesh and read between the points by linear
interpolation. :func:`interpolation_error` estimates the L1 error of that reading from the
answer's own second differences (``h³|A''|/8`` per cell, relative to ``∫A``); a peak that
is one or two cells wide (a δ-like state on a 201-point mesh) gives a large value, a
smooth band a small one. :func:`adapted_mesh` builds a mesh with more points placed where
the answer bends: half of them keep the density of the coarser mesh (no region becomes
coarser), the other half follow ``|A''|^{1/3}``, the density that equidistributes that
error (de Boor's optimal knot placement for piecewise-linear interpolation).
"""

from __future__ import annotations

import numpy as np

from specinv.kernels import Mesh

#: fraction of the new points that follow ``|A''|^{1/3}``; the rest keep the old density
ADAPT_SHARE = 0.5
#: points of the fine grid per new mesh point on which the densities are integrated
_FINE = 20


def _second_derivative(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Three-point second differences of ``a`` on the non-uniform points ``x`` (interior)."""
    h1, h2 = np.diff(x)[:-1], np.diff(x)[1:]
    return 2.0 * (h1 * a[2:] - (h1 + h2) * a[1:-1] + h2 * a[:-2]) / (h1 * h2 * (h1 + h2))


def interpolation_error(mesh: Mesh, spectrum: np.ndarray) -> float:
    """Estimated L1 error of reading ``spectrum`` between its points, relative to ``∫A``.

    ``Σ h³ |A''| / 8`` over the interior points (``h`` the local spacing, ``A''`` the
    three-point second difference of the spectrum clipped at zero), divided by
    ``Σ A w``: the leading term of the linear-interpolation error of a smooth function.

    Parameters
    ----------
    mesh : Mesh
        The mesh of the answer (n points).
    spectrum : ndarray of shape (n,)
        The answer A(ω) on ``mesh.points``.

    Returns
    -------
    float
        The estimate (0 for a straight line or a spectrum without weight).
    """
    x = mesh.points
    a = np.clip(np.asarray(spectrum, dtype=float), 0.0, None)
    total = float(a @ mesh.weights)
    if x.size < 3 or not total > 0:
        return 0.0
    h = 0.5 * (x[2:] - x[:-2])
    return float(np.sum(h**3 * np.abs(_second_derivative(x, a))) / 8.0 / total)


def adapted_mesh(mesh: Mesh, spectrum: np.ndarray, n: int, *, first_at_edge: bool = False
                 ) -> Mesh:
    """Mesh of ``n`` points on the extent of ``mesh``, denser where ``spectrum`` bends.

    The point density is ``(1 − s) ρ_old + s ρ_A`` with ``s`` = :data:`ADAPT_SHARE`,
    ``ρ_old`` the density of ``mesh`` and ``ρ_A ∝ |A''|^{1/3}`` (both of unit integral);
    cell edges at equal quantiles of it, points at the cell centres. With ``n = 2 ×
    mesh.size`` no cell is wider than the old ones where they were.

    Parameters
    ----------
    mesh : Mesh
        The coarser mesh (its outer edges are kept).
    spectrum : ndarray of shape (mesh.size,)
        The answer on it.
    n : int
        Points of the new mesh (>= 2).
    first_at_edge : bool
        Put the first point on the lower edge (half-axis meshes, whose first point is
        ω = 0).

    Returns
    -------
    Mesh
        The new mesh; ``mesh`` with ``n`` points of its own density when the spectrum
        has no curvature.
    """
    x, lo, hi = mesh.points, mesh.edges[0], mesh.edges[-1]
    fine = np.linspace(lo, hi, _FINE * n + 1)
    old = np.interp(fine, x, 1.0 / mesh.weights)
    dens = old / np.trapezoid(old, fine)
    a = np.clip(np.asarray(spectrum, dtype=float), 0.0, None)
    if x.size >= 3:
        curv = np.abs(_second_derivative(x, a))
        # rounding of a straight line is no curvature: below 1e-9 of max(A)/h̄², zero
        curv[curv <= 1e-9 * np.max(a) / np.mean(np.diff(x)) ** 2] = 0.0
        bend = np.interp(fine, x[1:-1], curv ** (1.0 / 3.0))
        norm = np.trapezoid(bend, fine)
        if np.isfinite(norm) and norm > 0:
            dens = (1.0 - ADAPT_SHARE) * dens + ADAPT_SHARE * bend / norm
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(fine))])
    edges = np.interp(np.linspace(0.0, cum[-1], n + 1), cum, fine)
    edges[0], edges[-1] = lo, hi
    points = 0.5 * (edges[1:] + edges[:-1])
    if first_at_edge:
        points[0] = lo
    return Mesh(points, edges)

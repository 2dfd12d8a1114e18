"""Real-frequency meshes with their quadrature weights.

A :class:`Mesh` is a set of points ``x_j`` and cells ``[e_j, e_{j+1}]`` that
tile the interval; the spectrum is represented by its value on each cell, so
integrals are ``∫ f dx ≈ Σ_j f_j w_j`` with ``w_j = e_{j+1} − e_j``. Kernels
fold these weights into their matrix (see :mod:`specinv.kernels.base`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from specinv.core.errors import ParameterError


@dataclass(frozen=True, eq=False)
class Mesh:
    """Points and cell edges of a real-axis mesh.

    Parameters
    ----------
    points : ndarray of shape (n,)
        Strictly increasing mesh points (energy units of the problem).
    edges : ndarray of shape (n + 1,)
        Cell boundaries, ``edges[j] <= points[j] <= edges[j + 1]``.
    """

    points: np.ndarray
    edges: np.ndarray
    weights: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        pts = np.asarray(self.points, dtype=float)
        edg = np.asarray(self.edges, dtype=float)
        if pts.ndim != 1 or pts.size < 2:
            raise ParameterError("mesh needs at least two points in a 1-D array")
        if edg.shape != (pts.size + 1,):
            raise ParameterError("mesh edges must have one more entry than points")
        if np.any(np.diff(pts) <= 0) or np.any(np.diff(edg) <= 0):
            raise ParameterError("mesh points and edges must be strictly increasing")
        pts.setflags(write=False)
        edg.setflags(write=False)
        w = np.diff(edg)
        w.setflags(write=False)
        object.__setattr__(self, "points", pts)
        object.__setattr__(self, "edges", edg)
        object.__setattr__(self, "weights", w)

    @property
    def size(self) -> int:
        """Number of mesh points."""
        return self.points.size

    def __len__(self) -> int:
        return self.points.size

    @classmethod
    def uniform(cls, lo: float, hi: float, n: int) -> Mesh:
        """``n`` equally spaced points from ``lo`` to ``hi`` (both included).

        The outer cells extend half a spacing beyond the end points, so every
        weight equals the spacing (rectangle rule, like the seed's ``dis(ω)``).

        Parameters
        ----------
        lo, hi : float
            First and last point (energy units of the problem), ``hi > lo``.
        n : int
            Number of points, at least 2.

        Returns
        -------
        Mesh
            The uniform mesh of ``n`` points.
        """
        if n < 2 or not hi > lo:
            raise ParameterError(f"uniform mesh needs n >= 2 and hi > lo, got n={n}, [{lo}, {hi}]")
        pts = np.linspace(lo, hi, n)
        return cls.from_points(pts)

    @classmethod
    def from_points(cls, points: np.ndarray) -> Mesh:
        """Mesh on arbitrary increasing points; edges at the midpoints.

        The outer edges lie half the neighbouring spacing outside the ends.

        Parameters
        ----------
        points : ndarray of shape (n,)
            Strictly increasing points, ``n >= 2``.

        Returns
        -------
        Mesh
            Mesh on ``points`` with cells between the midpoints.
        """
        pts = np.asarray(points, dtype=float)
        if pts.ndim != 1 or pts.size < 2 or np.any(np.diff(pts) <= 0):
            raise ParameterError("mesh points must be a strictly increasing 1-D array (n >= 2)")
        mid = 0.5 * (pts[1:] + pts[:-1])
        edges = np.concatenate(
            [[pts[0] - (mid[0] - pts[0])], mid, [pts[-1] + (pts[-1] - mid[-1])]]
        )
        return cls(pts, edges)

    @classmethod
    def trapezoid(cls, points: np.ndarray) -> Mesh:
        """Mesh on arbitrary increasing points with the trapezoid rule's weights.

        Edges at the midpoints and the outer edges at the end points, so the end
        weights are half the neighbouring spacing: ``w_0 = (x_1 − x_0)/2``,
        ``w_j = (x_{j+1} − x_{j−1})/2``. This is the quadrature of TRIQS/maxent's
        meshes (their ``delta``); :meth:`from_points` gives the end points full cells.
        The weights, differences of midpoints, equal :func:`trapezoid_weights` to
        rounding (not bit for bit).

        Parameters
        ----------
        points : ndarray of shape (n,)
            Strictly increasing points, ``n >= 2``.

        Returns
        -------
        Mesh
            Mesh on ``points`` whose weights are the trapezoid rule's.
        """
        m = cls.from_points(points)
        edges = m.edges.copy()
        edges[0], edges[-1] = m.points[0], m.points[-1]
        return cls(m.points, edges)

    @classmethod
    def focused(cls, lo: float, hi: float, n: int, *, center: float = 0.0,
                width: float = 1.0, density: float = 4.0) -> Mesh:
        """Non-uniform mesh, ``density`` times denser within ``width`` of ``center``.

        Built by inverting the cumulative of a point density
        ``1 + (density − 1) · exp(−((x − center)/width)²)``, so resolution is
        spent where the spectrum has structure (e.g. the gap edge).

        Parameters
        ----------
        lo, hi : float
            First and last point (energy units of the problem), ``hi > lo``.
        n : int
            Number of points, at least 2.
        center : float
            Centre of the dense region (same unit as ``lo``).
        width : float
            Half-width (1/e) of the dense region (same unit), > 0.
        density : float
            Ratio of the point density at ``center`` to the one far away, > 0.

        Returns
        -------
        Mesh
            The non-uniform mesh of ``n`` points.
        """
        if n < 2 or not hi > lo or density <= 0 or width <= 0:
            raise ParameterError("focused mesh needs n >= 2, hi > lo, width > 0, density > 0")
        fine = np.linspace(lo, hi, 20 * n + 1)
        dens = 1.0 + (density - 1.0) * np.exp(-(((fine - center) / width) ** 2))
        cum = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(fine))])
        pts = np.interp(np.linspace(0.0, cum[-1], n), cum, fine)
        return cls.from_points(pts)

    def integrate(self, values: np.ndarray) -> np.ndarray:
        """``Σ_j values[..., j] w_j`` (integral over the mesh, last axis).

        Parameters
        ----------
        values : ndarray of shape (..., n)
            Cell values on this mesh.

        Returns
        -------
        ndarray of shape (...) or float
            The integrals (a scalar for 1-D ``values``), in the unit of
            ``values`` times the mesh unit.
        """
        return np.asarray(values) @ self.weights


def trapezoid_weights(points: np.ndarray) -> np.ndarray:
    """Trapezoid-rule weights on increasing points: ``∫ f dx ≈ Σ_j f_j w_j``.

    ``w_0 = (x_1 − x_0)/2``, ``w_j = (x_{j+1} − x_{j−1})/2``, ``w_{n−1} = (x_{n−1} − x_{n−2})/2``,
    summed from half-spacings. Every α²F quadrature (λ, moments, the moment loss) uses
    this one function: the Eliashberg data sets' Padé continuations amplify a change of
    the weights' last bit (1e-16) into percent changes of Δ(ω), so the α²F code must
    round exactly as the data sets were built.

    Parameters
    ----------
    points : ndarray of shape (n,)
        Mesh points, increasing (any unit).

    Returns
    -------
    ndarray of shape (n,)
        Weights in the unit of ``points``.
    """
    x = np.asarray(points, dtype=float)
    half = 0.5 * np.diff(x)
    w = np.zeros_like(x)
    w[1:] += half
    w[:-1] += half
    return w

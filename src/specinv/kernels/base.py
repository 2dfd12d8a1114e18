"""Linear forward models ``g = K f`` on a real-frequency mesh.

A kernel knows its data points (bias, frequency, imaginary time, ...) and the
:class:`~specinv.core.mesh.Mesh` of the spectrum. Subclasses implement one
hook, :meth:`Kernel._cell_integrals`, returning ``∫_{cell j} k(x_i, ω) dω`` —
the quadrature weights are folded in there, once, so ``K @ f`` is the forward
model for a spectrum that is constant on each cell. Everything else (SVD,
condition number, cumulative kernel for rectangle spectra, torch copies) is
derived here and cached.
"""

from __future__ import annotations

import warnings
from functools import cached_property
from typing import Any

import numpy as np

from specinv.core.errors import IllConditionedWarning, ParameterError
from specinv.core.mesh import Mesh


class Kernel:
    """Discretized Fredholm kernel with cached linear algebra.

    Parameters
    ----------
    data_points : ndarray of shape (n_data,)
        Where the data are sampled (the kernel's first variable).
    mesh : Mesh
        Real-axis mesh of the unknown spectrum (``n_mesh`` cells).

    Attributes
    ----------
    matrix : ndarray of shape (n_data, n_mesh)
        ``K[i, j]``, quadrature weight included.
    """

    #: name and unit of the data variable, for metadata and plots
    data_label: str = "x"
    #: name and unit of the spectrum variable
    spectrum_label: str = "omega"
    #: the physics requires the spectrum to be >= 0 (a DOS, a glue, a diagonal spectral
    #: function); the result's check flags negative answers
    positive_spectrum: bool = True

    def __init__(self, data_points: np.ndarray, mesh: Mesh) -> None:
        x = np.asarray(data_points, dtype=float)
        if x.ndim != 1 or x.size < 1:
            raise ParameterError("kernel data points must be a non-empty 1-D array")
        if not np.all(np.isfinite(x)):
            raise ParameterError("kernel data points must be finite")
        x.setflags(write=False)
        self.data_points = x
        self.mesh = mesh

    # -- the one hook ---------------------------------------------------------
    def _cell_integrals(self, x: np.ndarray, mesh: Mesh) -> np.ndarray:
        """Return ``∫_{cell j} k(x_i, ω) dω`` for every data point and cell.

        Shape (len(x), mesh.size). This is the only place quadrature weights
        enter the toolkit.
        """
        raise NotImplementedError

    def parameters(self) -> dict[str, Any]:
        """Physical parameters of the kernel, recorded in every result's metadata.

        Returns
        -------
        dict
            Parameter name to JSON-ready value (empty for the base class).
        """
        return {}

    # -- derived --------------------------------------------------------------
    @cached_property
    def matrix(self) -> np.ndarray:
        k = np.ascontiguousarray(self._cell_integrals(self.data_points, self.mesh))
        if k.shape != (self.data_points.size, self.mesh.size):
            raise RuntimeError(f"{type(self).__name__} built a matrix of wrong shape {k.shape}")
        if not np.all(np.isfinite(k)):
            raise RuntimeError(f"{type(self).__name__} produced non-finite matrix entries")
        k.setflags(write=False)
        return k

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_data, n_mesh)``."""
        return (self.data_points.size, self.mesh.size)

    def forward(self, spectrum: np.ndarray) -> np.ndarray:
        """Data ``K f`` for one spectrum or a stack of them.

        Parameters
        ----------
        spectrum : ndarray of shape (..., n_mesh)
            Cell values of the spectrum.

        Returns
        -------
        ndarray of shape (..., n_data)
            Model data at :attr:`data_points`.
        """
        return np.asarray(spectrum, dtype=float) @ self.matrix.T

    @cached_property
    def svd(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Thin SVD ``K = U diag(s) Vt`` (cached): U (n_data, r), s (r,), Vt (r, n_mesh).

        Computed with one BLAS thread: on a shared 2-core machine the threaded
        LAPACK SVD of a large (1201 × 1201) kernel was an order of magnitude slower
        than the single-threaded one (threads contending for the cores).
        """
        from specinv.core.threads import compute_threads

        with compute_threads(1):
            u, s, vt = np.linalg.svd(self.matrix, full_matrices=False)
        for a in (u, s, vt):
            a.setflags(write=False)
        return u, s, vt

    @property
    def singular_values(self) -> np.ndarray:
        """Singular values of ``K`` in decreasing order, shape (min(n_data, n_mesh),)."""
        return self.svd[1]

    @cached_property
    def condition_number(self) -> float:
        """``s_max / s_min``; ``inf`` when the smallest singular value is exactly 0."""
        s = self.singular_values
        return float(s[0] / s[-1]) if s[-1] > 0 else float("inf")

    def check_conditioning(self, noise_level: float, *, what: str = "solution",
                           condition: float | None = None) -> None:
        """Warn with :class:`IllConditionedWarning` if noise can dominate an unregularized answer.

        Parameters
        ----------
        noise_level : float
            Relative error of the data (at least machine precision).
        what : str
            Name of the quantity at risk, for the message.
        condition : float, optional
            Effective condition number (e.g. of a truncated SVD); default: the kernel's.
        """
        eps = max(float(noise_level), np.finfo(float).eps)
        cond = self.condition_number if condition is None else float(condition)
        if cond * eps > 1e-2:
            warnings.warn(
                f"{type(self).__name__}: condition number {cond:.2e} times relative data error "
                f"{eps:.1e} exceeds 1e-2; the unregularized {what} is dominated by amplified "
                "noise. Use a regularized method (tikhonov, maxent, som, nnrs).",
                IllConditionedWarning,
                stacklevel=3,
            )

    @cached_property
    def cumulative(self) -> np.ndarray:
        """``P[i, e] = ∫_{edges[0]}^{edges[e]} k(x_i, ω) dω``, shape (n_data, n_mesh + 1).

        Linear interpolation of ``P`` in the edge position is exact for
        spectra that are constant on cells, which makes sums of rectangles
        (stochastic optimization) exact on any kernel.
        """
        p = np.zeros((self.data_points.size, self.mesh.size + 1))
        np.cumsum(self.matrix, axis=1, out=p[:, 1:])
        p.setflags(write=False)
        return p

    def rotated(self, rows: np.ndarray) -> RotatedKernel:
        """This kernel with its rows mixed: ``K' = R K`` (e.g. ``R = Uᵀ``, a covariance's
        eigenbasis; see :meth:`specinv.core.problem.Problem.decorrelated`).

        Parameters
        ----------
        rows : ndarray of shape (n_rows, n_data)
            The row transform ``R``.

        Returns
        -------
        RotatedKernel
            Same mesh and physics tags; its data points are the row indices 0 … n_rows − 1.
        """
        return RotatedKernel(self, rows)

    def describe(self) -> dict[str, Any]:
        """JSON-ready description: kernel type, parameters and mesh summary.

        Returns
        -------
        dict
            ``kernel`` (class name), the :meth:`parameters`, ``n_data``,
            ``data_range``, ``n_mesh`` and ``mesh_range`` (mesh unit).
        """
        return {
            "kernel": type(self).__name__,
            **self.parameters(),
            "n_data": int(self.data_points.size),
            "data_range": [float(self.data_points.min()), float(self.data_points.max())],
            "n_mesh": int(self.mesh.size),
            "mesh_range": [float(self.mesh.points[0]), float(self.mesh.points[-1])],
        }


class RotatedKernel(Kernel):
    """Linear combinations ``R K`` of another kernel's rows, on the same mesh.

    Solvers that use only ``matrix`` (and what derives from it) solve a rotated problem
    as any other; solvers tied to a kernel class (its data points) refuse it.

    Parameters
    ----------
    base : Kernel
        The kernel whose rows are combined.
    rows : ndarray of shape (n_rows, n_data)
        The row transform ``R``.
    """

    def __init__(self, base: Kernel, rows: np.ndarray) -> None:
        r = np.array(rows, dtype=float, copy=True)
        if r.ndim != 2 or r.shape[1] != base.data_points.size:
            raise ParameterError(f"row transform must have shape (n, {base.data_points.size}), "
                                 f"got {r.shape}")
        super().__init__(np.arange(r.shape[0], dtype=float), base.mesh)
        self.base, self.rows = base, r
        self.positive_spectrum = base.positive_spectrum
        self.spectrum_label = base.spectrum_label
        self.data_label = f"rotated {base.data_label}"

    def _cell_integrals(self, x: np.ndarray, mesh: Mesh) -> np.ndarray:
        """``R K_base`` (``x`` are the row indices; every row is built)."""
        return self.rows @ self.base.matrix

    def parameters(self) -> dict[str, Any]:
        """The base kernel's parameters and its class name.

        Returns
        -------
        dict
            ``base_kernel`` and the base's :meth:`~Kernel.parameters`.
        """
        return {"base_kernel": type(self.base).__name__, **self.base.parameters()}

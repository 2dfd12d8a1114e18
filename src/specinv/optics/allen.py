"""Classical zero-temperature inversion of the optical scattering rate (``allen``).

At T = 0 the Shulga kernel is Allen's ``(2π/ω)(ω − Ω)θ(ω − Ω)``, so

    I²χ(ω) = (1/2π) d²/dω² [ω/τ(ω)]      (Marsiglio, Startseva, Carbotte 1998).

The second derivative is taken by local quadratic regression of ``ω/τ(ω)``
with Gaussian weights of width ``smoothing`` meV (a Savitzky–Golay-type
smoother that works on non-uniform grids), evaluated at the glue mesh points;
the result is zero outside the data range. A constant impurity rate only adds
a term linear in ω to ω/τ and drops out. At finite T the answer is the glue
thermally broadened by roughly a few k_B T — the classical baseline, not an
exact inverse.
"""

from __future__ import annotations

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.problem import Problem
from specinv.kernels.shulga import ShulgaKernel
from specinv.solvers.base import Solver, SolverOutput, register


def local_second_derivative(x: np.ndarray, f: np.ndarray, at: np.ndarray,
                            width: float) -> np.ndarray:
    """Second derivative of samples ``f(x)`` at points ``at`` by weighted local quadratic fits.

    Parameters
    ----------
    x, f : ndarray of shape (n,)
        Sample positions (increasing) and values.
    at : ndarray of shape (k,)
        Where to evaluate.
    width : float
        Gaussian weight width (same unit as ``x``).

    Returns
    -------
    ndarray of shape (k,)
        d²f/dx² at ``at`` (unit of ``f`` per unit of ``x`` squared).
    """
    d = (x[None, :] - at[:, None]) / width                       # (k, n), scaled
    w = np.exp(-0.5 * d**2)
    basis = np.stack([np.ones_like(d), d, 0.5 * d * d], axis=-1)  # (k, n, 3)
    lhs = np.einsum("kn,kni,knj->kij", w, basis, basis)
    rhs = np.einsum("kn,kni,n->ki", w, basis, f)
    lhs += 1e-12 * np.trace(lhs, axis1=1, axis2=2)[:, None, None] * np.eye(3)
    return np.linalg.solve(lhs, rhs[..., None])[:, 2, 0] / width**2


@register
class AllenSolver(Solver):
    """``I²χ = (1/2π) d²[ω/τ]/dω²`` with smoothing (optical scattering rate only).

    Parameters
    ----------
    **options
        Overrides of the solver's ``defaults``, by the names listed under Options;
        an unknown name raises :class:`~specinv.core.errors.ParameterError`.

    Options
    -------
    smoothing : float or None
        Gaussian width (meV) of the local quadratic fit; default 3 × the median
        data spacing, at least 8 meV.
    clip_negative : bool
        Set negative glue values to 0 (the glue is non-negative).
    """

    name = "allen"
    kernels = ("ShulgaKernel",)
    defaults = {"smoothing": None, "clip_negative": False}
    linear = True

    def _solve(self, problem: Problem) -> SolverOutput:
        kernel = problem.kernel
        if not isinstance(kernel, ShulgaKernel):
            raise ParameterError(
                f"solver 'allen' inverts the optical scattering rate and needs a ShulgaKernel, "
                f"got {type(kernel).__name__}")
        w = kernel.data_points
        if w.size < 5:
            raise ParameterError("solver 'allen' needs at least 5 data points")
        width = self.options["smoothing"]
        if width is None:
            width = max(3.0 * float(np.median(np.diff(np.sort(w)))), 8.0)
        if not width > 0:
            raise ParameterError(f"allen smoothing must be > 0 meV, got {width}")
        order = np.argsort(w)
        ws, g = w[order], problem.data[order]
        pts = kernel.mesh.points
        inside = (pts >= ws[0]) & (pts <= ws[-1])
        glue = np.zeros(pts.size)
        glue[inside] = local_second_derivative(ws, ws * g, pts[inside], width) / (2 * np.pi)
        if self.options["clip_negative"]:
            glue = np.maximum(glue, 0.0)
        return SolverOutput(glue, hyperparameters={"smoothing_meV": float(width),
                                                   "temperature_K": kernel.temperature})

"""Fixed-point accelerators for ``x = G(x)``: Anderson (Pulay) and Broyden mixing.

Both find a root of the residual ``f(x) = G(x) − x``. Broyden follows seed 002
Appendix C: the inverse Jacobian is updated directly (Broyden's "good" update,
Eq. C2) from ``J⁻¹₀ = −α I`` and the step is ``x ← x − J⁻¹ f`` (Eq. C3).
Anderson keeps the last ``history`` residuals and takes the combination that
minimises the linearized residual (least squares), then mixes by ``α``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from specinv.core.errors import ParameterError


@dataclass
class MixingReport:
    """Convergence report of a fixed-point iteration.

    Parameters
    ----------
    converged : bool
        The residual fell below the tolerance.
    iterations : int
        Evaluations of the map performed.
    residual : float
        Last ``max|G(x) − x|`` (unit of x).
    method : str
        Mixing scheme (``"anderson"``, ``"broyden"`` or ``"linear"``).
    history : list of float
        Residual at every iteration.
    """

    converged: bool
    iterations: int
    residual: float
    method: str
    history: list[float] = field(default_factory=list)


def fixed_point(g: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, *,
                method: str = "anderson", alpha: float = 0.5, history: int = 8,
                tol: float = 1e-10, max_iter: int = 500,
                scale: Callable[[np.ndarray], float] | None = None
                ) -> tuple[np.ndarray, MixingReport]:
    """Solve ``x = g(x)`` by Anderson, Broyden or linear mixing.

    Parameters
    ----------
    g : callable
        Map ``(n,) -> (n,)``.
    x0 : ndarray of shape (n,)
        Starting point (for the gap equation: a *finite* gap).
    method : {"anderson", "broyden", "linear"}
        Mixing scheme.
    alpha : float
        Mixing parameter (initial inverse Jacobian ``−α I``).
    history : int
        Anderson memory depth.
    tol : float
        Stop when ``max|g(x) − x| <= tol · scale(x)``.
    max_iter : int
        Maximum number of evaluations of ``g``.
    scale : callable, optional
        Scale of ``x`` for the stopping test (default ``max(max|x|, 1e-300)``).

    Returns
    -------
    x : ndarray of shape (n,)
        ``g(x)`` at the converged iterate, else the last iterate.
    report : MixingReport
        Convergence, iterations and residual history.
    """
    if method not in ("anderson", "broyden", "linear"):
        raise ParameterError(f"mixing must be 'anderson', 'broyden' or 'linear', got {method!r}")
    if not 0 < alpha <= 1:
        raise ParameterError(f"mixing alpha must be in (0, 1], got {alpha}")
    scale = scale or (lambda v: max(float(np.max(np.abs(v))), 1e-300))
    x = np.array(x0, dtype=float)
    hist: list[float] = []
    dx_hist: list[np.ndarray] = []
    df_hist: list[np.ndarray] = []
    jinv = None
    x_prev = f_prev = None
    for it in range(1, max_iter + 1):
        f = g(x) - x
        res = float(np.max(np.abs(f)))
        hist.append(res)
        if res <= tol * scale(x):
            return x + f, MixingReport(True, it, res, method, hist)
        if method == "linear" or x_prev is None:
            x_new = x + alpha * f
            if method == "broyden":
                jinv = -alpha * np.eye(x.size)
        elif method == "broyden":
            dx, df = x - x_prev, f - f_prev
            jdf = jinv @ df
            den = float(dx @ jdf)
            if abs(den) > 1e-300:
                jinv += np.outer((dx - jdf) / den, dx @ jinv)
            x_new = x - jinv @ f
        else:
            dx_hist.append(x - x_prev)
            df_hist.append(f - f_prev)
            if len(dx_hist) > history:
                dx_hist.pop(0)
                df_hist.pop(0)
            dF = np.array(df_hist).T
            dX = np.array(dx_hist).T
            gamma, *_ = np.linalg.lstsq(dF, f, rcond=None)
            x_new = x + alpha * f - (dX + alpha * dF) @ gamma
        x_prev, f_prev = x, f
        x = x_new
    return x, MixingReport(False, max_iter, hist[-1], method, hist)

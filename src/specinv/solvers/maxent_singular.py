"""Bryan's singular-space iteration for Q(A) at one α: the fallback of the Newton core.

At the minimum of ``Q(A) = ½ χ²(A) − α S(A)`` (Shannon–Jaynes entropy, default model
weights m), ``α ln(A/m) = −U Σ r`` lies in the span of the kept right singular vectors
U of ``K̃``, so the minimiser is ``A = m exp(U u)`` for some u of the singular-space
dimension (Bryan, Eur. Biophys. J. 18, 165 (1990); TRIQS/maxent's ``BryanCostFunction``
minimised by Levenberg–Marquardt, ana_cont's ``maxent_svd``). In u the gradient of Q is
``T (Σ r + α u)`` with ``T = Uᵀ diag(A) U``, and Bryan's step solves
``(α I + Σ² T + μ I) δu = −(Σ r + α u)`` (Newton's step, up to the terms that vanish at
the minimum), with a Levenberg–Marquardt damping μ raised until Q decreases.

The Newton iteration in A itself (:meth:`specinv.solvers.maxent_core.MaxEntCore.solve`)
stalls where sharp peaks drive most weights to zero at small α: on the δ-like bosonic
spectra of ACT100 (std_bd, a peak at ω = −4, σ = 1e-4) it stops at χ²/N = 0.953 for every
α below 5, whereas the minimum of Q lies at χ²/N = 0.899 (TRIQS/maxent's iteration
reaches 0.888 on its own mesh). With the ``maxent`` option ``bryan_iteration`` the core
is :class:`BryanIterationCore`, which hands an unconverged iterate to
:func:`solve_singular` and keeps the lower Q of the two. It is not the default: the
iteration is slow where it takes over, the α scan gives it few steps, and the answers
then depend on the scan's path (ACTest's δ-like fermionic spectra lose 0.11 in f at
σ = 1e-4; :doc:`/guide/ac`).
"""

from __future__ import annotations

import numpy as np

from specinv.solvers.maxent_core import MaxEntCore

#: damping at the first rejected step, relative to the scale of the step's matrix
MU_START = 1e-3
#: damping beyond which no step decreases Q (relative to the matrix scale): give up
MU_MAX = 1e12
#: factor by which the damping rises after a rejected and falls after an accepted step
MU_FACTOR = 10.0


def _weights(core: MaxEntCore, u: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # an infinite weight makes Q infinite: step rejected
        return np.maximum(core.m * np.exp(np.minimum(core.u @ u, 700.0)), 1e-300)


def _decrement(core: MaxEntCore, a: np.ndarray, alpha: float) -> float:
    """The A-space Newton decrement ``∇Qᵀ H⁻¹ ∇Q`` of the core's own convergence test."""
    g = core.gradient(a, alpha)
    matrix = alpha * np.eye(core.rank) + core.us.T @ (a[:, None] * core.us)
    return -float(g @ core._newton(a, g, alpha, np.ones(a.size, dtype=bool), matrix))


def solve_singular(core: MaxEntCore, a: np.ndarray, alpha: float, max_iter: int = 400,
                   tol: float = 1e-10) -> tuple[np.ndarray, bool]:
    """Minimise Q at fixed α over ``A = m exp(U u)`` from ``a``; returns (A, converged).

    Starts from u = Uᵀ ln(a/m) (the part of ``a`` in the singular space) and returns,
    of that iterate and ``a``, the one with the lower Q. Converged as the core's Newton
    iteration: the Newton decrement in A below ``tol · max(|Q|, 1)``.

    Parameters
    ----------
    core : MaxEntCore
        The Newton core (kernel SVD, data, default model weights m).
    a : ndarray of shape (n_mesh,)
        Starting cell weights (> 0), typically the core's unconverged iterate.
    alpha : float
        Entropy weight α > 0.
    max_iter : int
        Most accepted steps.
    tol : float
        Relative tolerance of the Newton decrement.

    Returns
    -------
    a : ndarray of shape (n_mesh,)
        Cell weights with Q no higher than at the start.
    converged : bool
        Whether the Newton decrement fell below the tolerance.
    """
    u = core.u.T @ np.log(np.maximum(a, 1e-300) / core.m)
    w = _weights(core, u)
    q = core.objective(w, alpha)
    mu, eye = 0.0, np.eye(core.rank)
    s2 = core.s**2
    for _ in range(max_iter):
        t = core.u.T @ (w[:, None] * core.u)
        grad = core.s * (core.s * (core.u.T @ w) - core.gproj) + alpha * u
        matrix = alpha * eye + s2[:, None] * t
        scale = alpha + float(np.max(np.abs(matrix)))
        while True:
            try:
                du = np.linalg.solve(matrix + mu * eye, -grad)
            except np.linalg.LinAlgError:
                du = None
            new_w = None if du is None else _weights(core, u + du)
            with np.errstate(over="ignore", invalid="ignore"):  # a far step: rejected
                new_q = np.inf if new_w is None else core.objective(new_w, alpha)
            if np.isfinite(new_q) and new_q <= q:
                break
            mu = max(mu * MU_FACTOR, MU_START * scale)
            if mu > MU_MAX * scale:
                return _best(core, a, w, alpha)
        u, w, q = u + du, new_w, new_q
        mu = mu / MU_FACTOR if mu > MU_START * scale else 0.0
        if _decrement(core, w, alpha) <= tol * max(abs(q), 1.0):
            return _best(core, a, w, alpha, converged=True)
    return _best(core, a, w, alpha)


def _best(core: MaxEntCore, a: np.ndarray, w: np.ndarray, alpha: float,
          converged: bool = False) -> tuple[np.ndarray, bool]:
    """The lower-Q of the start ``a`` and the iterate ``w`` (converged only if ``w``)."""
    if core.objective(w, alpha) <= core.objective(a, alpha):
        return w, converged
    return a, False


class BryanIterationCore(MaxEntCore):
    """The Newton core whose stalled iterations go on by :func:`solve_singular`.

    Parameters
    ----------
    svd : (ndarray, ndarray, ndarray)
        ``(W, s, Uᵀ)`` of ``K̃ = (K/σ) diag(1/w)`` (as
        :class:`~specinv.solvers.maxent_core.MaxEntCore`).
    gt : ndarray of shape (n_data,)
        The data in units of their error bars, ``g/σ``.
    m : ndarray of shape (n_mesh,)
        Default-model cell weights (> 0).
    rtol : float
        Singular values below ``rtol · s_max`` are dropped.
    atol : float
        Singular values with ``s · Σm`` below ``atol`` are dropped.
    """

    def solve(self, a: np.ndarray, alpha: float, max_iter: int = 400,
              tol: float = 1e-10) -> tuple[np.ndarray, bool]:
        """Newton's iteration in A, then Bryan's where it did not converge.

        Parameters
        ----------
        a : ndarray of shape (n_mesh,)
            Starting cell weights (> 0).
        alpha : float
            Entropy weight α > 0.
        max_iter : int
            Most steps of each iteration.
        tol : float
            Relative tolerance of the Newton decrement.

        Returns
        -------
        a : ndarray of shape (n_mesh,)
            The minimiser of Q (the lower-Q iterate when not converged).
        converged : bool
            Whether the Newton decrement fell below the tolerance.
        """
        out, ok = super().solve(a, alpha, max_iter, tol)
        return (out, ok) if ok else solve_singular(self, out, alpha, max_iter, tol)

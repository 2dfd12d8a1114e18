"""Regularized nonlinear least squares by continuation in the regularization strength.

Minimizes Φ_μ(x) = ‖r(x)‖² + μ ‖L x‖² under bounds (r the normalized residuals
(fit − data)/σ of N data, L the roughness operator) for a decreasing sequence of
strengths μ_0 > μ_1 > …, each minimization warm-started from the previous answer:
the smoothest answers come first and every later one is the minimizer of a fixed
functional tracked from there, so the result is a function of the data and the
sequence, not of the optimizer's path. Each level runs Gauss–Newton steps (the
bounded linear problem for that μ, step halving when Φ_μ does not drop) with a
Jacobian updated by Broyden's rank-one formula after every step and recomputed by
finite differences when a step fails; a level ends when a step on a freshly computed
Jacobian lowers Φ_μ by less than ``tol`` relative, or after :data:`MAX_INNER` steps.
The first strength is μ_0 = ‖J‖²_F / ‖L‖²_F at the start, the levels half a decade
apart (:data:`MU_LEVELS`).

The answer is the first level (the largest μ) whose χ²/N reaches ``target``, the
discrepancy principle; when the misfit levels off above it (the forward model or the
basis cannot reproduce the data to the noise level), the last level before a step
down in μ that lowers χ²/N by less than :data:`FLOOR_GAIN` relative: below it the
data pay for structure with almost no gain in misfit, and the structure goes where
they see least (weight at low Ω, which moves λ and ω_log most). An
optimizer that re-chooses μ at every Gauss–Newton step (Occam's inversion, which
the dI/dV fit used before) ends on a path-dependent answer when the target is out of
reach; the gap and the dI/dV fits both use this one.

The uncertainty is the Laplace approximation at the answer,
cov = (JᵀJ + μ LᵀL)⁻¹ over the parameters off their lower bound, inflated by χ²/N
when the fit stays above the noise level.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import lsq_linear

#: relative finite-difference step (of max(|x_i|, typical_i))
FD_STEP = 1e-3
#: most step halvings when a Gauss–Newton step does not lower the objective
MAX_HALVINGS = 4

#: regularization strengths, relative to ‖J‖²_F / ‖L‖²_F at the start (decreasing)
MU_LEVELS = 10.0 ** np.arange(0.0, -8.01, -0.5)
#: above the target: least relative drop of χ²/N per level that is worth a weaker prior
FLOOR_GAIN = 0.1
#: most Gauss–Newton steps per level
MAX_INNER = 8


@dataclass
class ContinuationResult:
    """Outcome of :func:`continuation_fit`.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    x : ndarray of shape (n,)
        Fitted parameters.
    residuals : ndarray of shape (N,)
        Normalized residuals at ``x``.
    chi2_reduced : float
        χ²/N at ``x``.
    mu : float
        Regularization strength of the answer's level.
    covariance : ndarray of shape (n, n)
        Laplace covariance (rows/columns of parameters held at a bound are 0).
    n_evaluations : int
        Residual evaluations (forward solves), those of the Jacobians included.
    wall_s : float
        Wall time (s).
    history : list of dict
        Per level: ``chi2_reduced``, ``mu`` and ``accepted`` (the answer).
    info : dict
        ``converged`` and ``message``.
    """

    x: np.ndarray
    residuals: np.ndarray
    chi2_reduced: float
    mu: float
    covariance: np.ndarray
    n_evaluations: int
    wall_s: float
    history: list[dict[str, Any]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


class _Counted:
    """A residual function that counts its calls and returns a float array."""

    def __init__(self, fun: Callable[[np.ndarray], np.ndarray]) -> None:
        self.fun, self.calls = fun, 0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.calls += 1
        return np.asarray(self.fun(x), dtype=float)


def _jacobian(fun: _Counted, x: np.ndarray, r: np.ndarray, typical: np.ndarray,
              upper: np.ndarray) -> np.ndarray:
    """Forward differences (backward at an upper bound), one residual call per parameter."""
    jac = np.empty((r.size, x.size))
    for i in range(x.size):
        h = FD_STEP * max(abs(x[i]), typical[i])
        if x[i] + h > upper[i]:
            h = -h
        xp = x.copy()
        xp[i] += h
        jac[:, i] = (fun(xp) - r) / h
    return jac


def _covariance(jac: np.ndarray, rough: np.ndarray, mu: float, x: np.ndarray,
                lower: np.ndarray, chi2n: float) -> np.ndarray:
    """Laplace covariance over the parameters off their lower bound."""
    free = x > lower + 1e-12 * np.maximum(np.abs(x), 1.0)
    h = jac.T @ jac + mu * rough.T @ rough
    cov = np.zeros((x.size, x.size))
    if np.any(free):
        hf = h[np.ix_(free, free)]
        cov[np.ix_(free, free)] = np.linalg.pinv(hf, rcond=1e-12) * max(chi2n, 1.0)
    return cov


def _level(f: _Counted, fj: _Counted, x: np.ndarray, r: np.ndarray, jac: np.ndarray,
           fresh: bool, mu: float, rough: np.ndarray, lower: np.ndarray, upper: np.ndarray,
           typical: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Minimize Φ_μ from ``x`` (residuals ``r``, Jacobian ``jac``, ``fresh`` when it was
    computed at ``x``); returns x, r, the Jacobian (Broyden-updated) and its freshness."""
    def phi(xv: np.ndarray, rv: np.ndarray) -> float:
        return float(rv @ rv) + mu * float(np.sum((rough @ xv) ** 2))

    k = 0
    while k < MAX_INNER:
        a = np.vstack([jac, np.sqrt(mu) * rough])
        rhs = np.concatenate([jac @ x - r, np.zeros(rough.shape[0])])
        xn = np.clip(lsq_linear(a, rhs, bounds=(lower, upper), method="bvls").x, lower, upper)
        p0 = phi(x, r)
        for h in range(MAX_HALVINGS + 1):
            xt = x + 0.5 ** h * (xn - x)
            rt = f(xt)
            if phi(xt, rt) < p0:
                break
        else:
            if fresh:
                break
            jac, fresh = _jacobian(fj, x, r if fj is f else fj(x), typical, upper), True
            continue
        k += 1
        dx = xt - x
        gain = (p0 - phi(xt, rt)) / max(p0, 1e-300)
        if gain < tol and fresh:    # converged on an exact Jacobian
            return xt, rt, jac, False
        jac = jac + np.outer(rt - r - jac @ dx, dx) / max(float(dx @ dx), 1e-300)
        x, r, fresh = xt, rt, False
        if gain < tol:              # confirm on an exact Jacobian
            jac, fresh = _jacobian(fj, x, r if fj is f else fj(x), typical, upper), True
    return x, r, jac, fresh


def log_evidence(r: np.ndarray, jac: np.ndarray, rough: np.ndarray, mu: float,
                 x: np.ndarray) -> float:
    """Laplace log evidence of strength μ at its minimizer (up to a μ-independent constant).

    log Z(μ) = −½ Φ_μ(x) + ½ log det(μ LᵀL) − ½ log det(JᵀJ + μ LᵀL), the Gaussian prior
    exp(−½ μ‖L x‖²) and the likelihood exp(−½‖r‖²) integrated around ``x`` (MacKay's
    evidence for the regularization strength).

    Parameters
    ----------
    r : ndarray of shape (N,)
        Normalized residuals at ``x``.
    jac : ndarray of shape (N, n)
        Jacobian of ``r`` at ``x``.
    rough : ndarray of shape (m, n)
        Roughness operator L (m ≥ n, full column rank).
    mu : float
        Regularization strength.
    x : ndarray of shape (n,)
        Parameters.

    Returns
    -------
    float
        log Z(μ).
    """
    lt = rough.T @ rough
    return float(-0.5 * (r @ r + mu * np.sum((rough @ x) ** 2))
                 + 0.5 * np.linalg.slogdet(mu * lt)[1]
                 - 0.5 * np.linalg.slogdet(jac.T @ jac + mu * lt)[1])


def _discrepancy_stop(levels: list[tuple[float, np.ndarray, np.ndarray]], target: float
                      ) -> tuple[int, str] | None:
    """The level the discrepancy principle keeps once the last level decides it, else None."""
    chi = [float(r @ r) / r.size for _, _, r in levels[-2:]]
    if chi[-1] <= target:
        return len(levels) - 1, "discrepancy principle: chi2/N reached the target"
    if len(chi) > 1 and chi[0] - chi[1] < FLOOR_GAIN * chi[0]:
        return len(levels) - 2, "misfit floor above the target"
    return None


def continuation_fit(fun: Callable[[np.ndarray], np.ndarray], x0: np.ndarray,
                     rough: np.ndarray, *, lower: np.ndarray, upper: np.ndarray,
                     typical: np.ndarray, target: float = 1.0, tol: float = 1e-2,
                     jac_fun: Callable[[np.ndarray], np.ndarray] | None = None,
                     mu_start: float | None = None, mu_rule: str = "discrepancy"
                     ) -> ContinuationResult:
    """Fit ``x`` along the decreasing strengths μ and choose one of the levels (see module).

    Parameters
    ----------
    fun : callable
        x ↦ normalized residuals (fit − data)/σ, ndarray of shape (N,).
    x0 : ndarray of shape (n,)
        Start (inside the bounds).
    rough : ndarray of shape (m, n)
        Roughness operator L.
    lower, upper : ndarray of shape (n,)
        Bounds of the parameters.
    typical : ndarray of shape (n,)
        Typical magnitudes, for the finite-difference steps.
    target : float
        χ²/N aimed at by the discrepancy principle (1: the noise level).
    tol : float
        A level stops when a Gauss–Newton step lowers Φ_μ by less than ``tol`` relative.
    jac_fun : callable, optional
        A cheaper, less accurate version of ``fun`` for the Jacobian (default ``fun``).
    mu_start : float, optional
        First strength (default ‖J‖²_F / ‖L‖²_F at ``x0``): a previous answer's μ, so that a
        fit continued from it with more free parameters is not smoothed away first.
    mu_rule : {"discrepancy", "evidence"}
        The level kept: the largest μ whose χ²/N reaches ``target`` (or the misfit floor),
        or the largest Laplace evidence (:func:`log_evidence`; the sequence stops after two
        successive levels of falling evidence).

    Returns
    -------
    ContinuationResult
        The answer, its Laplace covariance and, in ``history``, χ²/N and μ per level
        (``accepted`` marks the answer; ``log_evidence`` with ``mu_rule="evidence"``).
    """
    t0 = time.perf_counter()
    f = _Counted(fun)
    fj = f if jac_fun is None else _Counted(jac_fun)
    x = np.clip(np.asarray(x0, float), lower, upper)
    r = f(x)
    jac = _jacobian(fj, x, r if fj is f else fj(x), typical, upper)
    scale = float(np.sum(jac ** 2)) / max(float(np.sum(rough ** 2)), 1e-300)
    levels: list[tuple[float, np.ndarray, np.ndarray]] = []
    evidence: list[tuple[float, np.ndarray]] = []  # (log Z, Jacobian) per level
    choice, message, fresh = None, "the weakest prior of the sequence", True
    for m in MU_LEVELS * (scale if mu_start is None else mu_start):
        x, r, jac, fresh = _level(f, fj, x, r, jac, fresh, float(m), rough, lower, upper,
                                  typical, tol)
        levels.append((float(m), x, r))
        if mu_rule == "evidence":
            jx = _jacobian(fj, x, r if fj is f else fj(x), typical, upper)
            evidence.append((log_evidence(r, jx, rough, float(m), x), jx))
            if len(evidence) > 2 and evidence[-1][0] < evidence[-2][0] < evidence[-3][0]:
                break
            continue
        stop = _discrepancy_stop(levels, target)
        if stop is not None:
            choice, message = stop
            break
    if evidence:
        choice, message = int(np.argmax([z for z, _ in evidence])), "largest Laplace evidence"
    choice = len(levels) - 1 if choice is None else choice
    mu, x, r = levels[choice]
    chi = float(r @ r) / r.size
    jac = evidence[choice][1] if evidence else _jacobian(fj, x, r if fj is f else fj(x),
                                                         typical, upper)
    hist = [{"chi2_reduced": float(lv[2] @ lv[2]) / r.size, "mu": lv[0], "accepted": i == choice,
             **({"log_evidence": evidence[i][0]} if evidence else {})}
            for i, lv in enumerate(levels)]
    cov = _covariance(jac, rough, mu, x, lower, chi)
    calls = f.calls + (fj.calls if fj is not f else 0)
    converged = bool(evidence) or chi <= 2 * target or message.startswith("misfit")
    return ContinuationResult(x, r, chi, mu, cov, calls, time.perf_counter() - t0, hist,
                              {"converged": converged, "message": message})


def minimize_at(fun: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, rough: np.ndarray,
                mu: float, *, lower: np.ndarray, upper: np.ndarray, typical: np.ndarray,
                tol: float = 1e-2,
                jac_fun: Callable[[np.ndarray], np.ndarray] | None = None
                ) -> tuple[np.ndarray, float, int]:
    """Minimize ‖r(x)‖² + μ‖L x‖² at one fixed μ from ``x0`` (one level of
    :func:`continuation_fit`), e.g. to compare roughness operators at the answer's μ.

    Parameters
    ----------
    fun : callable
        x ↦ normalized residuals, ndarray of shape (N,).
    x0 : ndarray of shape (n,)
        Start (inside the bounds).
    rough : ndarray of shape (m, n)
        Roughness operator L.
    mu : float
        Regularization strength.
    lower, upper : ndarray of shape (n,)
        Bounds of the parameters.
    typical : ndarray of shape (n,)
        Typical magnitudes, for the finite-difference steps.
    tol : float
        Stop when a Gauss–Newton step lowers the objective by less than ``tol`` relative.
    jac_fun : callable, optional
        A cheaper version of ``fun`` for the Jacobian.

    Returns
    -------
    x : ndarray of shape (n,)
        The minimizer.
    chi2_reduced : float
        χ²/N at ``x``.
    n_evaluations : int
        Residual evaluations used.
    """
    f = _Counted(fun)
    fj = f if jac_fun is None else _Counted(jac_fun)
    x = np.clip(np.asarray(x0, float), lower, upper)
    r = f(x)
    jac = _jacobian(fj, x, r if fj is f else fj(x), typical, upper)
    x, r, _, _ = _level(f, fj, x, r, jac, True, float(mu), rough, lower, upper, typical, tol)
    return x, float(r @ r) / r.size, f.calls + (fj.calls if fj is not f else 0)

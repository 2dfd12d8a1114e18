"""Regularized nonlinear least squares with the discrepancy principle (Occam's inversion).

Minimizes ‖r(x)‖² + μ ‖L x‖² under bounds, where r are the normalized residuals
(fit − data)/σ of N data and L the roughness operator (zero columns for
parameters that are not penalized, e.g. μ* or a Dynes Γ). The strength μ is not
fixed in advance: every Gauss–Newton step (Constable, Parker & Constable,
Geophysics 52, 289 (1987)) linearizes r at the current x with a finite-difference
Jacobian, solves the bounded linear problem for a grid of μ, evaluates the
*true* misfit of every candidate and keeps

- the smoothest candidate (largest μ) with χ²/N ≤ ``target`` when any reaches it
  (the discrepancy principle), else
- the smoothest candidate whose χ²/N is within :data:`FLOOR_SLACK` of the step's best
  one (and not above the current misfit). When the target is out of reach (the forward
  model or the basis cannot reproduce the data to the noise level) the least
  regularized candidate would spend the leftover misfit on structure the data barely
  constrain, above all weight at low Ω, which drives λ up and ω_log down; the slack
  keeps the descent on the smooth side instead.

The uncertainty of the answer is the Laplace approximation at the end,
cov = (JᵀJ + μ LᵀL)⁻¹ over the parameters not held at a bound, inflated by χ²/N
when the fit stays above the noise level.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import lsq_linear

#: regularization strengths tried per step, relative to ‖J‖²_F / ‖L‖²_F
MU_GRID = 10.0 ** np.linspace(-8.0, 0.0, 9)
#: relative finite-difference step (of max(|x_i|, typical_i))
FD_STEP = 1e-3
#: most step halvings when no candidate of a step lowers the misfit (a nonlinear overshoot)
MAX_HALVINGS = 4
#: above the target: relative misfit over the step's best candidate a smoother one may keep
FLOOR_SLACK = 0.5


@dataclass
class OccamResult:
    """Outcome of :func:`occam_fit`.

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
        Regularization strength of the last accepted step.
    covariance : ndarray of shape (n, n)
        Laplace covariance (rows/columns of parameters held at a bound are 0).
    n_evaluations : int
        Residual evaluations (forward solves), those of the Jacobians included.
    wall_s : float
        Wall time (s).
    history : list of dict
        Per step: ``chi2_reduced``, ``mu`` and ``accepted``.
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


def _candidates(jac: np.ndarray, x: np.ndarray, r: np.ndarray, rough: np.ndarray,
                lower: np.ndarray, upper: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """Bounded solutions of the linearized, regularized problem for every μ of the grid."""
    b = jac @ x - r
    scale = float(np.sum(jac ** 2)) / max(float(np.sum(rough ** 2)), 1e-300)
    out = []
    for m in MU_GRID * scale:
        a = np.vstack([jac, np.sqrt(m) * rough])
        rhs = np.concatenate([b, np.zeros(rough.shape[0])])
        sol = lsq_linear(a, rhs, bounds=(lower, upper), method="bvls")
        out.append((float(m), np.clip(sol.x, lower, upper)))
    return out


def _backtrack(fun: _Counted, x: np.ndarray, r: np.ndarray, chi: float,
               xn: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Halve the step x → xn until the misfit drops below ``chi`` (else stay at x)."""
    for k in range(1, MAX_HALVINGS + 1):
        xh = x + 0.5 ** k * (xn - x)
        rh = fun(xh)
        ch = float(rh @ rh) / rh.size
        if ch < chi:
            return xh, rh, ch
    return x, r, chi


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


def occam_fit(fun: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, rough: np.ndarray, *,
              lower: np.ndarray, upper: np.ndarray, typical: np.ndarray, target: float = 1.0,
              max_steps: int = 8, tol: float = 2e-3,
              jac_fun: Callable[[np.ndarray], np.ndarray] | None = None) -> OccamResult:
    """Fit ``x`` so that the normalized residuals ``fun(x)`` reach χ²/N ≈ ``target``, smoothly.

    Parameters
    ----------
    fun : callable
        x ↦ normalized residuals (fit − data)/σ, ndarray of shape (N,).
    x0 : ndarray of shape (n,)
        Start (inside the bounds).
    rough : ndarray of shape (m, n)
        Roughness operator L (zero columns for unpenalized parameters).
    lower, upper : ndarray of shape (n,)
        Bounds of the parameters.
    typical : ndarray of shape (n,)
        Typical magnitudes, for the finite-difference steps.
    target : float
        χ²/N aimed at (1: the noise level).
    max_steps : int
        Most Gauss–Newton steps (each costs n + len(MU_GRID) residual calls).
    tol : float
        Stop when a step at the target changes x by less than ``tol`` relative, or a step
        above it lowers χ²/N by less than 10 ``tol`` relative.
    jac_fun : callable, optional
        A cheaper, less accurate version of ``fun`` for the Jacobian (default ``fun``).

    Returns
    -------
    OccamResult
        The fit and its Laplace covariance.
    """
    t0 = time.perf_counter()
    f = _Counted(fun)
    fj = f if jac_fun is None else _Counted(jac_fun)
    x = np.clip(np.asarray(x0, float), lower, upper)
    r = f(x)
    chi = float(r @ r) / r.size
    mu, jac, hist = float("nan"), None, []
    converged, message = False, "step limit reached"
    for _ in range(max_steps):
        jac = _jacobian(fj, x, r if fj is f else fj(x), typical, upper)
        trials = []
        for m, xc in _candidates(jac, x, r, rough, lower, upper):
            rc = f(xc)
            trials.append((m, xc, rc, float(rc @ rc) / rc.size))
        fit = [t for t in trials if t[3] <= target]
        if not fit:   # above the noise level: the smoothest candidate near the step's best
            best = min(t[3] for t in trials)
            fit = [t for t in trials if t[3] <= max(min((1.0 + FLOOR_SLACK) * best, chi), best)]
        m, xn, rn, cn = max(fit, key=lambda t: t[0])
        if cn > chi and chi > target:      # no candidate lowers the misfit: damped steps
            xn, rn, cn = _backtrack(f, x, r, chi, xn)
        accepted = cn < chi or cn <= target
        hist.append({"chi2_reduced": cn, "mu": m, "accepted": bool(accepted)})
        if not accepted or np.array_equal(xn, x):
            converged, message = chi <= 2 * target, "no step lowers the misfit further"
            break
        dx = float(np.linalg.norm(xn - x) / max(np.linalg.norm(x), 1e-300))
        dchi = (chi - cn) / max(chi, 1e-300)
        x, r, chi, mu = xn, rn, cn, m
        if (chi <= target and dx < tol) or (chi > target and 0 <= dchi < 10 * tol):
            converged, message = True, "converged"
            break
    if jac is None:
        jac = _jacobian(fj, x, r if fj is f else fj(x), typical, upper)
    mu_cov = 0.0 if not np.isfinite(mu) else mu
    cov = _covariance(jac, rough, mu_cov, x, lower, chi)
    calls = f.calls + (fj.calls if fj is not f else 0)
    return OccamResult(x, r, chi, mu, cov, calls, time.perf_counter() - t0, hist,
                       {"converged": converged, "message": message})

"""Tikhonov–Phillips regularization with automatic choice of λ.

Minimises ``‖(K f − g)/σ‖² + λ ‖L f‖²``. With the square operator ``L`` from
:mod:`specinv.solvers.regularizers` the problem is put in standard form
``h = L f``, ``K̃ = (K/σ) L⁻¹`` and solved for every λ at once from one SVD
``K̃ = U diag(s) Vᵀ`` with filter factors ``φ_i = s_i²/(s_i² + λ)``:

- ``gcv``: minimise ``‖r_λ‖² / (n − Σφ_i)²`` (needs no σ);
- ``lcurve``: corner of maximum curvature of (log‖r_λ‖, log‖L f_λ‖);
- ``discrepancy``: ``‖r_λ‖² = τ n`` (Morozov), with σ given or estimated. The
  default safety factor ``τ = 1 + 2√(2/n)`` sits two standard deviations of
  χ²/n above 1, so the exact spectrum itself satisfies the bound with 98 %
  probability; with ``τ = 1`` a noise draw whose χ² happens to exceed n forces
  λ down by orders of magnitude (measured on the Shulga optics kernel, n = 100,
  σ = 1e-2: λ 4 instead of ~1e6 and an error 50× larger, removed by the factor);
- ``auto`` (default): ``discrepancy`` with the given σ, or with σ estimated from
  the data's roughness (:func:`specinv.core.noise.estimate_noise`) when none is given.
  GCV under-smooths on the seed-000 benchmark at β = 10 with 1e-3 noise
  (relative L2 error 2.07 against 0.43 for the discrepancy choice), which is why
  it is not the default.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular
from scipy.optimize import brentq, minimize_scalar

from specinv.core.errors import ParameterError
from specinv.core.problem import Problem
from specinv.core.threads import compute_threads
from specinv.solvers.alpha_window import window_spread
from specinv.solvers.base import Solver, SolverOutput, register
from specinv.solvers.linalg import scaled_svd
from specinv.solvers.regularizers import REGULARIZERS, regularization_matrix

RULES = ("auto", "gcv", "lcurve", "discrepancy")


class _StandardForm:
    """SVD of the standard-form problem and closed forms of the residual in λ."""

    def __init__(self, svd: tuple[np.ndarray, np.ndarray, np.ndarray], gt: np.ndarray) -> None:
        self.u, self.s, self.vt = svd
        self.beta = self.u.T @ gt
        self.perp2 = float(max(gt @ gt - self.beta @ self.beta, 0.0))
        self.n = gt.size

    def phi(self, lam: float | np.ndarray) -> np.ndarray:
        s2 = self.s**2
        return s2 / (s2 + np.asarray(lam)[..., None])

    def residual2(self, lam: float | np.ndarray) -> np.ndarray:
        return np.sum(((1.0 - self.phi(lam)) * self.beta) ** 2, axis=-1) + self.perp2

    def solution_norm2(self, lam: float | np.ndarray) -> np.ndarray:
        return np.sum((self.phi(lam) * self.beta / self.s) ** 2, axis=-1)

    def gcv(self, lam: float | np.ndarray) -> np.ndarray:
        dof = self.n - np.sum(self.phi(lam), axis=-1)
        return self.residual2(lam) / np.maximum(dof, 1e-12) ** 2

    def h(self, lam: float) -> np.ndarray:
        return self.vt.T @ (self.phi(lam) * self.beta / self.s)


@register
class TikhonovSolver(Solver):
    """Tikhonov regularization; λ picked by GCV, L-curve or the discrepancy principle.

    Parameters
    ----------
    **options
        Overrides of the solver's ``defaults``, by the names listed under Options;
        an unknown name raises :class:`~specinv.core.errors.ParameterError`.

    Options
    -------
    regularizer : {"identity", "d1", "d2"}
        Penalty on size or on the first/second derivative.
    rule : {"auto", "gcv", "lcurve", "discrepancy"}
        How λ is chosen (ignored when ``lam`` is given).
    lam : float or None
        Fixed λ (in units where K is scaled by 1/σ).
    tau : float or None
        Discrepancy target ``χ² = τ n`` (default ``1 + 2√(2/n)``).
    blas_threads : int or None
        BLAS threads for the linear algebra (``None``: library default).
    """

    name = "tikhonov"
    defaults = {"regularizer": "d2", "rule": "auto", "lam": None, "tau": None,
                "blas_threads": 1}
    linear = True

    def _solve(self, problem: Problem) -> SolverOutput:
        reg, rule = self.options["regularizer"], self.options["rule"]
        if reg not in REGULARIZERS:
            raise ParameterError(f"unknown regularizer {reg!r}; valid: {', '.join(REGULARIZERS)}")
        if rule not in RULES:
            raise ParameterError(f"unknown rule {rule!r}; valid: {', '.join(RULES)}")
        sigma = problem.noise()
        g = problem.data / sigma
        lmat = regularization_matrix(reg, problem.kernel.mesh)
        # K̃ = (K/σ) L⁻¹, whose right factor is L⁻ᵀ V
        right = None if reg == "identity" else (
            lambda v: solve_triangular(lmat.T, v, lower=False))
        with compute_threads(self.options["blas_threads"]):
            sf = _StandardForm(scaled_svd(problem.kernel, 1.0 / sigma, right), g)
        # the completing rows of a derivative operator add that many nearly unpenalised
        # (null-space) directions with huge singular values; λ is scaled to the rest
        sf.nullity = {"identity": 0, "d1": 1, "d2": 2}[reg]
        if rule == "auto":
            rule = "discrepancy"
        lam = self.options["lam"]
        if lam is None:
            lam = self._choose(sf, rule)
        elif not lam > 0:
            raise ParameterError(f"tikhonov lam must be > 0, got {lam}")

        def step(lam: float, state: None = None) -> tuple[float, np.ndarray, None]:
            h = sf.h(lam)
            return float(sf.residual2(lam)), h if reg == "identity" else solve_triangular(
                lmat, h, lower=True), None

        chi2, f, _ = step(lam)
        return SolverOutput(
            f, sigma=sigma,
            hyperparameters={"lambda": float(lam), "rule": rule, "regularizer": reg,
                             "effective_dof": float(np.sum(sf.phi(lam)))},
            alpha_window=None if self.options["lam"] is not None else
            lambda: window_spread(step, float(lam), chi2, f, sf.n))

    def _choose(self, sf: _StandardForm, rule: str) -> float:
        s = sf.s[sf.nullity:]
        lo = max((s[0] * 1e-15) ** 2, np.finfo(float).tiny)
        hi = (s[0] * 1e2) ** 2
        grid = np.logspace(np.log10(lo), np.log10(hi), 241)
        if rule == "gcv":
            vals = sf.gcv(grid)
            # near-interpolating λ (fewer than one residual degree of freedom) make GCV 0/0
            vals[sf.n - np.sum(sf.phi(grid), axis=-1) < 1.0] = np.inf
            i = int(np.argmin(vals))
            a, b = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
            res = minimize_scalar(lambda t: float(sf.gcv(10.0**t)),
                                  bounds=(np.log10(a), np.log10(b)), method="bounded")
            return float(10.0**res.x)
        if rule == "lcurve":
            # the corner lies between the smallest and largest squared singular values
            grid = np.logspace(np.log10(max(s[-1] ** 2, lo)), np.log10(s[0] ** 2), 241)
            rho = 0.5 * np.log(sf.residual2(grid))
            eta = 0.5 * np.log(np.maximum(sf.solution_norm2(grid), 1e-300))
            t = np.log(grid)
            d_rho, d_eta = np.gradient(rho, t), np.gradient(eta, t)
            dd_rho, dd_eta = np.gradient(d_rho, t), np.gradient(d_eta, t)
            curv = (d_rho * dd_eta - dd_rho * d_eta) / np.maximum(
                (d_rho**2 + d_eta**2) ** 1.5, 1e-300)
            return float(grid[int(np.argmax(curv[2:-2])) + 2])
        # discrepancy: residual² is increasing in λ
        tau = self.options["tau"]
        tau = 1.0 + 2.0 * np.sqrt(2.0 / sf.n) if tau is None else float(tau)
        target = tau * sf.n
        f = lambda t: float(sf.residual2(10.0**t)) - target  # noqa: E731
        a, b = np.log10(lo), np.log10(hi)
        if f(a) >= 0:  # even the least regularized solution does not fit to the noise
            return float(lo)
        if f(b) <= 0:
            return float(hi)
        return float(10.0 ** brentq(f, a, b, xtol=1e-6))

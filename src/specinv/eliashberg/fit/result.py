"""A fitted α²F with its moments, T_c and their Laplace uncertainties."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from specinv.core.check import Check
from specinv.eliashberg.engine.tc import critical_temperature
from specinv.eliashberg.fit.basis import HatBasis
from specinv.eliashberg.fit.continuation import ContinuationResult

#: posterior draws behind the T_c uncertainty (each one linearized T_c solve, ~0.02 s)
TC_DRAWS = 16
#: largest μ* of a posterior draw (the fits' own bound)
MU_STAR_MAX = 0.3
MOMENT_KEYS = ("lambda", "omega_log_meV", "omega2_meV")


@dataclass
class A2FFit:
    """α²F fitted through the engine, with uncertainties.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    basis : HatBasis
        Representation of α²F.
    coefficients : ndarray of shape (K,)
        Fitted hat coefficients (α²F at the knots).
    covariance : ndarray of shape (K, K)
        Laplace covariance of the coefficients.
    mu_star : float
        μ* of the fit (given, or fitted).
    mu_star_std : float
        Its standard deviation (0 when given).
    occam : ContinuationResult
        The optimizer's record.
    check : Check
        Verdict of the final misfit.
    figures : dict
        λ, ω_log, ω̄₂ (meV), T_c (K) with ``*_std``, filled by :meth:`evaluate`.
    info : dict
        How the fit was set up (start, data range, noise).
    fitted : ndarray or None
        The fitted data (same layout as the data the fit saw).
    """

    basis: HatBasis
    coefficients: np.ndarray
    covariance: np.ndarray
    mu_star: float
    mu_star_std: float
    occam: ContinuationResult
    check: Check
    figures: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    fitted: np.ndarray | None = None

    @property
    def omega(self) -> np.ndarray:
        """α²F mesh (meV), shape (n_mesh,)."""
        return self.basis.mesh

    @property
    def a2f(self) -> np.ndarray:
        """Fitted α²F on :attr:`omega`, shape (n_mesh,)."""
        return self.basis.values(self.coefficients)

    @property
    def a2f_std(self) -> np.ndarray:
        """1σ band of α²F from the Laplace covariance, shape (n_mesh,)."""
        b = self.basis.matrix
        return np.sqrt(np.clip(np.einsum("ik,kl,il->i", b, self.covariance, b), 0.0, None))

    def evaluate(self, seed: int = 0) -> dict[str, float]:
        """Fill :attr:`figures`: moments with linearized errors, T_c with posterior draws.

        Parameters
        ----------
        seed : int
            Seed of the posterior draws.

        Returns
        -------
        dict
            ``lambda``, ``omega_log_meV``, ``omega2_meV``, ``tc_K`` and their ``*_std`` (NaN
            when the fitted α²F has no weight).
        """
        a, cov = self.coefficients, self.covariance
        if not np.any(a > 0):   # the fit lost every weight: nothing to report
            self.figures = {k: float("nan") for k in
                            (*MOMENT_KEYS, "tc_K", *(f"{k}_std" for k in (*MOMENT_KEYS, "tc_K")))}
            return self.figures
        mom = self.basis.moments(a)
        grads = self.basis.moment_gradients(a)
        out: dict[str, float] = {}
        for k in MOMENT_KEYS:
            out[k] = float(mom[k])
            out[f"{k}_std"] = float(np.sqrt(max(grads[k] @ cov @ grads[k], 0.0)))
        out["tc_K"] = float(critical_temperature(self.basis.spectrum(a), self.mu_star).tc_K)
        rng = np.random.default_rng(seed)
        tcs = []
        for _ in range(TC_DRAWS):
            draw = np.clip(rng.multivariate_normal(a, cov, method="eigh"), 0.0, None)
            mu = float(np.clip(self.mu_star + self.mu_star_std * rng.standard_normal(), 0.0,
                               MU_STAR_MAX))
            if np.any(draw > 0):
                tcs.append(critical_temperature(self.basis.spectrum(draw), mu).tc_K)
        out["tc_K_std"] = float(np.std(tcs, ddof=1)) if len(tcs) > 1 else float("nan")
        self.figures = out
        return out

    def summary(self) -> dict[str, Any]:
        """JSON-ready record of the fit (no α²F arrays).

        Returns
        -------
        dict
            The figures, μ* (and its std), what the errors include, the optimizer's record
            and the set-up info.
        """
        oc = self.occam
        note = ("errors propagate the fit's sigma (the forward model's tolerance: noise-free "
                "input); systematic errors of the forward model (mu* rescaling convention, "
                "real-axis step), ~1 % in lambda, are not included"
                if self.check.noise_source == "tolerance" else
                "errors propagate the estimated noise through the Laplace approximation")
        return {**self.figures, "uncertainty_note": note, "mu_star": self.mu_star,
                "mu_star_std": self.mu_star_std,
                "n_knots": self.basis.n_knots, "omega_top_meV": self.basis.omega_max,
                "chi2_reduced": oc.chi2_reduced, "regularization_mu": oc.mu,
                "n_evaluations": oc.n_evaluations, "wall_s": oc.wall_s,
                "steps": oc.history, **oc.info, **self.info}

"""Isotropic Migdal–Eliashberg equations on the Matsubara axis (PHYSICS.md §3).

With ω_n = πT(2n+1), n = 0 … M−1 (positive frequencies only; Δ and Z are even
in ω_n) the sums over all fermionic frequencies are symmetrized:

    Z_n ω_n = ω_n + πT [λ(0) + 2 Σ_{k=1}^{n} λ(k)] + πT Σ_m K⁻_{nm} (ω_m/R_m − 1)
    Z_n Δ_n = πT Σ_m [K⁺_{nm} − 2 μ*_c θ(ω_c − ω_m)] Δ_m / R_m

with K^± = λ(|n−m|) ± λ(n+m+1), R_m = √(ω_m² + Δ_m²) and
λ(k) = ∫ 2Ω α²F / ((2πTk)² + Ω²) dΩ. The first bracket is the *exact*
infinite sum Σ_m λ(n−m) sgn ω_m, so Z has no truncation error from the normal
part. μ* is rescaled to the cutoff ω_c, μ*_c = μ*/(1 + μ* ln(ω_ph/ω_c)), with
ω_ph the highest phonon energy (``rescale_mu=False`` uses μ* as given).
The gap equation ``Δ = G(Δ)`` is solved from a finite initial gap by Anderson
(default) or Broyden mixing; energies in meV, temperatures in K.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.units import KB_MEV_PER_K
from specinv.eliashberg.engine.a2f import A2F, allen_dynes_tc, moments
from specinv.eliashberg.engine.mixing import MixingReport, fixed_point
from specinv.eliashberg.engine.pairing import MatsubaraSetup, setup

if TYPE_CHECKING:
    from specinv.eliashberg.engine.digits import Digits


@dataclass
class MatsubaraSolution:
    """Converged Δ(iω_n), Z(iω_n) at positive Matsubara frequencies.

    Every parameter is kept as an attribute of the same name; ``omega_n``
    (meV) and ``temperature`` (K) are read from ``setup``.

    Parameters
    ----------
    setup : MatsubaraSetup
        Frequencies and kernels the solution was found with.
    delta : ndarray of shape (M,)
        Δ(iω_n), meV.
    z : ndarray of shape (M,)
        Z(iω_n), dimensionless.
    report : MixingReport
        Convergence of the fixed-point iteration.
    wall_time_s : float
        Wall time of the solve (s).
    parameters : dict
        Settings of the solve (temperature_K, mu_star, cutoff_meV, mixing, ...).
    digits : Digits or None
        The same solution to many digits (:mod:`~specinv.eliashberg.engine.digits`)
        when solved with ``dps``; Padé with ``precision="mp"`` continues it.
    """

    setup: MatsubaraSetup
    delta: np.ndarray
    z: np.ndarray
    report: MixingReport
    wall_time_s: float
    parameters: dict[str, Any] = field(default_factory=dict)
    digits: Digits | None = None

    @property
    def omega_n(self) -> np.ndarray:
        """Positive Matsubara frequencies (meV), shape (M,)."""
        return self.setup.omega_n

    @property
    def temperature(self) -> float:
        """Temperature (K)."""
        return self.setup.temperature

    @property
    def phi(self) -> np.ndarray:
        """φ(iω_n) = Z Δ, meV."""
        return self.z * self.delta

    @property
    def is_superconducting(self) -> bool:
        """True when the converged gap is finite (> 1e-6 meV at the lowest frequency)."""
        return bool(abs(self.delta[0]) > 1e-6)

    def convergence(self) -> dict[str, Any]:
        """Convergence information for metadata.

        Returns
        -------
        dict
            ``converged``, ``iterations``, ``residual_meV``, ``mixing`` and
            ``wall_time_s`` (s).
        """
        return {"converged": self.report.converged, "iterations": self.report.iterations,
                "residual_meV": self.report.residual, "mixing": self.report.method,
                "wall_time_s": self.wall_time_s}


def z_of_delta(s: MatsubaraSetup, delta: np.ndarray) -> np.ndarray:
    """Z_n for a given gap (exact infinite-sum normal part).

    Parameters
    ----------
    s : MatsubaraSetup
        Frequencies and kernels.
    delta : ndarray of shape (M,)
        Gap Δ_n (meV).

    Returns
    -------
    ndarray of shape (M,)
        Renormalization Z_n (dimensionless).
    """
    r = np.sqrt(s.omega_n ** 2 + delta ** 2)
    return s.z_normal + s.pit / s.omega_n * (s.k_minus @ (s.omega_n / r - 1.0))


def gap_map(s: MatsubaraSetup, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One evaluation of the right-hand side of the gap equation.

    Parameters
    ----------
    s : MatsubaraSetup
        Frequencies and kernels.
    delta : ndarray of shape (M,)
        Current gap Δ_n (meV).

    Returns
    -------
    delta_new : ndarray of shape (M,)
        φ_n / Z_n (meV).
    z : ndarray of shape (M,)
        Z_n at the current gap.
    """
    r = np.sqrt(s.omega_n ** 2 + delta ** 2)
    z = s.z_normal + s.pit / s.omega_n * (s.k_minus @ (s.omega_n / r - 1.0))
    x = delta / r
    phi = s.pit * (s.k_plus @ x - np.dot(s.coulomb, x))
    return phi / z, z


def solve_matsubara(a2f: A2F, temperature: float, mu_star: float, *,
                    n_matsubara: int | None = None, cutoff: float | None = None,
                    rescale_mu: bool = True, mixing: str = "anderson", alpha: float = 0.5,
                    tol: float = 1e-10, max_iter: int = 1000,
                    delta_init: float | np.ndarray | None = None,
                    dps: int | None = None) -> MatsubaraSolution:
    """Solve the nonlinear Eliashberg equations at one temperature.

    Parameters
    ----------
    a2f : A2F
        Eliashberg function (meV mesh).
    temperature : float
        K.
    mu_star : float
        Coulomb pseudopotential.
    n_matsubara, cutoff, rescale_mu
        See :func:`~specinv.eliashberg.engine.pairing.setup`.
    mixing : {"anderson", "broyden", "linear"}
        Mixing scheme of the fixed-point iteration.
    alpha : float
        Mixing parameter.
    tol : float
        Relative tolerance on ``max|G(Δ) − Δ|`` (plus 1e-12 meV absolute).
    max_iter : int
        Most evaluations of the gap equation.
    delta_init : float or ndarray of shape (M,), optional
        Starting gap in meV (default 1.764 k_B T_c^AD, or 0.05 ω_log if that is 0).
    dps : int, optional
        Also refine the solution to ``dps`` decimal digits for a faithful Padé
        continuation (:func:`~specinv.eliashberg.engine.digits.refine`).

    Returns
    -------
    MatsubaraSolution
        ``report.converged`` tells whether the tolerance was met (no exception).
    """
    t0 = time.perf_counter()
    s = setup(a2f, temperature, mu_star, n_matsubara=n_matsubara, cutoff=cutoff,
              rescale_mu=rescale_mu)
    mom = moments(a2f)
    if delta_init is None:
        tc_ad = allen_dynes_tc(mom["lambda"], mom["omega_log_meV"], mom["omega2_meV"], mu_star)
        d0 = 1.764 * KB_MEV_PER_K * tc_ad if tc_ad > 0 else 0.05 * mom["omega_log_meV"]
        x0 = np.full(s.omega_n.size, max(d0, 1e-3))
    else:
        x0 = np.broadcast_to(np.asarray(delta_init, dtype=float), s.omega_n.shape).copy()
    if not np.any(x0 != 0):
        raise ParameterError("the initial gap must be finite (Δ = 0 is always a solution)")
    delta, report = fixed_point(lambda d: gap_map(s, d)[0], x0, method=mixing, alpha=alpha,
                                tol=tol, max_iter=max_iter,
                                scale=lambda v: float(np.max(np.abs(v))) + 0.01)
    if abs(delta[0]) < 1e-9:
        delta = np.zeros_like(delta)
    z = z_of_delta(s, delta)
    if delta[0] < 0:  # the gap equation is odd in Δ; report the positive solution
        delta = -delta
    params = {"temperature_K": temperature, "mu_star": mu_star, "mu_star_eff": s.mu_star_eff,
              "cutoff_meV": s.omega_c, "omega_ph_meV": s.omega_ph, "rescale_mu": rescale_mu,
              "n_matsubara": int(s.omega_n.size), "mixing": mixing, "alpha": alpha, "tol": tol}
    digits = None
    if dps is not None and delta[0] != 0:
        from specinv.eliashberg.engine.digits import refine

        digits = refine(s, a2f, delta, dps)
        params.update(dps=digits.dps, dps_residual=digits.residual,
                      dps_newton_steps=digits.steps)
    return MatsubaraSolution(s, delta, z, report, time.perf_counter() - t0, params, digits)

"""α²F coefficients → Matsubara solution → exact real-axis Δ(ω), Z(ω), warm-started.

The fit's forward model. Two conventions keep it a smooth function of the
coefficients (finite-difference Jacobians need that):

- the Matsubara/Coulomb cutoff is fixed, ω_c = 10 (Ω_K + h) of the basis, and
  the number of Matsubara frequencies with it;
- μ* is referred to the highest phonon energy as the engine does by default
  (``effective_mu_star``), but with ω_ph a smooth power mean
  (∫Ω^p α²F / ∫α²F)^{1/p}, p = 300, instead of the last Ω carrying weight,
  which jumps whenever a knot coefficient leaves 0. For a spectrum with a sharp
  upper edge the two agree within ~1 % (an ω² continuum: Ω_c (3/303)^{1/300}); on
  the hat representation of the bench families (Gaussian and Lorentzian tails) the
  smooth value lies within −2 … +11 % of the engine's, where p = 20 gave 10–45 %
  below it, a μ*(ω_c) error (∂μ*_c/∂ln ω_ph = −μ*_c²) the fit absorbed into α²F.

Each call starts the Matsubara and the real-axis iterations from the last
superconducting solution (the fit's trial points are close to each other), and
starts afresh when that does not converge.
"""

from __future__ import annotations

import warnings

import numpy as np

from specinv.core.errors import ParameterError
from specinv.eliashberg.engine.a2f import A2F
from specinv.eliashberg.engine.matsubara import MatsubaraSolution, solve_matsubara
from specinv.eliashberg.engine.msc import real_axis_on_mesh
from specinv.eliashberg.engine.pairing import effective_mu_star
from specinv.eliashberg.engine.realaxis import RealAxisSolution
from specinv.eliashberg.fit.basis import HatBasis

#: power of the smooth ω_ph estimate (see the module docstring)
OMEGA_PH_POWER = 300.0


def smooth_omega_ph(omega: np.ndarray, values: np.ndarray) -> float:
    """(∫Ω^p α²F dΩ / ∫α²F dΩ)^{1/p} with p = :data:`OMEGA_PH_POWER` (meV).

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Mesh (meV).
    values : ndarray of shape (n,)
        α²F on it (≥ 0, some weight).

    Returns
    -------
    float
        A smooth stand-in for the highest phonon energy (meV).
    """
    top = float(omega[-1])
    x = omega / top
    num = np.trapezoid(x ** OMEGA_PH_POWER * values, omega)
    return top * float(num / np.trapezoid(values, omega)) ** (1.0 / OMEGA_PH_POWER)


class EngineForward:
    """The exact engine as a function of hat coefficients and μ*.

    Parameters
    ----------
    basis : HatBasis
        Representation of α²F.
    temperature_K : float
        Temperature of the measurement (K).
    omega_out : ndarray of shape (n,)
        Real energies ω > 0 where Δ(ω), Z(ω) are wanted (meV).
    d_omega : float
        Step of the real-axis iteration (meV).
    """

    def __init__(self, basis: HatBasis, temperature_K: float, omega_out: np.ndarray,
                 d_omega: float) -> None:
        self.basis, self.t, self.dw = basis, float(temperature_K), float(d_omega)
        self.omega_out = np.asarray(omega_out, dtype=float)
        self.cutoff = 10.0 * float(basis.mesh[-1])
        self._delta_n: np.ndarray | None = None
        self._native: RealAxisSolution | None = None

    def mu_star_cutoff(self, a: np.ndarray, mu_star: float) -> float:
        """μ* rescaled to the fixed cutoff from the smooth ω_ph of ``a``.

        Parameters
        ----------
        a : ndarray of shape (K,)
            Coefficients.
        mu_star : float
            μ* referred to ω_ph.

        Returns
        -------
        float
            μ*(ω_c).
        """
        w_ph = smooth_omega_ph(*self.values(a))
        return effective_mu_star(mu_star, w_ph, self.cutoff)

    def values(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The α²F the engine is given for coefficients ``a``: the basis's (a subclass may
        add weight the basis cannot represent, see :mod:`~specinv.eliashberg.fit.blind`).

        Parameters
        ----------
        a : ndarray of shape (K,)
            Coefficients.

        Returns
        -------
        omega : ndarray of shape (n,)
            Mesh (meV).
        values : ndarray of shape (n,)
            α²F on it (≥ 0).
        """
        return self.basis.mesh, self.basis.values(a)

    def spectrum(self, a: np.ndarray) -> A2F:
        """The engine's :class:`A2F` of :meth:`values`.

        Parameters
        ----------
        a : ndarray of shape (K,)
            Coefficients.

        Returns
        -------
        A2F
            The spectrum solved for.
        """
        return A2F.from_table(*self.values(a), source="fitted α²F")

    def matsubara(self, a: np.ndarray, mu_star: float) -> MatsubaraSolution:
        """The Matsubara solution of coefficients ``a`` at μ* (warm-started).

        Parameters
        ----------
        a : ndarray of shape (K,)
            Coefficients.
        mu_star : float
            μ* referred to ω_ph.

        Returns
        -------
        MatsubaraSolution
            Converged Δ(iω_n), Z(iω_n).
        """
        spec = self.spectrum(a)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return solve_matsubara(spec, self.t, self.mu_star_cutoff(a, mu_star),
                                   cutoff=self.cutoff, rescale_mu=False,
                                   delta_init=self._delta_n)

    def __call__(self, a: np.ndarray, mu_star: float) -> RealAxisSolution | None:
        """Δ(ω), Z(ω) on ``omega_out``; None when α²F has no weight or no gap at T.

        Parameters
        ----------
        a : ndarray of shape (K,)
            Coefficients.
        mu_star : float
            μ* referred to ω_ph.

        Returns
        -------
        RealAxisSolution or None
            The exact real-axis solution interpolated to ``omega_out`` (None also when μ*
            cannot be rescaled to the cutoff).
        """
        if not np.any(np.asarray(a) > 0) or not mu_star >= 0:
            return None
        try:
            sol = self.matsubara(a, mu_star)
            if self._delta_n is not None and not (sol.report.converged
                                                  and sol.is_superconducting):
                # a warm start far from this α²F (or one small enough to fall to Δ = 0)
                self._delta_n, self._native = None, None
                sol = self.matsubara(a, mu_star)
        except ParameterError:  # μ* too large to be rescaled to the cutoff: no solution
            return None
        if not sol.is_superconducting:
            return None
        spec = self.spectrum(a)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            on_mesh, native = real_axis_on_mesh(sol, spec, self.omega_out, d_omega=self.dw,
                                                initial=self._native)
            if not native.info["converged"] and self._native is not None:
                on_mesh, native = real_axis_on_mesh(sol, spec, self.omega_out, d_omega=self.dw)
        self._delta_n, self._native = sol.delta, native
        return on_mesh

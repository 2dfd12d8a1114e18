"""Drude–Lorentz model of ε(ω) and its least-squares fit to a reflectivity.

    ε(ω) = ε_∞ − ω_pD² / (ω² + iγ_D ω) + Σ_j ω_pj² / (ω_j² − ω² − iγ_j ω)

Used as the low-frequency extrapolation of the Kramers–Kronig analysis
(:mod:`specinv.optics.kk`). Energies in meV.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from specinv.core.errors import ParameterError

#: bound on the log-parameters (energies) of the fit (keeps exp() finite)
LOG_BOUND = 40.0
#: largest ε_∞ − 1 of the fit, and ε_∞ of the starting points
MAX_EPS_INF, START_EPS_INF = 1e3, 1.5
#: a fit whose rms misfit of R is below this ends the multi-start search
GOOD_FIT = 1e-4
#: Drude γ of the starting points, in units of the lowest ω
START_GAMMAS = (10.0, 3.0, 30.0)
#: lowest oscillator of the starting points, as a fraction of the log data range
START_SPREADS = (0.3, 0.5)


@dataclass(frozen=True)
class DrudeLorentz:
    """A Drude term plus Lorentz oscillators (energies in meV).

    Parameters
    ----------
    eps_inf : float
        High-frequency dielectric constant ε_∞.
    drude : (float, float)
        Plasma frequency ω_pD and scattering rate γ_D of the Drude term.
    oscillators : tuple of (float, float, float)
        (ω_j, ω_pj, γ_j) of each Lorentz oscillator.
    rms_r : float
        Root-mean-square misfit of R of the fit that produced the model (0 if none).
    """

    eps_inf: float
    drude: tuple[float, float]
    oscillators: tuple[tuple[float, float, float], ...] = ()
    rms_r: float = 0.0

    def epsilon(self, omega: np.ndarray) -> np.ndarray:
        """Complex dielectric function.

        Parameters
        ----------
        omega : ndarray of shape (n,)
            Photon energies (meV), > 0.

        Returns
        -------
        ndarray of shape (n,), complex
            ε(ω).
        """
        w = np.asarray(omega, dtype=float)
        wp, g = self.drude
        eps = self.eps_inf - wp**2 / (w**2 + 1j * g * w)
        for w0, wpj, gj in self.oscillators:
            eps = eps + wpj**2 / (w0**2 - w**2 - 1j * gj * w)
        return eps

    def reflectivity(self, omega: np.ndarray) -> np.ndarray:
        """Normal-incidence reflectivity |(N − 1)/(N + 1)|², N = √ε.

        Parameters
        ----------
        omega : ndarray of shape (n,)
            Photon energies (meV), > 0.

        Returns
        -------
        ndarray of shape (n,)
            R(ω) in [0, 1].
        """
        n = np.sqrt(self.epsilon(omega))
        return np.abs((n - 1.0) / (n + 1.0)) ** 2

    def to_dict(self) -> dict:
        """JSON-ready parameters.

        Returns
        -------
        dict
            ε_∞, Drude (ω_p, γ) and oscillators (ω_0, ω_p, γ) in meV, and the fit misfit.
        """
        return {"eps_inf": self.eps_inf,
                "drude_meV": {"plasma_frequency": self.drude[0], "gamma": self.drude[1]},
                "lorentz_meV": [{"omega0": a, "plasma_frequency": b, "gamma": c}
                                for a, b, c in self.oscillators],
                "rms_R": self.rms_r}


def _model(p: np.ndarray, n_osc: int, rms: float = 0.0) -> DrudeLorentz:
    """Model of parameters ``(ε_∞ − 1, ln ω_pD, ln γ_D, (ln ω_j, ln ω_pj, ln γ_j)...)``."""
    e = np.exp(p)
    return DrudeLorentz(1.0 + float(p[0]), (float(e[1]), float(e[2])),
                        tuple((float(e[3 + 3 * j]), float(e[4 + 3 * j]), float(e[5 + 3 * j]))
                              for j in range(n_osc)), rms)


def fit_drude_lorentz(omega: np.ndarray, refl: np.ndarray, n_osc: int = 3) -> DrudeLorentz:
    """Least-squares Drude–Lorentz fit of R (positive energies, 1 ≤ ε_∞ ≤ 1001).

    The misfit is R itself, not ln R: the fit serves the extrapolation below the
    data, where R is near 1, and ln R would be dominated by the transparent region
    above the plasma edge (R ~ 1e-10 there; a pure Drude metal is then missed).

    Starts from the Drude term read off R (plasma edge, Hagen–Rubens slope), then
    from ω_p = 3√(ω_min ω_max) with γ = 10, 3 or 30 ω_min, with oscillators spread
    logarithmically over the upper 70 % or 50 % of the (log) data range, and keeps
    the best fit (stopping at the first with an rms misfit of R below
    :data:`GOOD_FIT`).

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Increasing photon energies (meV), > 0.
    refl : ndarray of shape (n,)
        Measured reflectivity in (0, 1).
    n_osc : int
        Number of Lorentz oscillators, 0–10.

    Returns
    -------
    DrudeLorentz
        The fitted model, with its rms misfit of R.
    """
    if not 0 <= n_osc <= 10:
        raise ParameterError(f"--oscillators must lie in 0..10, got {n_osc}")
    w = np.asarray(omega, dtype=float)
    r = np.asarray(refl, dtype=float)

    def residual(p: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            out = _model(p, n_osc).reflectivity(w) - r
        return np.where(np.isfinite(out), out, 1.0)

    lower = np.full(3 + 3 * n_osc, -LOG_BOUND)
    upper = np.full(3 + 3 * n_osc, LOG_BOUND)
    lower[0], upper[0] = 0.0, MAX_EPS_INF
    best = None
    for start in _starts(w, r, n_osc):
        sol = least_squares(residual, start, method="trf", x_scale="jac",
                            bounds=(lower, upper), max_nfev=100 * (3 + 3 * n_osc))
        if best is None or sol.cost < best.cost:
            best = sol
        if np.sqrt(2.0 * best.cost / w.size) < GOOD_FIT:
            break
    return _model(best.x, n_osc, float(np.sqrt(np.mean(best.fun**2))))


def _drude_guess(w: np.ndarray, refl: np.ndarray) -> tuple[float, float]:
    """(ω_p, γ) read off R: ω_p at the steepest fall of R (the plasma edge), γ from the
    Hagen–Rubens slope 1 − R ≈ √(8γω)/ω_p at the lowest ω."""
    edge = float(w[np.argmin(np.gradient(refl, np.log(w)))])
    a = (1.0 - refl[0]) / np.sqrt(w[0])
    return edge, float(np.clip(edge**2 * a**2 / 8.0, 1e-3 * w[0], edge))


def _starts(w: np.ndarray, refl: np.ndarray, n_osc: int) -> list[np.ndarray]:
    """Starting points (log-parameters): the Drude term read off R, then ω_p = 3√(ω_min
    ω_max) with γ = 10, 3, 30 ω_min; oscillators spread over the upper 70 % or 50 %."""
    lo, hi = np.log(w[0]), np.log(w[-1])
    drudes = [_drude_guess(w, refl)] + [(3.0 * np.sqrt(w[0] * w[-1]), g * w[0])
                                         for g in START_GAMMAS]
    out = []
    for first in START_SPREADS:
        for wp, gamma in drudes:
            p = [START_EPS_INF - 1.0, np.log(wp), np.log(gamma)]
            for c in np.exp(np.linspace(lo + first * (hi - lo), hi, n_osc)):
                p += [np.log(c)] * 3
            out.append(np.asarray(p))
    return out

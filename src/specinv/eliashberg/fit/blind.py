"""What a gap function cannot see: bounds on λ and ω_log from α²F weight below E_blind.

α²F weight at Ω well below π k_B T enters the Eliashberg equations almost only
through the m = n Matsubara term, which cancels between Z and φ (quasi-static
scattering, Anderson's theorem), and the phonon structure it leaves on the real
axis lies within Ω of the gap edge, finer than the data's step. The gap fixes
little of it, while λ = 2∫α²F/Ω and ln ω_log weight it most. The blind energy
is E_blind = max(π k_B T, data step): the lowest fermionic Matsubara frequency
and the resolution of the data.

Below E_blind the fit's answer follows its smoothness prior (α²F/Ω^p smooth, a
vanishing onset, Ω² or steeper). How far the data constrain that region is
probed from the fitted answer with exact engine solves, no re-fit:

- **more weight**: a hat on [0, E_blind] (peak at E_blind/2) with coupling s is
  added; s runs up a ladder (fractions :data:`LADDER` of the fitted λ) until
  χ²(s) exceeds the answer's χ²(0).

  * χ² crosses χ²(0) within the ladder (``bounded``): the data see weight of
    that size. When some rung lowered χ² by more than :data:`DELTA_CHI2` (the
    data ask for the weight: 2σ of a one-parameter profile), the crossing
    (linear interpolation) is the most-weight end; else there is none.
  * χ² never rises (a blind direction; on noise-free gaps of correct answers
    at T ≪ T_c it falls slowly as the extra freedom takes up the smoothing's
    misfit): the data cannot bound such weight; the ladder's top is reported,
    not warned about, and the answer's figures rest on that onset;

- **less weight**: the fitted α²F set to 0 below E_blind, kept when χ² does not
  rise.

λ and ω_log of the answer and of both ends span the range of equally good
answers; a bounded range wider than :data:`TOL` means the data see weight below
E_blind that the answer does not have (the verdict becomes ``warn``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from specinv.core.units import KB_MEV_PER_K
from specinv.eliashberg.engine.a2f import A2F, coupling, moments
from specinv.eliashberg.fit.forward import EngineForward

#: relative width of the λ or ω_log range above which the fit is not trusted to 5 %
TOL = 0.05
#: least drop of χ² (σ units) by added weight below E_blind that counts as the data asking
#: for it (2σ of a one-parameter profile)
DELTA_CHI2 = 4.0
#: couplings added below E_blind, as fractions of the fitted λ: up to ~3 × what moves ω_log
#: by the 5 % tolerance (a fraction f at E_blind/2 moves ln ω_log by f ln(E_blind/2ω_log))
LADDER = (0.005, 0.01, 0.02, 0.04, 0.08)
#: mesh points of the low-energy component on [0, E_blind]
N_LOW = 17


@dataclass
class BlindBounds:
    """Ranges of λ and ω_log the gap data allow (see the module docstring).

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    energy_meV : float
        E_blind (meV).
    lambda_range : tuple of float
        (lowest, highest) λ among the fit and the two ends.
    omega_log_range_meV : tuple of float
        (lowest, highest) ω_log (meV).
    hidden_lambda_max : float
        Largest coupling added below E_blind that reproduces the gap as well as the
        answer (s_max; the top of :data:`LADDER` when the data do not bound it).
    bounded : bool
        Whether χ² rose above the answer's within :data:`LADDER`: the data see the weight
        there and bound it. When False the direction is blind: the answer's λ and ω_log
        there rest on the fit's onset, and the range is what the ladder explored.
    chi2_reduced_fit : float
        χ²/N of the answer (on the probes' mesh), the most either end may reach.
    chi2_reduced_ends : tuple of float
        χ²/N of the least-weight end (inf when its χ² rose or the answer has no weight
        there) and of the most-weight end.
    n_evaluations : int
        Engine solves used.
    """

    energy_meV: float
    lambda_range: tuple[float, float]
    omega_log_range_meV: tuple[float, float]
    hidden_lambda_max: float
    bounded: bool
    chi2_reduced_fit: float
    chi2_reduced_ends: tuple[float, float]
    n_evaluations: int

    def widths(self, lam: float, omega_log: float) -> tuple[float, float]:
        """Widths of the λ and ω_log ranges relative to the fitted values.

        Parameters
        ----------
        lam : float
            Fitted λ.
        omega_log : float
            Fitted ω_log (meV).

        Returns
        -------
        tuple of float
            (Δλ/λ, Δω_log/ω_log).
        """
        return ((self.lambda_range[1] - self.lambda_range[0]) / lam,
                (self.omega_log_range_meV[1] - self.omega_log_range_meV[0]) / omega_log)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record.

        Returns
        -------
        dict
            Every attribute (tuples as lists).
        """
        return {"blind_energy_meV": self.energy_meV, "lambda_range": list(self.lambda_range),
                "omega_log_range_meV": list(self.omega_log_range_meV),
                "hidden_lambda_max": self.hidden_lambda_max, "bounded": self.bounded,
                "chi2_reduced_fit": self.chi2_reduced_fit,
                "chi2_reduced_ends": list(self.chi2_reduced_ends),
                "n_evaluations": self.n_evaluations}


def blind_energy(temperature_K: float, omega: np.ndarray) -> float:
    """E_blind = max(π k_B T, median step of the data mesh) (meV).

    Parameters
    ----------
    temperature_K : float
        Temperature of the data (K).
    omega : ndarray of shape (n,)
        Energies of the data (meV), increasing.

    Returns
    -------
    float
        The energy below which the gap barely constrains α²F (meV).
    """
    step = float(np.median(np.diff(np.asarray(omega, float))))
    return max(np.pi * KB_MEV_PER_K * float(temperature_K), step)


class _LowWeight(EngineForward):
    """A fit's forward model with α²F changed below E_blind: ``+ s · hat`` or cut to 0."""

    def __init__(self, base: EngineForward, energy: float) -> None:
        self.__dict__.update(base.__dict__)   # same set-up and warm start as the fit's
        self.energy = energy
        self.mesh = np.union1d(self.basis.mesh, np.linspace(0.0, energy, N_LOW))
        hat = np.clip(1.0 - np.abs(2.0 * self.mesh / energy - 1.0), 0.0, None)
        self.shape = hat / coupling(A2F.from_table(self.mesh, hat))
        self.s, self.cut = 0.0, False

    def values(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        v = np.interp(self.mesh, self.basis.mesh, self.basis.values(a))
        if self.cut:
            v = v * (self.mesh >= self.energy)
        return self.mesh, v + self.s * self.shape


def blind_bounds(forward: EngineForward, a: np.ndarray,
                 residual: Callable[[EngineForward, np.ndarray], np.ndarray],
                 energy: float) -> BlindBounds:
    """λ and ω_log ranges from more and less α²F weight below ``energy`` (module docstring).

    Parameters
    ----------
    forward : EngineForward
        The fit's forward model (its warm start is copied, not changed).
    a : ndarray of shape (K,)
        Fitted coefficients.
    residual : callable
        (forward, a) ↦ normalized residuals (fit − data)/σ, shape (N,).
    energy : float
        E_blind (meV).

    Returns
    -------
    BlindBounds
        The ranges and how they were found.
    """
    low = _LowWeight(forward, energy)
    r0 = residual(low, a)
    n, chi0 = r0.size, float(r0 @ r0)

    def chi2() -> float:
        r = residual(low, a)
        return float(r @ r)

    fit = forward.basis.moments(a)
    lam_fit, log_fit = float(fit["lambda"]), float(np.log(fit["omega_log_meV"]))
    s_max, chi_most, chi_min, calls, bounded = 0.0, chi0, chi0, 1, False
    for frac in LADDER:
        s_prev, chi_prev = s_max, chi_most
        low.s = frac * lam_fit
        chi, calls = chi2(), calls + 1
        if chi > chi0:    # crossing between the last two rungs (χ² linear in s there)
            s_max = s_prev + (low.s - s_prev) * (chi0 - chi_prev) / (chi - chi_prev)
            chi_most, bounded = chi0, True
            break
        s_max, chi_most, chi_min = low.s, chi, min(chi_min, chi)
    if bounded and chi0 - chi_min <= DELTA_CHI2:   # the data do not ask for more weight
        s_max, chi_most = 0.0, chi0
    # the ends' moments as the answer's plus (minus) the part added (removed), so that the
    # range contains the answer's own figures exactly
    _, log_s = _part(low.mesh, low.shape)
    lams, logs = [lam_fit, lam_fit + s_max], [log_fit, (lam_fit * log_fit + s_max * log_s)
                                              / (lam_fit + s_max)]
    low.s, low.cut = 0.0, True
    removed = low.values(a)[1] < np.interp(low.mesh, forward.basis.mesh, forward.basis.values(a))
    chi_least = np.inf
    if np.any(removed) and np.any(low.values(a)[1] > 0):
        chi_least, calls = chi2(), calls + 1
    if chi_least <= chi0:
        lam_c, log_c = _part(low.mesh, np.where(low.mesh < energy, np.interp(
            low.mesh, forward.basis.mesh, forward.basis.values(a)), 0.0))
        lams.append(lam_fit - lam_c)
        logs.append((lam_fit * log_fit - lam_c * log_c) / (lam_fit - lam_c))
    wlogs = np.exp(logs)
    return BlindBounds(float(energy), (min(lams), max(lams)),
                       (float(min(wlogs)), float(max(wlogs))),
                       float(s_max), bounded, chi0 / n, (chi_least / n, chi_most / n), calls)


def _part(mesh: np.ndarray, values: np.ndarray) -> tuple[float, float]:
    """(λ, ln ω_log) of a part of α²F on ``mesh`` ((0, 0) without weight)."""
    if not np.any(values[mesh > 0] > 0):
        return 0.0, 0.0
    m = moments(A2F.from_table(mesh, values))
    return float(m["lambda"]), float(np.log(m["omega_log_meV"]))

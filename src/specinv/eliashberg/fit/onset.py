"""How far λ and ω_log rest on the fit's assumed onset of α²F at low Ω.

α²F weight at Ω well below the first bosonic Matsubara frequency 2π k_B T
couples the fermionic frequencies only through λ(m − n = 0), which cancels
between Z and φ, and through λ(±1) ∝ Ω²/(2π k_B T)²; on the real axis its
phonon structure at Δ₀ + Ω needs at least two data steps to be resolved. Below
E_onset = :data:`ONSET_FACTOR` × E_blind (:func:`~specinv.eliashberg.fit.blind.blind_energy`,
i.e. max(2π k_B T, two data steps)) the gap fixes α²F barely: adding 15 % of λ
as a hat at E_blind / 2 and re-fitting the rest moves χ²/N by less than 0.1 on
the bench's held-out draws at 1.16 K. There the answer follows its smoothness
prior on α²F/Ω² (an Ω³ onset, steeper than Debye's Ω²); λ = 2∫α²F/Ω and ln ω_log weight this
region most.

The check replaces the answer's α²F below E_onset by the shallowest power law
that keeps λ finite, α²F(E_onset) (Ω/E_onset)^p with p = :data:`ALT_ONSET_POWER`
(the linear onset of disordered metals), glued to the answer at E_onset. When
that moves λ or ω_log by more than :data:`~specinv.eliashberg.fit.blind.TOL`,
the rest of α²F is re-fitted with that onset held (one minimization at the
answer's regularization strength); if the re-fit reproduces the gap at the noise
level (χ² ≤ max(χ²_fit, N) + 2√(2N)) and still moves λ or ω_log by more than
the tolerance, the verdict becomes ``warn`` and the range is recorded. Answers
whose α²F is negligible at E_onset (peaks at several meV, Debye continua up to
≥ 8 meV, Nb) move by less than 1 % and cost no engine solve.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from specinv.eliashberg.engine.a2f import A2F, moments
from specinv.eliashberg.fit.blind import TOL
from specinv.eliashberg.fit.continuation import minimize_at
from specinv.eliashberg.fit.forward import EngineForward
from specinv.eliashberg.fit.result import A2FFit

#: E_onset / E_blind (first bosonic Matsubara frequency; two data steps)
ONSET_FACTOR = 2.0
#: power p of the alternative onset α²F ∝ Ω^p below E_onset
ALT_ONSET_POWER = 1.0
#: mesh points of the onset on [0, E_onset]
N_ONSET = 33


@dataclass
class OnsetRange:
    """λ and ω_log of the answer with the alternative onset (see the module docstring).

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    energy_meV : float
        E_onset (meV).
    lambda_alt : float
        λ with the alternative onset (re-fitted when :attr:`refitted`).
    omega_log_alt_meV : float
        ω_log with the alternative onset (meV).
    lambda_shift : float
        λ_alt / λ − 1.
    omega_log_shift : float
        ω_log_alt / ω_log − 1.
    refitted : bool
        Whether the rest of α²F was re-fitted with the onset held (only when the plain
        replacement moved λ or ω_log by more than the tolerance).
    chi2_reduced_fit : float
        χ²/N of the answer.
    chi2_reduced_alt : float or None
        χ²/N of the re-fit (None when not re-fitted).
    chi2_reduced_bound : float
        (max(χ²_fit, N) + 2√(2N)) / N, the most the re-fit may reach to count as equally
        good.
    n_evaluations : int
        Engine solves used.
    """

    energy_meV: float
    lambda_alt: float
    omega_log_alt_meV: float
    lambda_shift: float
    omega_log_shift: float
    refitted: bool
    chi2_reduced_fit: float
    chi2_reduced_alt: float | None
    chi2_reduced_bound: float
    n_evaluations: int

    @property
    def equally_good(self) -> bool:
        """Whether the re-fit with the alternative onset reproduces the gap at the noise level
        and moves λ or ω_log by more than the tolerance."""
        return (self.chi2_reduced_alt is not None
                and self.chi2_reduced_alt <= self.chi2_reduced_bound
                and max(abs(self.lambda_shift), abs(self.omega_log_shift)) > TOL)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record.

        Returns
        -------
        dict
            Every attribute and ``equally_good``.
        """
        return {"onset_energy_meV": self.energy_meV, "power": ALT_ONSET_POWER,
                "lambda_alt": self.lambda_alt, "omega_log_alt_meV": self.omega_log_alt_meV,
                "lambda_shift": self.lambda_shift, "omega_log_shift": self.omega_log_shift,
                "refitted": self.refitted, "chi2_reduced_fit": self.chi2_reduced_fit,
                "chi2_reduced_alt": self.chi2_reduced_alt,
                "chi2_reduced_bound": self.chi2_reduced_bound,
                "equally_good": self.equally_good, "n_evaluations": self.n_evaluations}


class _HeldOnset(EngineForward):
    """A fit's forward model with α²F below ``energy`` replaced by a fixed ramp."""

    def __init__(self, base: EngineForward, energy: float, level: float) -> None:
        self.__dict__.update(base.__dict__)   # same set-up and warm start as the fit's
        self.energy = energy
        self.mesh = np.union1d(self.basis.mesh, np.linspace(0.0, energy, N_ONSET))
        below = self.mesh < energy
        self.ramp = np.where(below, level * (self.mesh / energy) ** ALT_ONSET_POWER, 0.0)
        self.above = ~below

    def values(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        v = np.interp(self.mesh, self.basis.mesh, self.basis.values(a))
        return self.mesh, v * self.above + self.ramp

    def figures(self, a: np.ndarray) -> tuple[float, float]:
        """(λ, ω_log in meV) of the α²F given to the engine."""
        m = moments(A2F.from_table(*self.values(a)))
        return float(m["lambda"]), float(m["omega_log_meV"])


def onset_range(forward: EngineForward, jac_forward: EngineForward, a: np.ndarray,
                residual: Callable[[EngineForward, np.ndarray], np.ndarray], energy: float,
                rough: np.ndarray, mu: float, typical: np.ndarray) -> OnsetRange:
    """λ and ω_log with the alternative onset below ``energy`` (module docstring).

    Parameters
    ----------
    forward : EngineForward
        The fit's forward model (its warm start is copied, not changed).
    jac_forward : EngineForward
        The cheaper forward model of the fit's Jacobians.
    a : ndarray of shape (K,)
        Fitted coefficients.
    residual : callable
        (forward, a) ↦ normalized residuals (fit − data)/σ, shape (N,).
    energy : float
        E_onset (meV).
    rough : ndarray of shape (m, K)
        The fit's roughness operator.
    mu : float
        The answer's regularization strength.
    typical : ndarray of shape (K,)
        Typical coefficient magnitudes (finite-difference steps).

    Returns
    -------
    OnsetRange
        The alternative figures and how they were found.
    """
    fit = forward.basis.moments(a)
    lam, wlog = float(fit["lambda"]), float(fit["omega_log_meV"])
    level = float(np.interp(energy, forward.basis.mesh, forward.basis.values(a)))
    held = _HeldOnset(forward, energy, level)
    lam_alt, wlog_alt = held.figures(a)
    r0 = residual(forward, a)
    n, chi0 = r0.size, float(r0 @ r0)
    bound = (max(chi0, n) + 2.0 * np.sqrt(2.0 * n)) / n
    chi_alt: float | None = None
    calls, refitted = 1, False
    if max(abs(lam_alt / lam - 1.0), abs(wlog_alt / wlog - 1.0)) > TOL:
        k = a.size
        coarse = _HeldOnset(jac_forward, energy, level)
        x, chi_alt, used = minimize_at(lambda v: residual(held, v), a, rough, mu,
                                       lower=np.zeros(k), upper=np.full(k, np.inf),
                                       typical=typical, jac_fun=lambda v: residual(coarse, v))
        lam_alt, wlog_alt = held.figures(x)
        calls, refitted = calls + used, True
    return OnsetRange(float(energy), lam_alt, wlog_alt, lam_alt / lam - 1.0,
                      wlog_alt / wlog - 1.0, refitted, chi0 / n, chi_alt, float(bound),
                      calls)


def onset_check(fit: A2FFit, onset: OnsetRange) -> None:
    """Record ``onset`` in ``fit.info["onset"]``; warn when it is :attr:`~OnsetRange.equally_good`.

    Parameters
    ----------
    fit : A2FFit
        The answer (its check gains the warning).
    onset : OnsetRange
        From :func:`onset_range`.
    """
    fit.info["onset"] = onset.to_dict()
    fit.occam.n_evaluations += onset.n_evaluations
    if onset.equally_good:
        f = fit.figures
        fit.check.add("warn", f"the gap does not fix the onset of alpha2F below E_onset = "
                              f"{onset.energy_meV:.2f} meV (2 pi k_B T or two data steps): a "
                              f"linear onset there reproduces it at the noise level (chi2/N "
                              f"{onset.chi2_reduced_alt:.2f}) with lambda {onset.lambda_alt:.3f}"
                              f" (answer {f['lambda']:.3f}), omega_log "
                              f"{onset.omega_log_alt_meV:.2f} meV (answer "
                              f"{f['omega_log_meV']:.2f}), more than {TOL:.0%} apart")

"""Test-time refinement of a prior answer through the exact forward model.

A learned solver's answer is a guess: it was trained on a prior that the data may
not share. :func:`refine_towards` keeps as much of the guess as the data allow and
no more: it solves

    min_f  Σ_i ((K f − g)_i / σ_i)²  +  λ N ‖f − f₀‖²_w / ‖f₀‖²_w,   f ≥ 0,

(``‖v‖²_w = Σ_j w_j v_j²`` with the mesh's quadrature weights) and picks λ by the
discrepancy principle, ``χ²/N = target``: the largest pull towards the guess at
which the refined answer still fits the data to their error bars. A guess that
fits already is returned unchanged (λ at its upper bound); one that cannot be
brought to the noise level at any λ is returned with ``reached = False``, and the
caller falls back to a classical method.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq, nnls

from specinv.core.problem import Problem
from specinv.solvers.base import SolverOutput

#: bounds of the relative penalty λ (λ = 1: moving f by ‖f₀‖ costs N in χ²)
LAMBDA_RANGE = (1e-8, 1e6)
#: χ²/N within this factor of the target counts as reached (the root is bracketed to
#: 5 % in ln λ, which moves χ²/N by a few per cent)
REACHED = 1.1


@dataclass
class Refinement:
    """Outcome of :func:`refine_towards`.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    spectrum : ndarray of shape (n_mesh,)
        The refined, non-negative answer.
    lam : float
        The relative penalty chosen.
    chi2_reduced : float
        ``χ²/N`` of the refined answer.
    prior_chi2_reduced : float
        ``χ²/N`` of the guess itself.
    reached : bool
        True when ``χ²/N <= REACHED · target``.
    """

    spectrum: np.ndarray
    lam: float
    chi2_reduced: float
    prior_chi2_reduced: float
    reached: bool


def refine_towards(problem: Problem, prior: np.ndarray, *, target: float = 1.0,
                   sigma: np.ndarray | None = None) -> Refinement:
    """Refine ``prior`` into a non-negative answer that fits ``problem`` at the noise level.

    Parameters
    ----------
    problem : Problem
        Kernel, data and error bars.
    prior : ndarray of shape (n_mesh,)
        The guess (a network's answer); negative values are clipped to 0.
    target : float
        χ²/N to reach (1: the discrepancy principle).
    sigma : ndarray of shape (n_data,), optional
        Error bars to judge the fit with (default ``problem.noise()``).

    Returns
    -------
    Refinement
        The refined spectrum (unit of the problem's spectrum), the penalty chosen and
        χ²/N before and after.
    """
    k = problem.kernel.matrix
    s = problem.noise() if sigma is None else np.asarray(sigma, float)
    w = problem.kernel.mesh.weights
    f0 = np.clip(np.asarray(prior, float), 0.0, None)
    n = problem.data.size
    a_fit, b_fit = k / s[:, None], problem.data / s
    norm2 = max(float(w @ f0**2), 1e-300)
    sw = np.sqrt(w)

    def chi2n(f: np.ndarray) -> float:
        r = a_fit @ f - b_fit
        return float(r @ r) / n

    def solve(log_lam: float) -> np.ndarray:
        pen = np.sqrt(np.exp(log_lam) * n / norm2)
        a = np.vstack([a_fit, pen * np.diag(sw)])
        b = np.concatenate([b_fit, pen * sw * f0])
        return nnls(a, b, maxiter=50 * a.shape[1])[0]

    prior_chi2 = chi2n(f0)
    lo, hi = np.log(LAMBDA_RANGE[0]), np.log(LAMBDA_RANGE[1])
    if prior_chi2 <= target:
        return Refinement(f0, LAMBDA_RANGE[1], prior_chi2, prior_chi2, True)
    f_lo = solve(lo)
    if chi2n(f_lo) > target:
        c = chi2n(f_lo)
        return Refinement(f_lo, LAMBDA_RANGE[0], c, prior_chi2, c <= REACHED * target)
    if chi2n(solve(hi)) <= target:
        f = solve(hi)
        return Refinement(f, LAMBDA_RANGE[1], chi2n(f), prior_chi2, True)
    root = brentq(lambda x: np.log(chi2n(solve(x)) / target), lo, hi, xtol=0.05)
    f = solve(root)
    c = chi2n(f)
    return Refinement(f, float(np.exp(root)), c, prior_chi2, c <= REACHED * target)


def verify_guess(problem: Problem, guess: np.ndarray, *, fallback: str,
                 fallback_options: dict | None = None,
                 sigma: np.ndarray | None = None) -> SolverOutput:
    """Accept a learned answer only if, refined through the exact kernel, it fits the data.

    Parameters
    ----------
    problem : Problem
        Kernel, data and error bars.
    guess : ndarray of shape (n_mesh,)
        The network's answer.
    fallback : str
        Registered classical solver used when the refined guess misses the noise level.
    fallback_options : dict, optional
        Options of the fallback solver.
    sigma : ndarray of shape (n_data,), optional
        Error bars (default ``problem.noise()``).

    Returns
    -------
    SolverOutput
        The refined guess, or the fallback's answer. ``hyperparameters`` record
        ``method_used`` (``"network+refinement"`` or the fallback's name), the
        network's and the refined χ²/N, λ, and ``fallback_reason`` when it fell back;
        ``extras["network_spectrum"]`` keeps the raw guess. No band: an ensemble
        spread of the network is not a calibrated uncertainty of the refined answer.
    """
    from specinv.solvers import get_solver

    s = problem.noise() if sigma is None else np.asarray(sigma, float)
    ref = refine_towards(problem, guess, sigma=s)
    hyper = {"network_chi2_reduced": ref.prior_chi2_reduced, "refine_lambda": ref.lam,
             "refined_chi2_reduced": ref.chi2_reduced}
    extras = {"network_spectrum": np.asarray(guess, float)}
    if ref.reached:
        return SolverOutput(ref.spectrum, hyperparameters={**hyper,
                            "method_used": "network+refinement"}, extras=extras, sigma=s)
    res = get_solver(fallback, **(fallback_options or {})).solve(
        Problem(problem.kernel, problem.data, sigma=s, name=problem.name))
    reason = (f"the network's answer, refined through the exact kernel, reaches only "
              f"chi2/N = {ref.chi2_reduced:.3g} (network alone {ref.prior_chi2_reduced:.3g})")
    return SolverOutput(res.spectrum, res.spectrum_std,
                        {**hyper, **res.hyperparameters, "method_used": fallback,
                         "fallback_reason": reason}, extras, sigma=s)

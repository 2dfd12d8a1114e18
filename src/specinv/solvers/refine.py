"""Test-time verification of a learned answer through the exact forward model.

A network's answer is a guess from its training prior, which the data may not
share. :func:`verify_guess` uses it the way a physicist uses prior knowledge in
MaxEnt: as the **default model**. Maximum entropy relative to the guess keeps
whatever of it the data do not contradict and moves the rest until the data are
reproduced; α follows the classic (Bayesian) rule, which weighs data against the
guess without forcing χ² = N. (A plain least-squares pull towards the guess with
λ from the discrepancy principle was tried first: when the guess is biased, the
χ² = N solution can need a very weak pull and then oscillates wildly along
ill-conditioned directions — a 4 % guess became a 117 % answer on an in-prior glue.)

The refined answer is accepted when it reproduces the data (χ²/N at most the upper
bound of the check's band, :data:`~specinv.core.check.CHI2_OK`); otherwise the
domain's classical solver answers and the result says why.
"""

from __future__ import annotations

import warnings

import numpy as np

from specinv.core.check import CHI2_OK
from specinv.core.problem import Problem
from specinv.solvers.base import SolverOutput

#: floor of the default model made from a guess, as a fraction of the guess's maximum
#: (MaxEnt needs a strictly positive default; where the guess is 0 the data decide)
DEFAULT_FLOOR = 1e-3


def verify_guess(problem: Problem, guess: np.ndarray, *, fallback: str,
                 fallback_options: dict | None = None,
                 sigma: np.ndarray | None = None) -> SolverOutput:
    """Accept a learned answer only if, refined through the exact kernel, it fits the data.

    Parameters
    ----------
    problem : Problem
        Kernel, data and error bars.
    guess : ndarray of shape (n_mesh,)
        The network's answer (spectrum on the kernel's mesh).
    fallback : str
        Registered classical solver used when the refined guess misses the data.
    fallback_options : dict, optional
        Options of the fallback solver.
    sigma : ndarray of shape (n_data,), optional
        Error bars (default ``problem.noise()``).

    Returns
    -------
    SolverOutput
        The refined guess, or the fallback's answer. ``hyperparameters`` record
        ``method_used`` (``"network+maxent"`` or the fallback's name), the network's
        and the refined χ²/N, the α of the refinement, and ``fallback_reason`` when
        it fell back; ``extras["network_spectrum"]`` keeps the raw guess. No band: the
        network ensemble's spread is not a calibrated uncertainty of the refined answer.
    """
    from specinv.solvers import get_solver

    s = problem.noise() if sigma is None else np.asarray(sigma, float)
    f0 = np.asarray(guess, float)
    r0 = (problem.kernel.forward(f0) - problem.data) / s
    hyper = {"network_chi2_reduced": float(r0 @ r0) / r0.size}
    extras = {"network_spectrum": f0}
    top = float(np.max(f0))
    if top > 0 and np.all(np.isfinite(f0)):
        prior = Problem(problem.kernel, problem.data, sigma=s, name=problem.name,
                        default_model=np.clip(f0, DEFAULT_FLOOR * top, None))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            refined = get_solver("maxent", alpha_rule="classic").solve(prior)
        hyper.update(refined_chi2_reduced=refined.chi2_reduced,
                     refine_alpha=refined.hyperparameters["alpha"])
        if refined.chi2_reduced <= CHI2_OK[1]:
            for w in caught:  # the refinement's own warnings count only if it is the answer
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            return SolverOutput(refined.spectrum, sigma=s, extras=extras,
                                hyperparameters={**hyper, "method_used": "network+maxent"})
        reason = (f"the network's answer, refined through the exact kernel (MaxEnt with it as "
                  f"default model), reaches only chi2/N = {refined.chi2_reduced:.3g}")
    else:
        reason = "the network's answer has no positive weight to refine"
    res = get_solver(fallback, **(fallback_options or {})).solve(
        Problem(problem.kernel, problem.data, sigma=s, name=problem.name))
    return SolverOutput(res.spectrum, res.spectrum_std,
                        {**hyper, **res.hyperparameters, "method_used": fallback,
                         "fallback_reason": reason}, extras, sigma=s)

"""Refine an estimated noise level until the fit's residuals look like noise.

When the data come without error bars, σ is estimated from their roughness
(:func:`specinv.core.noise.estimate_noise`), which assumes white noise on a curve
that is smooth over the estimator's window. On data whose structure is sharper
than that window, or whose noise is correlated, the estimate is too large; a
discrepancy-type α rule then spends the whole χ² budget where the regularizer
pulls hardest (for MaxEnt, where the answer is far from the default model), and
the residuals show a systematic misfit (runs test of :mod:`specinv.core.check`).

The refinement follows the residual-whiteness choice of the regularization
parameter (Rust & O'Leary 2008, *Inverse Problems* 24, 034005; Hansen, Kilmer &
Kjeldsen 2006, *BIT* 46, 41), used only where the estimate itself is in doubt:
σ was estimated, the residuals fail the runs test, and the estimate is not
self-consistent (:func:`specinv.core.noise.noise_consistency` below
:data:`CONSISTENCY_MIN`: the second-difference estimate is much smaller than the
Savitzky–Golay one, which white noise never gives). σ (for a discrepancy-type
rule, equivalently α) is then lowered in steps of √2, down to half the
second-difference estimate, and the first σ whose residuals pass the verdict's
whiteness test while the fit stays within the χ² band is kept, provided its own
check is ``ok`` and the answer moves no more than :data:`AMPLIFICATION_MAX` times
as much as its fit (:func:`amplification`): a white fit bought by an answer that goes
negative, or that amplifies the correlated noise through the inverse, is refused and
the first answer kept. If no σ whitens the residuals, the misfit belongs to
the model (regularizer, default model), not to the noise level: the first answer
is kept and the verdict says so. Every step is recorded in
``check.details["noise_refinement"]`` and in the hyperparameters.
On white noise the two estimates agree, so a structured misfit there (a model
that cannot follow the data) is never hidden by a smaller σ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from specinv.core.check import CHI2_OK, RUNS_Z, check_fit
from specinv.core.noise import RELATIVE_FLOOR, noise_consistency
from specinv.core.problem import Problem
from specinv.core.result import InversionResult

#: ratio of two successive noise levels tried
STEP = 2.0 ** -0.5
#: noise_consistency below which the roughness estimate is taken as too large (white noise
#: gives 0.93–1.10 on 301-point spectra, the measured NIS curves 0.51–0.60)
CONSISTENCY_MIN = 0.8
#: smallest noise level tried, as a fraction of the second-difference estimate
MIN_FINE_FACTOR = 0.5
#: largest amplification (relative change of the answer over relative change of the fit) a
#: refined answer may have: 1.02–1.13 on the NIS curves (thermal kernel narrower than the bias
#: step: the fit and the answer move together), 4.9–2100 where the refinement fits correlated
#: noise through a broadening kernel (simulated spectra at 0.3–1 K)
AMPLIFICATION_MAX = 2.0


def needs_refinement(problem: Problem, result: InversionResult) -> bool:
    """Does ``result`` call for a smaller noise level?

    Parameters
    ----------
    problem : Problem
        The problem solved.
    result : InversionResult
        Its answer, with its check.

    Returns
    -------
    bool
        True when σ was estimated (no error bars and no covariance, or error bars
        the caller estimated: :attr:`~specinv.core.problem.Problem.sigma_estimated`)
        above the estimator's floor (noise-free data have nothing to refine), the fit
        is within the χ² band's upper bound, its residuals fail the runs test and the
        estimate is not self-consistent (:func:`specinv.core.noise.noise_consistency` below
        :data:`CONSISTENCY_MIN`).
    """
    c = result.check
    if problem.sigma_given or problem.covariance is not None or c is None \
            or c.noise_source != "estimated":
        return False
    floor = RELATIVE_FLOOR * float(np.max(np.abs(problem.data)))
    if c.noise_level <= floor * (1.0 + 1e-9) or c.chi2_reduced > CHI2_OK[1] \
            or c.runs_z >= -RUNS_Z:
        return False
    ratio = noise_consistency(problem.data)
    c.details["noise_consistency"] = ratio
    return ratio < CONSISTENCY_MIN


def refine_noise(solve: Callable[[Problem], InversionResult], problem: Problem,
                 result: InversionResult) -> InversionResult:
    """Lower an estimated σ until the residuals pass the whiteness test.

    Parameters
    ----------
    solve : callable
        Solves one problem without refinement (the solver's own method).
    problem : Problem
        The problem, without error bars.
    result : InversionResult
        ``solve(problem)``.

    Returns
    -------
    InversionResult
        ``result`` itself when no refinement is needed (:func:`needs_refinement`);
        otherwise the answer at the first σ = ``σ̂ · STEP^k`` (k = 1, 2, ...; down to
        ``MIN_FINE_FACTOR`` × the second-difference estimate) whose residuals pass the
        runs test with χ²/N in the band, whose check is ``ok`` and whose
        :func:`amplification` is at most :data:`AMPLIFICATION_MAX`, checked as an
        estimated noise level; or ``result`` with the failed attempt recorded and
        explained.
    """
    if not needs_refinement(problem, result):
        return result
    sigma0 = problem.noise()
    trial, check, steps, spent = _search(solve, problem, result, sigma0)
    if trial is not None:
        record = _record(result, sigma0, steps[-1]["factor"], steps, reached=True)
        check.details["noise_refinement"] = record
        return replace(trial, check=check, sigma_estimated=True,
                       noise_level=check.noise_level,
                       hyperparameters={**trial.hyperparameters, "noise_refinement": record},
                       wall_time_s=result.wall_time_s + spent,
                       warnings=result.warnings + trial.warnings)
    record = _record(result, sigma0, None, steps, reached=False)
    factor = steps[-1]["factor"]
    if "rejected" in steps[-1]:
        reason = (f"at {factor:.2g} x the estimated noise level the residuals pass the runs "
                  f"test, but that answer is refused ({steps[-1]['rejected'][-1]}); the "
                  "first answer is kept")
    else:
        reason = (f"lowering the estimated noise level to {factor:.2g} x its estimate does not "
                  "make the residuals noise-like: the misfit comes from the model "
                  "(regularizer, default model) or from noise correlated over many points, "
                  "not from a too large noise level")
    result.check.add("warn", reason, noise_refinement=record)
    result.wall_time_s += spent
    result.hyperparameters["noise_refinement"] = record
    return result


def _search(solve: Callable[[Problem], InversionResult], problem: Problem,
            result: InversionResult, sigma0: np.ndarray) -> tuple[Any, Any, list, float]:
    """Solve at σ̂·STEP^k until an answer is accepted; (answer, check, steps, seconds).

    The answer and check are None when none is accepted. The search stops early when
    χ²/N leaves the band (the fit no longer follows σ), when a white answer is refused,
    or when the runs z-score's trend cannot reach the threshold in the steps left (a
    misfit that a smaller σ does not move: MaxEnt's pull towards its default model).
    """
    lowest = MIN_FINE_FACTOR * result.check.details["noise_consistency"]
    n_steps = int(np.floor(np.log(lowest) / np.log(STEP)))
    steps: list[dict[str, Any]] = []
    spent, last_z = 0.0, result.check.runs_z
    for k in range(1, n_steps + 1):
        factor = STEP**k
        trial = solve(replace(problem, sigma=sigma0 * factor))
        spent += trial.wall_time_s
        check = check_fit(problem.data, trial.fitted, sigma0 * factor, sigma_given=False,
                          spectrum=trial.spectrum, positive=problem.kernel.positive_spectrum)
        steps.append({"factor": factor, "chi2_reduced": check.chi2_reduced,
                      "runs_z": check.runs_z})
        if check.chi2_reduced > CHI2_OK[1]:
            break
        if check.runs_z >= -RUNS_Z and check.chi2_reduced >= CHI2_OK[0]:
            gain = amplification(result, trial)
            steps[-1]["amplification"] = gain
            if check.verdict == "ok" and gain <= AMPLIFICATION_MAX:
                return trial, check, steps, spent
            steps[-1]["rejected"] = check.reasons + ([] if gain <= AMPLIFICATION_MAX else [
                f"the answer moves {gain:.3g} x as much as its fit (at most "
                f"{AMPLIFICATION_MAX:g}): the smaller sigma fits noise through the inverse"])
            break
        rise, last_z = check.runs_z - last_z, check.runs_z
        if rise <= 0 or (-RUNS_Z - check.runs_z) / rise > n_steps - k:
            steps[-1]["stopped"] = "the runs z-score does not approach the threshold"
            break
    return None, None, steps, spent


def amplification(first: InversionResult, refined: InversionResult) -> float:
    """How much more the answer moved than its fit when σ was lowered.

    Parameters
    ----------
    first, refined : InversionResult
        Answers at the estimated and at the lowered noise level.

    Returns
    -------
    float
        ``(‖Δf‖/‖f‖) / (‖KΔf‖/‖Kf‖)`` (mesh-weighted L2 norm for the spectrum): ≈ 1
        when the kernel passes the change unchanged, ≫ 1 when the change is noise
        amplified by the inverse; 0 when nothing moved, ``inf`` when only the answer did.
    """
    w = first.mesh.weights
    df = float(np.sqrt(np.sum((refined.spectrum - first.spectrum) ** 2 * w)
                       / max(float(np.sum(first.spectrum**2 * w)), 1e-300)))
    dg = float(np.linalg.norm(refined.fitted - first.fitted)
               / max(float(np.linalg.norm(first.fitted)), 1e-300))
    if dg == 0.0:
        return 0.0 if df == 0.0 else float("inf")
    return df / dg


def _record(result: InversionResult, sigma0: np.ndarray, factor: float | None,
            steps: list[dict[str, float]], *, reached: bool) -> dict[str, Any]:
    """What the refinement tried and found, for the JSON."""
    return {"reached": reached, "rule": "largest sigma whose residuals pass the runs test "
                                        f"(z >= -{RUNS_Z}) with chi2/N in {list(CHI2_OK)}",
            "sigma_estimate": float(np.median(sigma0)),
            "sigma_refined": float(np.median(sigma0) * factor) if reached else None,
            "factor": factor, "noise_consistency": result.check.details["noise_consistency"],
            "runs_z_before": float(result.check.runs_z),
            "chi2_reduced_before": float(result.check.chi2_reduced), "steps": steps}

"""Refinement of a guess through the exact kernel: discrepancy principle, positivity."""

import numpy as np

from specinv.core.mesh import Mesh
from specinv.core.problem import Problem
from specinv.kernels.sts import STSKernel
from specinv.solvers.refine import REACHED, refine_towards
from specinv.sts.dos import dynes_dos


def _problem(sigma=1e-3):
    mesh = Mesh.uniform(-3.0, 3.0, 81)
    kernel = STSKernel(np.linspace(-2.5, 2.5, 101), mesh, temperature=2.0)
    truth = dynes_dos(mesh, 1.0, 0.1)
    data = kernel.forward(truth) + sigma * np.random.default_rng(0).standard_normal(101)
    return Problem(kernel, data, sigma=sigma), truth, mesh


def test_wrong_guess_is_pulled_to_the_noise_level():
    problem, truth, mesh = _problem()
    guess = 1.3 * dynes_dos(mesh, 1.4, 0.3)  # wrong gap, wrong scale
    r = refine_towards(problem, guess)
    assert r.prior_chi2_reduced > 100 and r.reached
    assert r.chi2_reduced <= REACHED
    assert np.all(r.spectrum >= 0)
    w = mesh.weights
    err = lambda f: np.sqrt(w @ (f - truth) ** 2 / (w @ truth**2))  # noqa: E731
    assert err(r.spectrum) < 0.5 * err(guess)


def test_guess_that_fits_is_kept():
    problem, truth, _ = _problem()
    r = refine_towards(problem, truth)
    # the truth fits at χ²/N ≈ 1 ± √(2/101); when it is above target it moves only a little
    assert r.reached
    assert np.linalg.norm(r.spectrum - truth) / np.linalg.norm(truth) < 0.05


def test_unreachable_noise_level_reported():
    problem, truth, _ = _problem(sigma=1e-3)
    tiny = Problem(problem.kernel, problem.data, sigma=1e-6)  # error bars 1000× too small
    r = refine_towards(tiny, truth)
    assert not r.reached and r.chi2_reduced > REACHED


def test_verify_guess_refines_or_falls_back():
    from specinv.solvers.refine import verify_guess

    problem, truth, mesh = _problem()
    ok = verify_guess(problem, 1.3 * dynes_dos(mesh, 1.4, 0.3), fallback="tikhonov")
    assert ok.hyperparameters["method_used"] == "network+refinement"
    assert "fallback_reason" not in ok.hyperparameters
    # error bars 1000× too small: no refinement reaches them, the fallback answers and says why
    tiny = Problem(problem.kernel, problem.data, sigma=1e-6)
    out = verify_guess(tiny, truth, fallback="tikhonov")
    assert out.hyperparameters["method_used"] == "tikhonov"
    assert "chi2/N" in out.hyperparameters["fallback_reason"]

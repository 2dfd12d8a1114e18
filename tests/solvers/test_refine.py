"""Verification of a guess through the exact kernel: refined when the data allow, else fallback."""

import numpy as np

from specinv.core.check import CHI2_OK
from specinv.core.mesh import Mesh
from specinv.core.problem import Problem
from specinv.kernels.sts import STSKernel
from specinv.solvers.refine import verify_guess
from specinv.sts.dos import dynes_dos


def _problem(sigma=1e-3):
    mesh = Mesh.uniform(-3.0, 3.0, 81)
    kernel = STSKernel(np.linspace(-2.5, 2.5, 101), mesh, temperature=2.0)
    truth = dynes_dos(mesh, 1.0, 0.1)
    data = kernel.forward(truth) + sigma * np.random.default_rng(0).standard_normal(101)
    return Problem(kernel, data, sigma=sigma), truth, mesh


def _err(f, truth, mesh):
    w = mesh.weights
    return float(np.sqrt(w @ (f - truth) ** 2 / (w @ truth**2)))


def test_wrong_guess_is_refined_to_the_data():
    problem, truth, mesh = _problem()
    guess = 1.3 * dynes_dos(mesh, 1.4, 0.3)  # wrong gap, wrong scale
    out = verify_guess(problem, guess, fallback="tikhonov")
    assert out.hyperparameters["method_used"] == "network+maxent"
    assert out.hyperparameters["network_chi2_reduced"] > 100
    assert out.hyperparameters["refined_chi2_reduced"] <= CHI2_OK[1]
    assert np.all(out.spectrum > 0)  # MaxEnt: positive by construction
    assert _err(out.spectrum, truth, mesh) < 0.5 * _err(guess, truth, mesh)
    assert out.spectrum_std is None  # no uncalibrated band


def test_fallback_when_nothing_fits():
    problem, truth, _ = _problem(sigma=1e-3)
    tiny = Problem(problem.kernel, problem.data, sigma=1e-6)  # error bars 1000× too small
    out = verify_guess(tiny, truth, fallback="tikhonov")
    assert out.hyperparameters["method_used"] == "tikhonov"
    assert "chi2/N" in out.hyperparameters["fallback_reason"]
    zero = verify_guess(problem, np.zeros_like(truth), fallback="tikhonov")
    assert zero.hyperparameters["method_used"] == "tikhonov"

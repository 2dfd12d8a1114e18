"""Plus-minus MaxEnt (``maxent`` with ``entropy="plus-minus"``): spectra of either sign."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from specinv import Mesh, ParameterError, Problem
from specinv.kernels.imaginary_time import FermionicTauKernel
from specinv.solvers import solve
from specinv.solvers.maxent_pm import PlusMinusCore, plus_minus_entropy

BETA, SIGMA = 10.0, 1e-5


def signed_problem(sign: float = 1.0, seed: int = 3) -> tuple[Problem, np.ndarray]:
    """G(τ) of a spectrum with a positive peak at −1 and a negative one at +1.5."""
    mesh = Mesh.uniform(-5.0, 5.0, 101)
    x = mesh.points
    truth = 0.4 * np.exp(-((x + 1.0) ** 2) / 0.5) - 0.3 * np.exp(-((x - 1.5) ** 2) / 0.4)
    kernel = FermionicTauKernel(np.linspace(0.0, BETA, 41), mesh, beta=BETA)
    noise = SIGMA * np.random.default_rng(seed).standard_normal(41)
    return Problem(kernel, sign * (kernel.forward(truth) + noise), sigma=SIGMA), truth


def _core(problem: Problem) -> PlusMinusCore:
    w = problem.kernel.mesh.weights
    kt = problem.kernel.matrix / w / SIGMA
    return PlusMinusCore(np.linalg.svd(kt, full_matrices=False), problem.data / SIGMA,
                         np.full(w.size, 0.05) * w, 1e-12, 1e-2)


def test_entropy_is_zero_at_zero_and_negative_elsewhere():
    m = np.full(5, 0.3)
    assert plus_minus_entropy(np.zeros(5), m) == 0.0
    a = np.array([-2.0, -1e-3, 1e-9, 0.5, 4.0])
    assert plus_minus_entropy(a, m) < 0
    assert plus_minus_entropy(a, m) == pytest.approx(plus_minus_entropy(-a, m), rel=1e-14)


def test_gradient_and_hessian_match_finite_differences():
    problem, truth = signed_problem()
    core = _core(problem)
    w = problem.kernel.mesh.weights
    a = truth * w + 0.01 * np.random.default_rng(0).standard_normal(w.size) * w
    alpha = 30.0
    g = core.gradient(a, alpha)
    h = 1e-6 * max(float(np.max(np.abs(a))), 1e-3)
    eye = np.eye(a.size)
    numeric = np.array([(core.objective(a + h * e, alpha) - core.objective(a - h * e, alpha))
                        / (2 * h) for e in eye])
    # central differences: error O(h²·Q‴) + rounding O(eps·Q/h)
    tol = 1e-6 * np.abs(g).max() + 1e-16 * abs(core.objective(a, alpha)) / h
    np.testing.assert_allclose(numeric, g, atol=tol)
    # Hessian U Σ² Uᵀ + α diag(1/metric) against differences of the gradient
    hess = core.us @ core.us.T + alpha * np.diag(1.0 / core.metric(a))
    v = np.random.default_rng(1).standard_normal(a.size)
    fd = (core.gradient(a + h * v, alpha) - core.gradient(a - h * v, alpha)) / (2 * h)
    np.testing.assert_allclose(fd, hess @ v, atol=1e-6 * np.abs(hess @ v).max())


def test_newton_step_solves_the_hessian_system():
    problem, truth = signed_problem()
    core = _core(problem)
    a = truth * problem.kernel.mesh.weights
    alpha = 5.0
    a_opt, ok = core.solve(np.zeros_like(a), alpha)
    assert ok
    # at the minimum the gradient vanishes relative to its parts
    parts = np.abs(core.us @ (core.s * (core.u.T @ a_opt) - core.gproj)).max()
    assert np.abs(core.gradient(a_opt, alpha)).max() <= 1e-6 * parts


def _resolvable_error(problem: Problem, truth: np.ndarray) -> float:
    """Relative L2 error of the truth's projection onto the singular directions of K̃ that
    the data resolve (s_i |c_i| above one error bar): what any regularized answer loses."""
    w = problem.kernel.mesh.weights
    kt = problem.kernel.matrix / w / SIGMA
    _, s, vt = np.linalg.svd(kt, full_matrices=False)
    c = vt @ (truth * w)
    kept = s * np.abs(c) > 1.0
    proj = vt[kept].T @ c[kept]
    return float(np.linalg.norm(proj / w - truth, 2) / np.linalg.norm(truth, 2))


def test_recovers_a_signed_spectrum_within_the_resolvable_error():
    problem, truth = signed_problem()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = solve(problem, method="maxent", entropy="plus-minus", alpha_rule="chi2curv")
    assert r.spectrum.min() < -0.5 * 0.3 and r.spectrum.max() > 0.5 * 0.4  # both signs
    assert r.chi2_reduced < 2.0
    err = float(np.linalg.norm(r.spectrum - truth) / np.linalg.norm(truth))
    assert err <= 2.0 * _resolvable_error(problem, truth)


def test_data_of_opposite_sign_give_the_opposite_spectrum():
    plus, _ = signed_problem(1.0)
    minus, _ = signed_problem(-1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = solve(plus, method="maxent", entropy="plus-minus", alpha_rule="chi2curv")
        b = solve(minus, method="maxent", entropy="plus-minus", alpha_rule="chi2curv")
    assert a.hyperparameters["alpha"] == pytest.approx(b.hyperparameters["alpha"], rel=1e-9)
    np.testing.assert_allclose(b.spectrum, -a.spectrum, atol=1e-8 * np.abs(a.spectrum).max())


def test_unknown_entropy_is_refused():
    problem, _ = signed_problem()
    with pytest.raises(ParameterError, match="plus-minus"):
        solve(problem, method="maxent", entropy="signed")

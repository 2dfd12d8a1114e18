"""Accuracy of the general-kernel solvers and method-specific checks.

The contract every registered solver keeps is checked in ``test_conformance.py``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import specinv
from specinv import Mesh, ParameterError, Problem, STSKernel
from specinv.core.metrics import l2_error
from specinv.solvers import SOLVERS, load_all
from specinv.solvers.maxent_core import MaxEntCore, entropy
from specinv.solvers.maxent_core import Point as _Point

load_all()

#: fast settings for the conformance test (the defaults are tuned for N = 1201)
FAST = {
    "tsvd": {"rank": 18},
    "som": {"n_solutions": 32, "n_steps": 8000},
    "nnrs": {"n_ensemble": 1, "steps": 300},
}
#: relative L2 tolerance on the smooth test spectrum at 1e-3 noise; a regularized
#: inverse of this kernel (β = 2, resolution ~ 2 k_B T) cannot resolve the peaks'
#: curvature better than ~10 %
TOL = {"som": 0.15, "nnrs": 0.15}
# solvers that accept any linear kernel (the others are scored on their own kernels'
# test problems in their domains' tests)
GENERAL = [name for name, cls in SOLVERS.items() if cls.kernels is None]


def smooth_problem(seed: int = 1) -> tuple[Problem, np.ndarray]:
    mesh = Mesh.uniform(-6, 6, 121)
    x = mesh.points
    truth = 1.0 + 0.8 * np.exp(-((x - 1.5) ** 2) / 0.8) + 0.8 * np.exp(-((x + 1.5) ** 2) / 0.8)
    kernel = STSKernel(np.linspace(-5, 5, 101), mesh, beta=2.0)
    sigma = 1e-3
    g = kernel.forward(truth) + sigma * np.random.default_rng(seed).standard_normal(101)
    return Problem(kernel, g, sigma=sigma), truth


@pytest.mark.parametrize("method", GENERAL)
def test_recovers_smooth_spectrum(method):
    problem, truth = smooth_problem()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", specinv.IllConditionedWarning)
        result = specinv.solve(problem, method, **FAST.get(method, {}))
    assert result.spectrum.shape == truth.shape
    assert np.all(np.isfinite(result.spectrum))
    err = l2_error(result.spectrum, truth, problem.kernel.mesh.weights)
    assert err < TOL.get(method, 0.1), f"{method}: relative L2 error {err:.3f}"
    # the fit is at the noise level: χ²/N within a few standard deviations √(2/N) of 1
    assert result.chi2_reduced < 1.0 + 6 * np.sqrt(2 / 101) + 0.5


def test_tsvd_reproduces_pinv_and_warns():
    problem, _ = smooth_problem()
    with pytest.warns(specinv.IllConditionedWarning):
        specinv.solve(Problem(problem.kernel, problem.data), "tsvd")
    # with a cut at 1e-8 the two SVD routines agree to ~1e8·eps relative
    with pytest.warns(specinv.IllConditionedWarning):
        r = specinv.solve(Problem(problem.kernel, problem.data), "tsvd", rcond=1e-8)
    expected = np.linalg.pinv(problem.kernel.matrix, rcond=1e-8) @ problem.data
    np.testing.assert_allclose(r.spectrum, expected, atol=1e-6 * np.abs(expected).max())


@pytest.mark.parametrize("rule", ["discrepancy", "gcv", "lcurve"])
def test_tikhonov_rules_choose_finite_lambda(rule):
    problem, truth = smooth_problem()
    r = specinv.solve(problem, "tikhonov", rule=rule)
    assert 0 < r.hyperparameters["lambda"] < np.inf
    assert l2_error(r.spectrum, truth, problem.kernel.mesh.weights) < 0.2


def test_tikhonov_discrepancy_hits_chi2_target():
    problem, _ = smooth_problem()
    n = problem.data.size
    r = specinv.solve(problem, "tikhonov", rule="discrepancy", regularizer="identity")
    # Morozov with the default safety factor τ = 1 + 2√(2/n)
    assert r.chi2_reduced == pytest.approx(1.0 + 2.0 * np.sqrt(2.0 / n), rel=1e-3)
    r = specinv.solve(problem, "tikhonov", rule="discrepancy", regularizer="identity", tau=1.0)
    assert r.chi2_reduced == pytest.approx(1.0, rel=1e-3)


@pytest.mark.parametrize("rule", ["classic", "bryan", "chi2kink", "posterior", "historic"])
def test_maxent_is_positive_and_fits(rule):
    problem, truth = smooth_problem()
    r = specinv.solve(problem, "maxent", alpha_rule=rule)
    assert np.all(r.spectrum > 0)
    assert l2_error(r.spectrum, truth, problem.kernel.mesh.weights) < 0.1
    if rule == "bryan":  # the spread over α is kept, but not as a band
        assert r.spectrum_std is None and np.all(r.extras["alpha_spread"] >= 0)


def test_maxent_gradient_matches_finite_differences():
    problem, _ = smooth_problem()
    w = problem.kernel.mesh.weights
    kt = problem.kernel.matrix / w / 1e-3
    core = MaxEntCore(np.linalg.svd(kt, full_matrices=False), problem.data / 1e-3,
                       np.full(w.size, 1.2) * w, 1e-12, 1e-2)
    rng = np.random.default_rng(0)
    a = core.m * np.exp(0.1 * rng.standard_normal(w.size))
    alpha = 3.0
    analytic = core.gradient(a, alpha)
    h = 1e-6 * a
    numeric = np.array([(core.objective(a + hi * e, alpha) - core.objective(a - hi * e, alpha))
                        / (2 * hi) for hi, e in zip(h, np.eye(w.size), strict=True)])
    scale = np.abs(analytic).max()
    # central differences: error O(h²·Q‴) + rounding O(eps·Q/h)
    np.testing.assert_allclose(numeric, analytic, atol=1e-5 * scale + 1e-6)


def test_maxent_chi2_of_precise_data_has_no_cancellation():
    # χ² far below ‖g̃‖²·eps: data = K̃a + δ·e with e ⟂ range(K̃), so χ²(a) = δ² exactly
    rng = np.random.default_rng(1)
    kt = rng.standard_normal((60, 40))
    w_full = np.linalg.svd(kt)[0]
    e_perp = w_full[:, -1]  # orthogonal to the 40-dimensional range
    a = rng.uniform(0.5, 1.5, 40)
    scale, delta = 1e6, 1e-3  # ‖g̃‖² ≈ 1e15: a difference of squares loses ~0.1 absolute
    g = scale * (kt @ a) + delta * e_perp
    core = MaxEntCore(np.linalg.svd(scale * kt, full_matrices=False), g, np.ones(40),
                       1e-12, 1e-2)
    # rounding of W Wᵀg̃ leaves ~eps·‖g̃‖ ≈ 1e-8 per component: relative 1e-4 of δ
    np.testing.assert_allclose(core.chi2(a), delta**2, rtol=1e-3)


def test_maxent_newton_converges_where_exact_data_empty_part_of_the_mesh():
    # weight only on |ω| < 1 of a [-4, 4] mesh, error bars far above the data's rounding:
    # at small α the minimum drives A towards 0 outside the band (by e^-100 and more),
    # where Newton steps in Bryan's u stall
    from specinv.kernels.imaginary_time import FermionicTauKernel

    mesh = Mesh.uniform(-4.0, 4.0, 161)
    x = mesh.points
    truth = np.where(np.abs(x) < 1.0, 0.5, 0.0)
    kernel = FermionicTauKernel(np.linspace(0.0, 8.0, 129), mesh, beta=8.0)
    problem = Problem(kernel, kernel.forward(truth), sigma=1e-5)
    core = _maxent_core(problem)
    core.m = np.full(x.size, 1.0 / 8.0) * mesh.weights
    a = core.m.copy()
    for alpha in np.geomspace(1e4, 0.3, 25):
        a, ok = core.solve(a, alpha)
        assert ok, f"no convergence at alpha = {alpha:.3g}"
    # converged: a much tighter solve from there lowers Q by no more than the tolerance
    q = core.objective(a, 0.3)
    tight, _ = core.solve(a, 0.3, tol=1e-14)
    assert q - core.objective(tight, 0.3) <= 1e-9 * abs(q)
    assert a[np.abs(x) > 2.0].max() < 1e-6 * a.max()


def test_entropy_is_maximal_at_default():
    m = np.array([0.2, 0.5, 0.3])
    assert entropy(m, m) == 0.0
    assert entropy(m * 1.1, m) < 0
    assert entropy(np.array([0.3, 0.4, 0.3]), m) < 0


def test_som_sample_spread_and_positivity():
    problem, _ = smooth_problem()
    r = specinv.solve(problem, "som", n_solutions=8, n_steps=500)
    assert np.all(r.spectrum >= 0)
    assert r.spectrum_std is None  # the sample spread is kept, but not as a band
    assert r.extras["sample_spread"].shape == r.spectrum.shape
    assert r.hyperparameters["n_kept"] >= 1


def _maxent_core(problem: Problem) -> MaxEntCore:
    w = problem.kernel.mesh.weights
    sigma = problem.noise()
    m = np.full(w.size, abs(float(problem.data.mean()))) * w  # a default model is > 0
    svd = np.linalg.svd(problem.kernel.matrix / sigma[:, None] / w, full_matrices=False)
    return MaxEntCore(svd, problem.data / sigma, m, 1e-12, 1e-2)


def test_maxent_posterior_alpha_is_the_maximum_of_logpost():
    problem, _ = smooth_problem()
    default = np.full(problem.kernel.mesh.size, float(problem.data.mean()))
    problem = Problem(problem.kernel, problem.data, sigma=1e-3, default_model=default)
    r = specinv.solve(problem, "maxent", alpha_rule="posterior")
    alpha, lp = r.hyperparameters["alpha"], r.hyperparameters["logpost_at_alpha"]
    grid_lp = r.extras["logpost"]
    assert grid_lp.shape == r.extras["alphas"].shape
    # the refined α is at least as probable as every scanned α ...
    assert lp >= grid_lp.max() - 1e-9
    # ... and is a local maximum: solving independently at α(1 ± 5%) gives less
    core = _maxent_core(problem)
    a = core.m.copy()
    for al in np.geomspace(1e4, alpha * 1.05, 25):
        a, _ = core.solve(a, al)
    up = _Point(core, alpha * 1.05, a, True).logpost()
    a, _ = core.solve(a, alpha)
    at = _Point(core, alpha, a, True).logpost()
    a, _ = core.solve(a, alpha / 1.05)
    down = _Point(core, alpha / 1.05, a, True).logpost()
    assert at == pytest.approx(lp, abs=1e-6)
    assert at >= up and at >= down


def test_maxent_classic_refined_alpha_satisfies_the_classic_condition():
    problem, _ = smooth_problem()
    r = specinv.solve(problem, "maxent", alpha_rule="classic")
    coarse = specinv.solve(problem, "maxent", alpha_rule="classic", refine_alpha=False)
    assert coarse.hyperparameters["alpha"] == r.hyperparameters["alpha_grid"]
    core = _maxent_core(problem)
    core.m = problem.kernel.mesh.weights * specinv.solvers.maxent.flat_default(problem)
    a = core.m.copy()
    for al in np.geomspace(1e4, r.hyperparameters["alpha"], 30):
        a, _ = core.solve(a, al)
    # −2αS = N_good within the root-finding tolerance (1e-3 in ln α) times the slope
    assert abs(_Point(core, r.hyperparameters["alpha"], a, True).classic_ratio()) < 0.01


def test_maxent_historic_fits_to_the_error_bars():
    problem, _ = smooth_problem()
    r = specinv.solve(problem, "maxent", alpha_rule="historic")
    # χ² = N: the root in ln α is found to 1e-3, and d ln χ²/d ln α is O(1) here
    assert r.chi2_reduced == pytest.approx(1.0, abs=0.01)
    # larger α than classic (which fits below the noise when N ≫ N_good) and smoother
    classic = specinv.solve(problem, "maxent", alpha_rule="classic")
    assert r.hyperparameters["alpha"] > classic.hyperparameters["alpha"]
    assert r.chi2_reduced > classic.chi2_reduced


def test_maxent_historic_warns_when_no_alpha_fits():
    problem, _ = smooth_problem()
    # negative conductance: no positive spectrum reaches χ² = N at any α
    bad = Problem(problem.kernel, -problem.data, sigma=1e-3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        specinv.solve(bad, "maxent", alpha_rule="historic")
    assert any("error bars too small" in str(w.message) for w in caught)


def test_maxent_warns_when_no_spectrum_fits():
    problem, _ = smooth_problem()
    # negative conductance cannot come from a positive spectrum through a positive kernel
    bad = Problem(problem.kernel, -problem.data, sigma=1e-3)
    with pytest.warns(specinv.ConvergenceWarning, match="no spectrum on this mesh fits"):
        specinv.solve(bad, "maxent")


def test_maxent_rejects_unknown_alpha_prior():
    problem, _ = smooth_problem()
    with pytest.raises(ParameterError, match="alpha_prior"):
        specinv.solve(problem, "maxent", alpha_rule="posterior", alpha_prior="uniform")


def test_maxent_newton_converges_on_noise_free_sts_data():
    # the seed-000 BCS case without noise: Newton steps in ln A alone stall here
    # (they stopped at Q = 3512 against the minimum 198 at this α)
    from specinv.sts.bench import _case

    problem, _ = _case(3.0, 0.0, "seed")
    w = problem.kernel.mesh.weights
    sigma = problem.noise()
    svd = np.linalg.svd(problem.kernel.matrix / sigma[:, None] / w, full_matrices=False)
    core = MaxEntCore(svd, problem.data / sigma,
                       specinv.solvers.maxent.flat_default(problem) * w, 1e-12, 1e-2)
    a = core.m.copy()
    for alpha in np.geomspace(10 * core.s[0] ** 2, 120.0, 15):
        a, _ = core.solve(a, alpha, max_iter=60)
    a, ok = core.solve(a, 78.8)
    assert ok
    q = core.objective(a, 78.8)
    tight, _ = core.solve(a, 78.8, tol=1e-14)
    assert q - core.objective(tight, 78.8) <= 1e-9 * abs(q)

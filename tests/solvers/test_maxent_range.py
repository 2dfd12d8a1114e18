"""MaxEnt's automatic α range: scale-free, and extended until the rule's α is bracketed."""

import warnings

import numpy as np
import pytest

from specinv.core.mesh import Mesh
from specinv.core.problem import Problem
from specinv.kernels.sts import STSKernel
from specinv.solvers import solve
from specinv.sts.dos import dynes_dos


@pytest.fixture(scope="module")
def sharp_case():
    """A well-conditioned kernel (low T, fine mesh) with precise data: the historic α
    lies far below the kernel's smallest squared singular value."""
    bias = np.linspace(-2.0, 2.0, 161)
    mesh = Mesh.uniform(-2.1, 2.1, 161)
    kernel = STSKernel(bias, mesh, temperature=0.3)
    truth = 0.2 * dynes_dos(mesh, 0.3, 0.02)
    sigma = 2e-4
    data = kernel.forward(truth) + sigma * np.random.default_rng(0).standard_normal(bias.size)
    return kernel, truth, data, sigma


def test_historic_alpha_found_below_initial_grid(sharp_case):
    kernel, truth, data, sigma = sharp_case
    r = solve(Problem(kernel, data, sigma=sigma), method="maxent", alpha_rule="historic")
    # χ² = N is the rule's target; refinement stops at xtol 1e-3 in ln α
    assert r.chi2_reduced == pytest.approx(1.0, rel=0.02)
    assert r.check.verdict != "fail"


@pytest.mark.parametrize("rule", ["historic", "classic", "posterior"])
def test_answer_scales_with_data(sharp_case, rule):
    kernel, truth, data, sigma = sharp_case
    c = 1e-12  # dI/dV in amperes instead of nA-scale units
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r1 = solve(Problem(kernel, data, sigma=sigma), method="maxent", alpha_rule=rule)
        r2 = solve(Problem(kernel, c * data, sigma=c * sigma), method="maxent", alpha_rule=rule)
    assert r2.chi2_reduced == pytest.approx(r1.chi2_reduced, rel=1e-3)
    # the α grid is scale-free (∝ 1/c): the spectra agree to the α refinement's tolerance
    err = np.linalg.norm(r2.spectrum / c - r1.spectrum) / np.linalg.norm(r1.spectrum)
    assert err < 1e-2


def test_fixed_alpha_reproduces_the_scan_answer_at_that_alpha(sharp_case):
    # `alpha` replaces the scan and the rule by one solve: at the α a rule chose it gives
    # that rule's answer (both Newton solves stop at a decrement below 1e-10 |Q|: the
    # remaining step is of relative size √1e-10 = 1e-5, below the 1e-4 compared here)
    kernel, truth, data, sigma = sharp_case
    problem = Problem(kernel, data, sigma=sigma)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scan = solve(problem, method="maxent", alpha_rule="historic")
        fixed = solve(problem, method="maxent", alpha=scan.hyperparameters["alpha"])
    assert fixed.hyperparameters["alpha_rule"] == "fixed"
    assert fixed.hyperparameters["alpha"] == scan.hyperparameters["alpha"]
    assert not fixed.hyperparameters["alpha_at_grid_end"]
    assert fixed.extras["alphas"][-1] == fixed.hyperparameters["alpha"]
    err = np.max(np.abs(fixed.spectrum - scan.spectrum)) / np.max(scan.spectrum)
    assert err < 1e-4


@pytest.mark.parametrize("alpha", [0.0, -1.0])
def test_fixed_alpha_must_be_positive(sharp_case, alpha):
    from specinv.core.errors import ParameterError

    kernel, truth, data, sigma = sharp_case
    with pytest.raises(ParameterError, match="alpha must be > 0"):
        solve(Problem(kernel, data, sigma=sigma), method="maxent", alpha=alpha)

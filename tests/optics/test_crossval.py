"""Cross-validated choice between the verified network answer and MaxEnt's."""

import numpy as np
import pytest

import specinv
from specinv.core.errors import ParameterError
from specinv.core.problem import Problem
from specinv.optics.crossval import FOLDS, cross_validated_choice, fold_problem, held_out_chi2
from specinv.optics.families import family_glues
from specinv.optics.setup import OpticsSetup
from specinv.optics.solvers import default_weight_files
from specinv.solvers.base import SolverOutput

N_DATA = OpticsSetup().n_omega


@pytest.fixture(scope="module")
def noisy():
    s = OpticsSetup()
    g = family_glues(s.mesh().points, 1)["MMP continuum"][0]
    k = s.kernel(100.0)
    y = k.forward(g)
    sigma = 1e-3 * y.max()
    rng = np.random.default_rng(5)
    return Problem(k, y + sigma * rng.standard_normal(y.size), sigma=sigma), g


def test_fold_problem_keeps_temperature_mesh_and_error_bars(noisy):
    p, _ = noisy
    keep = np.arange(N_DATA) % FOLDS != 0
    sub = fold_problem(p, keep)
    assert sub.kernel.temperature == p.kernel.temperature
    np.testing.assert_array_equal(sub.kernel.mesh.points, p.kernel.mesh.points)
    np.testing.assert_array_equal(sub.kernel.matrix, p.kernel.matrix[keep])
    np.testing.assert_array_equal(sub.noise(), p.noise()[keep])


def test_held_out_chi2_of_the_truth_is_the_noise(noisy):
    p, g = noisy
    cv = held_out_chi2(p, lambda sub: g)
    # the truth predicts every held-out point to its noise: χ²/N of N unit normals,
    # mean 1 and standard deviation √(2/N); five of them is a loose bound
    assert abs(cv - 1.0) < 5 * np.sqrt(2.0 / N_DATA)
    # a glue 10 % too strong misses the data by far more than their noise
    assert held_out_chi2(p, lambda sub: 1.1 * g) > 10.0


def _fake(problem, spectrum):
    return SolverOutput(spectrum, hyperparameters={"method_used": "network+maxent"})


@pytest.mark.parametrize("network_good", [True, False])
def test_choice_keeps_the_procedure_that_predicts_held_out_data(noisy, network_good):
    p, g = noisy
    good = lambda sub: specinv.solve(sub, "tikhonov", rule="discrepancy")  # noqa: E731
    bad = 0.8 * g
    verified = _fake(p, g if network_good else bad)
    if network_good:  # the classical procedure answers 0.8 × truth
        out = cross_validated_choice(p, verified, lambda sub: g,
                                     lambda sub: _fake(sub, bad), "maxent")
        assert out.hyperparameters["method_used"] == "network+maxent"
        np.testing.assert_array_equal(out.spectrum, g)
        assert out.hyperparameters["cv_chi2_network"] < out.hyperparameters["cv_chi2_classical"]
    else:
        out = cross_validated_choice(p, verified, lambda sub: bad, good, "tikhonov")
        assert out.hyperparameters["method_used"] == "tikhonov"
        assert "cross-validation" in out.hyperparameters["fallback_reason"]
        np.testing.assert_allclose(out.spectrum, good(p).spectrum)
    # the verified network answer is kept for comparison either way
    np.testing.assert_array_equal(out.extras["verified_spectrum"], verified.spectrum)
    assert out.hyperparameters["selection"] == f"{FOLDS}-fold cross-validation"


@pytest.mark.skipif(not default_weight_files("rrim"), reason="default weights not built")
def test_shipped_rrim_records_the_cross_validated_choice(noisy):
    p, _ = noisy
    assert "selection" not in specinv.solve(p, "rrim").hyperparameters  # off by default
    r = specinv.solve(p, "rrim", select="cv")
    h = r.hyperparameters
    assert h["method_used"] in ("network+maxent", "maxent")
    if "cv_chi2_network" in h:  # the refined answer fitted, so it was cross-validated
        wins = h["cv_chi2_network"] <= h["cv_chi2_classical"]
        assert (h["method_used"] == "network+maxent") == wins
    with pytest.raises(ParameterError, match="select"):
        specinv.solve(p, "rrim", select="vote")

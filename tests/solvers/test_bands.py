"""The parametric-bootstrap band against its closed form for a linear estimator."""

import numpy as np
import pytest

import specinv
from specinv.core.errors import ParameterError
from specinv.core.mesh import Mesh
from specinv.core.problem import Problem
from specinv.kernels.sts import STSKernel
from specinv.solvers.bands import bootstrap_std


def _problem() -> Problem:
    mesh = Mesh.uniform(-5.0, 5.0, 41)
    x = mesh.points
    truth = 1.0 + 0.7 * np.exp(-((x - 1.2) ** 2) / 0.3) + 0.7 * np.exp(-((x + 1.2) ** 2) / 0.3)
    kernel = STSKernel(np.linspace(-4.0, 4.0, 33), mesh, beta=2.5)
    sigma = 2e-3 * (1.0 + 0.5 * np.sin(np.linspace(0.0, 3.0, 33)))
    data = kernel.forward(truth) + sigma * np.random.default_rng(0).standard_normal(33)
    return Problem(kernel, data, sigma=sigma)


@pytest.mark.filterwarnings("ignore::specinv.core.errors.IllConditionedWarning")
def test_linear_band_matches_variance_plus_bias_of_the_estimator():
    """TSVD at fixed rank is ``f̂ = R g``: variance diag(R Σ Rᵀ), bias at f̂ (R K − I) f̂."""
    problem = _problem()
    opts = {"rank": 8}
    n = 400
    r = specinv.solve(problem, "tsvd", **opts, band="bootstrap", n_band=n, band_seed=3)
    k, sigma = problem.kernel, problem.sigma
    cols = [specinv.solve(Problem(k, e, sigma=sigma), "tsvd", **opts).spectrum
            for e in np.eye(sigma.size)]
    rmat = np.array(cols).T  # (n_mesh, n_data), the estimator's matrix
    var = (rmat ** 2) @ sigma ** 2
    bias = rmat @ k.forward(r.spectrum) - r.spectrum
    exact = np.sqrt(var + bias ** 2)
    # the replica variance has relative error √(2/n) (χ² with n − 1 dof); 4 of those
    np.testing.assert_allclose(r.spectrum_std, exact, rtol=4 * np.sqrt(2.0 / n))


def test_bootstrap_std_adds_the_bias_of_the_replica_mean():
    f = np.array([1.0, 2.0])
    reps = np.array([[1.5, 2.0], [2.5, 2.0]])  # mean 2.0 (bias 1.0), variance 0.5 (ddof 1)
    np.testing.assert_allclose(bootstrap_std(f, reps), [np.sqrt(1.5), 0.0])


@pytest.mark.parametrize("bad", [{"band": "ensemble"}, {"n_band": 1}])
def test_bad_band_options_are_refused(bad):
    with pytest.raises(ParameterError, match="band"):
        specinv.get_solver("maxent", **bad)


def _factor_entry(solver: str, options: dict, **factors) -> dict:
    from specinv.solvers.bands import calibration_options

    return {"kernel": "STSKernel", "solver": solver, "method": solver,
            "options": calibration_options(specinv.get_solver(solver, **options).options),
            "calibration": "test", "heldout_68": 0.7, "heldout_95": 0.95, **factors}


@pytest.mark.filterwarnings("ignore::specinv.core.errors.IllConditionedWarning")
def test_calibrated_pair_scales_the_raw_band_by_its_two_factors(monkeypatch):
    from specinv.solvers import bands

    problem, opts = _problem(), {"rank": 8, "band": "bootstrap", "n_band": 4}
    monkeypatch.setattr(bands, "shipped_factors", lambda: ())
    raw = specinv.solve(problem, "tsvd", **opts)
    assert raw.hyperparameters["band_calibration"]["status"] == "uncalibrated"
    assert "uncalibrated" in raw.hyperparameters["band"] and raw.spectrum_band95 is None
    np.testing.assert_array_equal(raw.spectrum_std, raw.extras["band_std_raw"])
    entry = _factor_entry("tsvd", opts, s68=1.7, s95=6.5)
    monkeypatch.setattr(bands, "shipped_factors", lambda: (entry,))
    cal = specinv.solve(problem, "tsvd", **{**opts, "band_seed": 5})  # the seed is free
    sigma = cal.extras["band_std_raw"]
    np.testing.assert_array_equal(cal.spectrum_std, 1.7 * sigma)
    np.testing.assert_array_equal(cal.spectrum_band95, 6.5 * sigma)
    label = cal.hyperparameters["band_calibration"]
    assert label["status"] == "calibrated" and (label["s68"], label["s95"]) == (1.7, 6.5)
    assert cal.metadata()["hyperparameters"]["band_calibration"]["status"] == "calibrated"


def test_factors_hold_only_for_the_kernel_solver_and_options_they_were_fitted_on():
    from specinv.solvers.bands import find_factors

    entry = _factor_entry("maxent", {"alpha_rule": "historic"}, s68=0.4, s95=1.5)
    options = specinv.get_solver("maxent", alpha_rule="historic", band="bootstrap",
                                 band_seed=7).options
    assert find_factors("STSKernel", "maxent", options, (entry,)) is entry
    assert find_factors("FermionicTauKernel", "maxent", options, (entry,)) is None
    assert find_factors("STSKernel", "tikhonov", options, (entry,)) is None
    other = {**options, "alpha_rule": "chi2kink"}
    assert find_factors("STSKernel", "maxent", other, (entry,)) is None


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


@pytest.mark.parametrize("bad", [{"band": "ensemble"}, {"n_band": 1}, {"band_window": "False"}])
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



def test_shipped_factors_cover_every_benchmarked_pair_and_the_cli_defaults():
    from specinv.cli.bench_calibration import DOMAINS, METHODS
    from specinv.solvers.bands import factor_floor, shipped_factors

    entries = shipped_factors()
    assert len(entries) == sum(len(m) for _, m in DOMAINS.values())
    for e in entries:  # the 95 % band is wider than the 68 % one, neither below its floor
        assert factor_floor(e, "68") <= e["s68"] < e["s95"] and e["method"] in METHODS
        assert factor_floor(e, "95") <= e["s95"]
        assert factor_floor(e, "68") <= 1.0 and factor_floor(e, "95") <= 1.96
    defaults = [("STSKernel", {"alpha_rule": "historic"}),
                ("FermionicTauKernel", {"alpha_rule": "chi2curv"}),
                ("FermionicMatsubaraKernel", {"alpha_rule": "chi2curv"}),
                ("ShulgaKernel", {"alpha_rule": "chi2kink"})]
    from specinv.solvers.bands import find_factors
    from specinv.solvers.base import COMMON_OPTIONS

    for kernel, opts in defaults:
        solver = specinv.get_solver("maxent", **opts, band="bootstrap")
        assert find_factors(kernel, "maxent", solver.options,
                            defaults={**COMMON_OPTIONS, **solver.defaults}) is not None, kernel


def test_an_option_added_after_the_calibration_matches_only_at_its_default():
    from specinv.solvers.bands import find_factors

    entry = {"kernel": "K", "solver": "s", "options": {"a": 1}, "s68": 1.0, "s95": 2.0}
    defaults = {"a": 1, "new": 0.0}
    assert find_factors("K", "s", {"a": 1, "new": 0.0}, (entry,), defaults) is entry
    assert find_factors("K", "s", {"a": 1, "new": 0.5}, (entry,), defaults) is None
    assert find_factors("K", "s", {"a": 2, "new": 0.0}, (entry,), defaults) is None


@pytest.mark.filterwarnings("ignore::specinv.core.errors.IllConditionedWarning")
def test_cli_writes_the_calibrated_68_and_95_percent_bands(tmp_path):
    import json

    from specinv.cli.main import main

    spectrum = tmp_path / "s.csv"
    assert main(["sts", "simulate", "--dos", "dynes", "--gap", "1.0", "--gamma", "0.05",
                 "--temperature", "1.5", "--noise", "1e-3", "--n-bias", "61",
                 "--output", str(spectrum)]) == 0
    out = tmp_path / "dos.csv"
    assert main(["sts", "deconvolve", str(spectrum), "--temperature", "1.5",
                 "--option", "band=bootstrap", "--output", str(out)]) == 0
    assert out.read_text().splitlines()[0] == "energy_meV,dos,dos_std,dos_band95"
    table = np.loadtxt(out, delimiter=",", skiprows=1)
    label = json.loads(out.with_suffix(".json").read_text())["hyperparameters"][
        "band_calibration"]
    assert label["status"] == "calibrated" and label["method"] == "maxent-historic"
    inside = table[:, 2] > 0
    np.testing.assert_allclose(table[inside, 3] / table[inside, 2],
                               label["s95"] / label["s68"], rtol=1e-8)  # CSV: 10 digits


def test_a_level_whose_held_out_coverage_missed_its_window_is_not_reported():
    from specinv.solvers.bands import calibrated_band

    raw = np.array([0.5, 1.0, 2.0])
    entry = _factor_entry("tsvd", {"rank": 8}, s68=1.2, s95=4.0)
    std, band95, label = calibrated_band(raw, {**entry, "heldout_68": 0.57}, "STSKernel",
                                         "tsvd")
    assert std is None and label["status"] == "95 % band only"
    np.testing.assert_array_equal(band95, 4.0 * raw)
    assert "68 % band is not reported" in label["reason"] and "57.0%" in label["reason"]
    std, band95, label = calibrated_band(raw, {**entry, "heldout_95": 0.99}, "STSKernel",
                                         "tsvd")
    assert band95 is None and label["status"] == "68 % band only"
    np.testing.assert_array_equal(std, 1.2 * raw)
    _, _, label = calibrated_band(raw, {**entry, "heldout_68": 0.9, "heldout_95": 0.8},
                                  "STSKernel", "tsvd")
    assert label["status"] == "not calibratable"


@pytest.mark.parametrize(("s68", "held", "shown"), [
    (1.7, 0.70, True), (1.7, 0.80, False), (1.7, 0.55, False),  # fitted: the window
    (1.0, 0.80, True), (1.0, 0.97, True), (1.0, 0.55, False)])  # floored: lower end only
def test_a_floored_level_may_over_cover_but_never_under_cover(s68, held, shown):
    from specinv.solvers.bands import level_missed

    entry = {"s68": s68, "heldout_68": held}
    assert (level_missed(entry, "68") is None) is shown


def test_a_floored_factor_reports_the_raw_band_and_says_so():
    from specinv.solvers.bands import calibrated_band

    raw = np.array([0.1, 0.2])
    entry = {"method": "m", "calibration": "test", "s68": 1.0, "s95": 3.0,
             "heldout_68": 0.85, "heldout_95": 0.95}
    std, band95, label = calibrated_band(raw, entry, "STSKernel", "maxent")
    np.testing.assert_array_equal(std, raw)
    np.testing.assert_array_equal(band95, 3.0 * raw)
    assert label["status"] == "calibrated" and label["floored"] == ["68 %"]


@pytest.mark.parametrize(("s68", "held", "shown", "floored"), [
    (0.85, 0.80, True, True), (0.85, 0.55, False, True),  # at the out-of-set floor
    (0.90, 0.80, True, False),  # shrunk, not as far as the floor: may over-cover
    (1.20, 0.80, False, False)])  # widened: the window
def test_a_shrunk_factor_may_over_cover_and_is_floored_only_at_its_floor(s68, held, shown,
                                                                         floored):
    from specinv.solvers.bands import calibrated_band, level_missed

    entry = {"s68": s68, "heldout_68": held, "floor68": 0.85}
    assert (level_missed(entry, "68") is None) is shown
    full = {**entry, "method": "m", "calibration": "test", "s95": 3.0, "heldout_95": 0.95}
    _, _, label = calibrated_band(np.ones(2), full, "STSKernel", "maxent")
    assert ("floored" in label) is (floored and shown)

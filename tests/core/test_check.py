"""The physics check: verdicts from residual statistics with known distributions."""

import numpy as np
import pytest

from specinv.core.check import CHI2_OK, RUNS_Z, check_edges, check_fit, edge_weight, runs_z


def _fit(residual_sigma: np.ndarray, sigma: float = 0.1):
    data = np.linspace(0.0, 1.0, residual_sigma.size)
    return data, data + sigma * residual_sigma, np.full(data.size, sigma)


def test_white_residuals_pass():
    rng = np.random.default_rng(0)
    data, fitted, sigma = _fit(rng.standard_normal(400))
    check = check_fit(data, fitted, sigma, sigma_given=True)
    # χ²/N of 400 unit normals: 1 ± √(2/400) = 1 ± 0.07, far inside the band
    assert check.verdict == "ok", check.reasons
    assert abs(check.chi2_reduced - 1.0) < 5 * np.sqrt(2 / 400)
    assert abs(check.runs_z) < RUNS_Z
    assert check.noise_source == "given"


def test_misfit_fails_and_overfit_warns():
    rng = np.random.default_rng(1)
    data, fitted, sigma = _fit(3.0 * rng.standard_normal(400))  # χ²/N ≈ 9 > 2
    check = check_fit(data, fitted, sigma, sigma_given=False)
    assert check.failed and check.chi2_reduced > CHI2_OK[1]
    assert "estimated" in check.summary()
    data, fitted, sigma = _fit(0.3 * rng.standard_normal(400))  # χ²/N ≈ 0.09 < 0.5
    assert check_fit(data, fitted, sigma, sigma_given=True).verdict == "warn"


def test_runs_test_sees_structure():
    # a smooth bump of residuals at χ²/N ≈ 1: few sign changes
    x = np.linspace(-1, 1, 400)
    r = np.sign(np.sin(3 * np.pi * x)) * 1.0
    assert runs_z(r) < -RUNS_Z
    data, fitted, sigma = _fit(r)
    check = check_fit(data, fitted, sigma, sigma_given=True)
    assert check.verdict == "warn" and "structure" in check.reasons[0]
    # alternating signs: more runs than noise gives, not a misfit
    assert runs_z(np.tile([1.0, -1.0], 200)) > RUNS_Z


def test_negative_spectrum_flagged_only_when_physics_requires():
    rng = np.random.default_rng(2)
    data, fitted, sigma = _fit(rng.standard_normal(100))
    spectrum = np.array([1.0, 0.5, -0.2, 0.3])
    assert check_fit(data, fitted, sigma, sigma_given=True, spectrum=spectrum,
                     positive=True).verdict == "warn"
    assert check_fit(data, fitted, sigma, sigma_given=True, spectrum=spectrum,
                     positive=False).verdict == "ok"


def test_edges():
    x = np.linspace(-5, 5, 101)
    f = np.exp(-x**2)
    assert edge_weight(f) < 1e-10
    assert edge_weight(np.exp(x)) == pytest.approx(1.0)
    assert edge_weight(np.exp(x)[::-1], "upper") < 1e-4
    rng = np.random.default_rng(3)
    check = check_fit(*_fit(rng.standard_normal(50)), sigma_given=True)
    check_edges(check, x, f, features={"peak": 0.0}, decays=True)
    assert check.verdict == "ok"
    check_edges(check, x, np.exp(x), features={"peak": 5.0}, decays=True)
    assert check.verdict == "warn" and len(check.reasons) == 2
    record = check.to_dict()
    assert record["verdict"] == "warn" and record["details"]["edge_weight"] == pytest.approx(1.0)


def test_a_set_of_fits_fails_when_any_fit_fails():
    from specinv.core.check import check_map

    ok = check_map(np.array([0.9, 1.1, 1.0, 1.3]), sigma_given=True)
    assert ok.verdict == "ok" and ok.details["n_failed"] == 0
    bad = check_map(np.array([0.9, 1.1, 7.0, 1.3]), sigma_given=False, item="example")
    assert bad.failed and bad.details["failed_examples"] == [2]
    assert "1 of 4 examples" in bad.summary()

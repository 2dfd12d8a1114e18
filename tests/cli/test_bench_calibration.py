"""Band coverage measured from z-scores: the arithmetic of ``bench calibration``."""

import numpy as np
import pytest
from scipy import stats

from specinv.cli.bench_calibration import _summary, coverage, out_of_set_floor
from specinv.cli.calibration_cases import (
    SIGMA_MODES,
    _matsubara_cases,
    _sts_cases,
    balanced,
    calibration_half,
    case_sigma,
)
from specinv.cli.calibration_scores import MIN_STRATUM, alpha_stratum, covered
from specinv.optics.bench_verified import families
from specinv.solvers.alpha_window import ALPHA_LIMITED
from specinv.solvers.bands import level_missed


def _quantile_se(q: float, n: int, density: float) -> float:
    """Standard error of the sample q-quantile of n draws with this density there."""
    return np.sqrt(q * (1.0 - q) / n) / density


def test_gaussian_errors_with_true_bands_are_covered_as_nominal():
    z = np.abs(np.random.default_rng(0).standard_normal(40000))
    c = coverage(z[:20000], z[20000:])
    # |N(0,1)| ≤ 1: 68.3 %, ≤ 1.96: 95.0 %; 40 000 samples: binomial error ≤ 0.25 %
    assert c["nominal_68"] == pytest.approx(0.683, abs=0.01)
    assert c["nominal_95"] == pytest.approx(0.950, abs=0.01)
    for q, key in ((0.68, "s68"), (0.95, "s95")):
        x = stats.norm.ppf((1 + q) / 2)  # quantile of |N(0,1)|
        assert c[key] == pytest.approx(x, abs=4 * _quantile_se(q, 20000, 2 * stats.norm.pdf(x)))


def test_heavy_tails_need_two_factors_and_get_them_on_held_out_data():
    """|t₂| errors with bands 3× too small: no single factor, both held-out coverages right."""
    z = 3.0 * np.abs(np.random.default_rng(1).standard_t(2, 20000))
    c = coverage(z[:10000], z[10000:])
    assert c["nominal_68"] < 0.4
    for q, key in ((0.68, "s68"), (0.95, "s95")):
        x = stats.t.ppf((1 + q) / 2, 2)
        se = 3.0 * _quantile_se(q, 10000, 2 * stats.t.pdf(x, 2))
        assert c[key] == pytest.approx(3.0 * x, abs=4 * se)
    assert c["s95"] / c["s68"] > 2.5  # a Gaussian's ratio is 1.96 / 0.994
    # held-out coverage of a quantile fitted on 10 000 points: binomial error ≤ 0.5 %
    assert c["heldout_68"] == pytest.approx(0.68, abs=0.02)
    assert c["heldout_95"] == pytest.approx(0.95, abs=0.01)


def test_bands_too_wide_are_not_shrunk_below_their_gaussian_width():
    """|N(0, 0.3²)| errors: the quantiles ask for s68 ≈ 0.3; the floor keeps 1 and 1.96."""
    z = 0.3 * np.abs(np.random.default_rng(2).standard_normal(20000))
    c = coverage(z[:10000], z[10000:])
    assert c["q68"] == pytest.approx(0.3 * stats.norm.ppf(0.84), rel=0.05)
    assert (c["s68"], c["s95"]) == (1.0, 1.96)
    # P(|N| ≤ 1/0.3) = 0.9991: the floored band over-covers, and is still reported
    assert c["heldout_68"] > 0.99 and level_missed(c, "68") is None


def test_a_shrink_is_shipped_only_as_far_as_every_out_of_set_case_still_covers():
    """Bands 2× too wide in the calibration: the out-of-set cases decide how far they shrink."""
    rng = np.random.default_rng(3)
    z = 0.5 * np.abs(rng.standard_normal(20000))
    wide = 0.5 * np.abs(rng.standard_normal(4000))  # out of set, as wide as in the set
    tight = np.abs(rng.standard_normal(4000))  # out of set, the raw band exactly right
    shrunk = coverage(z[:10000], z[10000:], [wide])
    for level, window in (("68", (0.60, 0.76)), ("95", (0.90, 0.98))):
        # the out-of-set case validates the 68 % quantile of 0.5|N|, below the window's
        # lower end: the calibration's own quantile is shipped, held-out in the window
        assert shrunk[f"floor{level}"] < shrunk[f"q{level}"] == shrunk[f"s{level}"]
        assert window[0] <= shrunk[f"heldout_{level}"] <= window[1]
        assert level_missed(shrunk, level) is None
    held = coverage(z[:10000], z[10000:], [wide, tight])  # one case refuses the shrink
    # |N| ≤ x covers 60 % at x = 0.84, 90 % at x = 1.645 (4000 points: ± 0.03 in x)
    assert held["floor68"] == pytest.approx(stats.norm.ppf(0.80), abs=0.03)
    assert held["floor95"] == pytest.approx(stats.norm.ppf(0.95), abs=0.05)
    assert (held["s68"], held["s95"]) == (held["floor68"], held["floor95"])
    for level, lo in (("68", 0.60), ("95", 0.90)):
        assert np.mean(tight <= held[f"s{level}"]) >= lo
    assert out_of_set_floor([], "68") == 1.0 and out_of_set_floor([], "95") == 1.96
    assert out_of_set_floor([3.0 * tight], "68") == 1.0  # never above the Gaussian floor


@pytest.mark.parametrize("n", [8, 24, 48])
def test_every_case_axis_is_balanced_within_both_halves(n):
    rng = np.random.default_rng(0)
    for levels in (2, 3, 5, 6):
        lv = balanced(rng, n, levels)
        for half in (True, False):
            counts = np.bincount(lv[[calibration_half(i) is half for i in range(n)]],
                                 minlength=levels)
            assert counts.max() - counts.min() <= 1, (levels, half, counts)


def test_sts_cases_span_temperature_size_lockin_and_both_error_modes():
    cases = _sts_cases(np.random.default_rng(0), 12)  # 6 per half: every temperature once
    for half in (True, False):
        held = [c for i, c in enumerate(cases) if calibration_half(i) is half]
        kernels = [c[0].describe() for c in held]
        assert {k["temperature_K"] for k in kernels} == {0.3, 1.0, 2.0, 4.0, 7.0, 10.0}
        assert {k["n_data"] for k in kernels} == {81, 161, 321}
        assert {k["lockin_rms_mV"] > 0 for k in kernels} == {True, False}
        assert {c[3] for c in held} == set(SIGMA_MODES) and {c[2] for c in held} == {1e-2, 1e-3}


def test_estimated_error_bars_follow_the_cli():
    cases = _matsubara_cases(np.random.default_rng(0), 8)
    kernel, _, _, _, y = cases[0]
    noisy = y + 1e-3 * np.random.default_rng(1).standard_normal(y.size)
    assert case_sigma(kernel, noisy, 1e-3, "given") == 1e-3
    # from Im G alone (as ``ac continue``), within 30 % of the true σ for 2 × 64 points
    assert case_sigma(kernel, noisy, 1e-3, "estimated") == pytest.approx(1e-3, rel=0.3)
    sts = _sts_cases(np.random.default_rng(0), 8)[0]
    assert case_sigma(sts[0], sts[4], 1e-3, "estimated") is None  # the Problem estimates it


def test_optics_halves_hold_every_glue_shape():
    n_glues = len(families(np.linspace(1.0, 300.0, 50)))  # optics cases cycle through them
    for half in (True, False):
        assert {i % n_glues for i in range(24) if calibration_half(i) is half} \
            == set(range(n_glues))


def _stratified(rng: np.random.Generator, n: int) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Cases alternating noise-limited (bands right: |N(0,1)|) and α-limited: the bootstrap
    band 4× too small, the band with the window (√(1 + 3²) σ_boot) 4/√10 too small."""
    cases = []
    for i in range(n):
        e = np.abs(rng.standard_normal(2000))
        limited = i % 2 == 1
        boot = 0.25 if limited else 1.0
        cases.append((e / boot, e / (boot * np.sqrt(10.0)) if limited else e / boot,
                      3.0 if limited else 0.5))
    return cases


def test_the_alpha_limited_stratum_is_fitted_on_its_own_cases_with_the_window_band():
    cases = _stratified(np.random.default_rng(3), 16)
    st = alpha_stratum(cases)
    assert st["cases_calibration"] == 8 and st["threshold"] == ALPHA_LIMITED
    # window z = |N| · 4/√10: its 68 % quantile is 0.994 · 1.265, 16 000 points
    x = stats.norm.ppf(0.84)
    se = _quantile_se(0.68, 16000, 2 * stats.norm.pdf(x)) * 4 / np.sqrt(10.0)
    assert st["q68"] == pytest.approx(x * 4 / np.sqrt(10.0), abs=4 * se)
    assert st["s95"] >= 1.96
    assert alpha_stratum(cases[: 2 * MIN_STRATUM - 2]) is None  # too few α-limited cases


def test_an_alpha_limited_case_is_covered_by_the_wider_band_a_noise_limited_one_is_not():
    entry = {"s68": 1.0, "s95": 2.0, "alpha_limited": {"s68": 1.0, "s95": 2.0}}
    z, zw = np.array([0.5, 3.0, 3.0]), np.array([0.5, 0.9, 1.5])
    np.testing.assert_array_equal(covered((z, zw, ALPHA_LIMITED), entry, "68"),
                                  [True, True, False])
    np.testing.assert_array_equal(covered((z, zw, ALPHA_LIMITED / 2), entry, "68"),
                                  [True, False, False])
    np.testing.assert_array_equal(covered((z, zw, ALPHA_LIMITED), {"s68": 1.0}, "68"),
                                  [True, False, False])


def test_the_stratum_brings_the_held_out_coverage_of_alpha_limited_cases_to_nominal():
    """Pooled, the α-limited cases under-cover at the pooled factor; with their stratum the
    held-out coverage of the bands reported is nominal on both kinds of case."""
    cases = _stratified(np.random.default_rng(4), 32)
    res = {"domain": "toy", "method": "toy",
           **{k: [c[j] for c in cases] for j, k in enumerate(("z", "zw", "rho"))}}
    plain, strat = _summary(res, [], strata=False), _summary(res, [], strata=True)
    assert "alpha_limited" not in plain and strat["alpha_limited"]["cases_heldout"] == 8
    assert strat["heldout_68_bootstrap"] == plain["heldout_68"]
    test = [c for i, c in enumerate(cases) if not calibration_half(i)]
    limited = np.mean(np.concatenate([covered(c, strat, "68") for c in test if c[2] > 1]))
    assert strat["alpha_limited"]["heldout_68"] == limited
    # 16 000 held-out points per kind: binomial error ≤ 0.4 %; noise-limited cases over-cover
    # at the pooled factor, so both kinds are at least nominal
    assert limited >= 0.68 - 0.02
    assert strat["heldout_68"] >= plain["heldout_68"]

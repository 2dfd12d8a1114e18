"""Band coverage measured from z-scores: the arithmetic of ``bench calibration``."""

import numpy as np
import pytest
from scipy import stats

from specinv.cli.bench_calibration import calibration_half, coverage
from specinv.optics.bench_verified import families


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


@pytest.mark.parametrize("n", [8, 24, 48])
def test_both_halves_hold_both_noise_levels_and_every_shape(n):
    n_glues = len(families(np.linspace(1.0, 300.0, 50)))  # optics cases cycle through them
    for half in (True, False):
        cases = [i for i in range(n) if calibration_half(i) is half]
        assert len(cases) == n // 2
        assert {i % 2 for i in cases} == {0, 1}  # noise level alternates
        assert {i % 3 for i in cases} == {0, 1, 2}  # STS and AC shapes, optics temperatures
        if n >= 24:
            assert {i % n_glues for i in cases} == set(range(n_glues))

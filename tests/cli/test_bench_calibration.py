"""Band coverage measured from z-scores: the arithmetic of ``bench calibration``."""

import numpy as np
import pytest

from specinv.cli.bench_calibration import coverage


def test_gaussian_errors_with_true_bands_are_covered_as_nominal():
    z = np.abs(np.random.default_rng(0).standard_normal(40000))
    c = coverage(z[:20000], z[20000:])
    # |N(0,1)| ≤ 1: 68.3 %, ≤ 1.96: 95.0 %; 40 000 samples: binomial error ~0.2 %
    assert c["nominal_68"] == pytest.approx(0.683, abs=0.01)
    assert c["nominal_95"] == pytest.approx(0.950, abs=0.01)
    assert c["scale"] == pytest.approx(0.994, abs=0.02)  # the 68 % quantile of |N(0,1)|


def test_bands_too_narrow_are_rescaled_on_held_out_data():
    z = 5.0 * np.abs(np.random.default_rng(1).standard_normal(20000))  # bands 5× too small
    c = coverage(z[:10000], z[10000:])
    assert c["nominal_68"] < 0.2
    assert c["scale"] == pytest.approx(5.0, rel=0.03)
    assert c["heldout_68"] == pytest.approx(0.68, abs=0.02)
    assert c["heldout_95"] == pytest.approx(0.95, abs=0.02)

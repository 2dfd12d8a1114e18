"""The white-noise estimators and their consistency ratio."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from specinv.core.noise import estimate_noise, fine_noise, noise_consistency

N = 4000
#: relative standard deviation of a MAD-based σ estimate from ~N samples is ≈ 1.17/√N
#: (≈ 0.02 here, more for the correlated second differences): 0.1 is about 4 of them
TOL = 0.1


def _smooth_curve(n: int = N) -> np.ndarray:
    x = np.linspace(-3.0, 3.0, n)
    return 1.0 + 0.3 * np.tanh(2.0 * x) + 0.1 * np.cos(x)


def test_fine_noise_estimates_white_noise():
    sigma = 1e-2
    g = _smooth_curve() + sigma * np.random.default_rng(1).standard_normal(N)
    assert abs(fine_noise(g) / sigma - 1.0) < TOL
    assert fine_noise(g[:2]) == 0.0


def test_consistency_is_one_on_white_noise():
    g = _smooth_curve() + 1e-2 * np.random.default_rng(2).standard_normal(N)
    assert abs(noise_consistency(g) - 1.0) < TOL


def test_consistency_drops_for_correlated_noise():
    # Gaussian-filtered noise (1.5 samples): its power falls with frequency, so the
    # second differences see much less of it than the Savitzky-Golay residual does
    e = gaussian_filter1d(np.random.default_rng(3).standard_normal(N), 1.5)
    g = _smooth_curve() + 1e-2 * e / e.std()
    assert noise_consistency(g) < 0.6
    assert fine_noise(g) < estimate_noise(g)

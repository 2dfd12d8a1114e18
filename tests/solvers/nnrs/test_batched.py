"""Batched maps equal one-at-a-time solves."""

import numpy as np

import specinv
from specinv import Problem
from specinv.solvers.nnrs_map import solve_map


def test_batched_equals_unbatched(smooth_case):
    kernel, truth, data, sigma = smooth_case
    rng = np.random.default_rng(5)
    pixels = np.stack([data, kernel.forward(1.1 * truth) + sigma * rng.standard_normal(data.size),
                       kernel.forward(0.9 * truth) + sigma * rng.standard_normal(data.size)])
    # Adam in float64: members are exactly independent (the L-BFGS polish shares one
    # line-search step length across the batch, so it is switched off here)
    opts = {"steps": 120, "n_ensemble": 2, "seed": 7, "dtype": "float64", "lbfgs_steps": 0}
    batch = solve_map(kernel, pixels, sigma=sigma, warm_start=False, **opts)
    assert batch.dos.shape == (3, kernel.mesh.size)
    assert batch.dos_spread is not None
    for i, row in enumerate(pixels):
        single = specinv.solve(Problem(kernel, row, sigma=sigma), method="nnrs", **opts)
        # same seeds and the same arithmetic; only the summation order inside the
        # batched matrix products may differ (float64 round-off, amplified by training)
        scale = np.max(np.abs(single.spectrum))
        assert np.max(np.abs(batch.dos[i] - single.spectrum)) <= 1e-6 * scale


def test_warm_start_map_fits_with_fewer_steps(smooth_case):
    """Warm-started children fit as well as cold ones (χ² at the noise) in fewer steps."""
    kernel, truth, _, sigma = smooth_case
    rng = np.random.default_rng(11)
    scales = np.linspace(0.9, 1.1, 12)
    pixels = np.stack([kernel.forward(a * truth) + sigma * rng.standard_normal(91)
                       for a in scales])
    opts = {"steps": 300, "n_ensemble": 1, "seed": 2, "lbfgs_steps": 0}
    cold = solve_map(kernel, pixels, sigma=sigma, warm_start=False, **opts)
    warm = solve_map(kernel, pixels, sigma=sigma, warm_start=True, **opts)
    assert warm.settings["warm_start"] and not cold.settings["warm_start"]
    assert np.all(cold.chi2_reduced <= 1.0 + 1e-6)
    assert np.all(warm.chi2_reduced <= 1.0 + 1e-6)
    assert warm.steps.sum() < cold.steps.sum()
    # both are discrepancy-principle solutions: regularisation bias of a few percent
    for dos, a in zip(warm.dos, scales, strict=True):
        t = a * truth
        assert np.sqrt(np.sum((dos - t) ** 2) / np.sum(t**2)) < 0.05

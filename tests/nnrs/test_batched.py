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
    opts = {"steps": 120, "n_ensemble": 2, "seed": 7}
    batch = solve_map(kernel, pixels, sigma=sigma, **opts)
    assert batch.dos.shape == (3, kernel.mesh.size)
    assert batch.dos_std is not None
    for i, row in enumerate(pixels):
        single = specinv.solve(Problem(kernel, row, sigma=sigma), method="nnrs", **opts)
        # same seeds and the same arithmetic; only the summation order inside the
        # batched matrix products may differ (float64 round-off, amplified by training)
        scale = np.max(np.abs(single.spectrum))
        assert np.max(np.abs(batch.dos[i] - single.spectrum)) <= 1e-6 * scale

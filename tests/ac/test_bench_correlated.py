"""Smoke test of the correlated-errors figures (small sizes; the figures themselves are
measured by ``python -m specinv.ac.bench_correlated``)."""

from __future__ import annotations

import numpy as np

from specinv.ac.bench_correlated import covariance_vs_diagonal, jackknife_calibration


def test_figures_are_computed():
    res = covariance_vs_diagonal(1, xis=(2.0,), methods=("tikhonov",))["xi=2"]["tikhonov"]
    assert set(res) == {"l1_cov", "l1_diag", "chi2n_cov", "chi2n_diag", "chi2n_truth"}
    assert all(np.isfinite(v) and v >= 0 for v in res.values())
    jk = jackknife_calibration(2, "tikhonov")
    assert jk["band_over_spread"] > 0 and 0 <= jk["coverage"] <= 1

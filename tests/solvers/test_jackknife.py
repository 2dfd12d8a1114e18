"""Jackknife over QMC bins: the band measures the spread of answers over independent runs."""

from __future__ import annotations

import numpy as np
import pytest

from specinv.core.errors import ParameterError
from specinv.core.problem import Problem
from specinv.kernels import Mesh
from specinv.kernels.imaginary_time import FermionicTauKernel
from specinv.solvers import solve
from specinv.solvers.bands import jackknife_replicas, jackknife_std

BETA = 8.0


@pytest.fixture(scope="module")
def model():
    tau = np.linspace(0, BETA, 31)
    mesh = Mesh.uniform(-5, 5, 81)
    k = FermionicTauKernel(tau, mesh, beta=BETA)
    a = np.exp(-(mesh.points - 1.0) ** 2 / 2) + 0.5 * np.exp(-(mesh.points + 2.0) ** 2)
    a /= a @ mesh.weights
    g0 = k.forward(a)
    sig = 5e-3 * (0.1 + np.abs(g0))  # per bin
    cov = np.outer(sig, sig) * np.exp(-np.abs(tau[:, None] - tau[None, :]) / 1.5)
    return k, g0, np.linalg.cholesky(cov)


def _bins(model, n_bins, seed):
    k, g0, chol = model
    return g0 + (chol @ np.random.default_rng(seed).standard_normal((g0.size, n_bins))).T


def test_replicas_are_leave_one_block_out_means(model):
    k = model[0]
    bins = _bins(model, 10, 0)
    p = Problem.from_bins(k, bins)
    reps = jackknife_replicas(p, 4)  # blocks of 3, 3, 2, 2 bins
    assert len(reps) == 4
    assert np.allclose(reps[0].data, bins[3:].mean(axis=0))
    assert np.allclose(reps[3].data, bins[:8].mean(axis=0))
    assert all(r.covariance is p.covariance and r.bins is None for r in reps)
    # the jackknife of the mean itself is the standard error of the mean
    one = jackknife_replicas(p, 10)
    sem = bins.std(axis=0, ddof=1) / np.sqrt(10)
    assert np.allclose(jackknife_std(np.array([r.data for r in one])), sem)


def test_band_matches_the_spread_over_independent_runs(model):
    """A linear solver (fixed λ): the jackknife std over 16 blocks, averaged over 12 runs,
    equals the std of the answers across the runs within the sampling error of both
    (relative ~ 1/sqrt(2·12) for the spread over runs: bound 0.6-1.6)."""
    k = model[0]
    answers, bands = [], []
    for run in range(12):
        p = Problem.from_bins(k, _bins(model, 64, 100 + run))
        r = solve(p, "tikhonov", lam=1e4, band="jackknife", n_band=16)
        answers.append(r.spectrum)
        bands.append(r.spectrum_std)
        assert "jackknife over 16 blocks" in r.hyperparameters["band"]
    w = k.mesh.weights
    spread = np.std(answers, axis=0, ddof=1) @ w
    band = np.mean(bands, axis=0) @ w
    assert 0.6 < band / spread < 1.6


def test_jackknife_needs_bins(model):
    k, g0, _ = model
    with pytest.raises(ParameterError, match="needs the Monte Carlo bins"):
        solve(Problem(k, g0, sigma=1e-3), "tikhonov", band="jackknife")

"""Covariance input: validation, the eigenbasis rotation, bins → shrunk covariance."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from specinv.core.covariance import Covariance, covariance_from_bins, shrinkage_intensity
from specinv.core.errors import InputError, ParameterError
from specinv.core.problem import Problem
from specinv.kernels import Mesh
from specinv.kernels.imaginary_time import FermionicTauKernel
from specinv.solvers import solve

BETA, N_TAU = 10.0, 51


def _exp_cov(sig: np.ndarray, x: np.ndarray, xi: float) -> np.ndarray:
    return np.outer(sig, sig) * np.exp(-np.abs(x[:, None] - x[None, :]) / xi)


@pytest.fixture(scope="module")
def setup():
    tau = np.linspace(0, BETA, N_TAU)
    mesh = Mesh.uniform(-6, 6, 121)
    k = FermionicTauKernel(tau, mesh, beta=BETA)
    w = mesh.points
    a = 0.6 * np.exp(-(w + 1.5) ** 2 / 0.5) + 0.4 * np.exp(-(w - 2) ** 2 / 1.28)
    a /= a @ mesh.weights
    g0 = k.forward(a)
    sig = 1e-3 * (0.2 + np.abs(g0))
    return k, a, g0, _exp_cov(sig, tau, 2.0)


def test_validation_names_the_source():
    c = np.diag([1.0, 2.0, 3.0])
    with pytest.raises(InputError, match=r"cov.npy.*shape \(4, 4\)"):
        Covariance.from_matrix(c, 4, "cov.npy")
    bad = c.copy()
    bad[0, 1] = 0.5
    with pytest.raises(InputError, match="not symmetric"):
        Covariance.from_matrix(bad, 3, "cov.npy")
    v = np.array([1.0, 1.0, 0.0])
    with pytest.raises(InputError, match="not positive definite"):
        Covariance.from_matrix(np.outer(v, v), 3, "cov.npy")
    bad = c.copy()
    bad[2, 2] = np.nan
    with pytest.raises(InputError, match="NaN"):
        Covariance.from_matrix(bad, 3, "cov.npy")


def test_rotation_whitening_and_chi2_agree_with_the_inverse():
    rng = np.random.default_rng(0)
    x = np.linspace(0, 1, 12)
    c = Covariance.from_matrix(_exp_cov(0.1 + rng.random(12), x, 0.3), 12)
    r = rng.standard_normal(12)
    exact = float(r @ np.linalg.solve(c.matrix, r))
    assert c.chi2(r) == pytest.approx(exact, rel=1e-10)
    assert float(c.whiten(r) @ c.whiten(r)) == pytest.approx(exact, rel=1e-10)
    rotated = c.rotate(c.matrix) @ c.eigenvectors  # Uᵀ C U = diag(λ)
    assert np.allclose(rotated, np.diag(c.eigenvalues), atol=1e-12 * c.eigenvalues.max())


def test_problem_keeps_sigma_consistent(setup):
    k, _, g0, cov = setup
    p = Problem(k, g0, covariance=cov)
    assert np.allclose(p.noise(), np.sqrt(np.diag(cov)))
    with pytest.raises(ParameterError, match="either sigma or a covariance"):
        Problem(k, g0, sigma=1.0, covariance=cov)
    q = p.decorrelated()
    assert q.covariance is None and np.allclose(q.noise() ** 2, p.covariance.eigenvalues)
    assert q.kernel.positive_spectrum and q.kernel.mesh is k.mesh


@pytest.mark.parametrize("method", ["tikhonov", "maxent"])
def test_diagonal_covariance_gives_the_answer_of_its_error_bars(setup, method):
    """A rotation leaves χ² and the regularizer unchanged: C = diag(σ²) ≡ sigma."""
    k, _, g0, cov = setup
    g = g0 + np.sqrt(np.diag(cov)) * np.random.default_rng(3).standard_normal(g0.size)
    diag = np.diag(np.diag(cov))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = solve(Problem(k, g, sigma=np.sqrt(np.diag(cov))), method)
        b = solve(Problem(k, g, covariance=diag), method)
    scale = np.max(np.abs(a.spectrum))
    assert np.max(np.abs(a.spectrum - b.spectrum)) < 1e-5 * scale
    assert b.chi2 == pytest.approx(a.chi2, rel=1e-5)


def test_correlated_noise_needs_the_covariance(setup):
    """Noise drawn with a known C: χ²(truth) with C is ≈ N; solved with the diagonal only,
    MaxEnt fits the correlated noise (χ²/N far below 1) and lands farther from the truth."""
    k, a, g0, cov = setup
    n, seeds = g0.size, range(4)
    chol = np.linalg.cholesky(cov)
    err_c, err_d, chi_truth, chi_c, chi_d = [], [], [], [], []
    for seed in seeds:
        g = g0 + chol @ np.random.default_rng(seed).standard_normal(n)
        pc = Problem(k, g, covariance=cov)
        pd = Problem(k, g, sigma=np.sqrt(np.diag(cov)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rc = solve(pc, "maxent", alpha_rule="chi2curv")
            rd = solve(pd, "maxent", alpha_rule="chi2curv")
        w = k.mesh.weights
        err_c.append(np.abs(rc.spectrum - a) @ w)
        err_d.append(np.abs(rd.spectrum - a) @ w)
        chi_truth.append(pc.chi2(a) / n)
        chi_c.append(rc.chi2_reduced)
        chi_d.append(rd.chi2_reduced)
        assert rc.chi2 == pytest.approx(pc.chi2(rc.spectrum), rel=1e-8)  # the full C
    # χ²/N of the truth: mean 1, standard deviation sqrt(2/N) per seed
    assert abs(np.mean(chi_truth) - 1) < 3 * np.sqrt(2 / (n * len(seeds)))
    assert np.mean(chi_d) < 0.5 <= np.mean(chi_c)  # 0.5: the check's "fits the noise" bound
    assert np.mean(err_c) < np.mean(err_d)


def test_kernel_bound_solver_refuses_a_covariance():
    from specinv.kernels.matsubara import FermionicMatsubaraKernel

    wn = (2 * np.arange(20) + 1) * np.pi / BETA
    k = FermionicMatsubaraKernel(wn, Mesh.uniform(-5, 5, 101), beta=BETA)
    g = k.forward(np.full(101, 0.1))
    with pytest.raises(ParameterError, match="cannot use a covariance"):
        solve(Problem(k, g, covariance=np.eye(40) * 1e-8), "aaa")


def test_shrinkage_intensity_tracks_how_well_correlations_are_known():
    rng = np.random.default_rng(1)
    x = np.linspace(0, 1, 20)
    chol = np.linalg.cholesky(_exp_cov(np.ones(20), x, 0.5))
    many = (chol @ rng.standard_normal((20, 4000))).T
    assert shrinkage_intensity(many) < 0.02  # strong correlations, 200 bins per point
    independent = rng.standard_normal((30, 20))
    assert shrinkage_intensity(independent) > 0.5  # nothing but sampling noise


def test_shrunk_covariance_beats_the_sample_covariance_with_few_bins():
    """n_bins < n_data: the sample covariance is singular, the shrunk one is positive
    definite and closer to the truth (Frobenius norm, averaged over draws)."""
    rng = np.random.default_rng(2)
    x = np.linspace(0, 1, 40)
    true = _exp_cov(0.5 + x, x, 0.1)
    chol = np.linalg.cholesky(true)
    gain = []
    for _ in range(10):
        bins = (chol @ rng.standard_normal((40, 30))).T + 3.0
        est = covariance_from_bins(bins)
        assert est.covariance.eigenvalues[0] > 0 and 0 < est.shrinkage < 1
        sample = np.cov(bins, rowvar=False) / 30
        gain.append(np.linalg.norm(sample - true / 30) /
                    np.linalg.norm(est.covariance.matrix - true / 30))
        assert np.allclose(est.mean, bins.mean(axis=0))
    assert np.mean(gain) > 1.0


def test_bins_refused_when_unusable():
    with pytest.raises(InputError, match="n_bins >= 2"):
        covariance_from_bins(np.ones((1, 5)), "b.npy")
    bins = np.random.default_rng(0).standard_normal((10, 4))
    bins[:, 2] = 1.0
    with pytest.raises(InputError, match=r"b.npy.*\[2\].*do not vary"):
        covariance_from_bins(bins, "b.npy")

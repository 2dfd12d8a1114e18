"""The ``nnrs`` solver: accuracy at low noise, purity, determinism, presets, kernels."""

import warnings

import numpy as np
import pytest

import specinv
from specinv import Mesh, Problem, STSKernel
from specinv.core.errors import ConvergenceWarning, ParameterError
from specinv.solvers.nnrs import resolve_options
from specinv.sts.dos import dynes_dos

FAST = {"steps": 300, "n_ensemble": 2}


def test_registered():
    specinv.load_all()
    assert "nnrs" in specinv.SOLVERS


def test_recovers_smooth_spectrum(smooth_case):
    kernel, truth, data, sigma = smooth_case
    r = specinv.solve(Problem(kernel, data, sigma=sigma), method="nnrs", **FAST)
    hp = r.hyperparameters
    # every restart stopped at the discrepancy χ²/N ≤ 1; χ² is convex, so the
    # ensemble mean satisfies it too
    assert hp["members_reached_target"] == 2
    assert r.chi2_reduced <= 1.0 + 1e-9
    # at χ²/N = 1 the remaining error is the regularisation bias of a smooth fit:
    # a few percent of the spectrum for noise 1e-3 of the signal
    err = np.sqrt(np.sum((r.spectrum - truth) ** 2) / np.sum(truth**2))
    assert err < 0.05
    assert np.all(r.spectrum >= 0)
    assert r.spectrum_std is None  # the ensemble spread is not a band
    assert r.extras["ensemble_spread"].shape == truth.shape


def test_does_not_mutate_input(smooth_case):
    kernel, _, data, sigma = smooth_case
    d = np.array(data)
    before_k = kernel.matrix.copy()
    problem = Problem(kernel, d, sigma=np.full(d.size, sigma))
    specinv.solve(problem, method="nnrs", steps=20, n_ensemble=1)
    assert np.array_equal(d, data)
    assert np.array_equal(kernel.matrix, before_k)
    assert np.array_equal(problem.data, data)


def test_deterministic_under_seed(smooth_case):
    kernel, _, data, sigma = smooth_case
    p = Problem(kernel, data, sigma=sigma)
    a = specinv.solve(p, method="nnrs", steps=60, n_ensemble=2, seed=3)
    b = specinv.solve(p, method="nnrs", steps=60, n_ensemble=2, seed=3)
    c = specinv.solve(p, method="nnrs", steps=60, n_ensemble=2, seed=4)
    assert np.array_equal(a.spectrum, b.spectrum)
    assert not np.allclose(a.spectrum, c.spectrum)


def test_seed_kernel_convention_and_estimated_noise():
    """The seed's a·cosh⁻² point kernel (scale 4a/β) works with the noise estimate."""
    mesh = Mesh.uniform(-4.0, 4.0, 121)
    kernel = STSKernel(np.linspace(-3.0, 3.0, 91), mesh, beta=5.0, convention="seed",
                       prefactor=1.0, quadrature="point")
    truth = dynes_dos(mesh, 1.0, 0.3)
    clean = kernel.forward(truth)
    data = clean + 1e-3 * clean.max() * np.random.default_rng(1).standard_normal(91)
    r = specinv.solve(Problem(kernel, data), method="nnrs", **FAST)
    assert r.sigma_estimated
    err = np.sqrt(np.sum((r.spectrum - truth) ** 2) / np.sum(truth**2))
    assert err < 0.05


def test_paper_preset_runs_and_is_nonnegative(smooth_case):
    kernel, _, data, _ = smooth_case
    with warnings.catch_warnings():
        # the seed's ReLU output can die (the failure the default preset fixes)
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = specinv.solve(Problem(kernel, data), method="nnrs", preset="paper",
                          hidden=(16, 16, 16), steps=30)
    hp = r.hyperparameters
    assert hp["members_used"] == max(hp["members_alive"], 1)
    assert hp["loss"] == "sse" and hp["output"] == "relu" and hp["select"] == "best"
    assert hp["n_ensemble"] == 3
    assert np.all(r.spectrum >= 0)


def test_paper_preset_values():
    cfg, settings = resolve_options({"preset": "paper"})
    assert cfg.hidden == (1000, 1000, 1000)
    assert cfg.stages == ((1e-2, 100), (1e-3, 500), (1e-4, 1000))
    assert settings["select"] == "best"


@pytest.mark.parametrize("bad", [{"preset": "fast"}, {"n_ensemble": 0}, {"output": "sigmoid"},
                                 {"loss": "l1"}, {"select": "median"}])
def test_bad_options(smooth_case, bad):
    kernel, _, data, _ = smooth_case
    with pytest.raises(ParameterError):
        specinv.solve(Problem(kernel, data), method="nnrs", **bad)

"""Refinement of an estimated noise level by residual whiteness (solvers/noise_refine)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d

from specinv.core.check import CHI2_OK, RUNS_Z
from specinv.core.noise import noise_consistency
from specinv.solvers.noise_refine import AMPLIFICATION_MAX, CONSISTENCY_MIN
from specinv.sts.simulate import simulate_didv
from specinv.sts.workflow import deconvolve

BIAS = np.linspace(-3.0, 3.0, 301)


def _spectrum(temperature: float, *, width: float | None, seed: int = 0,
              noise: float = 5e-3) -> tuple[np.ndarray, float]:
    """Dynes spectrum with white noise (width None) or noise smoothed over ``width`` samples."""
    s = simulate_didv("dynes", BIAS, gap=1.0, gamma=0.05, temperature=temperature)
    e = np.random.default_rng(seed).standard_normal(BIAS.size)
    if width is not None:
        e = gaussian_filter1d(e, width)
    return s.clean + noise * e / e.std(), temperature


def _deconvolve(g: np.ndarray, temperature: float, method: str, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return deconvolve(BIAS, g, temperature=temperature, method=method, **kw)[0]


def test_correlated_noise_is_refined_until_residuals_are_white():
    # 40 mK, 0.02 mV bias step (as the NIS curves): the kernel is narrower than a step, so
    # a smaller σ moves the answer only as much as its fit
    g, t = _spectrum(0.04, width=1.5, seed=2)
    assert noise_consistency(g) < CONSISTENCY_MIN
    r = _deconvolve(g, t, "tikhonov")
    record = r.hyperparameters["noise_refinement"]
    assert record["reached"] and record["runs_z_before"] < -RUNS_Z
    assert record["steps"][-1]["amplification"] <= AMPLIFICATION_MAX
    assert r.check.runs_z >= -RUNS_Z and CHI2_OK[0] <= r.check.chi2_reduced <= CHI2_OK[1]
    assert r.check.verdict == "ok" and r.sigma_estimated
    assert r.noise_level == pytest.approx(record["sigma_estimate"] * record["factor"])
    assert r.check.details["noise_refinement"] == record
    assert "refined from the roughness estimate" in r.check.summary()


def test_refinement_that_amplifies_noise_is_refused():
    # 0.3 K: the kernel broadens over ~5 bias steps; whitening the residuals would fit the
    # correlated noise through the inverse (the answer moves 7x more than its fit)
    g, t = _spectrum(0.3, width=1.5)
    r = _deconvolve(g, t, "tikhonov")
    record = r.hyperparameters["noise_refinement"]
    assert not record["reached"] and record["steps"][-1]["amplification"] > AMPLIFICATION_MAX
    assert r.check.runs_z == pytest.approx(record["runs_z_before"])
    assert any("answer is refused" in reason for reason in r.check.reasons)


def test_given_noise_level_is_never_refined():
    g, t = _spectrum(0.04, width=1.5, seed=2)
    first = _deconvolve(g, t, "tikhonov")
    sigma = first.hyperparameters["noise_refinement"]["sigma_estimate"]
    r = _deconvolve(g, t, "tikhonov", sigma=sigma)
    assert "noise_refinement" not in r.hyperparameters
    assert r.check.runs_z < -RUNS_Z and r.check.noise_source == "given"


def test_white_noise_misfit_is_left_to_the_verdict():
    # MaxEnt near a deep gap at 0.1 K: the entropy's pull towards the flat default model
    # leaves a structured misfit although σ is right; a smaller σ must not hide it
    g, t = _spectrum(0.1, width=None, noise=3e-3)
    assert noise_consistency(g) >= CONSISTENCY_MIN
    r = _deconvolve(g, t, "maxent")
    assert r.check.runs_z < -RUNS_Z and r.check.verdict == "warn"
    assert "noise_refinement" not in r.hyperparameters


def test_refinement_that_cannot_whiten_keeps_the_answer_and_says_so():
    g, t = _spectrum(1.0, width=2.5)
    r = _deconvolve(g, t, "tikhonov")
    record = r.hyperparameters["noise_refinement"]
    assert not record["reached"] and record["sigma_refined"] is None
    assert r.check.runs_z == pytest.approx(record["runs_z_before"])
    assert r.noise_level == pytest.approx(record["sigma_estimate"])
    assert any("comes from the model" in reason for reason in r.check.reasons)

"""Default models of ``ac continue``: data moments, Gaussian, file, two-pass, smoothed answer."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from specinv.ac.continuation import continue_data
from specinv.ac.default_model import data_moments, from_file, gaussian
from specinv.core.errors import InputError
from specinv.io.qmc import ContinuationInput
from specinv.kernels import Mesh

BETA = 10.0


def _spectrum(w: np.ndarray, mean: float = 0.7, width: float = 0.6) -> np.ndarray:
    a = np.exp(-((w - mean) ** 2) / (2 * width**2))
    return a / np.trapezoid(a, w)


def _tau_data(n_tau: int, noise: float = 0.0) -> ContinuationInput:
    tau = np.linspace(0.0, BETA, n_tau)
    w = np.linspace(-8.0, 8.0, 4001)
    x = -np.outer(tau, w) - np.logaddexp(0.0, -BETA * w)[None, :]
    g = -np.trapezoid(np.exp(x) * _spectrum(w), w, axis=1)
    g += noise * np.random.default_rng(3).standard_normal(tau.size)
    return ContinuationInput(tau, g, error=np.full(tau.size, max(noise, 1e-8)), source="g")


def test_moments_of_exact_tau_data():
    # 8 points of a 401-point grid span h = 0.175: the cubic's value and slope err by
    # O(h⁴ m4) ≲ 1e-3 of the moments, its curvature (m2) by O(h² m4/m2) ≈ 0.05 · 0.3
    m0, m1, m2 = data_moments(_tau_data(401), "fermionic-tau", BETA)
    mean, var = 0.7, 0.6**2
    assert m0 == pytest.approx(1.0, abs=1e-6)
    assert m1 == pytest.approx(mean, rel=5e-3)
    assert m2 == pytest.approx(var + mean**2, rel=0.02)


def test_gaussian_model_is_normalized_and_refuses_a_negative_variance():
    mesh = Mesh.uniform(-6.0, 6.0, 301)
    d = gaussian(mesh, 2.0, 1.0, 1.5)  # mean 0.5, variance 0.5
    assert d @ mesh.weights == pytest.approx(2.0, rel=1e-12)
    assert mesh.points[np.argmax(d)] == pytest.approx(0.5, abs=mesh.weights[0])
    assert np.all(d > 0)
    assert gaussian(mesh, 1.0, 1.0, 0.5) is None  # m2 < m1²: variance < 0
    assert gaussian(mesh, 1.0, 9.0, 82.0) is None  # mean beyond the window


def test_model_file_errors_name_the_problem(tmp_path):
    mesh = Mesh.uniform(-4.0, 4.0, 101)
    f = tmp_path / "d.csv"
    f.write_text("-5,1\n0,2\n5,1\n")
    assert from_file(f, mesh)[50] == pytest.approx(2.0, rel=0.05)
    f.write_text("-2,1\n2,1\n")
    with pytest.raises(InputError, match="window needs"):
        from_file(f, mesh)
    f.write_text("-5,1\n5,1\n0,1\n")
    with pytest.raises(InputError, match="increasing"):
        from_file(f, mesh)
    f.write_text("-5,1\n0,-1\n5,1\n")
    with pytest.raises(InputError, match="positive"):
        from_file(f, mesh)


@pytest.mark.parametrize("model", ["gaussian", "two-pass"])
def test_gaussian_models_are_used_and_reported(model):
    setup, result = continue_data(_tau_data(101, 1e-4), "fermionic-tau", BETA,
                                  options={"alpha_rule": "chi2curv"}, default_model=model)
    assert any(n.startswith("default model: Gaussian") for n in setup.notes)
    d = setup.problem.default_model
    # the model's mean lies within one width of the spectrum's (0.7 ± 0.6)
    mean = float((d * result.omega) @ result.mesh.weights / (d @ result.mesh.weights))
    assert abs(mean - 0.7) < 0.6


def _moments(result, a: np.ndarray) -> tuple[float, float, float]:
    w, x = result.mesh.weights, result.omega
    m0 = float(a @ w)
    mean = float((a * x) @ w) / m0
    return m0, mean, float((a * (x - mean) ** 2) @ w) / m0


def test_smoothed_answer_model_is_the_first_answer_blurred_at_the_matsubara_spacing():
    from specinv.ac.default_model import SMOOTHED_FLOOR, smoothed_answer

    _, first = continue_data(_tau_data(101, 1e-4), "fermionic-tau", BETA,
                             options={"alpha_rule": "chi2curv"}, default_model="gaussian")
    d = smoothed_answer(first, BETA)
    m0, mean, var = _moments(first, first.spectrum)
    d0, dmean, dvar = _moments(first, d)
    assert d0 == pytest.approx(m0, rel=1e-12)
    assert np.all(d >= SMOOTHED_FLOOR * d.max() * (1 - 1e-12))
    # a Gaussian blur of standard deviation b = 2π/β keeps the mean and adds b² to the
    # variance; the floor (1e-4 of the maximum over the window ±W) adds at most
    # 1e-4 · max · 2W³/3 / m0 to it, the window edges cut the blur's far tails
    b, half = 2 * np.pi / BETA, float(first.mesh.edges[-1])
    floor_var = SMOOTHED_FLOOR * float(d.max()) * 2 * half**3 / 3 / d0
    assert dmean == pytest.approx(mean, abs=np.sqrt(floor_var))
    assert dvar == pytest.approx(var + b**2, abs=floor_var + 1e-3 * (var + b**2))


def test_smoothed_answer_is_solved_again_at_the_first_alpha():
    # two peaks of width 0.5 (ACTest STD_FG 4) at σ = 1e-4, β = 20: 2π/β = 0.31
    from specinv.ac import actest

    data = actest.make_case(actest.STD_FG[3], 1e-4, seed=1003)["data"]
    opts = {"alpha_rule": "chi2curv"}
    _, first = continue_data(data, "fermionic-tau", actest.BETA, options=opts,
                             default_model="gaussian")
    setup, second = continue_data(data, "fermionic-tau", actest.BETA, options=opts,
                                  default_model="smoothed-answer")
    assert any(n.startswith("default model: the first answer") for n in setup.notes)
    hyper = second.hyperparameters
    assert hyper["alpha_rule"] == "fixed" and hyper["first_alpha_rule"] == "chi2curv"
    assert hyper["alpha"] == first.hyperparameters["alpha"]
    assert hyper["model_smoothing_width"] == pytest.approx(2 * np.pi / actest.BETA)
    assert second.chi2 <= first.chi2  # kept only if it fits at least as well
    assert second.check.verdict != "fail"


def test_smoothed_answer_keeps_the_first_answer_when_the_blur_is_wider_than_the_peak():
    # one peak of width 0.6 at β = 10: blurred by 2π/β = 0.63 the model is twice as wide,
    # and at the first α the second answer misses the precise data (χ²/N 3.7 against 1.1)
    data = _tau_data(101, 1e-4)
    opts = {"alpha_rule": "chi2curv"}
    _, first = continue_data(data, "fermionic-tau", BETA, options=opts,
                             default_model="gaussian")
    setup, kept = continue_data(data, "fermionic-tau", BETA, options=opts,
                                default_model="smoothed-answer")
    assert any("fits worse" in n and "the first answer is kept" in n for n in setup.notes)
    np.testing.assert_array_equal(kept.spectrum, first.spectrum)


def test_smoothed_answer_keeps_the_first_answer_of_a_delta_like_peak():
    # a δ-like peak (Γ = 0.02) at σ = 1e-6: the model blurred by 2π/β = 0.31 pulls the peak
    # apart at the first α, so the second answer fits worse and the first one stays
    from specinv.ac import actest

    case = actest.make_case(actest.STD_FD[0], 1e-6, seed=1000)
    opts = {"alpha_rule": "chi2curv"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, first = continue_data(case["data"], "fermionic-tau", actest.BETA, options=opts,
                                 default_model="gaussian")
        setup, kept = continue_data(case["data"], "fermionic-tau", actest.BETA, options=opts,
                                    default_model="smoothed-answer")
    assert any("the first answer is kept" in n for n in setup.notes)
    np.testing.assert_array_equal(kept.spectrum, first.spectrum)

"""Self-energy continuation on a model Σ with a known real-axis answer."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import dawsn

from specinv.ac.selfenergy import (
    continue_self_energy,
    fit_tail,
    quasiparticle_weight,
    spectral_width,
)
from specinv.core.errors import InputError

BETA, S_INF, S_1, NOISE = 10.0, 0.7, 1.5, 1e-4
PEAKS = ((-2.0, 0.6, 0.5), (2.0, 0.6, 0.5))  # (centre, width, weight): Hubbard-like


def model_sigma(wn: np.ndarray) -> np.ndarray:
    """Σ(iω_n) = Σ∞ + Σ₁ ∫σ(x)/(iω_n − x)dx with σ two Gaussians (dense quadrature)."""
    x = np.linspace(-12, 12, 24001)
    sig = sum(w * np.exp(-(x - c) ** 2 / (2 * s * s)) / (np.sqrt(2 * np.pi) * s)
              for c, s, w in PEAKS)
    return S_INF + S_1 * np.trapezoid(sig / (1j * wn[:, None] - x), x, axis=1)


def exact_re_sigma(w: np.ndarray) -> np.ndarray:
    """Σ∞ + Σ₁ P∫σ/(ω − x): the Hilbert transform of a Gaussian is a Dawson function."""
    return S_INF + S_1 * sum(wt * np.sqrt(2) / s * dawsn((w - c) / (np.sqrt(2) * s))
                             for c, s, wt in PEAKS)


def exact_slope() -> float:
    # d/dω of (√2/s) D((ω − c)/(√2 s)) is D'(u)/s², D'(u) = 1 − 2u D(u)
    return S_1 * sum(wt * (1 - 2 * u * dawsn(u)) / s**2 for c, s, wt in PEAKS
                     for u in [(0 - c) / (np.sqrt(2) * s)])


@pytest.fixture(scope="module")
def data():
    wn = np.pi / BETA * (2 * np.arange(200) + 1)
    rng = np.random.default_rng(7)
    noisy = model_sigma(wn) + NOISE * (rng.normal(size=wn.size) + 1j * rng.normal(size=wn.size))
    return wn, noisy


def test_tail_fit_within_its_errors(data):
    wn, s = data
    t = fit_tail(wn, s, np.full(wn.size, NOISE))
    assert abs(t.sigma_inf - S_INF) < 4 * t.sigma_inf_err
    assert abs(t.sigma_1 - S_1) < 4 * t.sigma_1_err
    assert t.sigma_1_err < 0.01 * S_1  # 200 frequencies at 1e-4 pin Σ₁ far below 1 %
    # without error bars the errors come from the residual scatter, of the same size
    u = fit_tail(wn, s)
    assert abs(u.sigma_1 - S_1) < 4 * u.sigma_1_err
    assert 0.3 < u.sigma_1_err / t.sigma_1_err < 3


def test_tail_fit_with_understated_errors_uses_the_best_start(data):
    # error bars 5× smaller than the scatter: no start reaches χ²/dof ≤ TAIL_CHI2; the fit
    # must not fall back to the last few, noise-dominated frequencies (CQMP U2: Σ₁ 147.7)
    wn, s = data
    t = fit_tail(wn, s, np.full(wn.size, NOISE / 5))
    assert t.omega_from < wn[wn.size // 2]
    assert abs(t.sigma_1 - S_1) < 4 * t.sigma_1_err  # errors scaled by √χ²


def test_second_moment_of_the_normalized_function(data):
    wn, s = data
    m2 = sum(w * (c * c + sd * sd) for c, sd, w in PEAKS)  # ∫x²σ = 4.36
    g = (s - S_INF) / S_1
    assert spectral_width(wn, g, np.full(wn.size, NOISE / S_1)) == pytest.approx(m2, rel=0.1)


def test_sigma_on_the_real_axis(data):
    wn, s = data
    r = continue_self_energy(wn, s, np.full(wn.size, NOISE), BETA)
    assert r.result.check.verdict != "fail"
    # the spectral weight of −Im Σ/π is Σ₁ (∫σ = 1 by the normalization)
    weight = -np.sum(r.im_sigma * np.diff(r.result.mesh.edges)) / np.pi
    assert weight == pytest.approx(S_1, rel=0.02)
    # the Hilbert transform is an isometry of L²: the real part continued through the
    # principal value errs (in L²) exactly as much as the imaginary part, up to the mesh
    # discretization and the weight outside the window
    dw = np.diff(r.result.mesh.edges)
    x = r.omega
    exact_im = -np.pi * S_1 * sum(w * np.exp(-(x - c) ** 2 / (2 * s * s))
                                  / (np.sqrt(2 * np.pi) * s) for c, s, w in PEAKS)
    d_im = np.sqrt(np.sum((r.im_sigma - exact_im) ** 2 * dw))
    d_re = np.sqrt(np.sum((r.re_sigma - exact_re_sigma(x)) ** 2 * dw))
    assert d_re == pytest.approx(d_im, rel=0.15)
    assert d_im < 0.5 * np.sqrt(np.sum(exact_im**2 * dw))  # peaks found, not noise
    z_exact = 1 / (1 - exact_slope())
    assert r.z == pytest.approx(z_exact, rel=0.1)


def test_quasiparticle_weight_of_a_linear_self_energy():
    w = np.linspace(-1, 1, 201)
    z, slope = quasiparticle_weight(w, 0.3 - 1.5 * w + 0.2 * w**2, half_width=0.1)
    assert slope == pytest.approx(-1.5) and z == pytest.approx(0.4)
    assert quasiparticle_weight(w, 2.0 * w, half_width=0.1)[0] is None  # pole: no Z


def test_wrong_sign_is_refused(data):
    wn, s = data
    with pytest.raises(InputError, match="Σ₁"):
        fit_tail(wn, np.conj(s))

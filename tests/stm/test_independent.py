import numpy as np
from scipy.special import hankel1

from specinv.stm.independent import (
    IndependentConfig,
    green,
    multiple_scattering_ldos,
    oracle_green_scores,
    pink_noise_2d,
    simulate_independent,
)
from specinv.stm.tiling import find_peaks


def test_green_is_the_hankel_function():
    r = np.linspace(0.3, 40.0, 50)
    assert np.allclose(green(0.7, r), -0.25j * hankel1(0, 0.7 * r), rtol=1e-12, atol=0)


def test_single_scatterer_is_im_t_g_squared_and_two_are_symmetric():
    t = np.array([2j * (0.8 * np.exp(1.2j) - 1)])
    k = np.array([0.6])
    ldos = multiple_scattering_ldos(21, np.array([[10.0, 10.0]]), np.array([0.5]), t, k)[0]
    rows, cols = np.indices((21, 21))
    g = green(0.6, np.sqrt((rows - 10.0) ** 2 + (cols - 10.0) ** 2 + 0.25))
    assert np.allclose(ldos, -np.imag(t[0] * g**2), atol=1e-12)
    # two equal scatterers placed mirror-symmetrically give a mirror-symmetric LDOS
    pos = np.array([[10.0, 6.0], [10.0, 14.0]])
    two = multiple_scattering_ldos(21, pos, np.array([0.5, 0.5]), np.repeat(t, 2), k)[0]
    assert np.allclose(two, two[:, ::-1], atol=1e-12)
    # multiple scattering: the pair is not the sum of two single scatterers
    one = sum(multiple_scattering_ldos(21, p[None], np.array([0.5]), t, k)[0] for p in pos)
    assert np.abs(two - one).max() > 1e-3 * np.abs(one).max()


def test_pink_noise_is_correlated_and_unit_std():
    x = pink_noise_2d(np.random.default_rng(0), (3, 64, 64))
    assert np.allclose(x.std(axis=(1, 2)), 1.0)
    lag1 = np.mean(x[:, :, 1:] * x[:, :, :-1])
    # expected: the 1/|q| spectrum's cosine transform at one pixel; white noise 0 ± 0.007
    q = np.hypot(np.fft.fftfreq(64)[:, None], np.fft.fftfreq(64)[None])
    p = np.where(q > 0, 1 / np.maximum(q, 1e-12), 0)
    expect = (p * np.cos(2 * np.pi * np.fft.fftfreq(64)[None])).sum() / p.sum()
    assert abs(lag1 - expect) < 0.05 and expect > 0.25


def test_simulated_map_truth_and_oracle_finds_a_lone_scatterer():
    d = simulate_independent(1, IndependentConfig(size=40, n_bias=26))
    assert d["maps"].shape == (26, 40, 40) and d["maps"].dtype == np.float32
    assert np.all((d["positions"] >= -0.5) & (d["positions"] <= 39.5))
    assert len(d["buried"]) == len(d["positions"]) == len(d["cut_px"])
    k = np.linspace(0.5, 0.8, 12)
    t = np.array([2j * (np.exp(1.0j) - 1)])
    m = multiple_scattering_ldos(40, np.array([[17.0, 23.0]]), np.array([2.0]), t, k)
    m = m + 0.05 * np.abs(m).max() * np.random.default_rng(2).standard_normal(m.shape)
    pos, _ = find_peaks(oracle_green_scores(m, k, 2.0), -np.inf, 2.0)
    assert np.hypot(*(pos[0] - [17, 23])) <= 1.0

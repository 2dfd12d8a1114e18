import numpy as np
import pytest
from scipy.special import hankel1

from specinv.stm.classical import oracle_friedel_scores
from specinv.stm.friedel import (
    FriedelConfig,
    friedel_maps,
    label_vector,
    labelled_batch,
    training_batch,
)
from specinv.stm.tmatrix import (
    TMatrixConfig,
    _h0,
    _hankel_table,
    simulate_tmatrix,
    tmatrix_ldos,
    wave_number,
)


def test_friedel_formula_single_impurity():
    pos = np.array([[3.0, 4.0]])
    kf, amp, ph = np.array([0.7]), np.array([[0.8]]), np.array([[0.3]])
    m = friedel_maps((10, 12), pos, kf, amp, ph, epsilon=1.0, normalize=False)
    r = np.hypot(7 - 3.0, 9 - 4.0)
    assert m[0, 7, 9] == pytest.approx(0.8 * np.cos(1.4 * r + 0.3) / (r + 1.0) ** 2, rel=1e-12)
    n = friedel_maps((10, 12), pos, kf, amp, ph)
    assert abs(n.mean()) < 1e-12 and np.abs(n).max() == pytest.approx(1.0)


def test_labels_and_batch():
    y = label_vector(np.array([[1, 2], [3, 4]]), 5)
    assert y.sum() == pytest.approx(1) and y[1 * 5 + 2] == 0.5 and y[-1] == 0
    assert label_vector(np.zeros((0, 2)), 5)[-1] == 1
    cfg = FriedelConfig(tile=16, n_bias=6)
    x, yb, pos = training_batch(np.random.default_rng(0), cfg, 8, noise=False)
    assert x.shape == (8, 6, 16, 16) and yb.shape == (8, 257)
    np.testing.assert_allclose(yb.sum(1), 1, rtol=1e-6)
    assert np.abs(x).max() <= 1 + 1e-6
    for p in pos:
        d = np.hypot(*(p[:, None] - p[None]).transpose(2, 0, 1))
        assert (d[~np.eye(len(p), dtype=bool)] >= cfg.min_separation).all()


def test_labelled_batch_is_training_batch_plus_kf():
    cfg = FriedelConfig(n_bias=5)
    x1, y1, p1 = training_batch(np.random.default_rng(3), cfg, 4)
    x2, y2, p2, kf = labelled_batch(np.random.default_rng(3), cfg, 4)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert all(np.array_equal(a, b) for a, b in zip(p1, p2, strict=True))
    assert kf.shape == (4, 5) and np.all(kf > 0)


def test_oracle_filter_peaks_on_the_impurity():
    # noise-free maps of one impurity with a random phase per map: the quadrature energy
    # of the exact templates is phase-free and maximal at the impurity pixel
    rng = np.random.default_rng(0)
    kf = np.full(6, 0.8) * (1 + 0.1 * rng.uniform(-1, 1, 6))
    maps = friedel_maps((24, 24), np.array([[9.0, 14.0]]), kf, np.ones((6, 1)),
                        rng.uniform(0, 2 * np.pi, (6, 1)))
    score = oracle_friedel_scores(maps, kf)
    assert np.unravel_index(np.argmax(score), score.shape) == (9, 14)


def test_au111_wave_number():
    # k_F = sqrt(2 m* |E0|)/hbar = 0.1885 1/A for m* = 0.26, E0 = -520 meV
    assert wave_number(0.0) == pytest.approx(np.sqrt(520 * 0.26 / 3809.982), rel=1e-12)
    assert wave_number(0.0) == pytest.approx(0.1885, abs=5e-4)


def test_hankel_table_accuracy():
    x = np.linspace(0.1, 50, 20001)
    err = np.abs(_h0(x, _hankel_table(50.0)) - hankel1(0, x)) / np.abs(hankel1(0, x))
    assert err.max() < 3e-5  # step^2/8 |H0''|/|H0| with step 2e-3 at x >= 0.1


def test_single_scatterer_asymptotics():
    # far field: drho/rho0 -> Im[t exp(i(2kr - pi/2))]/(2 pi k r) (1 + O(1/kr))
    k, delta = 0.8, 0.4 * np.pi
    t = np.array([2j * (np.exp(2j * delta) - 1)])
    d = tmatrix_ldos((1, 200), np.array([[0.0, 0.0]]), np.array([k]), t, 1e-3)[0, 0]
    r = np.arange(200.0)[61:]
    d = d[61:]
    far = slice(None)
    asym = np.imag(t[0] * np.exp(1j * (2 * k * r - np.pi / 2))) / (2 * np.pi * k * r)
    amp = np.abs(t[0]) / (2 * np.pi * k * r)
    assert np.max(np.abs(d[far] - asym[far]) / amp[far]) < 2.0 / (k * 60)


def test_two_scatterers_multiple_scattering():
    k = 0.7
    pos = np.array([[0.0, 0.0], [0.0, 5.0]])
    t = 2j * (0.8 * np.exp(2j * np.array([0.3, 1.1])) - 1)
    got = tmatrix_ldos((3, 9), pos, np.array([k]), t, 0.2)[0]
    # explicit 2x2 inversion
    g12 = -0.25j * hankel1(0, k * 5.0)
    M = np.array([[1, -t[0] * g12], [-t[1] * g12, 1]])
    T = np.linalg.inv(M) @ np.diag(t)
    rows, cols = np.indices((3, 9), dtype=float)
    g = [-0.25j * hankel1(0, k * np.sqrt((rows - p[0]) ** 2 + (cols - p[1]) ** 2 + 0.04))
         for p in pos]
    want = -4 * np.imag(sum(g[j] * T[j, l] * g[l] for j in range(2) for l in range(2)))
    np.testing.assert_allclose(got, want, atol=1e-4 * np.abs(want).max())
    single = sum(tmatrix_ldos((3, 9), pos[i:i + 1], np.array([k]), t[i:i + 1], 0.2)[0]
                 for i in range(2))
    assert np.abs(got - single).max() > 1e-3 * np.abs(single).max()  # interference present


def test_simulate_tmatrix_small():
    cfg = TMatrixConfig(shape=(24, 30), n_impurities=3, bias_mV=(-200.0, -100.0, 0.0))
    d = simulate_tmatrix(1, cfg)
    assert d["maps"].shape == (3, 24, 30) and d["positions"].shape == (3, 2)
    assert np.isfinite(d["maps"]).all()
    assert np.all(np.diff(d["kf_per_px"]) > 0)
    np.testing.assert_allclose(d["kf_per_px"], wave_number(cfg.bias_mV) * cfg.pixel_size_A)
    d2 = simulate_tmatrix(1, cfg)
    np.testing.assert_array_equal(d["maps"], d2["maps"])

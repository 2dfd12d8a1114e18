import numpy as np

from specinv.stm.randomized import (
    RandomizedConfig,
    draw_effects,
    labelled_batch,
    randomized_tile,
    render,
    setpoint_normalize,
)


def test_batch_shapes_and_labels():
    x, y, pos = labelled_batch(randomized_tile, np.random.default_rng(0), RandomizedConfig(), 8, 6)
    assert x.shape == (8, 6, 20, 20) and y.shape == (8, 401) and x.dtype == np.float32
    assert np.allclose(y.sum(axis=1), 1.0)
    for yi, p in zip(y, pos, strict=True):
        if len(p):
            idx = p[:, 0].astype(int) * 20 + p[:, 1].astype(int)
            assert np.allclose(yi[idx], 1 / len(p))
        else:
            assert yi[-1] == 1.0


def test_core_radius_turns_the_spike_into_a_flat_disc():
    """Noise-free single scatterer at the tile centre: curvature at the centre relative to
    the map's range is large for c = 0 and small for c = 2.5 px."""
    def centre_curvature(core):
        cfg = RandomizedConfig(core_px=(core, core), decay=(2.0, 2.0), eta=(0, 0), pink=(0, 0),
                               lines=(0, 0), tilt=(0, 0), gain=0.0, p_empty=0.0,
                               max_impurities=1, max_outside=0, kf0_range=(0.3, 0.3),
                               kf_spread=0.0)
        for seed in range(200):
            m, p = randomized_tile(np.random.default_rng(seed), cfg, 1)
            r, c = p[0].astype(int)
            if 2 <= r <= 17 and 2 <= c <= 17:
                img = m[0]
                lap = img[r - 1, c] + img[r + 1, c] + img[r, c - 1] + img[r, c + 1] - 4 * img[r, c]
                return abs(lap) / np.ptp(img)
        raise AssertionError("no scatterer away from the edge")

    assert centre_curvature(0.0) > 3 * centre_curvature(2.5)


def _clean(**changes):
    """Noise-free single-scatterer ranges (one band, fixed k_F, no set-point)."""
    base = dict(core_px=(0.0, 0.0), decay=(2.0, 2.0), kf0_range=(0.6, 0.6), kf_spread=0.0,
                n_bands=(1, 1), aspect=(1.0, 1.0), drift_px=0.0, p_setpoint=0.0)
    return RandomizedConfig(**{**base, **changes})


def _single(cfg, n_bias=3, seed=0):
    eff = draw_effects(np.random.default_rng(seed), cfg, n_bias, 1)
    return render(eff, np.array([[10.0, 10.0]]), 21)


def test_every_new_effect_is_drawn_over_its_range():
    cfg = RandomizedConfig()
    draws = [draw_effects(np.random.default_rng(s), cfg, 40, 3) for s in range(400)]
    n_bands = np.array([len(d["kf"]) for d in draws])
    assert set(n_bands) == {1, 2}
    aspect = np.array([d["metric"][0, 0] for d in draws])
    shear = np.array([d["metric"][1, 0] for d in draws])
    # aspect·(1 + d_row/L) spans the aspect range widened by the drift
    lo = cfg.aspect[0] * (1 - cfg.drift_px / cfg.tile)
    hi = cfg.aspect[1] * (1 + cfg.drift_px / cfg.tile)
    assert lo <= aspect.min() < 0.85 and 1.2 < aspect.max() <= hi
    shear_max = cfg.drift_px / cfg.tile
    assert np.abs(shear).max() <= shear_max and np.ptp(shear) > shear_max
    sp = [d["setpoint"] for d in draws]
    frac_on = np.mean([s is not None for s in sp])
    assert abs(frac_on - cfg.p_setpoint) < 4 * np.sqrt(0.25 / len(draws))
    # the block of biases 0 … V_set touches one edge of the bias window
    assert all(s[0] == 0 or s[-1] == 39 for s in sp if s is not None)
    contrast = np.array([d["contrast"] for d in draws])
    assert cfg.contrast[0] <= contrast.min() and contrast.max() <= cfg.contrast[1]


def test_non_square_pixels_stretch_the_rings_along_rows():
    """Aspect 2: a row offset of k pixels is 2k physical column pitches, so the map along
    the scatterer's row at 2k equals the map along its column at k."""
    m = _single(_clean(aspect=(2.0, 2.0)))
    k = np.arange(1, 5)
    assert np.allclose(m[:, 10 + k, 10], m[:, 10, 10 + 2 * k], atol=1e-12)
    assert not np.allclose(m[:, 10 + k, 10], m[:, 10, 10 + k], atol=1e-3)


def test_drift_shears_the_pattern_along_the_slow_axis():
    """The tip reaches row r at time r/L; a drift (d_row, d_col) per frame puts the sample
    point (r + d_row r/L, c + d_col r/L) under pixel (r, c). The rendered map is the
    radial form of the distance between those sample points (scatterer at its pixel)."""
    cfg = _clean(drift_px=8.0)
    eff = draw_effects(np.random.default_rng(1), cfg, 3, 1)
    m = render(eff, np.array([[10.0, 10.0]]), 20)
    d_row = (eff["metric"][0, 0] - 1.0) * 20
    d_col = eff["metric"][1, 0] * 20
    assert abs(d_row) > 1.0 and abs(d_col) > 1.0  # the draw drifted both ways
    rows, cols = np.indices((20, 20), dtype=float)
    sample_r, sample_c = rows + d_row * rows / 20, cols + d_col * rows / 20
    r = np.hypot(sample_r - (10 + d_row * 10 / 20), sample_c - (10 + d_col * 10 / 20))
    expected = (eff["amp"][0][:, :, None, None] * np.cos(
        2 * eff["kf"][0][:, None, None, None] * r + eff["phase"][0][:, :, None, None])
        / (r + 1) ** 2).sum(axis=1)
    expected -= expected.mean(axis=(1, 2), keepdims=True)
    assert np.allclose(m, expected / np.abs(expected).max(axis=(1, 2), keepdims=True))
    undrifted = render({**eff, "metric": np.eye(2)}, np.array([[10.0, 10.0]]), 20)
    assert np.abs(m - undrifted).max() > 0.1


def test_setpoint_divides_each_spectrum_by_its_integral_up_to_the_setpoint():
    rng = np.random.default_rng(3)
    ldos = 1.0 + 0.3 * rng.uniform(-1, 1, (12, 5, 5))
    block = np.arange(4)
    g = setpoint_normalize(ldos, block)
    assert np.allclose(g[block].mean(axis=0), 1.0)
    assert np.allclose(g * ldos[block].mean(axis=0), ldos)


def test_setpoint_tile_is_the_normalized_ldos_of_the_plain_tile():
    """Rendered with a set-point, the tile is ρ = 1 + c δn of the same draws divided by its
    integral over the block, rescaled; the block's mean modulation is imprinted on every
    layer with the opposite sign (the tip height follows the scatterers)."""
    cfg = _clean(p_setpoint=1.0, setpoint_fraction=(0.5, 0.5), contrast=(0.3, 0.3),
                 kf_spread=0.3)
    eff = draw_effects(np.random.default_rng(5), cfg, 8, 1)
    pos = np.array([[10.0, 10.0]])
    with_sp = render(eff, pos, 21)
    plain = render({**eff, "setpoint": None}, pos, 21)
    g = setpoint_normalize(1.0 + 0.3 * plain, eff["setpoint"])
    g -= g.mean(axis=(1, 2), keepdims=True)
    assert np.allclose(with_sp, g / np.abs(g).max(axis=(1, 2), keepdims=True))
    assert np.abs(with_sp - plain).max() > 0.05


def test_second_band_adds_its_own_wave_number():
    """A second band of another k_F puts a second peak into the radial power spectrum."""
    one = _single(_clean(kf0_range=(0.5, 0.5), n_bands=(1, 1), decay=(1.0, 1.0)), n_bias=1)
    eff = draw_effects(np.random.default_rng(0), _clean(n_bands=(2, 2), decay=(1.0, 1.0),
                                                        band_weight=(1.0, 1.0)), 1, 1)
    eff["kf"] = np.array([[0.5], [1.0]])
    two = render(eff, np.array([[10.0, 10.0]]), 21)

    def power_at(m, k):
        f = np.abs(np.fft.fft2(m[0])) ** 2
        q = 2 * np.pi * np.hypot(*np.meshgrid(np.fft.fftfreq(21), np.fft.fftfreq(21)))
        return f[np.abs(q - 2 * k) < 0.15].mean() / f.sum()

    assert power_at(two, 1.0) > 5 * power_at(one, 1.0)


def test_per_layer_offset_is_drawn():
    base = dict(eta=(0, 0), pink=(0, 0), lines=(0, 0), tilt=(0, 0), gain=0.0, p_empty=1.0,
                max_outside=0)
    m, _ = randomized_tile(np.random.default_rng(0), RandomizedConfig(**base,
                                                                      offset=(0.5, 0.5)), 16)
    flat, _ = randomized_tile(np.random.default_rng(0), RandomizedConfig(**base,
                                                                         offset=(0, 0)), 16)
    assert np.allclose(flat, 0.0)
    means = m.mean(axis=(1, 2))
    assert np.allclose(m, means[:, None, None]) and 0.2 < means.std() < 1.0


def test_coherent_tiles_vary_smoothly_over_the_biases():
    cfg = RandomizedConfig()
    draws = [draw_effects(np.random.default_rng(s), cfg, 30, 4) for s in range(200)]
    coh = [d for d in draws if d["coherent"]]
    assert abs(len(coh) / len(draws) - cfg.p_coherent) < 4 * np.sqrt(0.25 / len(draws))
    for d in coh:
        assert np.all(np.diff(d["kf"], axis=1) >= 0)  # k_F(E) rises with the bias
        step = np.abs(np.diff(d["phase"], axis=1))
        assert step.max() <= cfg.phase_slope / 29 + 1e-12
        assert np.all(d["amp"] == d["amp"][:, :1])
    other = next(d for d in draws if not d["coherent"])
    assert np.abs(np.diff(other["phase"], axis=1)).max() > 1.0

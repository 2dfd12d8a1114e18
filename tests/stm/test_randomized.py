import numpy as np

from specinv.stm.randomized import RandomizedConfig, randomized_batch, randomized_tile


def test_batch_shapes_and_labels():
    x, y, pos = randomized_batch(np.random.default_rng(0), RandomizedConfig(), 8, 6)
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

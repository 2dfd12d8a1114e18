import numpy as np
import pytest

from specinv.core.errors import InputError
from specinv.stm.metrics import detection_scores, match_points
from specinv.stm.scale import estimate_kf, map_kf, zoom_factor
from specinv.stm.tiling import (
    bin_biases,
    find_peaks,
    stitched_scores,
    tile_starts,
    validate_maps,
)
from specinv.stm.tmatrix import TMatrixConfig, simulate_tmatrix


def test_hungarian_one_to_one():
    true = np.array([[5.0, 5.0], [5.0, 6.5]])
    pred = np.array([[5.0, 6.0]])
    pi, ti, d = match_points(pred, true, 1.0)
    assert len(pi) == 1
    s = detection_scores(np.array([[5, 5], [5, 6], [5, 5]]), np.array([[5.0, 5.4]]), 1.0)
    assert s["n_match"] == 1 and s["precision"] == pytest.approx(1 / 3) and s["recall"] == 1
    # the optimal assignment maximises matches: greedy nearest would lose one
    true = np.array([[0.0, 0.0], [0.0, 1.9]])
    pred = np.array([[0.0, 1.0], [0.0, 2.5]])
    assert len(match_points(pred, true, 1.0)[0]) == 2
    assert detection_scores(np.zeros((0, 2)), true)["recall"] == 0
    assert match_points(np.array([[0, 0]]), np.array([[0.0, 1.0]]), 1.0)[0].size == 1


def test_tiles_cover_and_stitch():
    for n in (20, 21, 33, 80):
        s = tile_starts(n, 20, 8)
        assert s[0] == 0 and s[-1] == n - 20 and np.all(np.diff(s) <= 12)
    maps = np.random.default_rng(0).standard_normal((3, 45, 37)).astype(np.float32)
    out = stitched_scores(maps, lambda x: x.mean(axis=1), 20, 8, batch=5)
    np.testing.assert_allclose(out, maps.mean(0), rtol=1e-6)


def test_peaks_min_distance_and_border_once():
    s = np.zeros((40, 40))
    s[10, 10], s[10, 11], s[30, 5] = 5.0, 4.9, 3.0
    pos, val = find_peaks(s, 1.0, 2.0)
    assert [tuple(p) for p in pos] == [(10, 10), (30, 5)]
    # a saturated flat top of 3 x 4 pixels gives one peak near its middle
    flat = np.zeros((20, 20))
    flat[5:8, 5:9] = 2.0
    pos, val = find_peaks(flat, 1.0, 2.0)
    assert len(pos) == 1 and val[0] == 2.0 and pos[0][0] == 6 and pos[0][1] in (6, 7)
    # an impurity exactly on a tile border: each tile sees a bump, the stitched map
    # keeps one copy per pixel and the peak finder reports it once
    r0, c0 = 12.5, 19.5
    yy, xx = np.indices((40, 40))
    bump = np.exp(-((yy - r0) ** 2 + (xx - c0) ** 2) / 2.0).astype(np.float32)
    out = stitched_scores(bump[None].repeat(4, 0), lambda x: x.mean(1), 20, 8)
    pos, _ = find_peaks(out, 0.5, 2.0)
    assert len(pos) == 1 and np.hypot(*(pos[0] - [r0, c0])) <= 1


def test_validate_and_bin():
    with pytest.raises(InputError, match="at least 4"):
        validate_maps(np.zeros((2, 30, 30)), min_bias=4, tile=20)
    bad = np.zeros((5, 30, 30))
    bad[1, 3, 4] = np.nan
    with pytest.raises(InputError, match="row 3, col 4"):
        validate_maps(bad, min_bias=4, tile=20)
    with pytest.raises(InputError, match="smaller than one 20 x 20"):
        validate_maps(np.zeros((5, 19, 30)), min_bias=4, tile=20)
    b = bin_biases(np.arange(10.0)[:, None, None] * np.ones((10, 2, 2)), 4)
    np.testing.assert_allclose(b[:, 0, 0], [1, 4, 6.5, 8.5])


def test_kf_from_fourier_ring():
    cfg = TMatrixConfig(shape=(64, 64), n_impurities=12,
                        bias_mV=tuple(np.linspace(-200, 0, 6)))
    d = simulate_tmatrix(3, cfg)
    # ring bin width pi/32 rad/px -> k_F resolution ~0.05; allow one bin
    np.testing.assert_allclose(estimate_kf(d["maps"]), d["kf_per_px"], atol=np.pi / 64)
    kf, prom = map_kf(d["maps"])
    assert prom > 4 and abs(kf - np.median(d["kf_per_px"])) < np.pi / 32
    noise = np.random.default_rng(1).standard_normal((6, 64, 64))
    assert map_kf(noise)[1] < 4
    assert zoom_factor(0.8, (0.45, 1.15)) == 1.0
    assert zoom_factor(1.6, (0.45, 1.15)) == pytest.approx(1.6 / 0.8)

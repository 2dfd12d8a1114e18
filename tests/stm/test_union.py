import numpy as np

from specinv.stm.detector import Detection, Detector
from specinv.stm.union import MIN_DCHI2, RADIUS_PX, add_silent_sites, site_significance

#: scatterers of the synthetic map; the last one is left out of the network's sites
SITES = np.array([(8, 8), (8, 30), (20, 19), (31, 8), (31, 30)])
N_BIAS = 26


def _maps(seed=0, sites=SITES, amplitude=1.0, noise=0.3):
    """Friedel oscillations cos(2 k r + φ)/(r + 1) about every site, k swept over the
    biases (0.6–0.9 rad/px), plus white noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:40, :40]
    maps = noise * rng.standard_normal((N_BIAS, 40, 40))
    for i, k in enumerate(np.linspace(0.6, 0.9, N_BIAS)):
        for r0, c0 in sites:
            r = np.hypot(yy - r0, xx - c0)
            maps[i] += amplitude * np.cos(2 * k * r + 0.3) / (r + 1.0)
    return maps


def test_a_scatterer_is_significant_beside_the_others_and_a_side_lobe_is_not():
    maps = _maps()
    known = SITES[:-1]
    period = int(round(np.pi / 0.75))  # the filter's first side lobe: one Friedel period
    side_lobe = known[2] + (0, period)
    empty = np.array([20, 2])  # ≥ 11 px from every scatterer
    d = site_significance(maps, known, np.array([SITES[-1], side_lobe, empty]))
    assert d[0] >= MIN_DCHI2
    assert d[1] < MIN_DCHI2 and d[2] < MIN_DCHI2
    # pure noise: Δχ² of two extra parameters is 2 on average; the mean over 26 maps of
    # an F(2, ~400)·2 variable has a standard deviation of about 2/√26 ≈ 0.4
    noise = site_significance(_maps(seed=1, amplitude=0.0), known, np.array([[20, 19]]))
    assert abs(noise[0] - 2.0) < 5 * 2.0 / np.sqrt(N_BIAS)


def _net_score(sites, shape=(40, 40)):
    s = np.full(shape, -8.0)
    for p in sites:
        s[tuple(p)] = 15.0
    return s


def test_silent_strong_sites_are_added_with_the_networks_score_at_their_pixel():
    maps = _maps()
    companion = Detector.classical().detect(maps)
    known = SITES[:-1]
    score = _net_score(known)
    pos, val, info = add_silent_sites(known, np.full(len(known), 15.0), score, 11.0, 1.0,
                                      companion, maps)
    added = pos[len(known):]
    assert info["n_added"] == len(added) and np.array_equal(pos[:len(known)], known)
    # the scatterer the network missed comes back, and nothing the network has is repeated
    assert np.min(np.hypot(*(added - SITES[-1]).T)) <= 1.0
    for p in added:
        assert np.hypot(*(known - p).T).min() > RADIUS_PX
    assert np.array_equal(val[len(known):], score[added[:, 0], added[:, 1]])
    assert all(d >= MIN_DCHI2 for d, c in zip(info["mean_dchi2"], info["candidates"],
                                              strict=True) if c in added.tolist())


def test_a_network_maximum_just_below_the_threshold_silences_nothing():
    maps = _maps()
    companion = Detector.classical().detect(maps)
    known = SITES[:-1]
    score = _net_score(known)
    score[tuple(SITES[-1])] = 11.0 - 1.0  # within NET_MARGIN of the threshold 11
    pos, _, info = add_silent_sites(known, np.full(len(known), 15.0), score, 11.0, 1.0,
                                    companion, maps)
    assert info["n_added"] == 0 and len(pos) == len(known)


def test_no_matched_filter_peaks_adds_nothing():
    maps = _maps(amplitude=0.0)
    flat = Detection(np.zeros((0, 2), int), np.zeros(0), np.zeros((40, 40)),
                     {"min_distance_px": 2.0})
    pos, val, info = add_silent_sites(np.zeros((0, 2), int), np.zeros(0), np.zeros((40, 40)),
                                      11.0, 1.0, flat, maps)
    assert pos.shape == (0, 2) and val.shape == (0,) and info["n_added"] == 0


def test_added_values_are_read_on_the_scored_grid():
    maps, zoom = _maps(), 2.0
    companion = Detector.classical().detect(maps)
    known = SITES[:-1]
    score = np.full((80, 80), -8.0)
    for r0, c0 in known:
        score[int(2 * r0), int(2 * c0)] = 15.0
    score += np.random.default_rng(2).uniform(0, 1, score.shape)  # every pixel distinct
    pos, val, _ = add_silent_sites(known, np.full(len(known), 15.0), score, 11.0, zoom,
                                   companion, maps)
    assert len(pos) > len(known)
    zp = np.round((pos[len(known):] + 0.5) * zoom - 0.5).astype(int)
    assert np.array_equal(val[len(known):], score[zp[:, 0], zp[:, 1]])

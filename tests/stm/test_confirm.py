import numpy as np
import pytest

from specinv.stm.classical import robust_threshold
from specinv.stm.confirm import EXCLUSION_PX, NET_SIGMAS, RADIUS_PX, confirmed_sites
from specinv.stm.detector import Detector, default_model_path
from specinv.stm.tmatrix import TMatrixConfig, simulate_tmatrix
from specinv.stm.verdict import detect_checked

STRONG, MID, THRESHOLD = (10, 10), 15.0, 11.0


def _maps(mid_sites, mf_sites, shape=(40, 40), seed=0):
    """Network score (logits) with a strong site and mid-score sites over a noisy floor,
    and a matched-filter score with peaks at ``mf_sites``."""
    rng = np.random.default_rng(seed)
    net = -6.0 + 1.5 * rng.standard_normal(shape)
    net[STRONG] = MID
    for p in mid_sites:
        net[p] = 6.0
    mf = rng.standard_normal(shape)
    for p in mf_sites:
        mf[p] = 10.0
    return net, mf


def test_only_confirmed_isolated_sites_below_the_threshold_are_kept():
    side_lobe = (STRONG[0], STRONG[1] + int(EXCLUSION_PX) - 1)  # 2 px from the strong site
    confirmed, lonely = (30, 30), (30, 10)
    net, mf = _maps([side_lobe, confirmed, lonely], [side_lobe, (31, 31)])
    pos, val, info = confirmed_sites(net, THRESHOLD, 2.0, mf)
    kept = {tuple(p) for p in pos}
    assert kept == {STRONG, confirmed}
    assert info["n_confirmed"] == 1 and np.all(np.diff(val) <= 0)
    assert info["lower_threshold"] < 6.0 < THRESHOLD  # the mid sites were candidates
    # the map's own peaks set the lower tier: a lower-tier site must be an outlier of them
    assert info["lower_threshold"] == pytest.approx(
        robust_threshold(_peak_values(net), NET_SIGMAS))


def _peak_values(net):
    from specinv.stm.tiling import find_peaks

    return find_peaks(net, -np.inf, 2.0)[1]


def test_confirming_peak_must_be_near_on_the_scored_grid():
    far = (30, 30)
    off = (30, 30 + int(np.ceil(RADIUS_PX)) + 1)
    net, mf = _maps([far], [off])
    pos, _, info = confirmed_sites(net, THRESHOLD, 2.0, mf)
    assert {tuple(p) for p in pos} == {STRONG} and info["n_confirmed"] == 0
    # a map scored on a grid zoomed by 2: matched-filter pixel (15, 15) is (30.5, 30.5)
    net2, _ = _maps([far], [], shape=(40, 40))
    _, mf_half = _maps([], [(15, 15)], shape=(20, 20))
    pos2, _, info2 = confirmed_sites(net2, THRESHOLD, 2.0, mf_half, zoom=2.0)
    assert far in {tuple(p) for p in pos2} and info2["n_confirmed"] == 1


def test_nothing_below_the_threshold_without_matched_filter_peaks():
    net, _ = _maps([(30, 30), (5, 30)], [])
    flat = np.zeros_like(net)  # a featureless filter response confirms nothing
    pos, _, info = confirmed_sites(net, THRESHOLD, 2.0, flat)
    assert {tuple(p) for p in pos} == {STRONG} and info["n_confirmed"] == 0


@pytest.mark.skipif(not default_model_path().with_suffix(".pt").is_file(),
                    reason="shipped default model not built")
def test_shipped_detector_confirms_by_default_and_only_adds_sites():
    from specinv.stm.detector import load_default

    cfg = TMatrixConfig(shape=(40, 40), n_impurities=5, outside_density=5 / 1600,
                        bias_mV=tuple(np.linspace(-230.0, 20.0, 26)), r_core_A=12.0,
                        core_amplitude=0.0)
    maps = simulate_tmatrix(9003, cfg)["maps"]
    det = load_default()
    assert det.confirm and not Detector.classical().confirm
    res = detect_checked(det, maps)
    plain = det.detect(maps, confirm=False)
    top = {tuple(p) for p in plain.positions}
    assert top <= {tuple(p) for p in res.positions}
    assert res.info["confirmation"]["n_confirmed"] + res.info["silent_sites"]["n_added"] == \
        len(res.positions) - len(top)
    assert res.companion is not None and res.info["matched_filter"]["positions"] == \
        res.companion.positions.tolist()
    with pytest.raises(ValueError, match="network"):
        Detector.classical().detect(maps, confirm=True)

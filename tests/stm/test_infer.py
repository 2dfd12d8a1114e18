"""Fast inference (stm/infer.py) and peak suppression give the answers of the plain code."""

import numpy as np
import pytest
import torch

from specinv.stm.detector import Detector, load_default
from specinv.stm.infer import score_tiles
from specinv.stm.model import AttentionDetector, AveragedCNN, EnsembleDetector
from specinv.stm.tiling import _suppress, find_peaks
from specinv.stm.tmatrix import TMatrixConfig, simulate_tmatrix

#: float32 rounding of sums over ≤ 12 channels × 25 taps × 3 layers and 126 biases,
#: relative to the largest |S| (the fast path adds in another order)
RTOL = 1e-4


def _plain(model: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model.eval()(torch.from_numpy(x)).numpy()


@pytest.mark.parametrize("make", [
    lambda: AttentionDetector(),
    lambda: AttentionDetector(padding_mode="zeros", dilations=(1, 2)),
    lambda: AveragedCNN(),
    lambda: EnsembleDetector([{"kind": "attention", "config": {}},
                              {"kind": "cnn", "config": {"channels": 6}}]),
])
def test_fast_scores_equal_forward(make):
    torch.manual_seed(0)
    model = make()
    x = np.random.default_rng(1).standard_normal((5, 7, 20, 20)).astype(np.float32)
    x[2] *= 50.0  # standardization inside: raw scale must not matter
    ref = _plain(model, x)
    for chunk in (1, 3):
        out = score_tiles(model, x, chunk=chunk)
        assert out.shape == ref.shape and out.dtype == np.float32
        np.testing.assert_allclose(out, ref, rtol=0, atol=RTOL * np.abs(ref).max())


def _greedy(pos: np.ndarray, min_distance: float) -> list[int]:
    """The reference: keep a point when every kept point is at least min_distance away."""
    keep: list[int] = []
    for i, p in enumerate(pos):
        if all(np.hypot(*(p - pos[j])) >= min_distance for j in keep):
            keep.append(i)
    return keep


@pytest.mark.parametrize("min_distance", [0.0, 1.0, 1.5, 2.0, np.sqrt(8), 3.0, 5.5])
def test_suppression_equals_greedy_reference(min_distance):
    rng = np.random.default_rng(int(10 * min_distance))
    pos = rng.integers(0, 12, (150, 2))  # dense: many near pairs, exact-distance ties
    assert _suppress(pos, min_distance).tolist() == _greedy(pos, min_distance)
    assert _suppress(pos[:1], min_distance).tolist() == [0]
    assert _suppress(np.zeros((0, 2), int), min_distance).tolist() == []


def test_find_peaks_min_distance_on_noise():
    s = np.random.default_rng(3).standard_normal((60, 60))
    pos, val = find_peaks(s, -np.inf, 2.0)
    assert np.all(np.diff(val) <= 0)
    d = np.hypot(*(pos[:, None] - pos[None]).transpose(2, 0, 1))
    assert d[np.triu_indices(len(pos), 1)].min() >= 2.0


def test_shipped_detector_same_detections_as_plain_forward():
    cfg = TMatrixConfig(shape=(40, 40), n_impurities=8,
                        bias_mV=tuple(float(v) for v in np.arange(-230.0, 20.0, 10.0)))
    maps = simulate_tmatrix(5, cfg)["maps"]
    det = load_default()
    fast = det.detect(maps)
    plain = Detector(det.model, **det._settings())
    plain._score_tiles = lambda x: _plain(det.model, np.ascontiguousarray(x))
    ref = plain.detect(maps)
    tol = RTOL * np.abs(ref.score_map).max()
    np.testing.assert_allclose(fast.score_map, ref.score_map, rtol=0, atol=tol)
    assert len(ref.positions) > 0
    # peaks of near-equal score may swap places in the strongest-first order
    key = np.lexsort(fast.positions.T), np.lexsort(ref.positions.T)
    np.testing.assert_array_equal(fast.positions[key[0]], ref.positions[key[1]])
    np.testing.assert_allclose(fast.scores[key[0]], ref.scores[key[1]], rtol=0, atol=tol)

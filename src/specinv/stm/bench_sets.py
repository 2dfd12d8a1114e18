"""Labelled sets and timings shared by the parts of ``specinv bench stm``."""

from __future__ import annotations

import time
from typing import Any

import numpy as np


def friedel_scores(det: Any, friedel: dict) -> dict:
    """Friedel F1 per set: threshold from the first half of the set, scored on the second.

    Parameters
    ----------
    det : Detector
        Detector to score.
    friedel : dict
        Output of :func:`friedel_sets`.

    Returns
    -------
    dict
        ``"friedel_KEY"`` → pooled recall/precision/F1 within 1 px and the threshold.
    """
    from specinv.stm.evaluate import choose_threshold, evaluate

    out: dict = {}
    for key, (maps, truths, _kf) in friedel.items():
        h = len(maps) // 2
        thr, _ = choose_threshold(det, maps[:h], truths[:h])
        out[f"friedel_{key}"] = {**evaluate(det, maps[h:], truths[h:], threshold=thr),
                                 "threshold": thr}
        out[f"friedel_{key}"].pop("per_map_f1", None)
    return out


def friedel_sets(epsilon: float, n_friedel: int,
                 keys: tuple[str, ...] | None = None) -> dict[str, tuple]:
    """Labelled Friedel maps per (η, number of biases): (maps, positions, k_F) each.

    η = 0.8 is the seed's training noise; the sweep over η and the number of biases
    (the seed's Au(111) set has 126) shows how detection gains from more biases.

    Parameters
    ----------
    epsilon : float
        Cutoff ε of Eq. 3 (pixels).
    n_friedel : int
        Maps per set.
    keys : tuple of str, optional
        Sets to build (e.g. ``("eta0.8_nbias126",)``; default all).

    Returns
    -------
    dict
        ``"etaETA_nbiasN"`` → (list of maps (N, 20, 20), list of positions, k_F (n, N)).
    """
    from specinv.stm.friedel import FriedelConfig, labelled_batch

    friedel = {}
    for eta, nb in ((0.8, 16), (0.8, 32), (0.8, 126), (0.4, 16), (0.4, 126), (0.2, 16)):
        if keys is not None and f"eta{eta}_nbias{nb}" not in keys:
            continue
        rng = np.random.default_rng([12345, nb, int(eta * 10)])
        cfg = FriedelConfig(noise_eta=eta, epsilon=epsilon)
        fx, _, fp, kf = labelled_batch(rng, cfg, n_friedel, n_bias=nb)
        friedel[f"eta{eta}_nbias{nb}"] = (list(fx), fp, kf)
    return friedel


def detection_times(detector: Any, maps: np.ndarray, repeats: int = 5) -> list[float]:
    """Wall times of ``repeats`` detections on one stack of maps.

    Parameters
    ----------
    detector : Detector
        Detector to time.
    maps : ndarray of shape (n_bias, H, W)
        One stack.
    repeats : int
        Number of detections.

    Returns
    -------
    list of float
        Seconds per detection.
    """
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        detector.detect(maps)
        times.append(time.perf_counter() - t0)
    return times

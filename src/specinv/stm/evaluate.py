"""Evaluation helpers: threshold choice on validation maps, scores over data sets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from specinv.stm.metrics import detection_scores, pooled_scores
from specinv.stm.tiling import find_peaks

if TYPE_CHECKING:  # the detector imports this module when it chooses a threshold at run time
    from specinv.stm.detector import Detector


def candidate_peaks(detector: Detector, maps: Sequence[np.ndarray], **kw: object
                    ) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """All local maxima (no threshold) per map.

    Parameters
    ----------
    detector : Detector
        Trained or classical detector.
    maps : sequence of ndarray of shape (n_bias, H, W)
        Conductance-map stacks.
    **kw
        Keyword options of :meth:`Detector.score` (``kf_per_px``, ``rescale``).

    Returns
    -------
    list of (ndarray of shape (k, 2), ndarray of shape (k,), float)
        Per map: peak pixels ``(row, col)`` in the original map's grid, their
        scores (strongest first) and the zoom factor applied.
    """
    out = []
    for m in maps:
        s, info = detector.score(m, **kw)  # type: ignore[arg-type]
        pos, val = find_peaks(s, -np.inf, detector.min_distance)
        z = info["zoom"]
        if z != 1.0:
            pos = np.round((pos + 0.5) / z - 0.5).astype(int)
        out.append((pos, val, z))
    return out


def pooled_at(peaks: Sequence[tuple[np.ndarray, np.ndarray]], truths: Sequence[np.ndarray],
              threshold: float, radius: float = 1.0) -> dict:
    """Pooled recall/precision/F1 of the peaks ``(positions, values)`` at or above ``threshold``.

    Parameters
    ----------
    peaks : sequence of (ndarray of shape (k, 2), ndarray of shape (k,))
        Candidate peak positions (pixels) and score values per map.
    truths : sequence of ndarray of shape (n_i, 2)
        True impurity pixels per map.
    threshold : float
        Least score of a kept peak.
    radius : float
        Largest distance of a match (pixels).

    Returns
    -------
    dict
        Pooled scores (see :func:`~specinv.stm.metrics.pooled_scores`).
    """
    return pooled_scores([detection_scores(p[v >= threshold], t, radius)
                          for (p, v), t in zip(peaks, truths, strict=True)])


def best_threshold(peaks: Sequence[tuple[np.ndarray, np.ndarray]],
                   truths: Sequence[np.ndarray], radius: float = 1.0,
                   n_candidates: int = 200, default: float = 0.0) -> tuple[float, dict]:
    """Threshold on the peak values that maximises the pooled F1 (``default`` if no peaks).

    Parameters
    ----------
    peaks : sequence of (ndarray of shape (k, 2), ndarray of shape (k,))
        Candidate peak positions and score values per map.
    truths : sequence of ndarray of shape (n_i, 2)
        True impurity pixels per map.
    radius : float
        Largest distance of a match (pixels).
    n_candidates : int
        Thresholds tried (quantiles of all peak values).
    default : float
        Threshold returned when there are no peaks.

    Returns
    -------
    threshold : float
        Midway between the best candidate value and the next lower peak value, which
        keeps a margin on both sides.
    scores : dict
        Pooled recall/precision/F1 at that threshold.
    """
    allv = np.concatenate([v for _, v in peaks]) if peaks else np.zeros(0)
    if allv.size == 0:
        return default, {}
    best = (-1.0, default, {})
    for c in np.unique(np.quantile(allv, np.linspace(0, 1, n_candidates))):
        pooled = pooled_at(peaks, truths, c, radius)
        if pooled["f1"] > best[0]:
            lower = allv[allv < c]
            thr = 0.5 * (c + lower.max()) if lower.size else c - 1e-6
            best = (pooled["f1"], float(thr), pooled)
    return best[1], best[2]


def choose_threshold(detector: Detector, maps: Sequence[np.ndarray],
                     truths: Sequence[np.ndarray], radius: float = 1.0,
                     n_candidates: int = 200, **kw: object) -> tuple[float, dict]:
    """Threshold on ``S`` that maximises the pooled F1 on validation maps.

    Parameters
    ----------
    detector : Detector
        Detector to tune (its current threshold is the fallback).
    maps : sequence of ndarray of shape (n_bias, H, W)
        Validation stacks.
    truths : sequence of ndarray of shape (n_i, 2)
        True impurity pixels per map.
    radius : float
        Largest distance of a match (pixels).
    n_candidates : int
        Thresholds tried.
    **kw
        Keyword options of :meth:`Detector.score`.

    Returns
    -------
    threshold : float
        Best threshold on the score ``S``.
    scores : dict
        Pooled recall/precision/F1 at that threshold.
    """
    peaks = [(p, v) for p, v, _ in candidate_peaks(detector, maps, **kw)]
    return best_threshold(peaks, truths, radius, n_candidates, default=detector.threshold)


def evaluate(detector: Detector, maps: Sequence[np.ndarray], truths: Sequence[np.ndarray],
             radius: float = 1.0, threshold: float | None = None, **kw: object) -> dict:
    """Pooled recall/precision/F1/localization error of ``detector`` on labelled maps.

    Parameters
    ----------
    detector : Detector
        Detector to evaluate.
    maps : sequence of ndarray of shape (n_bias, H, W)
        Conductance-map stacks.
    truths : sequence of ndarray of shape (n_i, 2)
        True impurity pixels per map.
    radius : float
        Largest distance of a match (pixels).
    threshold : float, optional
        Score threshold (default: the detector's).
    **kw
        Further keyword options of :meth:`Detector.detect`.

    Returns
    -------
    dict
        Pooled scores (see :func:`~specinv.stm.metrics.pooled_scores`) plus
        ``per_map_f1`` (list of float).
    """
    res = []
    for m, t in zip(maps, truths, strict=True):
        d = detector.detect(m, threshold=threshold, **kw)  # type: ignore[arg-type]
        res.append(detection_scores(d.positions, t, radius))
    out = pooled_scores(res)
    out["per_map_f1"] = [r["f1"] for r in res]
    return out


def recall_at_true_count(detector: Detector, maps: Sequence[np.ndarray],
                         truths: Sequence[np.ndarray], radius: float = 1.0,
                         **kw: object) -> float:
    """Threshold-free recall: the ``N_true`` strongest peaks of each map are kept.

    The seed's Fig. 4 ratio (reference impurities with a predicted peak within one
    pixel) for a detector that is told how many impurities there are, so curves of
    different trainings compare without re-tuning a threshold at every epoch.

    Parameters
    ----------
    detector : Detector
        Detector to evaluate.
    maps : sequence of ndarray of shape (n_bias, H, W)
        Conductance-map stacks.
    truths : sequence of ndarray of shape (n_i, 2)
        True impurity pixels per map.
    radius : float
        Largest distance of a match (pixels).
    **kw
        Keyword options of :meth:`Detector.score`.

    Returns
    -------
    float
        Pooled recall in [0, 1].
    """
    res = []
    for (p, _v, _z), t in zip(candidate_peaks(detector, maps, **kw), truths, strict=True):
        res.append(detection_scores(p[:len(t)], t, radius))
    return pooled_scores(res)["recall"]

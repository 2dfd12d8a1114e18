"""Scores as probabilities: logistic (Platt) calibration and its reliability diagram.

A detection's score ``S`` (network logit) is mapped to the probability that the
detection is a real scatterer, ``p = 1 / (1 + exp(−(a S + b)))``, with ``a, b`` fitted
on labelled maps (candidates above the threshold minus a margin, each marked correct
when it is matched one-to-one to a true scatterer within 1 px). The reliability
diagram bins candidates by ``p`` (deciles of [0, 1]) and compares each bin's mean
``p`` with the fraction that was correct; the target of issue 26 is ``|p − freq| ≤
0.1`` in every bin with at least 20 candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.optimize import minimize

from specinv.stm.metrics import match_points
from specinv.stm.verdict import network_peaks

#: candidates are taken this far (logits) below the detector's threshold
MARGIN = 8.0


def candidates(detector: Any, maps: Sequence[np.ndarray], truths: Sequence[np.ndarray],
               margin: float = MARGIN) -> tuple[np.ndarray, np.ndarray]:
    """Scores of the local maxima above threshold − ``margin`` and whether each is correct.

    Parameters
    ----------
    detector : Detector
        Network detector.
    maps : sequence of ndarray of shape (n_bias, H, W)
        Labelled stacks.
    truths : sequence of ndarray of shape (n_i, 2)
        True scatterer positions (pixels).
    margin : float
        Logits below the threshold.

    Returns
    -------
    scores : ndarray of shape (n,)
        Network score of every candidate.
    correct : ndarray of shape (n,), bool
        Matched to a true scatterer within 1 px (one-to-one).
    """
    s_all, c_all = [], []
    for m, t in zip(maps, truths, strict=True):
        det = detector.detect(m)
        pos = network_peaks(det, np.asarray(m).shape[1:], margin)
        sm, z = det.score_map, det.info["zoom"]
        zpos = np.clip(np.round((pos + 0.5) * z - 0.5).astype(int), 0,
                       np.asarray(sm.shape) - 1)
        ok = np.zeros(len(pos), bool)
        ok[match_points(pos, t)[0]] = True
        s_all.append(sm[zpos[:, 0], zpos[:, 1]] if len(pos) else np.zeros(0))
        c_all.append(ok)
    return np.concatenate(s_all), np.concatenate(c_all)


def platt_fit(scores: np.ndarray, correct: np.ndarray) -> tuple[float, float]:
    """Logistic fit ``P(correct | S) = σ(a S + b)`` by maximum likelihood.

    Parameters
    ----------
    scores : ndarray of shape (n,)
        Candidate scores.
    correct : ndarray of shape (n,), bool
        Labels.

    Returns
    -------
    (float, float)
        ``a`` and ``b``.
    """
    s, y = np.asarray(scores, float), np.asarray(correct, float)

    def nll(w: np.ndarray) -> float:
        z = w[0] * s + w[1]
        return float(np.sum(np.logaddexp(0.0, z) - y * z))

    return tuple(float(v) for v in minimize(nll, np.array([1.0, 0.0]), method="Nelder-Mead",
                                            options={"xatol": 1e-6, "fatol": 1e-8}).x)


def reliability(p: np.ndarray, correct: np.ndarray, n_bins: int = 10,
                min_count: int = 20) -> dict:
    """Reliability diagram: per bin of ``p``, mean ``p``, observed frequency, count.

    Parameters
    ----------
    p : ndarray of shape (n,)
        Predicted probabilities.
    correct : ndarray of shape (n,), bool
        Outcomes.
    n_bins : int
        Equal-width bins on [0, 1].
    min_count : int
        Bins with fewer candidates do not count in ``max_deviation``.

    Returns
    -------
    dict
        ``bins`` (list of ``{p_mean, frequency, n}``), ``max_deviation`` over the bins
        with at least ``min_count`` candidates (NaN if none) and ``n``.
    """
    p, y = np.asarray(p, float), np.asarray(correct, float)
    idx = np.clip((p * n_bins).astype(int), 0, n_bins - 1)
    bins, dev = [], []
    for b in range(n_bins):
        sel = idx == b
        n = int(sel.sum())
        if n == 0:
            continue
        pm, fr = float(p[sel].mean()), float(y[sel].mean())
        bins.append({"p_mean": pm, "frequency": fr, "n": n})
        if n >= min_count:
            dev.append(abs(pm - fr))
    return {"bins": bins, "max_deviation": max(dev) if dev else float("nan"), "n": int(p.size),
            "min_count": min_count}


def calibrated_reliability(detector: Any, cal: tuple, test: tuple) -> dict:
    """Fit the calibration on ``cal`` and draw the reliability diagram on ``test``.

    Parameters
    ----------
    detector : Detector
        Network detector.
    cal, test : (maps, truths)
        Labelled stacks for the fit and for the diagram.

    Returns
    -------
    dict
        ``platt`` ``(a, b)``, the fit's own diagram (``calibration``) and the test one
        (``test``).
    """
    s_c, y_c = candidates(detector, *cal)
    a, b = platt_fit(s_c, y_c)
    s_t, y_t = candidates(detector, *test)
    sig = lambda s: 1.0 / (1.0 + np.exp(-(a * s + b)))  # noqa: E731
    return {"platt": [a, b], "calibration": reliability(sig(s_c), y_c),
            "test": reliability(sig(s_t), y_t)}

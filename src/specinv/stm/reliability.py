"""Scores as probabilities: Platt or isotonic calibration and its reliability diagram.

A detection's score ``S`` (network logit) is mapped to the probability that the
detection is a real scatterer: logistic (Platt), ``p = 1 / (1 + exp(−(a S + b)))``, or
isotonic (the non-decreasing step function of ``S`` of least squares), fitted on
labelled maps (candidates above the threshold minus a margin, each marked correct
when it is matched one-to-one to a true scatterer within 1 px). A detector that keeps
sites below its threshold when the matched filter confirms them
(:mod:`~specinv.stm.confirm`) gets one more Platt parameter, ``p = σ(a S + b + c m)``
with ``m`` = 1 where the matched filter supports the site (isotonic: one step function
per group), since at equal ``S`` a supported site is more often real. A site the detector
adds where the network is silent (:mod:`~specinv.stm.union`) has no meaningful network
score; its probability is the fraction of such sites that were correct on the calibration
maps, ``(k + 1) / (n + 2)`` (the mean under a uniform prior; 0.5 without any), and the
law of the other candidates is fitted without them. The labelled maps for
a calibration that is meant to transfer are randomized simulated maps
(:func:`randomized_maps`: subsurface cores, several bands, set-point effect, 1/f
noise), never the bench's independent maps. The reliability
diagram bins candidates by ``p`` (deciles of [0, 1]) and compares each bin's mean
``p`` with the fraction that was correct; the target of issue 26 is ``|p − freq| ≤
0.1`` in every bin with at least 20 candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.optimize import isotonic_regression, minimize

from specinv.stm.metrics import match_points
from specinv.stm.verdict import network_peaks

#: candidates are taken this far (logits) below the detector's threshold
MARGIN = 8.0
#: wider margin for calibrations fitted on randomized maps, where the network scores
#: lower than on the T-matrix maps its threshold was chosen on (with ``MARGIN`` the
#: randomized calibration maps gave 2–3 candidates in all)
WIDE_MARGIN = 16.0


def candidates(detector: Any, maps: Sequence[np.ndarray], truths: Sequence[np.ndarray],
               margin: float = MARGIN
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scores of the local maxima above threshold − ``margin`` and whether each is correct.

    A detector that confirms sites below its threshold (:mod:`~specinv.stm.confirm`)
    adds every detection below that range (so that each reported site is a candidate),
    and every candidate carries whether the matched filter supports it (the rule's
    test 2), the second input of its law.

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
    supported : ndarray of shape (n,), bool
        The matched filter supports the site (all False for a detector without
        confirmation).
    silent : ndarray of shape (n,), bool
        A site the detector added where the network is silent (:mod:`~specinv.stm.union`).
    """
    from specinv.stm.confirm import matched_filter_support

    s_all, c_all, m_all, u_all = [], [], [], []
    for m, t in zip(maps, truths, strict=True):
        det = detector.detect(m)
        pos = network_peaks(det, np.asarray(m).shape[1:], margin).reshape(-1, 2)
        if det.companion is not None and len(det.positions):
            new = ~np.any(np.all(det.positions[:, None] == pos[None], axis=-1), axis=1)
            pos = np.concatenate([pos, det.positions[new]])
        sm, z = det.score_map, det.info["zoom"]
        zpos = np.clip(np.round((pos + 0.5) * z - 0.5).astype(int), 0,
                       np.asarray(sm.shape) - 1)
        ok = np.zeros(len(pos), bool)
        ok[match_points(pos, t)[0]] = True
        s_all.append(sm[zpos[:, 0], zpos[:, 1]] if len(pos) else np.zeros(0))
        c_all.append(ok)
        m_all.append(np.zeros(len(pos), bool) if det.companion is None else
                     matched_filter_support(zpos, det.companion.score_map, z)[0])
        n_add = det.info.get("silent_sites", {}).get("n_added", 0)
        added = det.positions[len(det.positions) - n_add:] if n_add else pos[:0]
        u_all.append(np.any(np.all(pos[:, None] == added[None], axis=-1), axis=1))
    return (np.concatenate(s_all), np.concatenate(c_all), np.concatenate(m_all),
            np.concatenate(u_all))


def platt_fit(scores: np.ndarray, correct: np.ndarray,
              supported: np.ndarray | None = None) -> tuple[float, ...]:
    """Logistic fit ``P(correct | S) = σ(a S + b)`` (``+ c`` where supported) by maximum
    likelihood.

    Parameters
    ----------
    scores : ndarray of shape (n,)
        Candidate scores.
    correct : ndarray of shape (n,), bool
        Labels.
    supported : ndarray of shape (n,), bool, optional
        Matched-filter support of each candidate; given, the law has the offset ``c``.

    Returns
    -------
    tuple of float
        ``(a, b)``, or ``(a, b, c)`` with ``supported``.
    """
    s, y = np.asarray(scores, float), np.asarray(correct, float)
    m = None if supported is None else np.asarray(supported, float)

    def nll(w: np.ndarray) -> float:
        z = w[0] * s + w[1] + (0.0 if m is None else w[2] * m)
        return float(np.sum(np.logaddexp(0.0, z) - y * z))

    w0 = np.array([1.0, 0.0] if m is None else [1.0, 0.0, 0.0])
    return tuple(float(v) for v in minimize(nll, w0, method="Nelder-Mead",
                                            options={"xatol": 1e-6, "fatol": 1e-8}).x)


def isotonic_fit(scores: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-decreasing ``P(correct | S)`` by isotonic least squares (pool adjacent violators).

    Parameters
    ----------
    scores : ndarray of shape (n,)
        Candidate scores.
    correct : ndarray of shape (n,), bool
        Labels.

    Returns
    -------
    knots_s, knots_p : ndarray of shape (m,)
        Increasing scores and the probability at each; :func:`isotonic_apply`
        interpolates linearly between them and holds the end values outside.
    """
    order = np.argsort(np.asarray(scores, float), kind="stable")
    s = np.asarray(scores, float)[order]
    p = isotonic_regression(np.asarray(correct, float)[order], increasing=True).x
    # keep the ends of each constant block, so interpolation stays inside the steps
    keep = np.ones(s.size, bool)
    keep[1:-1] = (p[1:-1] != p[:-2]) | (p[1:-1] != p[2:])
    s, p = s[keep], p[keep]
    _, first = np.unique(s, return_index=True)
    return s[first], p[first]


def isotonic_apply(knots: tuple[np.ndarray, np.ndarray], scores: np.ndarray) -> np.ndarray:
    """Probabilities of ``scores`` under an :func:`isotonic_fit` calibration.

    Parameters
    ----------
    knots : (ndarray, ndarray)
        Output of :func:`isotonic_fit`.
    scores : ndarray of shape (n,)
        Scores.

    Returns
    -------
    ndarray of shape (n,)
        Probabilities in [0, 1].
    """
    return np.interp(np.asarray(scores, float), knots[0], knots[1])


def randomized_maps(n: int, size: int, n_bias: int, seed: int
                    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Labelled randomized maps of one format, for calibrating scores that must transfer.

    Parameters
    ----------
    n : int
        Maps.
    size : int
        Map side (pixels).
    n_bias : int
        Bias maps each.
    seed : int
        Seed of the first map (map ``i`` uses ``seed + i``).

    Returns
    -------
    maps : list of ndarray of shape (n_bias, size, size)
        Stacks (:func:`~specinv.stm.randomized.randomized_tile`, one scatterer per
        ~130 px² on average, unlabelled ones around the map).
    truths : list of ndarray of shape (n_i, 2)
        Scatterer pixels.
    """
    from specinv.stm.randomized import RandomizedConfig, randomized_tile

    cfg = RandomizedConfig(tile=size, max_impurities=max(2, size * size // 65),
                           max_outside=size // 5, p_empty=0.0)
    out = [randomized_tile(np.random.default_rng(seed + i), cfg, n_bias) for i in range(n)]
    return [m.astype(np.float32) for m, _ in out], [t for _, t in out]


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


def calibration_law(scores: np.ndarray, correct: np.ndarray, method: str = "platt",
                    supported: np.ndarray | None = None) -> tuple[dict, Any]:
    """Fit a score-to-probability law.

    Parameters
    ----------
    scores : ndarray of shape (n,)
        Candidate scores.
    correct : ndarray of shape (n,), bool
        Labels.
    method : {"platt", "isotonic"}
        Calibration law.
    supported : ndarray of shape (n,), bool, optional
        Matched-filter support of each candidate: Platt gains an offset for supported
        candidates, isotonic is fitted on each group apart (on all candidates for a
        group with fewer than 2).

    Returns
    -------
    law : dict
        JSON-ready: ``method`` and ``platt`` ``[a, b(, c)]`` or ``isotonic`` knots
        (``score``, ``p``; ``supported``: the second group's).
    prob : callable
        ``prob(scores, supported=None) -> probabilities``.
    """
    if method == "platt":
        w = platt_fit(scores, correct, supported)

        def platt(s: np.ndarray, sup: np.ndarray | None = None) -> np.ndarray:
            z = w[0] * np.asarray(s, float) + w[1]
            if len(w) == 3 and sup is not None:
                z = z + w[2] * np.asarray(sup, float)
            return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))

        return {"method": method, "platt": list(w)}, platt
    if method != "isotonic":
        raise ValueError(f"unknown calibration method {method!r}")
    s, y = np.asarray(scores, float), np.asarray(correct, bool)
    sup = np.zeros(s.size, bool) if supported is None else np.asarray(supported, bool)
    knots = {g: isotonic_fit(s[sup == g], y[sup == g]) if np.sum(sup == g) >= 2
             else isotonic_fit(s, y) for g in (False, True)}

    def iso(x: np.ndarray, m: np.ndarray | None = None) -> np.ndarray:
        x = np.asarray(x, float)
        p = isotonic_apply(knots[False], x)
        return p if m is None else np.where(m, isotonic_apply(knots[True], x), p)

    law = {"method": method, "isotonic": {"score": knots[False][0].tolist(),
                                          "p": knots[False][1].tolist()}}
    if supported is not None:
        law["supported"] = {"score": knots[True][0].tolist(), "p": knots[True][1].tolist()}
    return law, iso


def silent_law(law: dict, prob: Any, correct: np.ndarray) -> tuple[dict, Any]:
    """Extend a law to the sites added where the network is silent: one probability.

    Parameters
    ----------
    law : dict
        The law of the other candidates (:func:`calibration_law`).
    prob : callable
        Its ``prob(scores, supported=None)``.
    correct : ndarray of shape (n,), bool
        Whether each added site of the calibration maps was correct.

    Returns
    -------
    law : dict
        ``law`` with ``silent_sites``: ``p`` = ``(k + 1) / (n + 2)`` (``k`` correct of
        ``n``) and ``n``.
    prob : callable
        ``prob(scores, supported=None, silent=None) -> probabilities``; ``p`` where
        ``silent``.
    """
    y = np.asarray(correct, bool)
    p_silent = (float(y.sum()) + 1.0) / (y.size + 2.0)

    def extended(s: np.ndarray, sup: np.ndarray | None = None,
                 silent: np.ndarray | None = None) -> np.ndarray:
        p = prob(s, sup)
        return p if silent is None else np.where(silent, p_silent, p)

    return {**law, "silent_sites": {"p": p_silent, "n": int(y.size)}}, extended


def calibrated_reliability(detector: Any, cal: tuple, test: tuple | dict,
                           methods: tuple[str, ...] = ("platt",),
                           margin: float = MARGIN) -> dict:
    """Fit the calibration on ``cal`` and draw the reliability diagram on ``test``.

    Parameters
    ----------
    detector : Detector
        Network detector.
    cal : (maps, truths)
        Labelled stacks for the fit.
    test : (maps, truths) or dict
        Labelled stacks for the diagram, or name → such a pair (one diagram each).
    methods : tuple of {"platt", "isotonic"}
        Calibration laws (each fitted on the same candidates).
    margin : float
        Candidates are the peaks above the threshold minus ``margin`` (logits), in the
        fit and in the diagrams alike.

    Returns
    -------
    dict
        Method → the fitted law (:func:`calibration_law`), the fit's own diagram
        (``calibration``) and the test one (``test``, or one per name).
    """
    s_c, y_c, m_c, u_c = candidates(detector, *cal, margin=margin)
    sup = m_c if detector.confirm else None
    pairs = test if isinstance(test, dict) else {"": test}
    cand = {k: candidates(detector, *v, margin=margin) for k, v in pairs.items()}
    out = {}
    for method in methods:
        law, prob = calibration_law(s_c[~u_c], y_c[~u_c], method,
                                    None if sup is None else sup[~u_c])
        law, prob = silent_law(law, prob, y_c[u_c])
        diagrams = {k: reliability(prob(s, m, u), y) for k, (s, y, m, u) in cand.items()}
        out[method] = {**law, "calibration": reliability(prob(s_c, m_c, u_c), y_c),
                       "test": diagrams if isinstance(test, dict) else diagrams[""]}
    return out

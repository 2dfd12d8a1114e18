"""Object-level detection metrics: one-to-one matching of points within a radius."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def match_points(pred: np.ndarray, true: np.ndarray, radius: float = 1.0
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hungarian one-to-one matching of predicted to true points within ``radius``.

    Parameters
    ----------
    pred : ndarray of shape (n_pred, 2)
        Predicted coordinates ``(row, col)`` in pixels.
    true : ndarray of shape (n_true, 2)
        True coordinates ``(row, col)`` in pixels.
    radius : float
        Largest accepted distance (pixels, inclusive).

    Returns
    -------
    pred_idx, true_idx : ndarray of int, shape (n_match,)
        Indices of the matched pairs into ``pred`` and ``true``.
    dist : ndarray of shape (n_match,)
        Distances of the matched pairs; the matching minimises their sum among
        matchings with the largest number of pairs.
    """
    pred = np.asarray(pred, float).reshape(-1, 2)
    true = np.asarray(true, float).reshape(-1, 2)
    if len(pred) == 0 or len(true) == 0:
        e = np.zeros(0, int)
        return e, e, np.zeros(0)
    d = np.hypot(pred[:, None, 0] - true[None, :, 0], pred[:, None, 1] - true[None, :, 1])
    ok = d <= radius + 1e-9
    # forbidden pairs cost more than any complete set of allowed ones, so the
    # number of matches is maximised first and the total distance second
    big = (radius + 1.0) * (min(d.shape) + 1)
    cost = np.where(ok, d, big)
    r, c = linear_sum_assignment(cost)
    keep = ok[r, c]
    return r[keep], c[keep], d[r[keep], c[keep]]


def detection_scores(pred: np.ndarray, true: np.ndarray, radius: float = 1.0) -> dict:
    """Recall (the seed's ratio), precision, F1 and mean localization error.

    Parameters
    ----------
    pred : ndarray of shape (n_pred, 2)
        Predicted coordinates ``(row, col)`` in pixels.
    true : ndarray of shape (n_true, 2)
        True coordinates ``(row, col)`` in pixels.
    radius : float
        Largest accepted distance of a match (pixels).

    Returns
    -------
    dict
        ``recall``, ``precision``, ``f1``, ``loc_error`` (pixels; NaN without
        matches), ``n_pred``, ``n_true``, ``n_match``.
    """
    pi, ti, dist = match_points(pred, true, radius)
    n_pred, n_true, m = len(np.asarray(pred).reshape(-1, 2)), len(
        np.asarray(true).reshape(-1, 2)), len(pi)
    rec = m / n_true if n_true else 1.0
    prec = m / n_pred if n_pred else 1.0
    f1 = 2 * rec * prec / (rec + prec) if rec + prec > 0 else 0.0
    return {"recall": rec, "precision": prec, "f1": f1,
            "loc_error": float(dist.mean()) if m else float("nan"),
            "n_pred": n_pred, "n_true": n_true, "n_match": m}


def pooled_scores(results: list[dict]) -> dict:
    """Micro-average over maps: sums of matches, predictions and truths.

    Parameters
    ----------
    results : list of dict
        Outputs of :func:`detection_scores`, one per map.

    Returns
    -------
    dict
        The same keys as :func:`detection_scores`, pooled over the maps.
    """
    m = sum(r["n_match"] for r in results)
    p = sum(r["n_pred"] for r in results)
    t = sum(r["n_true"] for r in results)
    rec = m / t if t else 1.0
    prec = m / p if p else 1.0
    f1 = 2 * rec * prec / (rec + prec) if rec + prec > 0 else 0.0
    errs = [r["loc_error"] * r["n_match"] for r in results if r["n_match"]]
    return {"recall": rec, "precision": prec, "f1": f1,
            "loc_error": float(sum(errs) / m) if m else float("nan"),
            "n_pred": p, "n_true": t, "n_match": m}

"""Fractional error σ/σ̂ and the seed's "usable" criterion.

The fractional error is ``σ_T(ω)/σ̂_T(ω)`` on :data:`~specinv.ac.conductivity.data.EVAL_OMEGA`
(101 points, ω ∈ [0, 5]) at each of the ten temperatures; an example is
usable when it lies in [0.8, 1.2] at every ω and T (seed 003, §5).
"""

from __future__ import annotations

import numpy as np

USABLE_RANGE = (0.8, 1.2)


def fractional_error(sigma_true: np.ndarray, sigma_pred: np.ndarray) -> np.ndarray:
    """``σ/σ̂`` (same shape; ``inf`` where σ̂ ≤ 0).

    Parameters
    ----------
    sigma_true : ndarray
        True σ.
    sigma_pred : ndarray
        Predicted σ̂, the same shape.

    Returns
    -------
    ndarray
        The ratio, the shape of the inputs.
    """
    t, p = np.asarray(sigma_true, float), np.asarray(sigma_pred, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, t / np.where(p > 0, p, 1.0), np.inf)


def usable(sigma_true: np.ndarray, sigma_pred: np.ndarray) -> np.ndarray:
    """Whether each example is usable (σ/σ̂ in [0.8, 1.2] at every ω and T).

    Parameters
    ----------
    sigma_true : ndarray of shape (n, 10, n_omega)
        True σ.
    sigma_pred : ndarray of shape (n, 10, n_omega)
        Predicted σ̂.

    Returns
    -------
    ndarray of bool, shape (n,)
        Usable flag per example.
    """
    f = fractional_error(sigma_true, sigma_pred)
    lo, hi = USABLE_RANGE
    return np.all((f >= lo) & (f <= hi), axis=(-2, -1))


def summary(sigma_true: np.ndarray, sigma_pred: np.ndarray) -> dict:
    """Usable fraction, median of max |log(σ/σ̂)| per example, n.

    Parameters
    ----------
    sigma_true : ndarray of shape (n, 10, n_omega)
        True σ.
    sigma_pred : ndarray of shape (n, 10, n_omega)
        Predicted σ̂.

    Returns
    -------
    dict
        ``usable_fraction``, ``median_max_abs_log_ratio`` and ``n``.
    """
    f = fractional_error(sigma_true, sigma_pred)
    worst = np.max(np.abs(np.log(np.clip(f, 1e-12, 1e12))), axis=(-2, -1))
    return {"usable_fraction": float(np.mean(usable(sigma_true, sigma_pred))),
            "median_max_abs_log_ratio": float(np.median(worst)), "n": int(f.shape[0])}

"""Scores of one calibration case, and the α-limited stratum of ``bench calibration``.

A solved case is scored by its pointwise z-scores against the bootstrap band and against
the band with the α-window term, and by its window-to-bootstrap ratio ``ρ``
(:mod:`specinv.solvers.alpha_window`). The α-limited cases (``ρ`` at least
:data:`~specinv.solvers.alpha_window.ALPHA_LIMITED`) get their own factors
(:func:`alpha_stratum`), and a case counts as covered where the band the solver reports
holds the truth (:func:`covered`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from specinv.solvers.alpha_window import ALPHA_LIMITED, alpha_ratio
from specinv.solvers.bands import FLOORS

# one case's scores: ``|f − truth| / σ_boot``, ``|f − truth| / sqrt(σ_boot² + d²)`` and ``ρ``
_Scores = tuple[np.ndarray, np.ndarray, float]
#: fewest α-limited calibration cases for a pair to get the stratum's own factors
MIN_STRATUM = 4


def alpha_stratum(cal: list[_Scores]) -> dict[str, Any] | None:
    """Factors of the band ``sqrt(σ_boot² + d²)`` on the α-limited calibration cases.

    Parameters
    ----------
    cal : list of (ndarray, ndarray, float)
        :func:`band_scores` of each calibration case.

    Returns
    -------
    dict or None
        ``threshold`` (:data:`~specinv.solvers.alpha_window.ALPHA_LIMITED`),
        ``cases_calibration``, the quantiles ``q68``/``q95`` of the window z-scores on
        the cases with ``ρ`` at least the threshold and the factors ``s68``/``s95`` (at
        least the Gaussian floors); None with fewer than :data:`MIN_STRATUM` such cases.
    """
    hi = [zw for _, zw, rho in cal if rho >= ALPHA_LIMITED]
    if len(hi) < MIN_STRATUM:
        return None
    z = np.concatenate(hi)
    out: dict[str, Any] = {"threshold": ALPHA_LIMITED, "cases_calibration": len(hi)}
    for level, floor in FLOORS.items():
        out[f"q{level}"] = float(np.quantile(z, int(level) / 100))
        out[f"s{level}"] = max(out[f"q{level}"], floor)
    return out


def covered(case: _Scores, entry: dict[str, Any], level: str) -> np.ndarray:
    """Which points of a case lie inside the band reported at ``level``.

    Parameters
    ----------
    case : (ndarray, ndarray, float)
        :func:`band_scores` of the case.
    entry : dict
        The pair's factors (``s68``, ``s95``; ``alpha_limited``, :func:`alpha_stratum`).
    level : {"68", "95"}
        Nominal coverage.

    Returns
    -------
    ndarray of bool, shape (n_mesh,)
        ``z ≤ s``, or, for an α-limited case of a pair with the stratum, also inside the
        stratum's band (the wider of the two is reported).
    """
    z, zw, rho = case
    inside = z <= entry[f"s{level}"]
    stratum = entry.get("alpha_limited")
    if stratum is not None and rho >= ALPHA_LIMITED:
        inside = inside | (zw <= stratum[f"s{level}"])
    return inside


def band_scores(result: Any, truth: np.ndarray) -> _Scores:
    """z-scores of a result with the bootstrap band, with the window term, and its ``ρ``.

    Parameters
    ----------
    result : InversionResult
        Solved with ``band="bootstrap"`` (``extras``: ``band_std_raw``, ``band_alpha_window``).
    truth : ndarray of shape (n_mesh,)
        The true spectrum.

    Returns
    -------
    (ndarray, ndarray, float)
        ``|f − truth| / σ_boot``, ``|f − truth| / sqrt(σ_boot² + d²)`` and
        :func:`~specinv.solvers.alpha_window.alpha_ratio`.
    """
    err = np.abs(result.spectrum - truth)
    boot, window = result.extras["band_std_raw"], result.extras["band_alpha_window"]
    return (err / np.maximum(boot, 1e-300), err / np.maximum(np.hypot(boot, window), 1e-300),
            alpha_ratio(boot, window))

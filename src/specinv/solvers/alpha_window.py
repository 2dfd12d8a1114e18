"""The answers the data cannot tell apart: the α-choice term of the bootstrap band.

A regularized answer is one point of a path ``f(α)``; its rule picks α from the data,
but the data fit a whole range of α equally well. Where the rule picks a large α (the
curvature and kink rules on precise data), the parametric bootstrap (:mod:`.bands`)
sees almost no spread and almost no bias: its replicas are drawn from the smooth answer
itself, every replica's rule re-picks nearly the same α, and the smoothing bias at the
answer vanishes where the regularization has removed a feature. On a β = 5 correlated
metal (``specinv bench calibration``, out-of-set case ``tau-metal-beta5-301pts``) the
``chi2curv`` answer at α ≈ 3300 and the ``classic`` one at α ≈ 6 both fit the data to
χ²/N ≈ 1, but differ by ten bootstrap widths.

The α window measures that ambiguity. The truth's own χ² lies within ``N ± √(2N)``
(one standard deviation of a χ² with ``N`` data); every answer on the path whose χ²
lies in ``[min(N − √(2N), χ̂²), max(N + √(2N), χ̂²)]`` (no worse a fit than the truth
typically gives, or than the answer itself, and not fitted further into the noise than
either) is as consistent with the data as the answer. The path is walked from the
answer's α up and down in steps of ``1/STEPS_PER_DECADE`` decade (at most
:data:`MAX_DECADES` each way) while χ² stays in that window, and the spread
``d² = mean_α (f(α) − f̂)²`` over those α (uniform in log α, the answer's own α
included) enters the band as a bias term with the solver option ``band_window``
(:func:`specinv.solvers.bands.bootstrap_std`). It does not vanish at large α, and it is
zero where the data pin α down.

Added to every band, the window widens the noise-limited answers too, and their
conformal factors then shrink the bands of the spectra it misses (``specinv bench
calibration``). It is therefore used only where the data say the answer is α-limited:
where the ratio ``ρ`` of the window spread to the bootstrap band (median over the mesh,
:func:`alpha_ratio`) reaches :data:`ALPHA_LIMITED`, the α choice dominates the band's
variance (``d² ≥ 4 σ_boot²``). The calibration fits separate factors on the α-limited
cases for the band ``sqrt(σ_boot² + d²)``, and such an answer reports the wider of its
two calibrated bands (:func:`alpha_limited_bands`): a noise-limited answer, and every
band of a pair with too few α-limited cases, is the calibrated bootstrap band unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

#: window-to-bootstrap ratio ``ρ`` (:func:`alpha_ratio`) at and above which an answer is α-limited
ALPHA_LIMITED = 2.0
#: α steps per decade of the walk along the regularization path
STEPS_PER_DECADE = 8
#: decades walked at most on each side of the answer's α
MAX_DECADES = 3

#: ``step(alpha, state) -> (chi2, spectrum, state)``: the answer at ``alpha``, warm-started
#: from ``state`` (the previous step's, None at the answer)
Step = Callable[[float, Any], tuple[float, np.ndarray, Any]]


def chi2_window(chi2_answer: float, n_data: int) -> tuple[float, float]:
    """The χ² range of answers as consistent with the data as the answer.

    Parameters
    ----------
    chi2_answer : float
        χ² of the answer (with the error bars it was judged by).
    n_data : int
        Number of data ``N``.

    Returns
    -------
    (float, float)
        ``min(N − √(2N), χ̂²)`` and ``max(N + √(2N), χ̂²)``.
    """
    width = np.sqrt(2.0 * n_data)
    return min(n_data - width, float(chi2_answer)), max(n_data + width, float(chi2_answer))


def window_spread(step: Step, alpha: float, chi2_answer: float, spectrum: np.ndarray,
                  n_data: int) -> np.ndarray:
    """RMS of ``f(α) − f̂`` over the α whose χ² lies in :func:`chi2_window`.

    The α are weighted uniformly in log α (the walk's grid, the answer's own α included
    with its zero departure), as a flat prior on the scale of α would.

    Parameters
    ----------
    step : callable
        ``step(alpha, state) -> (chi2, spectrum, state)``: the solver's answer at a
        fixed ``alpha`` (χ² with the answer's error bars), warm-started from ``state``.
    alpha : float
        The answer's α (> 0).
    chi2_answer : float
        The answer's χ².
    spectrum : ndarray of shape (n_mesh,)
        The answer ``f̂``.
    n_data : int
        Number of data.

    Returns
    -------
    ndarray of shape (n_mesh,)
        The spread ``d``, in the spectrum's unit (zeros when no neighbouring α is in the
        window).
    """
    departures = window_departures(step, alpha, chi2_answer, spectrum, n_data)
    return np.sqrt(np.sum(np.square(departures), axis=0) / (len(departures) + 1))


def window_departures(step: Step, alpha: float, chi2_answer: float, spectrum: np.ndarray,
                      n_data: int) -> np.ndarray:
    """``f(α) − f̂`` at each α of the walk inside :func:`chi2_window`.

    Parameters
    ----------
    step, alpha, chi2_answer, spectrum, n_data
        As :func:`window_spread`.

    Returns
    -------
    ndarray of shape (n_inside, n_mesh)
        The departures, from the α next to the answer's outwards, upwards first.
    """
    lo, hi = chi2_window(chi2_answer, n_data)
    spectrum = np.asarray(spectrum, dtype=float)
    out = []
    for sign in (1.0, -1.0):
        state = None
        for k in range(1, MAX_DECADES * STEPS_PER_DECADE + 1):
            chi2, f, state = step(alpha * 10.0 ** (sign * k / STEPS_PER_DECADE), state)
            if not lo <= chi2 <= hi:
                break
            out.append(f - spectrum)
    return np.reshape(out, (len(out), spectrum.size))


def alpha_ratio(boot: np.ndarray, window: np.ndarray) -> float:
    """How far the α choice dominates the band: the median of ``d / σ_boot`` over the mesh.

    Parameters
    ----------
    boot : ndarray of shape (n_mesh,)
        The bootstrap band ``σ_boot`` without the window term.
    window : ndarray of shape (n_mesh,)
        The α-window spread ``d`` (:func:`window_spread`; zeros without an α rule).

    Returns
    -------
    float
        The ratio ``ρ`` over the mesh points with ``σ_boot > 0`` (0 when there are none).
    """
    boot, window = np.asarray(boot, dtype=float), np.asarray(window, dtype=float)
    ok = boot > 0
    return float(np.median(window[ok] / boot[ok])) if ok.any() else 0.0


def alpha_limited_bands(boot: np.ndarray, window: np.ndarray, std: np.ndarray | None,
                        band95: np.ndarray | None, entry: dict[str, Any] | None
                        ) -> tuple[np.ndarray | None, np.ndarray | None, dict[str, Any]]:
    """The calibrated bands, widened where the answer is α-limited.

    Parameters
    ----------
    boot, window : ndarray of shape (n_mesh,)
        As :func:`alpha_ratio`.
    std, band95 : ndarray of shape (n_mesh,) or None
        The calibrated 68 % band and 95 % half-width of the bootstrap band
        (:func:`specinv.solvers.bands.calibrated_band`; None: that level is not reported).
    entry : dict or None
        The pair's calibration entry; its ``alpha_limited`` item, when present, holds the
        factors ``s68``, ``s95`` of ``sqrt(σ_boot² + d²)`` fitted on the α-limited cases.

    Returns
    -------
    std, band95 : ndarray of shape (n_mesh,) or None
        The reported levels, each the wider of its band and the α-limited stratum's
        (unchanged for a noise-limited answer or a pair without the stratum).
    info : dict
        ``ratio`` (:func:`alpha_ratio`), ``alpha_limited`` (``ratio ≥`` :data:`ALPHA_LIMITED`)
        and ``widened`` (whether the stratum's factors were applied).
    """
    ratio = alpha_ratio(boot, window)
    stratum = (entry or {}).get("alpha_limited")
    info = {"ratio": ratio, "alpha_limited": ratio >= ALPHA_LIMITED,
            "widened": ratio >= ALPHA_LIMITED and stratum is not None}
    if not info["widened"]:
        return std, band95, info
    wide = np.hypot(boot, window)
    return (None if std is None else np.maximum(std, stratum["s68"] * wide),
            None if band95 is None else np.maximum(band95, stratum["s95"] * wide), info)

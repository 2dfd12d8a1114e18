"""What a learned optics model needs from a problem: noise level, data on its grid, T.

The relative noise level σ / max |1/τ| of the data (from their error bars, else
estimated by a quintic Savitzky–Golay residual, :func:`estimate_relative_noise`),
1/τ resampled onto the model's ω grid (:func:`resample_data`: interpolated, and
continued linearly where the data window is narrower than the model's)
and the temperature checked against the model's training range
(:func:`check_temperature`). Used by :mod:`specinv.optics.solvers`.
"""

from __future__ import annotations

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.noise import estimate_noise
from specinv.core.problem import Problem

#: temperatures within this many K of a fixed-T model's training T are accepted
T_TOLERANCE_K = 2.0
#: the data must cover this fraction of the model's ω window (the rest is extrapolated)
MIN_COVERAGE = 0.5



#: Savitzky–Golay order of the noise estimate of 1/τ (the σ given to noise-conditioned
#: rRIMs, and the noise warning of fixed-noise ones). The
#: generic cubic leaks the curvature of a smooth 1/τ into the estimate: noise-free
#: spectra (test set and OOD shapes) read 3–7e-6 of max |1/τ| instead of the 1e-6
#: floor, and the rRIM, told that, loses accuracy (noise-free OOD squares, MSE 0.0069
#: instead of 0.0059 with 16 memory channels, 0.0078 instead of 0.0070 with 8). A
#: quintic reaches the floor and still reads 1e-4 and 1e-3 noise within 10 %.
NOISE_SG_ORDER = 5


def relative_noise(problem: Problem) -> float:
    """σ / max |1/τ|: the median error bar relative to the data's maximum.

    Given error bars are used as they are; otherwise σ is estimated from the data
    (:func:`estimate_relative_noise`).

    Parameters
    ----------
    problem : Problem
        1/τ(ω) data (meV), with or without error bars.

    Returns
    -------
    float
        Relative noise σ / max |1/τ| (0 for all-zero data with error bars).
    """
    if not problem.has_errors:
        return estimate_relative_noise(problem.data)
    scale = float(np.max(np.abs(problem.data)))
    return float(np.median(problem.noise())) / scale if scale > 0 else 0.0


def estimate_relative_noise(y: np.ndarray) -> float:
    """Estimated white-noise σ of one 1/τ spectrum, relative to its max |1/τ|.

    Parameters
    ----------
    y : ndarray of shape (n_omega,)
        1/τ(ω) on a uniform grid (any unit).

    Returns
    -------
    float
        σ / max |y| (≥ the estimator's relative floor, 1e-6; 0 for all-zero data).
    """
    scale = float(np.max(np.abs(y)))
    if scale == 0:
        return 0.0
    return estimate_noise(y, order=NOISE_SG_ORDER) / scale


def resample_data(omega: np.ndarray, data: np.ndarray, target: np.ndarray,
                  name: str = "data") -> tuple[np.ndarray, dict]:
    """1/τ on the model grid ``target`` (meV): interpolated inside the data, extrapolated out.

    Inside the data window 1/τ is interpolated linearly. Where the model's grid
    reaches beyond it, 1/τ is continued by the straight line fitted to the data's
    outer tenth (at least 3 points), clipped at 0: a smooth guess for the network
    only, since the verified answer is refined through the exact kernel on the data's
    own grid (:func:`~specinv.solvers.refine.verify_guess`).

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Frequencies of the data (meV), any order.
    data : ndarray of shape (n,)
        1/τ(ω) at ``omega`` (meV).
    target : ndarray of shape (m,)
        The model's grid (meV), increasing.
    name : str
        Name of the data in the error message (file or problem name).

    Returns
    -------
    y : ndarray of shape (m,)
        1/τ on ``target`` (meV).
    info : dict
        ``data_window_meV``, ``model_window_meV`` and ``extrapolated_meV`` (the
        [from, to] ranges of ``target`` filled by extrapolation; empty when none).

    Raises
    ------
    ParameterError
        The data cover less than :data:`MIN_COVERAGE` of the model's window.
    """
    order = np.argsort(omega)
    w, g = omega[order], data[order]
    t0, t1 = float(target[0]), float(target[-1])
    overlap = (min(w[-1], t1) - max(w[0], t0)) / (t1 - t0)
    if overlap < MIN_COVERAGE:
        raise ParameterError(
            f"{name}: data cover ω = {w[0]:g}–{w[-1]:g} meV, {max(overlap, 0):.0%} of the "
            f"model's window {t0:g}–{t1:g} meV; extrapolation is refused below "
            f"{MIN_COVERAGE:.0%} (use a classical method such as maxent or tikhonov)")
    y = np.interp(target, w, g)
    tol = 1e-6 * max(abs(t1), 1.0)
    k = max(3, w.size // 10)
    filled = []
    for outside, pts in ((target < w[0] - tol, slice(0, k)), (target > w[-1] + tol,
                                                              slice(-k, None))):
        if outside.any():
            line = np.polyfit(w[pts], g[pts], 1)
            y[outside] = np.clip(np.polyval(line, target[outside]), 0.0, None)
            filled.append([float(target[outside][0]), float(target[outside][-1])])
    return y, {"data_window_meV": [float(w[0]), float(w[-1])],
               "model_window_meV": [t0, t1], "extrapolated_meV": filled}


def check_temperature(t: float, trained: tuple[float, float], kind: str) -> None:
    """Refuse a temperature outside the model's training range (K).

    Parameters
    ----------
    t : float
        Temperature of the data (K).
    trained : (float, float)
        Lowest and highest training temperature of the model (K); up to
        :data:`T_TOLERANCE_K` beyond them is accepted.
    kind : str
        Model kind, named in the error message.

    Raises
    ------
    ParameterError
        ``t`` outside the accepted range.
    """
    lo, hi = trained
    if t < lo - T_TOLERANCE_K or t > hi + T_TOLERANCE_K:
        where = f"T = {lo:g} K" if lo == hi else f"T = {lo:g}–{hi:g} K"
        raise ParameterError(
            f"temperature {t:g} K is outside the range the {kind!r} model was trained on "
            f"({where}); train a model there or use a classical method")

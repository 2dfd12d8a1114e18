"""What a learned optics model needs from a problem: noise level, data on its grid, T.

The relative noise level σ / max |1/τ| of the data (from their error bars, else
estimated by a quintic Savitzky–Golay residual, :func:`estimate_relative_noise`),
1/τ interpolated onto the model's ω grid (:func:`interpolate_data`, no extrapolation)
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


def interpolate_data(omega: np.ndarray, data: np.ndarray, target: np.ndarray,
                     name: str = "data") -> np.ndarray:
    """1/τ on the model grid ``target`` (meV) by linear interpolation; refuse extrapolation.

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
    ndarray of shape (m,)
        1/τ on ``target`` (meV).

    Raises
    ------
    ParameterError
        The data do not cover ``target`` (to 1e-6 of its upper end).
    """
    order = np.argsort(omega)
    w, g = omega[order], data[order]
    tol = 1e-6 * max(abs(target[-1]), 1.0)
    if w[0] > target[0] + tol or w[-1] < target[-1] - tol:
        raise ParameterError(
            f"{name}: data cover ω = {w[0]:g}–{w[-1]:g} meV but the model needs "
            f"{target[0]:g}–{target[-1]:g} meV; extrapolation is refused (use a classical "
            "method such as maxent or tikhonov)")
    return np.interp(target, w, g)


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

"""Random α²F for training sets (seed 002 Appendix C and Sec. III A).

- :func:`gbm_a2f`: geometric Brownian motion on [0, 1], shifted positive,
  forced to zero at 0 (∝ Ω² below a small onset) and above a random cutoff,
  smoothed by a Gaussian filter, mapped to 0 … ``omega_max`` meV.
- :func:`gaussian_mixture_a2f`: the "simple" set, 1–``max_peaks`` Gaussians.

Both return an :class:`~specinv.eliashberg.engine.a2f.A2F` on ``n`` points
rescaled to a coupling λ drawn uniformly from ``lambda_range`` (control of λ),
plus a dict of every random parameter used.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.ndimage import gaussian_filter1d

from specinv.core.errors import ParameterError
from specinv.eliashberg.engine.a2f import A2F, gaussian_a2f


def _check(n: int, omega_max: float, lambda_range: tuple[float, float]) -> None:
    if n < 10 or not omega_max > 0:
        raise ParameterError(f"need n >= 10 points and omega_max > 0, got {n}, {omega_max}")
    lo, hi = lambda_range
    if not 0 < lo <= hi:
        raise ParameterError(f"lambda_range must satisfy 0 < lo <= hi, got {lambda_range}")


def gbm_a2f(rng: np.random.Generator, *, n: int = 1000, omega_max: float = 10.0,
            lambda_range: tuple[float, float] = (0.8, 2.5), drift: float = 0.0,
            volatility: float = 3.0, smooth_points: float = 15.0
            ) -> tuple[A2F, dict[str, Any]]:
    """Random α²F from geometric Brownian motion (seed 002 recipe).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    n : int
        Points on [0, omega_max] (seed: 1000).
    omega_max : float
        Upper end of the mesh, meV (seed: 10).
    lambda_range : (float, float)
        λ is drawn uniformly from this range.
    drift, volatility : float
        GBM parameters on the unit interval.
    smooth_points : float
        Gaussian smoothing width in mesh points.

    Returns
    -------
    a2f : A2F
        The random α²F, scaled to the drawn λ.
    info : dict
        The drawn parameters (``kind``, ``lambda``, cutoff and onset fractions, ...).
    """
    _check(n, omega_max, lambda_range)
    t = np.linspace(0.0, 1.0, n)
    dt = t[1] - t[0]
    steps = (drift - 0.5 * volatility ** 2) * dt + volatility * np.sqrt(dt) * rng.standard_normal(n)
    path = np.exp(np.cumsum(steps))
    path = path - path.min()                               # shifted positive
    cut = rng.uniform(0.6, 0.95)                           # "Debye" cutoff (fraction)
    onset = rng.uniform(0.1, 0.3)
    path[t > cut] = 0.0
    path = gaussian_filter1d(path, smooth_points, mode="constant")
    path *= np.clip(t / onset, 0.0, 1.0) ** 2              # vanishes as Ω² at 0
    path[t > cut] = 0.0
    path[0] = 0.0
    if not np.any(path > 0):
        path = np.exp(-0.5 * ((t - 0.5 * cut) / 0.1) ** 2) * (t <= cut)
    lam = float(rng.uniform(*lambda_range))
    spec = A2F.from_table(omega_max * t, path / path.max(), source="GBM α²F").scaled_to_lambda(lam)
    return spec, {"kind": "gbm", "lambda": lam, "cutoff_fraction": cut, "onset_fraction": onset,
                  "drift": drift, "volatility": volatility, "smooth_points": smooth_points}


def gaussian_mixture_a2f(rng: np.random.Generator, *, n: int = 1000, omega_max: float = 10.0,
                         lambda_range: tuple[float, float] = (0.8, 2.5), max_peaks: int = 3
                         ) -> tuple[A2F, dict[str, Any]]:
    """Random combination of 1 … ``max_peaks`` Gaussians (the seed's "simple" set).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    n : int
        Points on [0, omega_max].
    omega_max : float
        Upper end of the mesh and cutoff, meV.
    lambda_range : (float, float)
        λ is drawn uniformly from this range.
    max_peaks : int
        Most Gaussians.

    Returns
    -------
    a2f : A2F
        The random α²F, scaled to the drawn λ.
    info : dict
        The drawn parameters (``kind``, ``lambda``, centres and widths in meV, heights).
    """
    _check(n, omega_max, lambda_range)
    k = int(rng.integers(1, max_peaks + 1))
    centers = rng.uniform(0.15, 0.85, k) * omega_max
    widths = rng.uniform(0.02, 0.1, k) * omega_max
    heights = rng.uniform(0.2, 1.0, k)
    lam = float(rng.uniform(*lambda_range))
    omega = np.linspace(0.0, omega_max, n)
    spec = gaussian_a2f(omega, centers, widths, heights, cutoff=omega_max, lam=lam)
    return spec, {"kind": "gaussian", "lambda": lam, "centers_meV": centers.tolist(),
                  "widths_meV": widths.tolist(), "heights": heights.tolist()}


GENERATORS = {"gbm": gbm_a2f, "gaussian": gaussian_mixture_a2f}

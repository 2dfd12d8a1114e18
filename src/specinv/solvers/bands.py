"""Error bands that cover the truth: the parametric bootstrap of a solver's answer.

The error of a regularized answer ``f̂`` has two parts: the noise propagated
through the solver (variance) and the smoothing the regularization imposes
(bias, ``(S − I) f`` for a smoothing operator ``S``). Posterior widths, α spreads,
ensemble and sample spreads measure at most the first; on tunneling, imaginary-time
and optical problems the bias dominates near every peak, and those native spreads
cover 6–45 % of the truth where they claim 68 % (``specinv bench calibration``).

The parametric bootstrap measures both with the solver itself. The answer is
pushed through the exact forward model, fresh noise at the solver's σ is added,
and the solver is run again on each replica ``g*_m = K f̂ + σ ε_m``. The spread of
the replicas estimates the variance, and their mean minus ``f̂`` estimates the
bias at ``f̂`` (for a linear solver exactly ``(S − I) f̂``). The band reported is

    std = sqrt(var_m(f*_m) + (mean_m(f*_m) − f̂)²)

with no fitted factor: its coverage is a measurement, not a tuning
(``specinv bench calibration``). The bias at ``f̂`` underestimates the bias at the
truth where the regularization removes most of a feature, so the band is
narrowest where the answer is least reliable: read it together with the verdict.

When the data are the mean of Monte Carlo bins (:meth:`specinv.core.problem.Problem.from_bins`)
the jackknife over bins measures the statistical error of the answer directly: the bins
are grouped into ``n_band`` contiguous blocks, the solver is rerun on the mean with each
block left out (same covariance), and ``std² = (m − 1)/m Σ_b (f_(b) − f̄)²`` over the
``m`` blocks. It propagates the actual spread of the bins (correlations and non-Gaussian
tails included) but, unlike the bootstrap band, contains no bias term: the smoothing of
the regularization is not in it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.problem import Problem

#: bands a solver can report (common option ``band``)
BANDS = ("none", "bootstrap", "jackknife")


def bootstrap_replicas(problem: Problem, spectrum: np.ndarray, sigma: np.ndarray,
                       n: int, seed: int) -> list[Problem]:
    """Replica problems ``g* = K f̂ + σ ε`` with the fit's error bars.

    Each replica is ``problem`` (kernel, default model, name) with new data.

    Parameters
    ----------
    problem : Problem
        The problem that was solved (its kernel and whether errors were given).
    spectrum : ndarray of shape (n_mesh,)
        The answer ``f̂``.
    sigma : ndarray of shape (n_data,)
        Error bars the solver judged its fit with (given or estimated).
    n : int
        Number of replicas (≥ 2).
    seed : int
        Seed of the replica noise.

    Returns
    -------
    list of Problem
        ``n`` problems with the error bars ``sigma`` attached.
    """
    rng = np.random.default_rng(seed)
    clean = problem.kernel.forward(spectrum)
    return [replace(problem, data=clean + sigma * rng.standard_normal(clean.size), sigma=sigma)
            for _ in range(n)]


def bootstrap_std(spectrum: np.ndarray, replicas: np.ndarray) -> np.ndarray:
    """Band from replica answers: ``sqrt(variance + bias²)`` per mesh point.

    Parameters
    ----------
    spectrum : ndarray of shape (n_mesh,)
        The answer ``f̂``.
    replicas : ndarray of shape (n_replicas, n_mesh)
        The solver's answers to the replica problems.

    Returns
    -------
    ndarray of shape (n_mesh,)
        One-standard-deviation band, in the spectrum's unit.
    """
    replicas = np.asarray(replicas, dtype=float)
    bias = replicas.mean(axis=0) - spectrum
    return np.sqrt(replicas.var(axis=0, ddof=1) + bias ** 2)


def jackknife_replicas(problem: Problem, n_blocks: int) -> list[Problem]:
    """Leave-one-block-out problems from the bins of ``problem``.

    Parameters
    ----------
    problem : Problem
        A problem with ``bins`` (n_bins, n_data), e.g. from
        :meth:`~specinv.core.problem.Problem.from_bins`.
    n_blocks : int
        Number of contiguous blocks the bins are grouped into (at most ``n_bins``).

    Returns
    -------
    list of Problem
        ``min(n_blocks, n_bins)`` problems, each with ``data`` the mean of the bins outside
        one block and the covariance (and error bars) of ``problem``.
    """
    if problem.bins is None:
        raise ParameterError("band=jackknife needs the Monte Carlo bins the data are the mean "
                             "of (Problem.from_bins; on the command line --bins)")
    bins = problem.bins
    total = bins.sum(axis=0)
    blocks = np.array_split(np.arange(bins.shape[0]), min(int(n_blocks), bins.shape[0]))
    return [replace(problem, data=(total - bins[b].sum(axis=0)) / (bins.shape[0] - b.size),
                    bins=None) for b in blocks]


def jackknife_std(replicas: np.ndarray) -> np.ndarray:
    """Jackknife standard deviation ``sqrt((m − 1)/m Σ_b (f_(b) − f̄)²)``.

    Parameters
    ----------
    replicas : ndarray of shape (m, n_mesh)
        Answers to the ``m`` leave-one-block-out problems.

    Returns
    -------
    ndarray of shape (n_mesh,)
        One-standard-deviation band, in the spectrum's unit.
    """
    f = np.asarray(replicas, dtype=float)
    m = f.shape[0]
    return np.sqrt((m - 1) / m * np.sum((f - f.mean(axis=0)) ** 2, axis=0))

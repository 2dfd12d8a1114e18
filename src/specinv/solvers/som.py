"""Stochastic optimization method (after Mishchenko et al., PRB 62, 6317 (2000)).

The spectrum is a sum of rectangles ``(center, width, height ≥ 0)``. Many
*particular solutions* are grown independently from random starts by Monte
Carlo updates (shift, resize at fixed weight, change height, add, remove)
accepted by Metropolis on χ² with an annealed temperature; those whose χ² is
within a factor ``keep_factor`` of the best are averaged. The average is
smooth without any explicit regularization. The spread of the kept solutions
(``extras["sample_spread"]``) is not an error band: it is far wider than the error
(``specinv bench calibration``); the common option ``band="bootstrap"`` gives one.

A rectangle's data are exact on any kernel: with the cumulative kernel
``P(x_i, e) = ∫^e k(x_i, ω) dω`` (:attr:`specinv.kernels.Kernel.cumulative`,
linear between mesh edges), ``G_i = h [P(x_i, c + w/2) − P(x_i, c − w/2)]``.
All particular solutions are updated together as one batch (arrays of shape
``(n_solutions, n_data)``), one proposal per solution per step.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import lsq_linear, nnls

from specinv.core.errors import ParameterError
from specinv.core.problem import Problem
from specinv.solvers.base import Solver, SolverOutput, register
from specinv.solvers.maxent import flat_default


class _Batch:
    """Rectangle configurations of all particular solutions."""

    def __init__(self, cum: np.ndarray, edges: np.ndarray) -> None:
        self.cum = cum  # (n_data, n_edges)
        self.edges = edges

    def column(self, pos: np.ndarray) -> np.ndarray:
        """``P(x_i, pos_l)`` for positions of shape (L,); returns (L, n_data)."""
        e = self.edges
        p = np.clip(pos, e[0], e[-1])
        j = np.clip(np.searchsorted(e, p) - 1, 0, e.size - 2)
        t = (p - e[j]) / (e[j + 1] - e[j])
        return (self.cum[:, j] * (1 - t) + self.cum[:, j + 1] * t).T

    def data(self, c: np.ndarray, w: np.ndarray, h: np.ndarray) -> np.ndarray:
        """Data of one rectangle per solution, shape (L, n_data)."""
        return h[:, None] * (self.column(c + 0.5 * w) - self.column(c - 0.5 * w))


def rectangles_on_mesh(c: np.ndarray, w: np.ndarray, h: np.ndarray,
                       edges: np.ndarray) -> np.ndarray:
    """Cell averages of sums of rectangles.

    Parameters
    ----------
    c, w, h : ndarray of shape (L, R)
        Centers, widths and heights (height 0 = inactive).
    edges : ndarray of shape (n + 1,)
        Cell edges of the mesh (same unit as ``c`` and ``w``).

    Returns
    -------
    ndarray of shape (L, n)
        Average of each solution's rectangle sum over each cell.
    """
    lo = (c - 0.5 * w)[..., None]
    hi = (c + 0.5 * w)[..., None]
    overlap = np.clip(np.minimum(hi, edges[1:]) - np.maximum(lo, edges[:-1]), 0.0, None)
    return np.einsum("lr,lrn->ln", h, overlap) / np.diff(edges)


def _polish_heights(batch: _Batch, c: np.ndarray, w: np.ndarray, h: np.ndarray, g: np.ndarray,
                    sigma: np.ndarray, h_max: float) -> tuple[np.ndarray, np.ndarray]:
    """Re-fit all heights of each solution at fixed geometry (bounded least squares).

    The Monte Carlo run optimizes one height at a time; with the geometry frozen
    the heights enter linearly, so the jointly optimal ones in ``[0, h_max]`` are
    one small bounded least-squares problem per solution. This lowers χ² of every
    particular solution and so lets more of them into the average.

    Returns
    -------
    heights : ndarray of shape (n_solutions, max_rectangles)
    chi2 : ndarray of shape (n_solutions,)
    """
    h = h.copy()
    chi2 = np.empty(h.shape[0])
    for i in range(h.shape[0]):
        act = np.flatnonzero(h[i] > 0)
        units = batch.data(c[i, act], w[i, act], np.ones(act.size)).T / sigma[:, None]
        x, _ = nnls(units, g / sigma, maxiter=20 * max(act.size, 1))
        if np.any(x > h_max):  # rare: the bound is active, solve the boxed problem
            x = lsq_linear(units, g / sigma, bounds=(0.0, h_max), method="bvls").x
        h[i, act] = x
        r = units @ x - g / sigma
        chi2[i] = float(r @ r)
    return h, chi2


def _propose(rng: np.random.Generator, c_old: np.ndarray, w_old: np.ndarray,
             active: np.ndarray, scale: float, bounds: tuple[float, float, float]
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One random move per solution of the chosen rectangle's centre and width.

    Moves: 0 shift, 1 resize, 2 height only (geometry kept), 3 add (inactive slot) or
    remove (active slot). ``bounds`` = (lo, hi, minimal width) of the window; proposals
    shrink with ``scale``. Returns the new centres and widths, the removals and the
    solutions that skip this step (inactive slots only take "add").
    """
    lo, hi, wmin = bounds
    span = hi - lo
    n_sol = c_old.size
    move = rng.integers(0, 4, n_sol)
    c_new, w_new = c_old.copy(), w_old.copy()
    m = move == 0
    c_new[m] += rng.normal(0, 0.05 * span * scale + wmin, m.sum())
    m = move == 1
    w_new[m] = np.clip(w_old[m] * np.exp(rng.normal(0, 0.4, m.sum())), wmin, span)
    m = move == 3
    add = m & ~active
    c_new[add] = rng.uniform(lo, hi, add.sum())
    w_new[add] = np.exp(rng.uniform(np.log(wmin), np.log(0.3 * span), add.sum()))
    remove = m & active
    skip = ~active & ~m
    c_new = np.clip(c_new, lo + 0.5 * w_new, hi - 0.5 * w_new)
    return c_new, w_new, remove, skip


@register
class SOMSolver(Solver):
    """Stochastic optimization: average of many positive rectangle-sum fits.

    Parameters
    ----------
    **options
        Overrides of the solver's ``defaults``, by the names listed under Options;
        an unknown name raises :class:`~specinv.core.errors.ParameterError`.

    Options
    -------
    n_solutions : int
        Particular solutions grown in parallel (batch size).
    max_rectangles : int
        Most rectangles per solution.
    n_steps : int
        Monte Carlo steps (one proposal per solution per step).
    keep_factor : float
        Solutions with χ² ≤ keep_factor · min χ² are averaged.
    min_width : float
        Narrowest rectangle, in units of the mean mesh spacing.
    max_height : float
        Tallest rectangle relative to the flat-default level (keeps rectangles in
        regions the data hardly constrain, e.g. beyond the bias window, bounded).
    seed : int
        Random seed (results are deterministic for a given seed).
    """

    name = "som"
    defaults = {"n_solutions": 64, "max_rectangles": 40, "n_steps": 6000, "keep_factor": 2.0,
                "min_width": 2.0, "max_height": 20.0, "seed": 0}
    positive = True
    stochastic = True

    def _solve(self, problem: Problem) -> SolverOutput:
        o = self.options
        n_sol, n_rect, n_steps = int(o["n_solutions"]), int(o["max_rectangles"]), int(o["n_steps"])
        if n_sol < 2 or n_rect < 1 or n_steps < 1:
            raise ParameterError("som needs n_solutions >= 2, max_rectangles >= 1, n_steps >= 1")
        if not o["keep_factor"] >= 1:
            raise ParameterError("som keep_factor must be >= 1")
        rng = np.random.default_rng(o["seed"])
        mesh = problem.kernel.mesh
        edges = mesh.edges
        lo, hi = float(edges[0]), float(edges[-1])
        span = hi - lo
        wmin = float(o["min_width"]) * span / mesh.size
        sigma = problem.noise()
        sigma2 = sigma**2
        batch = _Batch(problem.kernel.cumulative, edges)
        g = problem.data

        # start: a few wide rectangles tiling the window at the flat-default height
        level = float(flat_default(problem)[0])
        h_max = float(o["max_height"]) * level
        n0 = min(8, n_rect)
        c = np.zeros((n_sol, n_rect))
        w = np.full((n_sol, n_rect), wmin)
        h = np.zeros((n_sol, n_rect))
        c[:, :n0] = lo + (np.arange(n0) + 0.5) * span / n0 + rng.normal(0, 0.02 * span, (n_sol, n0))
        w[:, :n0] = span / n0
        h[:, :n0] = level
        rows = np.arange(n_sol)
        model = np.zeros((n_sol, g.size))
        for r in range(n0):
            model += batch.data(c[:, r], w[:, r], h[:, r])
        chi2 = np.sum(((model - g) / sigma) ** 2, axis=1)
        theta0 = max(float(np.median(chi2)), 1.0) * 0.1
        theta1 = 0.5
        accepted = 0
        for step in range(n_steps):
            theta = theta0 * (theta1 / theta0) ** (step / max(n_steps - 1, 1))
            r = rng.integers(0, n_rect, n_sol)
            c_old, w_old, h_old = c[rows, r], w[rows, r], h[rows, r]
            scale = np.sqrt(theta / theta0)  # proposals shrink as the fit improves
            c_new, w_new, remove, skip = _propose(rng, c_old, w_old, h_old > 0, scale,
                                                  (lo, hi, wmin))
            # every move ends with the χ²-optimal height of the changed rectangle given the
            # others (a 1-D linear least-squares problem), randomised at high temperature
            old = batch.data(c_old, w_old, h_old)
            unit = batch.data(c_new, w_new, np.ones(n_sol))
            rest = (g - model + old) / sigma2
            h_opt = np.sum(unit * rest, axis=1) / np.maximum(np.sum(unit**2 / sigma2, axis=1),
                                                               1e-300)
            h_new = np.clip(h_opt * np.exp(rng.normal(0, 0.3 * scale, n_sol)), 0.0, h_max)
            h_new[remove] = 0.0
            trial = model - old + h_new[:, None] * unit
            chi2_new = np.sum(((trial - g) / sigma) ** 2, axis=1)
            d = chi2_new - chi2
            ok = (d < 0) | (rng.random(n_sol) < np.exp(-np.clip(d, 0, None) / (2.0 * theta)))
            ok &= ~skip
            model[ok] = trial[ok]
            chi2[ok] = chi2_new[ok]
            c[rows[ok], r[ok]], w[rows[ok], r[ok]], h[rows[ok], r[ok]] = \
                c_new[ok], w_new[ok], h_new[ok]
            accepted += int(ok.sum())
        h, chi2 = _polish_heights(batch, c, w, h, g, sigma, h_max)
        good = chi2 <= float(o["keep_factor"]) * chi2.min()
        spectra = rectangles_on_mesh(c[good], w[good], h[good], edges)
        f = spectra.mean(axis=0)
        # the spread of the kept solutions is not an error band (it covers 97 % of the
        # truth where a band claims 68 %): kept as an extra; option band="bootstrap" gives one
        spread = spectra.std(axis=0, ddof=1) if good.sum() > 1 else np.zeros_like(f)
        return SolverOutput(
            f, sigma=sigma,
            hyperparameters={"n_kept": int(good.sum()), "chi2_best": float(chi2.min()),
                             "chi2_median": float(np.median(chi2)),
                             "acceptance": accepted / (n_sol * n_steps)},
            extras={"particular_chi2": chi2, "sample_spread": spread})

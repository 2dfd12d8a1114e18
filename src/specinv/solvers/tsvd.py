"""Truncated SVD / pseudo-inverse (the seed's "Pinv")."""

from __future__ import annotations

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.problem import Problem
from specinv.solvers.base import Solver, SolverOutput, register


@register
class TSVDSolver(Solver):
    """Least-squares solution restricted to the leading singular vectors.

    Parameters
    ----------
    **options
        Overrides of the solver's ``defaults``, by the names listed under Options;
        an unknown name raises :class:`~specinv.core.errors.ParameterError`.

    Options
    -------
    rcond : float or None
        Discard singular values below ``rcond · s_max``. ``None`` uses
        ``max(n_data, n_mesh) · eps`` — exactly ``scipy.linalg.pinv``'s default,
        so seed 000's Pinv is reproduced.
    rank : int or None
        Keep exactly this many singular values (overrides ``rcond``).
    weighted : bool
        Scale rows by 1/σ when the problem has error bars (default True).

    Emits :class:`~specinv.core.errors.IllConditionedWarning` when the kept
    condition number times the relative noise exceeds 1e-2.
    """

    name = "tsvd"
    defaults = {"rcond": None, "rank": None, "weighted": True}
    linear = True

    def _solve(self, problem: Problem) -> SolverOutput:
        k = problem.kernel
        g = problem.data
        rcond, rank = self.options["rcond"], self.options["rank"]
        if problem.has_errors and self.options["weighted"]:
            s_inv = 1.0 / np.asarray(problem.sigma)
            u, s, vt = np.linalg.svd(k.matrix * s_inv[:, None], full_matrices=False)
            g = g * s_inv
        else:
            u, s, vt = k.svd
        if rank is not None:
            if not 1 <= int(rank) <= s.size:
                raise ParameterError(f"tsvd rank must be in [1, {s.size}], got {rank}")
            keep = int(rank)
        else:
            cut = max(k.shape) * np.finfo(float).eps if rcond is None else float(rcond)
            if not cut >= 0:
                raise ParameterError(f"tsvd rcond must be >= 0, got {rcond}")
            keep = int(np.count_nonzero(s > cut * s[0]))
        coef = (u[:, :keep].T @ g) / s[:keep]
        f = vt[:keep].T @ coef
        rel_noise = float(np.median(problem.noise()) / max(np.max(np.abs(problem.data)), 1e-300))
        k.check_conditioning(rel_noise, what="pseudo-inverse", condition=s[0] / s[keep - 1])
        return SolverOutput(f, hyperparameters={"rank": keep, "rcond": rcond,
                                                "kept_condition": float(s[0] / s[keep - 1])})

"""Solvers behind one front door, :func:`specinv.solve`."""

from __future__ import annotations

import importlib

from specinv.solvers.base import SOLVERS, Solver, SolverOutput, get_solver, register, solve

#: modules that register solvers; imported on first use of the registry
SOLVER_MODULES: tuple[str, ...] = (
    "specinv.solvers.tsvd",
    "specinv.solvers.tikhonov",
    "specinv.solvers.maxent",
    "specinv.solvers.som",
    "specinv.solvers.nnrs",
    "specinv.optics.allen",
    "specinv.optics.solvers",
)


def load_all() -> dict[str, type[Solver]]:
    """Import every solver module that exists so that all are registered."""
    for module in SOLVER_MODULES:
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    return SOLVERS


__all__ = ["SOLVERS", "Solver", "SolverOutput", "get_solver", "load_all", "register", "solve"]

"""Solvers behind one front door, :func:`specinv.solve`.

The registry is lazy: :func:`get_solver` imports only the module of the method
asked for (:data:`SOLVER_MODULES`), :func:`load_all` imports them all.
"""

from __future__ import annotations

from specinv.solvers.base import (
    SOLVER_MODULES,
    SOLVERS,
    Solver,
    SolverOutput,
    get_solver,
    load_all,
    register,
    solve,
    solver_class,
)

__all__ = ["SOLVERS", "SOLVER_MODULES", "Solver", "SolverOutput", "get_solver", "load_all",
           "register", "solve", "solver_class"]

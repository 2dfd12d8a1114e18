"""Solver base class, registry and the one front door :func:`solve`.

A solver implements :meth:`Solver._solve` (problem → spectrum, optional std,
chosen hyperparameters); the base class validates options, protects the
input, times the call, records warnings and assembles the
:class:`~specinv.core.result.InversionResult`. Registering a subclass with
:func:`register` makes it reachable as ``solve(problem, method=name)`` and
runs it through the shared conformance tests.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from specinv.core.check import check_fit
from specinv.core.errors import ParameterError
from specinv.core.problem import Problem
from specinv.core.result import InversionResult

#: name -> solver class
SOLVERS: dict[str, type[Solver]] = {}


@dataclass
class SolverOutput:
    """What a solver's hook returns.

    Parameters
    ----------
    spectrum : ndarray of shape (n_mesh,)
        Recovered spectrum (cell values).
    spectrum_std : ndarray of shape (n_mesh,), optional
        One-standard-deviation uncertainty, where the method gives one.
    hyperparameters : dict
        What the solver chose (λ, α, rank, ...) and how.
    extras : dict
        Method-specific arrays.
    sigma : ndarray of shape (n_data,), optional
        σ the solver judged the fit with (defaults to ``problem.noise()``).
    """

    spectrum: np.ndarray
    spectrum_std: np.ndarray | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    sigma: np.ndarray | None = None
    """σ the solver judged the fit with (defaults to ``problem.noise()``)."""


class Solver:
    """Base class: options in ``__init__``, the work in :meth:`_solve`.

    Subclasses set ``name`` and ``defaults`` (every accepted option with its
    default value). Unknown options raise :class:`ParameterError` listing the
    valid ones.

    Parameters
    ----------
    **options
        Overrides of :attr:`defaults`.
    """

    name: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}
    #: learned solvers must be fitted on a data set before solving
    requires_fit: ClassVar[bool] = False
    #: kernel classes the solver is built for; ``None``: any linear kernel
    kernels: ClassVar[tuple[str, ...] | None] = None

    def __init__(self, **options: Any) -> None:
        unknown = sorted(set(options) - set(self.defaults))
        if unknown:
            valid = ", ".join(sorted(self.defaults)) or "none"
            raise ParameterError(
                f"solver {self.name!r} got unknown option(s) {', '.join(unknown)}; "
                f"valid options: {valid}")
        self.options = {**self.defaults, **options}

    def _solve(self, problem: Problem) -> SolverOutput:
        raise NotImplementedError

    def solve(self, problem: Problem) -> InversionResult:
        """Invert ``problem``; never modifies it.

        Parameters
        ----------
        problem : Problem
            Kernel, data and (optional) errors.

        Returns
        -------
        InversionResult
            Spectrum, fit, χ² with the σ the solver used, options and timing.
        """
        if not isinstance(problem, Problem):
            raise ParameterError(f"solve() expects a specinv.Problem, got {type(problem).__name__}")
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = self._solve(problem)
        wall = time.perf_counter() - t0
        messages = []
        for w in caught:
            messages.append(f"{w.category.__name__}: {w.message}")
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        f = np.asarray(out.spectrum, dtype=float)
        if f.shape != (problem.kernel.mesh.size,) or not np.all(np.isfinite(f)):
            raise RuntimeError(f"solver {self.name!r} returned an invalid spectrum")
        sigma = problem.noise() if out.sigma is None else out.sigma
        fitted = problem.kernel.forward(f)
        r = (fitted - problem.data) / sigma
        chi2 = float(r @ r)
        return InversionResult(
            method=self.name,
            mesh=problem.kernel.mesh,
            spectrum=f,
            fitted=fitted,
            chi2=chi2,
            chi2_reduced=chi2 / problem.data.size,
            spectrum_std=out.spectrum_std,
            hyperparameters=out.hyperparameters,
            options=dict(self.options),
            sigma_estimated=not problem.has_errors,
            noise_level=float(np.median(sigma)),
            wall_time_s=wall,
            warnings=messages,
            extras=out.extras,
            check=check_fit(problem.data, fitted, sigma, sigma_given=problem.has_errors,
                            spectrum=f, positive=problem.kernel.positive_spectrum),
        )


def register(cls: type[Solver]) -> type[Solver]:
    """Class decorator adding a solver to :data:`SOLVERS` under ``cls.name``.

    ``cls`` is the decorated :class:`Solver` subclass; its ``name`` must be unique.

    Returns
    -------
    type
        ``cls`` itself.
    """
    if not cls.name:
        raise TypeError("a registered solver needs a name")
    if cls.name in SOLVERS and SOLVERS[cls.name] is not cls:
        raise TypeError(f"solver name {cls.name!r} is already registered")
    SOLVERS[cls.name] = cls
    return cls


def get_solver(method: str, **options: Any) -> Solver:
    """Instantiate a registered solver; unknown names list the valid ones.

    Parameters
    ----------
    method : str
        Registered solver name.
    **options
        Solver options.

    Returns
    -------
    Solver
        The configured solver.
    """
    from specinv.solvers import load_all

    load_all()
    try:
        cls = SOLVERS[method]
    except KeyError:
        raise ParameterError(
            f"unknown method {method!r}; valid methods: {', '.join(sorted(SOLVERS))}"
        ) from None
    return cls(**options)


def solve(problem: Problem, method: str = "maxent", **options: Any) -> InversionResult:
    """Solve ``problem`` with the registered solver ``method``.

    Parameters
    ----------
    problem : Problem
        Kernel, data and errors.
    method : str
        Registered solver name (see ``specinv.SOLVERS``).
    **options
        Solver options; unknown ones raise :class:`~specinv.core.errors.ParameterError`.

    Returns
    -------
    InversionResult
        Spectrum, fit, χ², hyperparameters and timing.
    """
    solver = get_solver(method, **options)
    if solver.requires_fit:
        raise ParameterError(
            f"method {method!r} is learned: create it with get_solver(), call fit(), then solve()")
    return solver.solve(problem)

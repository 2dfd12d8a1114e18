"""Solver base class, registry and the one front door :func:`solve`.

A solver implements :meth:`Solver._solve` (problem → spectrum, optional std,
chosen hyperparameters); the base class validates options, protects the
input, times the call, records warnings and assembles the
:class:`~specinv.core.result.InversionResult`. Registering a subclass with
:func:`register` makes it reachable as ``solve(problem, method=name)``; a solver
shipped with the package also names its module in :data:`SOLVER_MODULES` (the
registry imports modules lazily) and is then run through the conformance suite,
which reads the tags (``kernels``, ``positive``, ``stochastic``, ``linear``,
``batched``, ``needs_weights``) declared on its class.
"""

from __future__ import annotations

import importlib
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from specinv.core.check import check_fit
from specinv.core.errors import ParameterError
from specinv.core.problem import Problem
from specinv.core.result import InversionResult
from specinv.io.options import check_options
from specinv.solvers.alpha_window import alpha_limited_bands
from specinv.solvers.bands import (
    bootstrap_replicas,
    bootstrap_std,
    calibrated_band,
    check_band_options,
    find_factors,
    jackknife_replicas,
    jackknife_std,
)
from specinv.solvers.noise_refine import refine_noise

#: options of every solver: ``band`` ("none"; "bootstrap" of ``n_band`` replicas, noise seed
#: ``band_seed``, α-window term if ``band_window``; "jackknife"): :mod:`specinv.solvers.bands`
COMMON_OPTIONS: dict[str, Any] = {"band": "none", "n_band": 24, "band_seed": 0,
                                  "band_window": False}

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
    spectrum_band95 : ndarray of shape (n_mesh,), optional
        Half-width of the calibrated 95 % band (:mod:`specinv.solvers.bands`).
    alpha_window : callable, optional
        Solvers with an α rule: ``alpha_window()``, the envelope of the answers over the α
        window, shape (n_mesh,) (:mod:`specinv.solvers.alpha_window`).
    """

    spectrum: np.ndarray
    spectrum_std: np.ndarray | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    sigma: np.ndarray | None = None
    spectrum_band95: np.ndarray | None = None
    alpha_window: Callable[[], np.ndarray] | None = None


class Solver:
    """Base class: options in ``__init__``, the work in :meth:`_solve`.

    Subclasses set ``name`` and ``defaults`` (every accepted option with its
    default value); every solver also accepts :data:`COMMON_OPTIONS`. Unknown
    options, and a flag set to anything but true/false, raise :class:`ParameterError`
    (:func:`~specinv.io.options.check_options`).

    Parameters
    ----------
    **options
        Overrides of :attr:`defaults`.
    """

    name: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}
    # tags read by the conformance suite (tests/solvers/test_conformance.py) and by users
    #: kernel classes the solver is built for; ``None``: any linear kernel
    kernels: ClassVar[tuple[str, ...] | None] = None
    #: every answer is ≥ 0
    positive: ClassVar[bool] = False
    #: the answer depends on the random seed given as option ``seed`` (fixed seed: fixed answer)
    stochastic: ClassVar[bool] = False
    #: data and error bars scaled by c > 0 give the spectrum scaled by c (a linear
    #: estimator, or one whose regularization rule is invariant under that scaling)
    linear: ClassVar[bool] = False
    #: answers only whole batches of problems, together (:meth:`solve_many`), e.g. Λ_T(τ)
    #: at every temperature a network was trained on; :meth:`solve` of one problem is refused
    batched: ClassVar[bool] = False
    #: the answer comes from trained weights (:class:`specinv.solvers.learned.LearnedSolver`)
    needs_weights: ClassVar[bool] = False

    def __init__(self, **options: Any) -> None:
        accepted = {**COMMON_OPTIONS, **self.defaults}
        check_options(f"solver {self.name!r}", accepted, options)
        self.options = {**accepted, **options}
        check_band_options(self.options)

    def _solve(self, problem: Problem) -> SolverOutput:
        raise NotImplementedError

    def _solve_many(self, problems: list[Problem]) -> list[SolverOutput]:
        """Hook of batched solvers: the outputs of ``problems`` answered together."""
        return [self._solve(p) for p in problems]

    def _check(self, problem: Problem) -> None:
        if not isinstance(problem, Problem):
            raise ParameterError(f"solve() expects a specinv.Problem, got {type(problem).__name__}")
        kernel_names = {c.__name__ for c in type(problem.kernel).__mro__}
        if self.kernels is not None and not kernel_names & set(self.kernels):
            raise ParameterError(f"solver {self.name!r} needs a {' or '.join(self.kernels)} "
                                 f"problem, got {type(problem.kernel).__name__}")
        if problem.covariance is not None and self.kernels is not None:
            raise ParameterError(f"solver {self.name!r} works on the data points of a "
                                 f"{' or '.join(self.kernels)} and cannot use a covariance "
                                 "matrix; use a general solver (maxent, tikhonov, tsvd, som, "
                                 "nnrs) or independent error bars")
        if self.options["band"] == "jackknife" and problem.bins is None:
            raise ParameterError("band=jackknife needs the Monte Carlo bins the data are the "
                                 "mean of (Problem.from_bins; on the command line --bins)")

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
        if self.batched:
            raise ParameterError(f"solver {self.name!r} answers a batch of problems together: "
                                 "use get_solver(...).solve_many(problems)")

        def once(p: Problem) -> InversionResult:
            return self._run([p], lambda ps: [self._solve(ps[0])])[0]

        return refine_noise(once, problem, once(problem))  # σ estimated, residuals structured

    def solve_many(self, problems: list[Problem]) -> list[InversionResult]:
        """Invert several problems (together if the solver is ``batched``); never modifies them.

        Parameters
        ----------
        problems : list of Problem
            The problems, each with a kernel this solver accepts.

        Returns
        -------
        list of InversionResult
            One per problem, in order; a batch's wall time is shared equally.
        """
        if not self.batched:
            return [self.solve(p) for p in problems]
        return self._run(list(problems), self._solve_many)

    def _run(self, problems: list[Problem],
             hook: Callable[[list[Problem]], list[SolverOutput]]) -> list[InversionResult]:
        for problem in problems:
            self._check(problem)
        t0 = time.perf_counter()
        solved = [p.decorrelated() for p in problems]  # correlated errors: C's eigenbasis
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            outs = hook(solved)
            if self.options["band"] != "none":
                outs = self._with_bands(problems, solved, outs)
        wall = (time.perf_counter() - t0) / max(len(problems), 1)
        messages = []
        for w in caught:
            messages.append(f"{w.category.__name__}: {w.message}")
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return [self._result(p, q, out, wall, messages)
                for p, q, out in zip(problems, solved, outs, strict=True)]

    def _with_bands(self, problems: list[Problem], solved: list[Problem],
                    outs: list[SolverOutput]) -> list[SolverOutput]:
        """``outs`` with their bands replaced by the bootstrap's or the jackknife's.

        Replicas are solved as the problems were (in the covariance's eigenbasis); a
        batched solver answers each replica batch (one replica of every problem) together.
        """
        n, seed = int(self.options["n_band"]), int(self.options["band_seed"])
        if self.options["band"] == "bootstrap":
            reps = [bootstrap_replicas(q, np.asarray(o.spectrum, dtype=float),
                                       q.noise() if o.sigma is None else o.sigma, n, seed + i)
                    for i, (q, o) in enumerate(zip(solved, outs, strict=True))]
            note = f"parametric bootstrap, {n} replicas: sqrt(variance + bias^2" + (
                " + alpha window^2)" if self.options["band_window"] else ")")
        else:
            reps = [[r.decorrelated() for r in jackknife_replicas(p, n)] for p in problems]
            if self.batched and len({len(r) for r in reps}) > 1:
                raise ParameterError("band=jackknife on a batch needs the same number of "
                                     "bins in every problem")
            note = f"jackknife over {len(reps[0])} blocks of bins (statistical error only)"
        if self.batched:
            answers = [self._solve_many([r[m] for r in reps]) for m in range(len(reps[0]))]
            spectra = [[a[i].spectrum for a in answers] for i in range(len(problems))]
        else:
            spectra = [[self._solve(q).spectrum for q in r] for r in reps]
        banded = []
        for p, o, f in zip(problems, outs, spectra, strict=True):
            if self.options["band"] == "jackknife":  # statistical error: not calibrated
                banded.append(SolverOutput(o.spectrum, jackknife_std(f), {
                    **o.hyperparameters, "band": note}, o.extras, o.sigma))
                continue
            f0, kind = np.asarray(o.spectrum, dtype=float), type(p.kernel).__name__
            window = o.alpha_window() if o.alpha_window else np.zeros_like(f0)
            boot = bootstrap_std(f0, np.asarray(f))
            raw = np.hypot(boot, window) if self.options["band_window"] else boot
            entry = find_factors(kind, self.name, self.options,
                                 defaults={**COMMON_OPTIONS, **self.defaults})
            std, band95, label = calibrated_band(raw, entry, kind, self.name)
            std, band95, label["alpha_window"] = alpha_limited_bands(boot, window, std,
                                                                     band95, entry)
            factor = f", {label['status']}" + (f" (68 %: x{label['s68']:.3g}, 95 %: "
                                               f"x{label['s95']:.3g})" if "s68" in label else "")
            banded.append(SolverOutput(
                o.spectrum, std, {**o.hyperparameters, "band": note + factor,
                                  "band_calibration": label},
                {**o.extras, "band_std_raw": raw, "band_alpha_window": window}, o.sigma, band95))
        return banded

    def _result(self, problem: Problem, solved: Problem, out: SolverOutput, wall: float,
                messages: list[str]) -> InversionResult:
        f = np.asarray(out.spectrum, dtype=float)
        if f.shape != (problem.kernel.mesh.size,) or not np.all(np.isfinite(f)):
            raise RuntimeError(f"solver {self.name!r} returned an invalid spectrum")
        sigma = solved.noise() if out.sigma is None else out.sigma
        fitted = problem.kernel.forward(f)
        r = (solved.kernel.forward(f) - solved.data) / sigma  # χ² with the full covariance
        chi2 = float(r @ r)
        normalized = None
        if solved is not problem:  # residuals C^(-1/2)(Kf − g), in the data's order
            normalized = problem.covariance.eigenvectors @ r
            sigma = problem.noise()
        return InversionResult(
            method=self.name,
            mesh=problem.kernel.mesh,
            spectrum=f,
            fitted=fitted,
            chi2=chi2,
            chi2_reduced=chi2 / problem.data.size,
            spectrum_std=out.spectrum_std,
            spectrum_band95=out.spectrum_band95,
            hyperparameters=out.hyperparameters,
            options=dict(self.options),
            sigma_estimated=not problem.sigma_given,
            noise_level=float(np.median(sigma)),
            wall_time_s=wall,
            warnings=list(messages),
            extras=out.extras,
            check=check_fit(problem.data, fitted, sigma, sigma_given=problem.sigma_given,
                            spectrum=f, positive=problem.kernel.positive_spectrum,
                            normalized=normalized),
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


#: registered method name -> module whose import registers it (imported on first use,
#: so that ``get_solver("maxent")`` imports maxent only)
SOLVER_MODULES: dict[str, str] = {
    "tsvd": "specinv.solvers.tsvd",
    "tikhonov": "specinv.solvers.tikhonov",
    "maxent": "specinv.solvers.maxent",
    "som": "specinv.solvers.som",
    "nnrs": "specinv.solvers.nnrs",
    "aaa": "specinv.solvers.poles",
    "nevanlinna": "specinv.solvers.nevanlinna",
    "allen": "specinv.optics.allen",
    "rrim": "specinv.optics.solvers",
    "fcn": "specinv.optics.solvers",
    "cnn": "specinv.optics.solvers",
    "conductivity-net": "specinv.ac.conductivity.solver",
}


def _import_solver(method: str) -> type[Solver]:
    importlib.import_module(SOLVER_MODULES[method])
    if method not in SOLVERS:
        raise RuntimeError(f"module {SOLVER_MODULES[method]} does not register solver {method!r}")
    return SOLVERS[method]


def load_all() -> dict[str, type[Solver]]:
    """Import every solver module so that all solvers are registered.

    Returns
    -------
    dict of str to type
        :data:`SOLVERS`, now complete.
    """
    for method in SOLVER_MODULES:
        if method not in SOLVERS:
            _import_solver(method)
    return SOLVERS


def solver_class(method: str) -> type[Solver]:
    """The registered solver class ``method``, importing only its module.

    Parameters
    ----------
    method : str
        Solver name; unknown names raise :class:`ParameterError` listing the valid ones.

    Returns
    -------
    type
        The :class:`Solver` subclass registered under ``method``.
    """
    if method in SOLVERS:
        return SOLVERS[method]
    if method in SOLVER_MODULES:
        return _import_solver(method)
    valid = sorted(set(SOLVERS) | set(SOLVER_MODULES))
    raise ParameterError(f"unknown method {method!r}; valid methods: {', '.join(valid)}")


def get_solver(method: str, **options: Any) -> Solver:
    """Instantiate a registered solver; unknown names list the valid ones.

    Parameters
    ----------
    method : str
        Solver name (see :data:`SOLVER_MODULES`).
    **options
        Solver options; unknown ones raise :class:`ParameterError` listing the valid ones.

    Returns
    -------
    Solver
        An instance of the solver with ``options`` applied over its defaults.
    """
    return solver_class(method)(**options)


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
    return get_solver(method, **options).solve(problem)

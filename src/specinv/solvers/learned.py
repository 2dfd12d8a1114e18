"""Base of every learned solver: trained networks behind the :class:`Solver` contract.

A :class:`LearnedSolver` answers a problem with one or more trained models (an
ensemble gives ``spectrum_std``, the spread of their predictions). It either
holds models fitted in this session (a subclass's ``fit`` sets ``models_``) or
loads weights files: those named by the option ``weights`` (one path or a list),
else the ones shipped with the package (:meth:`LearnedSolver.shipped_weights`).
Every result says where its models came from: ``extras["weights"]`` lists each
file's path and SHA-256 checksum (from its verified metadata, see
:mod:`specinv.learning.weights`), or is ``"fitted in this session"``.

A network's answer is a guess from its training prior, so a solver with a
``fallback`` verifies it (option ``verify``, on by default): the guess is refined
through the exact kernel towards the data (:func:`~specinv.solvers.refine.verify_guess`)
and accepted only if the refinement reaches the noise level; otherwise the
fallback classical solver answers, and ``hyperparameters`` record
``method_used`` and ``fallback_reason``.

Subclasses implement :meth:`~LearnedSolver.shipped_weights`,
:meth:`~LearnedSolver.load_model` and :meth:`~LearnedSolver._predict` (batched
solvers: ``_predict_many``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from specinv.core.errors import ParameterError
from specinv.core.problem import Problem
from specinv.solvers.base import Solver, SolverOutput

#: ``extras["weights"]`` of a solver whose models were fitted in this session
FITTED = "fitted in this session"


def checksum_of(path: Path) -> str | None:
    """SHA-256 recorded in the metadata JSON of weights file ``path`` (None if absent).

    Parameters
    ----------
    path : Path
        Weights file whose metadata (``path.with_suffix(".json")``) was verified on load.

    Returns
    -------
    str or None
        64 hex digits, or None when the metadata is missing or holds no checksum.
    """
    try:
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        return str(meta["weights"]["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


class LearnedSolver(Solver):
    """A solver whose answer comes from trained networks.

    Parameters
    ----------
    **options
        Overrides of the solver's ``defaults``, by the names listed under Options;
        an unknown name raises :class:`~specinv.core.errors.ParameterError`.

    Options
    -------
    weights : str, Path, list of them, or None
        Weights file(s); default: :meth:`shipped_weights`.

    Attributes
    ----------
    models_ : list
        The models in use (set by ``fit`` or on the first solve).
    weights_ : list of dict or str
        Provenance of ``models_``: ``{"path", "sha256"}`` per file, or :data:`FITTED`.
    """

    needs_weights = True
    defaults: ClassVar[dict[str, Any]] = {"weights": None}
    #: classical solver that answers when the refined network answer misses the noise
    #: level (None: the answer is not verified, e.g. batched networks with their own check)
    fallback: ClassVar[str | None] = None
    #: options of the fallback solver
    fallback_options: ClassVar[dict[str, Any]] = {}

    def shipped_weights(self) -> list[Path]:
        """Weights files shipped with the package for this solver (may be empty).

        Returns
        -------
        list of Path
            The shipped files, in the order their models form the ensemble.
        """
        raise NotImplementedError

    def load_model(self, path: Path) -> Any:
        """One model from weights file ``path``; raises ``InputError`` on any bad file.

        Parameters
        ----------
        path : Path
            Weights file with its metadata JSON beside it.

        Returns
        -------
        object
            The subclass's model.
        """
        raise NotImplementedError

    def _predict(self, problem: Problem, models: list) -> SolverOutput:
        """The answer of ``models`` to ``problem``."""
        raise NotImplementedError

    def set_models(self, models: list) -> None:
        """Use ``models`` fitted in this session (instead of weights files).

        Parameters
        ----------
        models : list
            Trained models of the subclass's kind (at least one).
        """
        if not models:
            raise ParameterError(f"learned solver {self.name!r} needs at least one model")
        self.models_ = list(models)
        self.weights_: list[dict[str, Any]] | str = FITTED

    def load_models(self) -> list:
        """The models in use: fitted ones, else loaded from the weights files (once).

        Returns
        -------
        list
            The fitted models, or one model per weights file (option ``weights``, else
            :meth:`shipped_weights`); :attr:`weights_` records where they came from.
        """
        if getattr(self, "models_", None):
            return self.models_
        w = self.options["weights"]
        files = ([Path(p) for p in ([w] if isinstance(w, str | Path) else w)] if w
                 else self.shipped_weights())
        if not files:
            raise ParameterError(
                f"no weights for learned solver {self.name!r}: fit() it on a data set or pass "
                "weights=PATH")
        self.models_ = [self.load_model(f) for f in files]
        self.weights_ = [{"path": str(f), "sha256": checksum_of(f)} for f in files]
        return self.models_

    def _predict_many(self, problems: list[Problem], models: list) -> list[SolverOutput]:
        """The answers of ``models`` to ``problems`` (batched solvers override this)."""
        return [self._predict(p, models) for p in problems]

    def _solve_many(self, problems: list[Problem]) -> list[SolverOutput]:
        outs = self._predict_many(problems, self.load_models())
        if self.fallback is not None and self.options["verify"]:
            outs = [self._verified(p, out) for p, out in zip(problems, outs, strict=True)]
        for out in outs:
            out.extras = {**out.extras, "weights": getattr(self, "weights_", FITTED)}
        return outs

    def _verified(self, problem: Problem, out: SolverOutput) -> SolverOutput:
        """The network's answer refined through the exact kernel, or the fallback's."""
        from specinv.solvers.refine import verify_guess

        checked = verify_guess(problem, out.spectrum, fallback=self.fallback,
                               fallback_options=self.fallback_options, sigma=out.sigma)
        checked.hyperparameters = {**out.hyperparameters, **checked.hyperparameters}
        checked.extras = {**out.extras, **checked.extras}
        return checked

    def _solve(self, problem: Problem) -> SolverOutput:
        return self._solve_many([problem])[0]

"""The conductivity network as a registered solver, ``conductivity-net``.

Λ_T(τ) at each of the ten training temperatures ``T = 0.1 … 1.0`` on the
seed's τ points (:func:`~specinv.ac.conductivity.data.tau_matrix`) is a linear
problem on :class:`~specinv.kernels.imaginary_time.ConductivityTauKernel`; the
network answers the ten together (a *batched* solver: ``solve_many`` with one
problem per temperature, in order). Its Drude label (optionally refined by least
squares, :func:`~specinv.ac.conductivity.refine.refine_drude`, exactly as
``specinv conductivity predict``) gives σ_T(ω) on each problem's mesh.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from specinv.ac.conductivity.data import TEMPERATURES, tau_matrix
from specinv.ac.conductivity.pretrained import WEIGHTS, load_pretrained, predict
from specinv.ac.conductivity.refine import label_sigma_on
from specinv.core.errors import ParameterError
from specinv.core.problem import Problem
from specinv.learning.weights import shipped
from specinv.solvers.base import SolverOutput, register
from specinv.solvers.learned import LearnedSolver


def _stack(problems: list[Problem]) -> np.ndarray:
    """Data of the ten problems as the network input (1, 10, 200), after checking T and τ."""
    tau = tau_matrix()
    if len(problems) != TEMPERATURES.size:
        raise ParameterError(f"solver 'conductivity-net' needs {TEMPERATURES.size} problems, one "
                             f"per temperature T = 0.1 … 1.0; got {len(problems)}")
    for t, p in enumerate(problems):
        k = p.kernel
        if not np.isclose(k.beta, 1.0 / TEMPERATURES[t], rtol=1e-9) or \
                k.data_points.shape != tau[t].shape or \
                not np.allclose(k.data_points, tau[t], rtol=1e-9, atol=0):
            raise ParameterError(
                f"{p.name}: problem {t} must be at T = {TEMPERATURES[t]:g} (β = "
                f"{1 / TEMPERATURES[t]:g}) on the 200 points τ_k = (k + 1/2)/(200 T) the "
                "network was trained on")
    return np.stack([p.data for p in problems])[None]


@register
class ConductivityNetSolver(LearnedSolver):
    """Attention network (seed 003) + optional Drude least-squares refinement.

    Parameters
    ----------
    **options
        Overrides of the solver's ``defaults``, by the names listed under Options;
        an unknown name raises :class:`~specinv.core.errors.ParameterError`.

    Options
    -------
    weights : str, list of str or None
        Weights file(s) (``.pt`` with their metadata ``.json``); default: the shipped
        ``attention_element_mixed.pt``. Several files: an ensemble (mean and spread).
    refine : bool
        Refine the network's Drude label by least squares against the data, weighted
        by their relative error (median σ/|Λ| over all problems).
    """

    name = "conductivity-net"
    kernels = ("ConductivityTauKernel",)
    positive = True
    batched = True
    defaults: ClassVar[dict[str, Any]] = {"weights": None, "refine": True}

    def shipped_weights(self) -> list[Path]:
        """The weights shipped with the package.

        Returns
        -------
        list of Path
            The attention model ``attention_element_mixed.pt``.
        """
        return [shipped("conductivity", WEIGHTS)]

    def load_model(self, path: Path) -> Any:
        """One conductivity network from a weights file.

        Parameters
        ----------
        path : Path
            Weights file with its metadata JSON (see
            :func:`~specinv.ac.conductivity.pretrained.load_pretrained`).

        Returns
        -------
        torch.nn.Module
            The network in eval mode.
        """
        return load_pretrained(path)

    def _predict_many(self, problems: list[Problem], models: list) -> list[SolverOutput]:
        x = _stack(problems)
        rel = float(np.median(np.concatenate([p.noise() / np.abs(p.data) for p in problems])))
        refine = bool(self.options["refine"])
        runs = [predict(x, refine=refine, rel_noise=rel, model=m) for m in models]
        outs = []
        for t, p in enumerate(problems):
            s = np.stack([label_sigma_on(p.kernel.mesh.points, labels[0])[t]
                          for labels, _ in runs])
            outs.append(SolverOutput(
                s.mean(axis=0),
                hyperparameters={"temperature": float(TEMPERATURES[t]), "refined": refine,
                                 "rel_noise": rel,
                                 "labels_alpha_gamma0_gamma1": [lab[0].tolist()
                                                                for lab, _ in runs]},
                extras={"refinement": [info[0] for _, info in runs],
                        # the members' spread is not a measured band (see solvers.bands)
                        "ensemble_spread": s.std(axis=0, ddof=1) if len(runs) > 1 else 0.0 * s[0]}))
        return outs

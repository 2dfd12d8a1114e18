"""Learned optics solvers ``rrim``, ``fcn`` and ``cnn`` (seed 001).

An :class:`OpticsLearnedSolver` (a :class:`~specinv.solvers.learned.LearnedSolver`)
is fitted on a :class:`~specinv.optics.dataset.GlueDataset`
(``fit`` returns ``self``; the trained models end in ``models_``) and then
solves any :class:`~specinv.Problem` whose kernel is a
:class:`~specinv.kernels.shulga.ShulgaKernel`. Unfitted, it loads the default
weights shipped in ``specinv/data/optics`` (trained by
``python -m specinv.optics.train_default``). Several models (an ensemble) answer
with their mean; their spread is kept in ``extras["ensemble_spread"]`` but reported
as no band (``spectrum_std`` None, :data:`NO_BAND` says why).

Data on another ω grid are resampled onto the model's grid
(:func:`~specinv.optics.inputs.resample_data`: the part of the model's window the
data do not cover is continued linearly; the verified answer is then refined on
the data's own grid). Data covering less than half the model's window, or a
temperature outside the range the model was trained on, are refused with a
:class:`ParameterError`. Models trained with ``ModelConfig.scale_input`` see each
spectrum divided by max 1/τ / ``Y_SCALE`` and answer with their glue multiplied
back: exactly scale-equivariant.

Noise-conditioned rRIMs (``ModelConfig.noise_input``) get the relative noise
level σ = median(error bar) / max |1/τ| of the problem: its error bars when given
(``--sigma`` or an error column), otherwise estimated from the data by
:func:`~specinv.optics.inputs.estimate_relative_noise`.

Inference is built for one spectrum at a time: weight files are loaded once per
process (cached by path, size and modification time), the Landweber
preconditioner is cached per temperature, and the members of an rRIM ensemble
run fused in one :class:`~specinv.optics.fast.StackedRRIM` pass on one torch
thread.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.problem import Problem
from specinv.kernels.shulga import ShulgaKernel
from specinv.learning.weights import shipped_files
from specinv.optics.inputs import check_temperature, relative_noise, resample_data
from specinv.optics.setup import MAXENT_OPTIONS
from specinv.solvers.base import SolverOutput, register
from specinv.solvers.learned import LearnedSolver


def default_weight_files(kind: str) -> list[Path]:
    """Shipped weight files of model ``kind`` in ``specinv/data/optics`` (sorted; may be empty).

    Parameters
    ----------
    kind : {"rrim", "fcn", "cnn"}
        Network kind; the files are named ``KIND_default*.pt``.

    Returns
    -------
    list of Path
        The shipped weights files of that kind (empty when none is installed).
    """
    return shipped_files("optics", f"{kind}_default", ".pt")


#: values of the learned optics solvers' ``select`` option
SELECTIONS = ("none", "cv")


class OpticsLearnedSolver(LearnedSolver):
    """Base of the learned optics solvers.

    Parameters
    ----------
    **options
        Overrides of the solver's ``defaults``, by the names listed under Options;
        an unknown name raises :class:`~specinv.core.errors.ParameterError`.

    Options
    -------
    weights : str, list of str or None
        Weight file(s) (``.pt`` with sibling ``.json``); default: shipped weights.
    n_steps : int or None
        rRIM iterations at inference (default: the trained N_t).
    verify : bool
        Refine the network's glue through the exact Shulga kernel and fall back to
        MaxEnt when the refinement cannot reach the noise level (default True).
    select : {"none", "cv"}
        When the refined network answer fits: keep it (``"none"``, default) or let
        5-fold cross-validation on held-out frequencies choose between it and MaxEnt
        (``"cv"``: :mod:`specinv.optics.crossval`; ~10 more MaxEnt solves, and on the
        project's test glues it changes almost nothing: see ``docs/guide/optics.rst``).
    """

    kind: ClassVar[str] = ""
    kernels = ("ShulgaKernel",)
    positive = False
    defaults: ClassVar[dict[str, Any]] = {"weights": None, "n_steps": None, "verify": True,
                                          "select": "none"}
    fallback = "maxent"
    fallback_options: ClassVar[dict[str, Any]] = MAXENT_OPTIONS

    def fit(self, dataset: Any, config: Any = None, *, n_models: int = 1,
            progress: bool = False) -> OpticsLearnedSolver:
        """Train ``n_models`` models (seeds ``config.seed + i``) on ``dataset``; returns self.

        Parameters
        ----------
        dataset : GlueDataset
            Training data (train and val splits; grids in meV, temperatures in K).
        config : ModelConfig, optional
            Architecture and training options (``kind`` is this solver's).
        n_models : int
            Ensemble size.
        progress : bool
            Show progress bars.

        Returns
        -------
        OpticsLearnedSolver
            This solver, answering with the trained models.
        """
        from specinv.optics.config import ModelConfig
        from specinv.optics.train import train_model

        cfg = replace(config or ModelConfig(), kind=self.kind)
        if n_models < 1:
            raise ParameterError(f"n_models must be >= 1, got {n_models}")
        self.set_models([train_model(dataset, replace(cfg, seed=cfg.seed + i), progress=progress)
                         for i in range(n_models)])
        return self

    def shipped_weights(self) -> list[Path]:
        """The weights shipped for this solver's kind (:func:`default_weight_files`).

        Returns
        -------
        list of Path
            Shipped ``KIND_default*.pt`` files (may be empty).
        """
        return default_weight_files(self.kind)

    def load_model(self, path: Path) -> Any:
        """One trained optics model, loaded once per file version (cached).

        Parameters
        ----------
        path : Path
            Weights file (``.pt``) with its ``.json`` metadata.

        Returns
        -------
        TrainedModel
            The model (:class:`~specinv.optics.trained.TrainedModel`).
        """
        return _load_cached(path)

    def _verified(self, problem: Problem, out: SolverOutput) -> SolverOutput:
        """Verified answer; with ``select="cv"`` cross-validated against MaxEnt's."""
        select = self.options["select"]
        if select not in SELECTIONS:
            raise ParameterError(f"unknown select {select!r}; valid: {', '.join(SELECTIONS)}")
        checked = super()._verified(problem, out)
        if select == "none" or checked.hyperparameters.get("method_used") != "network+maxent":
            return checked
        from specinv.optics.crossval import cross_validated_choice
        from specinv.solvers import get_solver

        models = self.load_models()
        return cross_validated_choice(
            problem, checked,
            lambda p: super(OpticsLearnedSolver, self)._verified(p, self._predict(p, models))
            .spectrum,
            lambda p: get_solver(self.fallback, **self.fallback_options).solve(p),
            self.fallback)

    def _predict(self, problem: Problem, models: list) -> SolverOutput:
        kernel = problem.kernel
        if not isinstance(kernel, ShulgaKernel):
            raise ParameterError(f"learned solver {self.kind!r} needs a ShulgaKernel problem, "
                                 f"got {type(kernel).__name__}")
        n_steps = self.options["n_steps"]
        noise = relative_noise(problem) if any(m.noise_input for m in models) else None
        fixed_h = [m.config.h for m in models if m.kind == "rrim" and not m.noise_input]
        if fixed_h:
            _warn_noisier_than_training(relative_noise(problem) if noise is None else noise,
                                        max(fixed_h), problem.has_errors)
        groups: dict[tuple, list] = {}
        for m in models:  # models on the same grids share the interpolation
            groups.setdefault(_setup_key(m), []).append(m)
        preds, window = [], {}
        for same in groups.values():
            m0 = same[0]
            check_temperature(kernel.temperature, m0.temperature_range, self.kind)
            y, window = resample_data(kernel.data_points, problem.data, m0.setup.omega(),
                                      problem.name)
            glue = _predict_many(same, y, kernel.temperature, n_steps, noise)
            preds.extend(np.interp(kernel.mesh.points, m0.setup.mesh().points, g,
                                   left=0.0, right=0.0) for g in glue)
        p = np.asarray(preds)
        extras = {"ensemble_spread": p.std(axis=0, ddof=1)} if len(preds) > 1 else {}
        m0 = models[0]
        return SolverOutput(p.mean(axis=0), extras=extras, hyperparameters={
            "band": NO_BAND,
            "n_models": len(models), "model_setup": m0.setup.to_dict(),
            "trained_temperature_range_K": list(m0.temperature_range),
            "n_steps": n_steps or m0.config.n_steps, "h": m0.config.h, "model_input": window,
            "scale_equivariant": all(m.config.scale_input for m in models),
            **({} if noise is None else {"relative_noise": noise})})


#: why the learned optics solvers report no error band (``spectrum_std`` stays None)
NO_BAND = ("none: the spread of the network ensemble is not a calibrated uncertainty. "
           "bench calibration, optics: the nominal 68/95 % bands of the raw rRIM ensemble "
           "cover 47/63 % of the truth, and one rescaling factor fitted on half the cases "
           "reaches 65-66 % but only 80-82 % (95 % band) on the other half: its errors "
           "have far heavier tails than the spread (95 % / 68 % quantile ratio 6, not 1.96). "
           "The spread is kept in extras['ensemble_spread']")


#: a fixed-noise rRIM warns when the data's relative noise exceeds this many times its
#: Landweber h (models of exact data: :data:`NOISE_WARN_FLOOR`)
NOISE_WARN_FACTOR = 3.0
#: smallest relative noise that is warned about: 10× the floor of the noise estimate
NOISE_WARN_FLOOR = 1e-5


def _warn_noisier_than_training(noise: float, h: float, given: bool) -> None:
    """Warn when data of relative noise ``noise`` meet an rRIM regularized for less.

    A fixed-noise rRIM's preconditioner ``(AᵀA + hI)⁻¹Aᵀ`` amplifies input noise by up
    to 1/(2√h), and h is its training noise (:func:`specinv.optics.config.auto_h`): noise
    well above h was never seen in training and the glue degrades (a noise-free model,
    h = 1e-8, scores 60× worse on spectra with 1e-5 noise).
    """
    if noise > max(NOISE_WARN_FACTOR * h, NOISE_WARN_FLOOR):
        how = "from the error bars" if given else "estimated from the data"
        warnings.warn(
            f"relative noise of the data {noise:.1e} (σ / max 1/τ, {how}) is above the "
            f"Landweber h = {h:.0e} of the rRIM, which was trained on less noisy data and "
            "amplifies it; use a model trained at this noise level (specinv optics train "
            "--noise) or a noise-conditioned one (--noise-levels)", stacklevel=2)


#: loaded weight files, keyed by (resolved path, size, mtime) so a retrained file reloads
_MODEL_CACHE: dict[tuple[str, int, int], Any] = {}
#: fused ensembles, keyed by the ids of their members
_STACK_CACHE: dict[tuple[int, ...], Any] = {}


def _load_cached(path: Path) -> Any:
    from specinv.optics.trained import TrainedModel

    try:
        st = path.stat()
    except OSError:
        return TrainedModel.load(path)  # raises the InputError naming the file
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _MODEL_CACHE:
        _MODEL_CACHE[key] = TrainedModel.load(path)
    return _MODEL_CACHE[key]


def _setup_key(m: Any) -> tuple:
    c = m.config
    return (tuple(sorted(m.setup.to_dict().items())), c.kind, c.h, c.hidden, c.n_steps,
            c.temperature_input, c.noise_input, c.scale_input, tuple(m.temperature_range))


def _predict_many(models: list, y: np.ndarray, temperature: float,
                  n_steps: int | None, noise: float | None) -> list[np.ndarray]:
    """Glue of each model for one spectrum ``y`` on their common grid; rRIMs fused.

    ``noise``: relative noise σ, used by noise-conditioned rRIMs only.
    """
    if models[0].kind != "rrim" or len(models) == 1:
        return [m.predict(y[None], temperature, n_steps=n_steps, noise=noise)[0]
                for m in models]
    import torch

    from specinv.core.threads import compute_threads
    from specinv.optics.config import input_scales
    from specinv.optics.fast import StackedRRIM
    from specinv.optics.setup import Y_SCALE

    key = tuple(id(m) for m in models)
    if key not in _STACK_CACHE:
        _STACK_CACHE[key] = (StackedRRIM([m.model for m in models]), models)
    stacked = _STACK_CACHE[key][0]
    hs = models[0].sample_h(noise, 1)
    a, p = models[0].bank.batch(np.array([float(temperature)]), hs)
    ht = None if hs is None else torch.as_tensor(hs, dtype=torch.float32)
    c = float(input_scales(y)[0, 0]) if models[0].config.scale_input else 1.0
    yt = torch.as_tensor(y[None] / c / Y_SCALE, dtype=torch.float32)
    with compute_threads(1):
        out = stacked(yt, a, p, torch.tensor([float(temperature)]), n_steps=n_steps, h=ht)
    return list(out[0].numpy().astype(float) * c)


@register
class RRIMSolver(OpticsLearnedSolver):
    """Regularized recurrent inference machine (Landweber-preconditioned gradient).

    Options as for :class:`OpticsLearnedSolver`.

    Parameters
    ----------
    **options
        Overrides of the solver's ``defaults``, by the names listed under Options;
        an unknown name raises :class:`~specinv.core.errors.ParameterError`.
    """

    name = "rrim"
    kind = "rrim"


@register
class FCNSolver(OpticsLearnedSolver):
    """Fully connected regressor.

    Options as for :class:`OpticsLearnedSolver`.

    Parameters
    ----------
    **options
        Overrides of the solver's ``defaults``, by the names listed under Options;
        an unknown name raises :class:`~specinv.core.errors.ParameterError`.
    """

    name = "fcn"
    kind = "fcn"


@register
class CNNSolver(OpticsLearnedSolver):
    """Convolutional regressor.

    Options as for :class:`OpticsLearnedSolver`.

    Parameters
    ----------
    **options
        Overrides of the solver's ``defaults``, by the names listed under Options;
        an unknown name raises :class:`~specinv.core.errors.ParameterError`.
    """

    name = "cnn"
    kind = "cnn"

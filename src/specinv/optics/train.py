"""Training and inference of the optics models (FCN, CNN, rRIM).

Uses the shared loop :func:`specinv.learning.training.fit` (Adam, validation,
early stopping, checkpoints, progress bar). FCN and CNN minimise the MSE of the
glue; the rRIM the accumulated loss ``Σ_t w_t ‖x_t − x‖²/n`` (w_t = 1 as in seed 001,
or growing linearly with t: ``ModelConfig.step_weights``) with
backpropagation through all N_t steps.

A noise-conditioned rRIM (``ModelConfig.noise_input``) is trained on mixed noise
levels (:func:`specinv.optics.dataset.build_dataset` with ``noise_levels``): each
sample's Landweber h is ``max(σ, h_min)`` (:func:`noise_h`) for its relative noise σ,
and ``log10 h`` enters the update network as an input channel, so one model serves
noise-free and noisy spectra; ``predict`` then needs σ of every spectrum.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from specinv.core.errors import InputError, ParameterError
from specinv.core.threads import compute_threads
from specinv.learning.training import TrainConfig, fit, seed_everything
from specinv.learning.weights import display, load_state, load_torch, save_torch
from specinv.optics.dataset import GlueDataset
from specinv.optics.fast import SINGLE_THREAD_ROWS, KernelBank, StackedRRIM
from specinv.optics.models import CNN, FCN, RRIM
from specinv.optics.setup import Y_SCALE, OpticsSetup

KINDS = ("rrim", "fcn", "cnn")
#: kind recorded in (and required of) the metadata of optics weights
WEIGHTS_KIND = "optics-model"


@dataclass
class ModelConfig:
    """Architecture and training options (all recorded with the weights).

    Parameters
    ----------
    kind : {"rrim", "fcn", "cnn"}
        Network.
    n_steps : int
        rRIM iterations N_t.
    h : float or None
        Landweber regularization of the rRIM (see the field comment below).
    hidden : int or None
        rRIM memory channels (see the field comment below).
    temperature_input : bool
        Give the rRIM the temperature as an input channel (models for a T range).
    noise_input : bool
        Noise-conditioned rRIM: h = max(σ, h_min) per sample, log10 h as an input channel.
    batch_size : int
        Samples per step.
    lr : float
        Adam learning rate.
    epochs : int
        Most epochs.
    min_steps_per_epoch : int
        Least optimizer steps per epoch (small training sets).
    patience : int
        Early-stopping patience in epochs.
    time_limit_s : float or None
        Wall-time limit of the training (s).
    seed : int
        Seed of initialization and batch order.
    step_weights : {"uniform", "linear"}
        rRIM loss weights w_t (see :func:`step_weights`).
    """

    kind: str = "rrim"
    n_steps: int = 15
    #: Landweber regularization h of the rRIM; None: :func:`auto_h` of the training noise.
    #: Noise-conditioned models: the smallest h, h_min of :func:`noise_h` (None: H_MIN)
    h: float | None = None
    #: rRIM memory channels; None: :func:`default_hidden` (8, or 16 if noise-conditioned)
    hidden: int | None = None
    temperature_input: bool = False
    #: noise-conditioned rRIM: h = max(σ, h_min) per sample, log10 h as an input channel
    noise_input: bool = False
    batch_size: int = 32
    lr: float = 1e-3
    epochs: int = 60
    min_steps_per_epoch: int = 25
    patience: int = 10
    time_limit_s: float | None = None
    seed: int = 0
    #: rRIM loss weights w_t: "uniform" (w_t = 1, seed 001) or "linear" (w_t ∝ t, Σ w_t = N_t)
    step_weights: str = "uniform"


#: smallest h of every rRIM: h_min of noise-conditioned rRIMs and the floor of
#: :func:`auto_h`. Chosen on validation data only. Noise-conditioned (N = 1e4, σ ∈ {0,
#: 1e-5, 1e-4, 1e-3, 1e-2} mixed, 1500 steps, seed 0): geometric mean over the levels of
#: the validation MSE for h_min = 1e-4 … 1e-8 was 7.2, 6.1, 5.8, 5.6, 5.2 × 1e-4. Fixed
#: noise: see :func:`auto_h`. The grid stops at 1e-8, below the float32 resolution
#: (1.2e-7) of the network's inputs
H_MIN = 1e-8


def auto_h(noise: float) -> float:
    """Landweber regularization h for training data of relative noise σ: ``max(σ, H_MIN)``.

    Seed 001 fixes h = 0.01 in its own discretization of the kernel, which it does
    not give, and tunes hyperparameters on validation data; in ours (scaled units,
    :mod:`specinv.optics.setup`) h was chosen on validation data:

    - noisy training data, N = 1000, 400 steps, σ = 1e-3 … 0.1: best at h ≈ σ;
    - σ = 1e-5, N = 1000, 1500 steps, 2 seeds: test MSE 1.3e-4 at h = 1e-5 against
      2.4e-4 at h = 1e-4;
    - noise-free data, N = 1e4, 1500 steps, 3 seeds: validation MSE 3.2, 2.5, 2.0,
      1.5, 1.2, 0.74, 0.49 × 1e-4 for h = 1e-4, 3e-5, 1e-5, 3e-6, 1e-6, 1e-7, 1e-8,
      so the floor is :data:`H_MIN`, as for noise-conditioned rRIMs.

    A model trained on noise-free data is therefore exact-data-only: the
    preconditioner amplifies input noise by up to 1/(2√h) = 5000, and the same
    noise-free h = 1e-8 models score 3.1e-3 on the validation spectra with 1e-5
    relative noise added and 0.33 with 1e-4. Noisy spectra need a model trained at
    their noise level, or a noise-conditioned one (``ModelConfig.noise_input``);
    :class:`specinv.optics.solvers.OpticsLearnedSolver` warns when the data are noisier than
    a model's training set.

    Parameters
    ----------
    noise : float
        Relative noise σ of the training set (≥ 0).

    Returns
    -------
    float
        h in the scaled units of :mod:`specinv.optics.setup`.
    """
    return max(float(noise), H_MIN)


def default_hidden(noise_input: bool) -> int:
    """Memory channels of an rRIM whose ``ModelConfig.hidden`` is None.

    8 for a fixed-noise rRIM (16 before): inference 0.28 instead of 0.42 ms per
    spectrum (batched, one thread) and no worse out of distribution. Square-wave glue
    outside the bench's OOD set, 1e-4 noise, N = 1e4 σ = 0 trainings (h = 1e-4, the
    floor of :func:`auto_h` then): MSE 0.0093 (3 seeds) against 0.0101 (16) and 0.0103
    (4); in distribution 3.1e-4 against 2.4e-4 (CNN 2.4e-3). 16 for a noise-conditioned
    rRIM, which covers five noise levels with one network: with 8 its test MSE at
    N = 1e4 is 14–33 % higher at every level and its noise-free OOD squares (σ
    estimated) 0.0069 against 0.0063 (``bench optics``, 3 trainings each).

    Parameters
    ----------
    noise_input : bool
        Whether the rRIM is noise-conditioned.

    Returns
    -------
    int
        Memory channels (8 or 16).
    """
    return 16 if noise_input else 8


def noise_h(noise: float | np.ndarray, h_min: float) -> np.ndarray:
    """Landweber h of a noise-conditioned rRIM per sample: ``max(σ, h_min)``.

    Parameters
    ----------
    noise : float or ndarray of shape (B,)
        Relative noise σ of each spectrum (standard deviation / max |1/τ|, ≥ 0).
    h_min : float
        Smallest h (> 0), used for noise-free and nearly noise-free spectra.

    Returns
    -------
    ndarray of shape (B,) or ()
        h per spectrum (scaled units).
    """
    nz = np.asarray(noise, dtype=float)
    if not np.all(nz >= 0):
        raise ParameterError(f"relative noise levels must be >= 0, got {noise}")
    return np.maximum(nz, h_min)


def build_model(cfg: ModelConfig, setup: OpticsSetup) -> torch.nn.Module:
    """Untrained network of ``cfg``.

    Parameters
    ----------
    cfg : ModelConfig
        A resolved config (``hidden`` set, as after :func:`train_model` or in a
        saved model's JSON).
    setup : OpticsSetup
        Grids (sizes of the input and output layers).

    Returns
    -------
    torch.nn.Module
        FCN, CNN or RRIM.
    """
    if cfg.kind == "fcn":
        return FCN(setup.n_omega, setup.n_glue)
    if cfg.kind == "cnn":
        return CNN(setup.n_omega, setup.n_glue)
    if cfg.kind == "rrim":
        return RRIM(setup.n_glue, cfg.hidden, cfg.n_steps, cfg.temperature_input,
                    cfg.noise_input)
    raise ParameterError(f"unknown model kind {cfg.kind!r}; valid: {', '.join(KINDS)}")


@dataclass
class TrainedModel:
    """A trained optics model with everything needed to use and reproduce it.

    Parameters
    ----------
    config : ModelConfig
        Resolved architecture and training options (``h`` set).
    setup : OpticsSetup
        Grids (meV) and default temperature (K).
    model : torch.nn.Module
        The trained network.
    temperature_range : (float, float)
        Temperatures of the training data (K).
    history : dict
        Training history.
    data_params : dict
        Parameters of the training data set.
    """

    config: ModelConfig
    setup: OpticsSetup
    model: torch.nn.Module
    temperature_range: tuple[float, float]
    history: dict[str, Any] = field(default_factory=dict)
    data_params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.config.h is None:
            raise ParameterError("a TrainedModel needs its Landweber h (ModelConfig.h); "
                                 "train_model fills it in from the training noise")
        self._bank = KernelBank(self.setup, self.config.h)
        self._stacked: StackedRRIM | None = None
        self.model.eval()

    @property
    def kind(self) -> str:
        """Network kind (``rrim``, ``fcn`` or ``cnn``)."""
        return self.config.kind

    @property
    def noise_input(self) -> bool:
        """Whether this is a noise-conditioned rRIM (``predict`` needs ``noise``)."""
        return self.kind == "rrim" and self.config.noise_input

    def sample_h(self, noise: float | np.ndarray | None, n: int) -> np.ndarray | None:
        """Per-sample Landweber h of a noise-conditioned rRIM; None for other models.

        Parameters
        ----------
        noise : float or ndarray of shape (n,) or None
            Relative noise σ of each spectrum (standard deviation / max |1/τ|).
        n : int
            Number of spectra.

        Returns
        -------
        ndarray of shape (n,) or None
            ``max(σ, h_min)`` per spectrum.
        """
        if not self.noise_input:
            return None
        if noise is None:
            raise ParameterError("this noise-conditioned rRIM needs the relative noise level "
                                 "of the data (σ / max |1/τ|)")
        return np.array(np.broadcast_to(noise_h(noise, self.config.h), (n,)))

    def predict(self, y: np.ndarray, temperature: float | np.ndarray,
                n_steps: int | None = None, all_steps: bool = False,
                noise: float | np.ndarray | None = None) -> np.ndarray:
        """Glue functions from scattering rates on the setup's grid.

        The rRIM runs through :class:`~specinv.optics.fast.StackedRRIM`; small
        batches use one torch thread.

        Parameters
        ----------
        y : ndarray of shape (B, n_omega)
            1/τ (meV) on ``setup.omega()``.
        temperature : float or ndarray of shape (B,)
            Temperature of each spectrum (K).
        n_steps : int, optional
            rRIM iterations (default: the trained N_t).
        all_steps : bool
            rRIM: return every iterate.
        noise : float or ndarray of shape (B,), optional
            Relative noise σ of each spectrum (standard deviation / max |1/τ|),
            required by noise-conditioned rRIMs, ignored otherwise.

        Returns
        -------
        ndarray of shape (B, n_glue), or (N_t, B, n_glue) with ``all_steps``
            Glue I²χ(Ω) (dimensionless).
        """
        y = np.atleast_2d(np.asarray(y, dtype=float))
        temps = np.array(np.broadcast_to(np.asarray(temperature, dtype=float), (y.shape[0],)))
        hs = self.sample_h(noise, y.shape[0])
        yt = torch.as_tensor(y / Y_SCALE, dtype=torch.float32)
        with torch.no_grad(), compute_threads(1 if y.shape[0] <= SINGLE_THREAD_ROWS else None):
            if self.kind != "rrim":
                out = self.model(yt).numpy().astype(float)
                return out[None] if all_steps else out
            a, p = self.bank.batch(temps, hs)
            tt = torch.as_tensor(temps, dtype=torch.float32)
            ht = None if hs is None else torch.as_tensor(hs, dtype=torch.float32)
            xs = self.stacked()(yt, a, p, tt, n_steps=n_steps, all_steps=all_steps, h=ht)
        return xs[..., 0, :].numpy().astype(float)

    @property
    def bank(self) -> KernelBank:
        """Scaled kernels and Landweber preconditioners per temperature (cached)."""
        return self._bank

    def stacked(self) -> StackedRRIM:
        """This rRIM as a (cached) :class:`StackedRRIM` of one model.

        Returns
        -------
        StackedRRIM
            The fused one-member ensemble.
        """
        if self._stacked is None:
            self._stacked = StackedRRIM([self.model])
        return self._stacked

    def save(self, path: str | Path, recipe: str = "specinv.optics.train.train_model") -> Path:
        """Write ``path`` (.pt weights) and ``path.json`` (config, setup, history, checksum).

        Parameters
        ----------
        path : str or Path
            Weights file.
        recipe : str
            The script or command that trained the model (recorded in the metadata).

        Returns
        -------
        Path
        """
        meta = {"config": asdict(self.config), "setup": self.setup.to_dict(),
                "temperature_range_K": list(self.temperature_range),
                "data": self.data_params, "history": self.history,
                "torch_version": torch.__version__}
        return save_torch(path, self.model.state_dict(), meta, kind=WEIGHTS_KIND, recipe=recipe)

    @classmethod
    def load(cls, path: str | Path) -> TrainedModel:
        """Read a model written by :meth:`save` (see :mod:`specinv.learning.weights`).

        Raises
        ------
        InputError
            Any file that is not an optics model's weights with their metadata.
        """
        state, meta = load_torch(path, WEIGHTS_KIND)
        try:
            cfg = ModelConfig(**meta["config"])
            setup = OpticsSetup(**meta["setup"])
            t_range = (float(meta["temperature_range_K"][0]), float(meta["temperature_range_K"][1]))
            model = build_model(cfg, setup)
        except (KeyError, TypeError, ValueError, IndexError, ParameterError):
            raise InputError("metadata lacks a valid optics model config, setup or temperature "
                             "range", display(path)) from None
        load_state(model, state, path)
        return cls(cfg, setup, model, t_range, meta.get("history", {}), meta.get("data", {}))


def _rrim_forward(model: torch.nn.Module, bank: KernelBank, y: torch.Tensor,
                  temps: np.ndarray, h: np.ndarray | None) -> list[torch.Tensor]:
    a, p = bank.batch(temps, h)
    ht = None if h is None else torch.as_tensor(h, dtype=torch.float32)
    return model(y, a, p, torch.as_tensor(temps, dtype=torch.float32), h=ht)


def _loss(model: torch.nn.Module, kind: str, bank: KernelBank, y: torch.Tensor,
          x: torch.Tensor, temps: np.ndarray, weighting: str = "uniform",
          h: np.ndarray | None = None) -> torch.Tensor:
    if kind != "rrim":
        return torch.mean((model(y) - x) ** 2)
    xs = _rrim_forward(model, bank, y, temps, h)
    w = step_weights(len(xs), weighting)
    return sum(wt * torch.mean((xt - x) ** 2) for wt, xt in zip(w, xs, strict=True))


def step_weights(n: int, weighting: str) -> list[float]:
    """Loss weights ``w_1 … w_n`` of the rRIM iterates (both choices sum to n).

    Parameters
    ----------
    n : int
        Number of iterates.
    weighting : {"uniform", "linear"}
        ``w_t = 1`` (seed 001) or ``w_t ∝ t``.

    Returns
    -------
    list of float
        The n weights.
    """
    if weighting == "uniform":
        return [1.0] * n
    if weighting == "linear":
        return [2.0 * (t + 1) / (n + 1) for t in range(n)]
    raise ParameterError(f"unknown step_weights {weighting!r}; valid: uniform, linear")


def train_model(dataset: GlueDataset, cfg: ModelConfig, *, checkpoint: str | None = None,
                progress: bool = False) -> TrainedModel:
    """Train one model on ``dataset``'s train split, early-stopped on its validation MSE.

    Parameters
    ----------
    dataset : GlueDataset
        Training data (its train and val splits are used).
    cfg : ModelConfig
        ``cfg.seed`` fixes initialization and batch order (independent trainings
        differ by seed).
    checkpoint : str, optional
        Checkpoint file (training resumes from it).
    progress : bool
        Show a progress bar.

    Returns
    -------
    TrainedModel
        The early-stopped model (best validation weights).
    """
    if cfg.kind not in KINDS:
        raise ParameterError(f"unknown model kind {cfg.kind!r}; valid: {', '.join(KINDS)}")
    step_weights(cfg.n_steps, cfg.step_weights)  # validates the choice
    if cfg.noise_input and cfg.kind != "rrim":
        raise ParameterError("noise_input is an option of the rRIM only")
    if cfg.h is None:
        cfg = replace(cfg, h=H_MIN if cfg.noise_input else
                      auto_h(dataset.params.get("noise", 0.0)))
    if not cfg.h > 0:
        raise ParameterError(f"Landweber regularization h must be > 0, got {cfg.h}")
    if cfg.hidden is None:
        cfg = replace(cfg, hidden=default_hidden(cfg.noise_input))
    if not cfg.hidden >= 1:
        raise ParameterError(f"rRIM memory channels must be >= 1, got {cfg.hidden}")
    seed_everything(cfg.seed)
    setup = dataset.setup
    model = build_model(cfg, setup)
    bank = KernelBank(setup, cfg.h)
    xtr, ytr, ttr = dataset.part("train")
    xva, yva, tva = dataset.part("val")
    htr = noise_h(dataset.noise_of("train"), cfg.h) if cfg.noise_input else None
    hva = noise_h(dataset.noise_of("val"), cfg.h) if cfg.noise_input else None
    xtr_t = torch.as_tensor(xtr, dtype=torch.float32)
    ytr_t = torch.as_tensor(ytr / Y_SCALE, dtype=torch.float32)
    xva_t = torch.as_tensor(xva, dtype=torch.float32)
    yva_t = torch.as_tensor(yva / Y_SCALE, dtype=torch.float32)
    gen = np.random.default_rng([cfg.seed, 7])
    n_train = xtr.shape[0]
    bs = min(cfg.batch_size, n_train)
    steps = max(int(np.ceil(n_train / bs)), cfg.min_steps_per_epoch)
    order: list[int] = []

    def step_loss(_step: int) -> torch.Tensor:
        nonlocal order
        if len(order) < bs:
            order = order + list(gen.permutation(n_train))
        idx, order = np.array(order[:bs]), order[bs:]
        return _loss(model, cfg.kind, bank, ytr_t[idx], xtr_t[idx], ttr[idx], cfg.step_weights,
                     None if htr is None else htr[idx])

    def validate() -> dict:
        mse = []
        for s in range(0, xva.shape[0], 256):
            sl = slice(s, s + 256)
            if cfg.kind == "rrim":
                pred = _rrim_forward(model, bank, yva_t[sl], tva[sl],
                                     None if hva is None else hva[sl])[-1]
            else:
                pred = model(yva_t[sl])
            mse.append(float(torch.sum((pred - xva_t[sl]) ** 2)))
        return {"val_mse": sum(mse) / xva.size}

    tc = TrainConfig(epochs=cfg.epochs, steps_per_epoch=steps, lr=cfg.lr, patience=cfg.patience,
                     monitor="val_mse", checkpoint=checkpoint, progress=progress,
                     time_limit_s=cfg.time_limit_s)
    t0 = time.perf_counter()
    history = fit(model, step_loss, config=tc, validate=validate)
    history["train_seconds"] = time.perf_counter() - t0
    temps = dataset.temperatures
    return TrainedModel(cfg, setup, model, (float(temps.min()), float(temps.max())), history,
                        dataset.params)

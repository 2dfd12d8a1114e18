"""Training and inference of the optics models (FCN, CNN, rRIM).

Uses the shared loop :func:`specinv.learning.training.fit` (Adam, validation,
early stopping, checkpoints, progress bar). FCN and CNN minimise the MSE of the
glue; the rRIM the accumulated loss ``Σ_t w_t ‖x_t − x‖²/n`` (w_t = 1 as in seed 001,
or growing linearly with t: ``ModelConfig.step_weights``) with
backpropagation through all N_t steps.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from specinv.errors import InputError, ParameterError
from specinv.io.atomic import atomic_path
from specinv.learning.training import TrainConfig, fit, seed_everything
from specinv.optics.dataset import GlueDataset
from specinv.optics.fast import SINGLE_THREAD_ROWS, StackedRRIM, single_thread
from specinv.optics.models import CNN, FCN, RRIM
from specinv.optics.setup import Y_SCALE, OpticsSetup, landweber_preconditioner

KINDS = ("rrim", "fcn", "cnn")


@dataclass
class ModelConfig:
    """Architecture and training options (all recorded with the weights)."""

    kind: str = "rrim"
    n_steps: int = 15
    #: Landweber regularization h of the rRIM; None: :func:`auto_h` of the training noise
    h: float | None = None
    hidden: int = 16
    temperature_input: bool = False
    batch_size: int = 32
    lr: float = 1e-3
    epochs: int = 60
    min_steps_per_epoch: int = 25
    patience: int = 10
    time_limit_s: float | None = None
    seed: int = 0
    #: rRIM loss weights w_t: "uniform" (w_t = 1, seed 001) or "linear" (w_t ∝ t, Σ w_t = N_t)
    step_weights: str = "uniform"


#: smallest automatic h: the preconditioner amplifies input noise by up to 1/(2√h) = 50
H_FLOOR = 1e-4


def auto_h(noise: float) -> float:
    """Landweber regularization h for training data of relative noise σ: ``max(σ, 1e-4)``.

    Seed 001 fixes h = 0.01 in its own discretization of the kernel, which it does
    not give; in ours (scaled units, :mod:`specinv.optics.setup`) h was chosen on
    held-out data at N = 1000 (rRIM, 400 steps, σ = 0 … 0.1): σ = 1e-2 and 1e-3 are best
    at h ≈ σ, and noise-free data at h = 1e-4. Smaller h fits noise-free data
    better still but amplifies the 1e-4 relative noise of real or OOD spectra by
    up to 1/(2√h), so 1e-4 is the floor.

    Parameters
    ----------
    noise : float
        Relative noise σ of the training set (≥ 0).

    Returns
    -------
    float
    """
    return max(float(noise), H_FLOOR)


def build_model(cfg: ModelConfig, setup: OpticsSetup) -> torch.nn.Module:
    if cfg.kind == "fcn":
        return FCN(setup.n_omega, setup.n_glue)
    if cfg.kind == "cnn":
        return CNN(setup.n_omega, setup.n_glue)
    if cfg.kind == "rrim":
        return RRIM(setup.n_glue, cfg.hidden, cfg.n_steps, cfg.temperature_input)
    raise ParameterError(f"unknown model kind {cfg.kind!r}; valid: {', '.join(KINDS)}")


class _KernelBank:
    """Scaled kernels A_T and preconditioners P_T per temperature (float32 torch)."""

    def __init__(self, setup: OpticsSetup, h: float) -> None:
        self.setup, self.h = setup, h
        self._cache: dict[float, tuple[torch.Tensor, torch.Tensor]] = {}

    def get(self, t: float) -> tuple[torch.Tensor, torch.Tensor]:
        t = float(t)
        if t not in self._cache:
            a = self.setup.kernel(t).matrix / Y_SCALE
            p = landweber_preconditioner(a, self.h)
            self._cache[t] = (torch.as_tensor(a, dtype=torch.float32),
                              torch.as_tensor(p, dtype=torch.float32))
        return self._cache[t]

    def batch(self, temps: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        uniq = np.unique(temps)
        if uniq.size == 1:
            return self.get(uniq[0])
        pairs = [self.get(t) for t in temps]
        return torch.stack([a for a, _ in pairs]), torch.stack([p for _, p in pairs])


@dataclass
class TrainedModel:
    """A trained optics model with everything needed to use and reproduce it."""

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
        self._bank = _KernelBank(self.setup, self.config.h)
        self._stacked: StackedRRIM | None = None
        self.model.eval()

    @property
    def kind(self) -> str:
        return self.config.kind

    def predict(self, y: np.ndarray, temperature: float | np.ndarray,
                n_steps: int | None = None, all_steps: bool = False) -> np.ndarray:
        """Glue (B, n_glue) from 1/τ in meV (B, n_omega) on the setup's grid.

        ``all_steps`` (rRIM): return every iterate, shape (N_t, B, n_glue).
        The rRIM runs through :class:`~specinv.optics.fast.StackedRRIM`; small
        batches use one torch thread.
        """
        y = np.atleast_2d(np.asarray(y, dtype=float))
        temps = np.array(np.broadcast_to(np.asarray(temperature, dtype=float), (y.shape[0],)))
        yt = torch.as_tensor(y / Y_SCALE, dtype=torch.float32)
        with torch.no_grad(), single_thread(y.shape[0] <= SINGLE_THREAD_ROWS):
            if self.kind != "rrim":
                out = self.model(yt).numpy().astype(float)
                return out[None] if all_steps else out
            a, p = self.bank.batch(temps)
            tt = torch.as_tensor(temps, dtype=torch.float32)
            xs = self.stacked()(yt, a, p, tt, n_steps=n_steps, all_steps=all_steps)
        return xs[..., 0, :].numpy().astype(float)

    @property
    def bank(self) -> _KernelBank:
        """Scaled kernels and Landweber preconditioners per temperature (cached)."""
        return self._bank

    def stacked(self) -> StackedRRIM:
        """This rRIM as a (cached) :class:`StackedRRIM` of one model."""
        if self._stacked is None:
            self._stacked = StackedRRIM([self.model])
        return self._stacked

    def save(self, path: str | Path) -> None:
        """Write ``path`` (.pt weights) and ``path.json`` (config, setup, history)."""
        path = Path(path)
        meta = {"config": asdict(self.config), "setup": self.setup.to_dict(),
                "temperature_range_K": list(self.temperature_range),
                "data": self.data_params, "history": self.history,
                "torch_version": torch.__version__}
        with atomic_path(path) as tmp:
            torch.save(self.model.state_dict(), tmp)
        with atomic_path(path.with_suffix(".json")) as tmp:
            tmp.write_text(json.dumps(meta, indent=1, default=str))

    @classmethod
    def load(cls, path: str | Path) -> TrainedModel:
        path = Path(path)
        meta_path = path.with_suffix(".json")
        if not path.is_file() or not meta_path.is_file():
            raise InputError("model weights or their .json description not found", str(path))
        meta = json.loads(meta_path.read_text())
        cfg = ModelConfig(**meta["config"])
        setup = OpticsSetup(**meta["setup"])
        model = build_model(cfg, setup)
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        return cls(cfg, setup, model, tuple(meta["temperature_range_K"]), meta.get("history", {}),
                   meta.get("data", {}))


def _loss(model: torch.nn.Module, kind: str, bank: _KernelBank, y: torch.Tensor,
          x: torch.Tensor, temps: np.ndarray, weighting: str = "uniform") -> torch.Tensor:
    if kind != "rrim":
        return torch.mean((model(y) - x) ** 2)
    a, p = bank.batch(temps)
    xs = model(y, a, p, torch.as_tensor(temps, dtype=torch.float32))
    w = step_weights(len(xs), weighting)
    return sum(wt * torch.mean((xt - x) ** 2) for wt, xt in zip(w, xs, strict=True))


def step_weights(n: int, weighting: str) -> list[float]:
    """Loss weights ``w_1 … w_n`` of the rRIM iterates (both choices sum to n)."""
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
    """
    if cfg.kind not in KINDS:
        raise ParameterError(f"unknown model kind {cfg.kind!r}; valid: {', '.join(KINDS)}")
    step_weights(cfg.n_steps, cfg.step_weights)  # validates the choice
    if cfg.h is None:
        cfg = replace(cfg, h=auto_h(dataset.params.get("noise", 0.0)))
    if not cfg.h > 0:
        raise ParameterError(f"Landweber regularization h must be > 0, got {cfg.h}")
    seed_everything(cfg.seed)
    setup = dataset.setup
    model = build_model(cfg, setup)
    bank = _KernelBank(setup, cfg.h)
    xtr, ytr, ttr = dataset.part("train")
    xva, yva, tva = dataset.part("val")
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
        return _loss(model, cfg.kind, bank, ytr_t[idx], xtr_t[idx], ttr[idx], cfg.step_weights)

    def validate() -> dict:
        mse = []
        for s in range(0, xva.shape[0], 256):
            sl = slice(s, s + 256)
            if cfg.kind == "rrim":
                a, p = bank.batch(tva[sl])
                pred = model(yva_t[sl], a, p, torch.as_tensor(tva[sl], dtype=torch.float32))[-1]
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

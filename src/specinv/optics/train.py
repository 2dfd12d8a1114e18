"""Training of the optics models (FCN, CNN, rRIM).

Uses the shared loop :func:`specinv.learning.training.fit` (Adam, validation,
early stopping, checkpoints, progress bar). FCN and CNN minimise the MSE of the
glue; the rRIM the accumulated loss ``Σ_t w_t ‖x_t − x‖²/n`` (w_t = 1 as in seed 001,
or growing linearly with t: ``ModelConfig.step_weights``) with
backpropagation through all N_t steps.

A noise-conditioned rRIM (``ModelConfig.noise_input``) is trained on mixed noise
levels (:func:`specinv.optics.dataset.build_dataset` with ``noise_levels``): each
sample's Landweber h is ``max(σ, h_min)`` (:func:`~specinv.optics.config.noise_h`) for
its relative noise σ, and ``log10 h`` enters the update network as an input channel, so
one model serves noise-free and noisy spectra; ``predict`` then needs σ of every spectrum.
The configuration is in :mod:`specinv.optics.config`, the trained model (inference,
weights file) in :mod:`specinv.optics.trained`.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import torch

from specinv.core.errors import ParameterError
from specinv.learning.training import TrainConfig, fit, seed_everything
from specinv.optics.config import (
    H_MIN,
    KINDS,
    ModelConfig,
    auto_h,
    build_model,
    default_hidden,
    input_scales,
    noise_h,
)
from specinv.optics.dataset import GlueDataset
from specinv.optics.fast import KernelBank
from specinv.optics.setup import Y_SCALE
from specinv.optics.trained import TrainedModel


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


def _resolved(cfg: ModelConfig, dataset: GlueDataset) -> ModelConfig:
    """``cfg`` checked, with ``h`` (from the training noise) and ``hidden`` filled in."""
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
    return cfg


def train_model(dataset: GlueDataset, cfg: ModelConfig, *, checkpoint: str | None = None,
                progress: bool = False, init: TrainedModel | None = None) -> TrainedModel:
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
    init : TrainedModel, optional
        Start from this model's weights (fine-tuning; its architecture must equal the
        one ``cfg`` builds on ``dataset``'s grids) instead of a random initialization.

    Returns
    -------
    TrainedModel
        The early-stopped model (best validation weights).
    """
    cfg = _resolved(cfg, dataset)
    seed_everything(cfg.seed)
    setup = dataset.setup
    model = build_model(cfg, setup)
    if init is not None:
        if init.setup != setup:
            raise ParameterError(f"fine-tuning needs the grids of the model it starts from "
                                 f"({init.setup}), got {setup}")
        model.load_state_dict(init.model.state_dict())
    bank = KernelBank(setup, cfg.h)
    xtr, ytr, ttr = dataset.part("train")
    xva, yva, tva = dataset.part("val")
    if cfg.scale_input:  # every (glue, 1/τ) pair divided by c = max |1/τ| / Y_SCALE
        ctr, cva = input_scales(ytr), input_scales(yva)
        xtr, ytr, xva, yva = xtr / ctr, ytr / ctr, xva / cva, yva / cva
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

"""Generic training loop for the learned models: Adam, validation, early stopping,
checkpoints (resume after interruption), progress bar, seeds.

A model plugs in through two callables: ``step_loss(step) -> loss`` builds one
batch (usually generated on the fly) and returns its differentiable loss, and
``validate() -> dict`` returns validation figures after each epoch, one of which
(``config.monitor``) drives early stopping and the choice of the best weights.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from specinv.core.errors import InputError
from specinv.io.atomic import atomic_path
from specinv.learning.weights import display


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python, NumPy and torch; return a NumPy generator for data generation.

    Parameters
    ----------
    seed : int
        Seed of every generator (NumPy's legacy global one gets ``seed mod 2³²``).

    Returns
    -------
    numpy.random.Generator
        ``default_rng(seed)``, for the training data.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 (legacy global state used by some libraries)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def shuffled_batches(n: int, batch_size: int, rng: np.random.Generator
                     ) -> tuple[Callable[[int], torch.Tensor], int]:
    """Mini-batches walking through a fresh permutation of ``n`` rows every epoch.

    Parameters
    ----------
    n : int
        Number of rows of the training set.
    batch_size : int
        Rows per batch (capped at ``n``).
    rng : numpy.random.Generator
        Source of the permutations.

    Returns
    -------
    batch : callable
        ``batch(global_step) -> LongTensor`` of row indices (at most ``batch_size``).
    steps_per_epoch : int
        ``max(1, n // batch_size)``.
    """
    bs = min(int(batch_size), n)
    steps = max(1, n // bs)
    order: list[np.ndarray] = []

    def batch(step: int) -> torch.Tensor:
        k = step % steps
        if k == 0 or not order:
            order[:] = [rng.permutation(n)]
        return torch.from_numpy(order[0][k * bs:(k + 1) * bs])

    return batch, steps


@dataclass
class TrainConfig:
    """Options of :func:`fit` (all recorded in the history).

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    epochs : int
        Maximum number of epochs.
    steps_per_epoch : int
        Optimizer steps per epoch.
    lr : float
        Adam learning rate.
    weight_decay : float
        Adam weight decay.
    grad_clip : float or None
        Clip the gradient norm to this value.
    patience : int or None
        Stop after this many epochs without improvement of ``monitor``.
    monitor : str
        Key of the validation dict to track.
    mode : {"min", "max"}
        Whether smaller or larger ``monitor`` is better.
    restore_best : bool
        Load the best weights at the end.
    checkpoint : str or None
        File for a checkpoint written after every epoch; training resumes from it
        when it exists and ``resume`` is true.
    resume : bool
        Resume from ``checkpoint`` when that file exists.
    progress : bool
        Show a tqdm progress bar.
    time_limit_s : float or None
        Stop after the epoch in which this wall time (s) is exceeded.
    """

    epochs: int = 10
    steps_per_epoch: int = 100
    lr: float = 1e-3
    weight_decay: float = 0.0
    grad_clip: float | None = 5.0
    patience: int | None = None
    monitor: str = "loss"
    mode: str = "min"
    restore_best: bool = True
    checkpoint: str | None = None
    resume: bool = True
    progress: bool = False
    time_limit_s: float | None = None


def _better(a: float, b: float | None, mode: str) -> bool:
    if b is None or not np.isfinite(b):
        return True
    return a < b if mode == "min" else a > b


def _train_epoch(model: torch.nn.Module, opt: torch.optim.Optimizer,
                 step_loss: Callable[[int], torch.Tensor], epoch: int, config: TrainConfig,
                 bar: Any) -> list[float]:
    """One epoch of Adam steps in train mode; returns the step losses."""
    model.train()
    losses = []
    for s in range(config.steps_per_epoch):
        loss = step_loss(epoch * config.steps_per_epoch + s)
        opt.zero_grad()
        loss.backward()
        if config.grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        opt.step()
        losses.append(float(loss.detach()))
        bar.update(1)
        bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
    return losses


def _resume(ckpt: Path, model: torch.nn.Module, opt: torch.optim.Optimizer) -> tuple[dict, Any]:
    """Load model, optimizer and torch RNG state from ``ckpt``; returns (history, best state).

    Tensors and plain containers only (``weights_only``): a checkpoint is never unpickled
    freely, and any failure of the reader is an :class:`InputError` naming the file.
    """
    try:
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
        return state["history"], state["best_state"]
    except Exception:  # noqa: BLE001 - any failure of the reader is a bad file
        raise InputError("not a training checkpoint of this model (written by specinv with "
                         "the same architecture); delete it to start afresh",
                         display(ckpt)) from None


def fit(model: torch.nn.Module, step_loss: Callable[[int], torch.Tensor], *,
        config: TrainConfig, validate: Callable[[], dict] | None = None,
        on_epoch_end: Callable[[int, dict], None] | None = None) -> dict:
    """Train ``model`` with Adam.

    Parameters
    ----------
    model : torch.nn.Module
        Network to train (in place); with ``restore_best`` it ends with its best weights.
    step_loss : callable
        ``step_loss(global_step) -> scalar loss tensor`` for one fresh batch.
    config : TrainConfig
        Epochs, learning rate, early stopping, checkpointing.
    validate : callable, optional
        ``validate() -> dict`` of floats, called after each epoch in eval mode.
    on_epoch_end : callable, optional
        ``on_epoch_end(epoch, record)`` after validation (e.g. logging).

    Returns
    -------
    dict
        ``epochs`` (list of per-epoch records: ``epoch``, ``train_loss``, validation
        figures, ``seconds``), ``best_epoch``, ``best``, ``stopped_early``,
        ``wall_time_s``, ``config``.
    """
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    history: dict = {"epochs": [], "best_epoch": None, "best": None, "stopped_early": False,
                     "config": asdict(config)}
    best_state = None
    start_epoch = 0
    ckpt = Path(config.checkpoint) if config.checkpoint else None
    if ckpt is not None and config.resume and ckpt.is_file():
        history, best_state = _resume(ckpt, model, opt)
        start_epoch = len(history["epochs"])
    t_start = time.perf_counter()
    bar = tqdm(total=(config.epochs - start_epoch) * config.steps_per_epoch,
               disable=not config.progress, desc="training", leave=False)
    since_best = 0
    try:
        for epoch in range(start_epoch, config.epochs):
            t0 = time.perf_counter()
            losses = _train_epoch(model, opt, step_loss, epoch, config, bar)
            record: dict = {"epoch": epoch + 1, "train_loss": float(np.mean(losses))}
            if validate is not None:
                model.eval()
                with torch.no_grad():
                    record.update({k: float(v) for k, v in validate().items()})
            record["seconds"] = time.perf_counter() - t0
            history["epochs"].append(record)
            value = record.get(config.monitor, record["train_loss"])
            if _better(value, history["best"], config.mode):
                history["best"], history["best_epoch"] = value, epoch + 1
                best_state = copy.deepcopy(model.state_dict())
                since_best = 0
            else:
                since_best += 1
            if on_epoch_end is not None:
                on_epoch_end(epoch + 1, record)
            if ckpt is not None:
                with atomic_path(ckpt) as tmp:
                    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                                "history": history, "best_state": best_state,
                                "torch_rng": torch.get_rng_state()}, tmp)
            if config.patience is not None and since_best >= config.patience:
                history["stopped_early"] = True
                break
            if (config.time_limit_s is not None
                    and time.perf_counter() - t_start > config.time_limit_s):
                history["stopped_early"] = True
                break
    finally:
        bar.close()
    if config.restore_best and best_state is not None:
        model.load_state_dict(best_state)
    history["wall_time_s"] = history.get("wall_time_s", 0.0) + time.perf_counter() - t_start
    return history

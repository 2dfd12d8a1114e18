"""Supervised training of the seed's MLP (MSE, Adam) and ensembles of it.

Training goes through :func:`specinv.learning.training.fit`: mini-batches drawn
from the training rows with a seeded generator, validation objective after
every epoch, early stopping with the best weights restored, optional checkpoint
file (resume after interruption), progress bar.

The objective is the seed's MSE plus ``moment_weight`` times the relative
moment loss of :mod:`specinv.eliashberg.gap2a2f.momentloss` (λ by default), which makes
the network keep λ = 2∫α²F/Ω dΩ (weight 0: the seed's plain MSE).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from specinv.core.errors import ParameterError
from specinv.core.threads import compute_threads
from specinv.eliashberg.gap2a2f.model import HIDDEN, Regressor
from specinv.eliashberg.gap2a2f.momentloss import DEFAULT_POWERS, MomentLoss, lambda_rel_errors
from specinv.learning.training import TrainConfig, fit, seed_everything, shuffled_batches

#: Default ``moment_weight`` of the regressor and how it was chosen.
DEFAULT_MOMENT_WEIGHT = 1.0
MOMENT_WEIGHT_SELECTION = (
    "validation split of the simple set (seed-0 81/9/10 split), one model per weight, "
    "80 epochs, no fine-tuning: weights 0, 0.3, 1, 3, 30, 300 gave validation MSE "
    "0.0301, 0.0285, 0.0313, 0.0359, 0.0598, 0.1554 and median λ error 4.9, 2.6, 1.8, "
    "2.5, 1.4, 1.2 %; rule: smallest median λ error with validation MSE within 10 % of "
    "weight 0 -> 1.0")


@dataclass(frozen=True)
class SupervisedConfig:
    """Options of :func:`train_regressor` (all recorded with the model).

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    epochs, batch_size : int
        An epoch is one pass over the training rows.
    lr : float
        Adam learning rate.
    patience : int
        Early stopping on the validation MSE.
    seed : int
        Seed of initialization and batch order.
    time_limit_s : float or None
        Stop after the epoch in which this wall time is exceeded (each stage).
    threads : int
        torch threads.
    finetune_epochs : int
        A second stage from the best weights with a fresh Adam at
        ``lr * finetune_lr_factor`` (0: none); a step decay of the learning rate.
    finetune_lr_factor : float
        Learning-rate factor of the fine-tuning stage.
    moment_weight : float
        Weight of the relative moment loss (mean squared relative error of the
        moments ``moment_powers`` of max(α²F, 0), same quadrature as the physics
        module) added to the MSE of the scaled outputs; 0 gives the seed's plain
        MSE training. Early stopping then monitors the total validation objective.
        The default was chosen on the validation split of the simple set
        (see ``MOMENT_WEIGHT_SELECTION``).
    moment_powers : tuple of float
        Powers p of μ_p = ∫Ω^p α²F dΩ in the moment loss (−1: λ).
    """

    epochs: int = 300
    batch_size: int = 64
    lr: float = 1e-3
    patience: int = 30
    seed: int = 0
    time_limit_s: float | None = 600.0
    threads: int = 1
    finetune_epochs: int = 0
    finetune_lr_factor: float = 0.1
    moment_weight: float = DEFAULT_MOMENT_WEIGHT
    moment_powers: tuple[float, ...] = DEFAULT_POWERS

    def validate(self) -> None:
        """Check the fields.

        Raises
        ------
        ParameterError
            Epochs, batch size or patience below 1, learning rate ≤ 0, moment weight < 0.
        """
        if self.epochs < 1 or self.batch_size < 1 or self.patience < 1:
            raise ParameterError("epochs, batch size and patience must be >= 1")
        if not self.lr > 0:
            raise ParameterError(f"learning rate must be > 0, got {self.lr}")
        if not self.moment_weight >= 0:
            raise ParameterError(f"moment weight must be >= 0, got {self.moment_weight}")


def mse(pred: np.ndarray, true: np.ndarray) -> float:
    """Mean squared error over all entries (α²F units squared).

    Parameters
    ----------
    pred, true : ndarray
        Arrays of the same shape.

    Returns
    -------
    float
        The mean of the squared differences.
    """
    return float(np.mean((np.asarray(pred) - np.asarray(true)) ** 2))


def _fit_and_finetune(net: torch.nn.Module, step_loss: Any, validate: Any, steps: int,
                      config: SupervisedConfig, checkpoint: str | None,
                      progress: bool) -> dict[str, Any]:
    """Adam with early stopping, then (``finetune_epochs`` > 0) again at a lower rate.

    Returns ``fit``'s history; the fine-tuning history under ``finetune``, and ``best``
    the better of the two.
    """
    tc = TrainConfig(epochs=config.epochs, steps_per_epoch=steps, lr=config.lr,
                     patience=config.patience, monitor="val_loss", checkpoint=checkpoint,
                     progress=progress, time_limit_s=config.time_limit_s, grad_clip=None)
    hist = fit(net, step_loss, config=tc, validate=validate)
    if config.finetune_epochs > 0:
        tc2 = TrainConfig(epochs=config.finetune_epochs, steps_per_epoch=steps,
                          lr=config.lr * config.finetune_lr_factor, patience=config.patience,
                          monitor="val_loss", progress=progress, grad_clip=None,
                          checkpoint=f"{checkpoint}.finetune" if checkpoint else None,
                          time_limit_s=config.time_limit_s)
        h2 = fit(net, step_loss, config=tc2, validate=validate)
        hist["finetune"] = h2
        if h2["best"] is not None and h2["best"] < hist["best"]:
            hist["best"] = h2["best"]
    return hist


def _training_record(hist: dict[str, Any], config: SupervisedConfig, n_train: int,
                     n_val: int) -> dict[str, Any]:
    """What the saved model remembers of its training (config, best epoch, errors, time)."""
    return {"config": asdict(config), "best_epoch": hist["best_epoch"],
            "epochs_run": len(hist["epochs"]) + len(hist.get("finetune", {}).get("epochs", [])),
            "val_mse": hist["val_mse"], "val_moment_loss": hist["val_moment_loss"],
            "val_median_lambda_rel_err": hist.get("val_median_lambda_rel_err"),
            "wall_time_s": hist["train_wall_s"], "n_train": n_train, "n_val": n_val}


def train_regressor(x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray,
                    y_val: np.ndarray, config: SupervisedConfig = SupervisedConfig(), *,
                    meta: dict | None = None, checkpoint: str | None = None,
                    progress: bool = False, hidden: tuple[int, ...] = HIDDEN,
                    omega: np.ndarray | None = None) -> tuple[Regressor, dict[str, Any]]:
    """Train the MLP on (x, y) rows with validation-driven early stopping.

    Parameters
    ----------
    x_train : ndarray of shape (N, n_in)
        Features (e.g. [Re Δ; Im Δ] in meV).
    y_train : ndarray of shape (N, n_out)
        α²F on its mesh.
    x_val, y_val : ndarray
        Validation rows.
    config : SupervisedConfig
        Training options.
    meta : dict, optional
        Stored in the model (meshes, T, μ*, ...).
    checkpoint : str, optional
        Checkpoint file for :func:`~specinv.learning.training.fit`.
    progress : bool
        Show a progress bar.
    hidden : tuple of int
        Hidden layer widths of the MLP.
    omega : ndarray of shape (n_out,), optional
        α²F mesh in meV (needed when ``config.moment_weight > 0``).

    Returns
    -------
    model : Regressor
        The trained model (best validation weights).
    history : dict
        ``fit``'s history plus ``val_mse`` (α²F units²) and ``val_moment_loss`` at the
        best epoch, ``val_median_lambda_rel_err`` and ``config``.
    """
    config.validate()
    if x_train.shape[0] < 1 or x_val.shape[0] < 1:
        raise ParameterError("need at least one training and one validation row")
    weight = float(config.moment_weight)
    if weight > 0 and omega is None:
        raise ParameterError("a moment weight > 0 needs the α²F mesh (omega)")
    with compute_threads(config.threads):
        rng = seed_everything(config.seed)
        model = Regressor.create(x_train, y_train, hidden=hidden, meta=meta)
        xt = model.scale_x(x_train)
        yt = torch.from_numpy((y_train / model.y_scale).astype(np.float32))
        xv = model.scale_x(x_val)
        yv = torch.from_numpy((y_val / model.y_scale).astype(np.float32))
        batch, steps = shuffled_batches(xt.shape[0], config.batch_size, rng)
        mloss = MomentLoss(omega, tuple(config.moment_powers)) if weight > 0 else None
        mt = mloss.moments(yt) if mloss else None
        mv = mloss.moments(yv) if mloss else None

        def step_loss(step: int) -> torch.Tensor:
            idx = batch(step)
            out = model.net(xt[idx])
            loss = torch.mean((out - yt[idx]) ** 2)
            if mloss is not None:
                loss = loss + weight * mloss(out, mt[idx])
            return loss

        def validate() -> dict:
            out = model.net(xv)
            rec = {"val_mse": float(torch.mean((out - yv) ** 2))}
            rec["val_moment"] = float(mloss(out, mv)) if mloss is not None else 0.0
            rec["val_loss"] = rec["val_mse"] + weight * rec["val_moment"]
            return rec

        t0 = time.perf_counter()
        hist = _fit_and_finetune(model.net, step_loss, validate, steps, config, checkpoint,
                                 progress)
        _summarize(hist, model, config, (x_val, y_val), omega, t0, int(xt.shape[0]))
        model.net.eval()
        return model, hist


def _summarize(hist: dict, model: Regressor, config: SupervisedConfig,
               val: tuple[np.ndarray, np.ndarray], omega: np.ndarray | None, t0: float,
               n_train: int) -> None:
    """Complete ``hist`` after training (val MSE in the units of α²F², best epoch's moment
    loss, median relative λ error, wall time since ``t0``, config) and record the
    training in ``model.meta``."""
    x_val, y_val = val
    best = _best_record(hist)
    hist["val_mse"] = best["val_mse"] * model.y_scale ** 2
    hist["val_moment_loss"] = best["val_moment"]
    model.net.eval()
    if omega is not None:
        hist["val_median_lambda_rel_err"] = float(np.median(
            lambda_rel_errors(model.predict(x_val), y_val, omega)))
    hist["train_wall_s"] = time.perf_counter() - t0
    hist["supervised_config"] = asdict(config)
    model.meta["training"] = _training_record(hist, config, n_train, int(x_val.shape[0]))


def _best_record(hist: dict) -> dict:
    """The epoch record whose weights the model holds (fine-tuning restores its own best)."""
    h2 = hist.get("finetune")
    if h2 and h2["best_epoch"] is not None:
        return h2["epochs"][h2["best_epoch"] - 1]
    return hist["epochs"][hist["best_epoch"] - 1]


def train_ensemble(x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray,
                   y_val: np.ndarray, config: SupervisedConfig, members: int, *,
                   meta: dict | None = None, progress: bool = False,
                   omega: np.ndarray | None = None) -> tuple[list[Regressor], list[dict]]:
    """``members`` models differing only in their seed (``config.seed + k``).

    Parameters
    ----------
    x_train, y_train : ndarray of shape (N, n_in) and (N, n_out)
        Training rows.
    x_val, y_val : ndarray
        Validation rows.
    config : SupervisedConfig
        Options of every member (its seed is the first member's).
    members : int
        Ensemble size, >= 1.
    meta : dict, optional
        Stored in every model.
    progress : bool
        Show progress bars.
    omega : ndarray of shape (n_out,), optional
        α²F mesh in meV (needed with a moment weight).

    Returns
    -------
    models : list of Regressor
        The trained members.
    histories : list of dict
        Their training histories.
    """
    if members < 1:
        raise ParameterError(f"ensemble size must be >= 1, got {members}")
    models, hists = [], []
    for k in range(members):
        cfg = SupervisedConfig(**{**asdict(config), "seed": config.seed + k})
        m, h = train_regressor(x_train, y_train, x_val, y_val, cfg, meta=meta,
                               progress=progress, omega=omega)
        models.append(m)
        hists.append(h)
    return models, hists


def ensemble_predict(models: list[Regressor], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation over members.

    Parameters
    ----------
    models : list of Regressor
        Ensemble members.
    x : ndarray of shape (S, n_in)
        Input rows.

    Returns
    -------
    mean : ndarray of shape (S, n_out)
        Ensemble mean of the predicted α²F.
    std : ndarray of shape (S, n_out)
        Ensemble standard deviation (0 for one member).
    """
    preds = np.stack([m.predict(x) for m in models])
    return preds.mean(axis=0), preds.std(axis=0, ddof=1 if len(models) > 1 else 0)

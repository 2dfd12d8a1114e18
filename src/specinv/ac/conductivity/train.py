"""Losses 1–3 of seed 003 and training of the label and direct models.

- Loss 1: ``KL(α ‖ softmax(logits)) + MSE(γ̂, γ)`` (γ = the six γ_0, γ_1);
- Loss 2: ``0.9 Loss1 + 0.1 S0``;  Loss 3: ``0.5 Loss1 + 0.5 S0``;

with the σ(0) term ``S0 = MSE(log σ̂_T(0), log σ_T(0))`` over the ten
temperatures, ``σ_T(0) = Σ α_i/γ_i(T)`` (seed eq. 8). The seed's S0 is an MSE
of σ(0) itself; σ(0) reaches ~100 for γ = 0.01, which would swamp Loss 1, so
the logarithm is used (same minimiser, O(1) scale).

Training uses :func:`specinv.learning.training.fit` (Adam, early stopping on the
validation loss, best weights restored).
"""

from __future__ import annotations

import numpy as np
import torch

from specinv.ac.conductivity.data import EVAL_OMEGA, TEMPERATURES, sigma_on_mesh
from specinv.ac.conductivity.models import DirectSigmaNet, build_model
from specinv.core.errors import ParameterError
from specinv.learning.training import TrainConfig, fit, seed_everything

LOSSES = ("loss1", "loss2", "loss3")
_S0_WEIGHT = {"loss1": 0.0, "loss2": 0.1, "loss3": 0.5}


def _sigma0_log(alpha: torch.Tensor, gamma6: torch.Tensor) -> torch.Tensor:
    """log σ_T(0) (batch, 10) from α (batch, 3) and γ (batch, 6)."""
    t2 = torch.as_tensor(TEMPERATURES**2, dtype=alpha.dtype)
    g = gamma6.view(-1, 3, 2)
    gt = torch.clamp(g[:, :, :1] + g[:, :, 1:] * t2, min=1e-4)  # (batch, 3, 10)
    return torch.log(torch.clamp((alpha[:, :, None] / gt).sum(1), min=1e-8))


def label_loss(logits: torch.Tensor, gamma_hat: torch.Tensor, y: torch.Tensor,
               loss: str = "loss1") -> torch.Tensor:
    """Seed loss ``loss`` for predictions and labels.

    Parameters
    ----------
    logits : Tensor of shape (batch, 3)
        Predicted logits of the weights α.
    gamma_hat : Tensor of shape (batch, 6)
        Predicted ``(γ_0, γ_1)`` of the three components.
    y : Tensor of shape (batch, 3, 3)
        Labels, rows ``(α, γ_0, γ_1)``.
    loss : {"loss1", "loss2", "loss3"}
        ``loss1``: KL divergence on α plus MSE on γ; ``loss2`` / ``loss3``: that mixed
        with weight 0.1 / 0.5 with the MSE of log σ_T(0).

    Returns
    -------
    Tensor
        Scalar loss.
    """
    if loss not in LOSSES:
        raise ParameterError(f"unknown loss {loss!r}; valid: {', '.join(LOSSES)}")
    alpha = y[:, :, 0]
    gamma = y[:, :, 1:].reshape(-1, 6)
    logp = torch.log_softmax(logits, dim=1)
    kl = (alpha * (torch.log(torch.clamp(alpha, min=1e-12)) - logp)).sum(1).mean()
    l1 = kl + torch.mean((gamma_hat - gamma) ** 2)
    w = _S0_WEIGHT[loss]
    if w == 0:
        return l1
    s0 = torch.mean((_sigma0_log(torch.softmax(logits, 1), gamma_hat) - _sigma0_log(alpha, gamma))
                    ** 2)
    return (1 - w) * l1 + w * s0


def predict_labels(model: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    """Predicted labels for inputs Λ_T(τ).

    Parameters
    ----------
    model : torch.nn.Module
        Label network (returns logits and γ).
    x : ndarray of shape (n, 10, 200)
        Λ_T(τ) inputs.

    Returns
    -------
    ndarray of shape (n, 3, 3)
        Rows ``(α, γ_0, γ_1)``.
    """
    model.eval()
    with torch.no_grad():
        logits, g = model(torch.as_tensor(x, dtype=torch.float32))
    out = np.empty((x.shape[0], 3, 3))
    out[:, :, 0] = torch.softmax(logits, 1).numpy()
    out[:, :, 1:] = g.view(-1, 3, 2).numpy()
    return out


def _batches(n: int, batch: int, seed: int):
    rng = np.random.default_rng(seed)

    def pick(step: int) -> np.ndarray:
        return rng.integers(0, n, size=batch)
    return pick


def train_label_model(name: str, data: dict, *, loss: str = "loss1", epochs: int = 40,
                      batch: int = 64, lr: float = 2e-3, seed: int = 0,
                      patience: int | None = 10) -> tuple[torch.nn.Module, dict]:
    """Train a seed model (``cnn1d``, ``cnn2d``, ``attention``) with Loss 1/2/3.

    Parameters
    ----------
    name : {"cnn1d", "cnn2d", "attention"}
        Network architecture.
    data : dict
        Splits from :func:`~specinv.ac.conductivity.data.build_dataset`.
    loss : {"loss1", "loss2", "loss3"}
        Training loss (see :func:`label_loss`).
    epochs : int
        Most epochs.
    batch : int
        Examples per step.
    lr : float
        Adam learning rate.
    seed : int
        Seed of the weights and of the batch order.
    patience : int or None
        Early-stopping patience in epochs (None: none).

    Returns
    -------
    model : torch.nn.Module
        The trained network (best validation weights).
    history : dict
        History from :func:`~specinv.learning.training.fit` plus the settings.
    """
    seed_everything(seed)
    model = build_model(name)
    xt = torch.as_tensor(data["train"]["x"], dtype=torch.float32)
    yt = torch.as_tensor(data["train"]["y"], dtype=torch.float32)
    xv = torch.as_tensor(data["val"]["x"], dtype=torch.float32)
    yv = torch.as_tensor(data["val"]["y"], dtype=torch.float32)
    pick = _batches(xt.shape[0], batch, seed)

    def step_loss(step: int) -> torch.Tensor:
        i = pick(step)
        logits, g = model(xt[i])
        return label_loss(logits, g, yt[i], loss)

    def validate() -> dict:
        logits, g = model(xv)
        return {"val_loss": float(label_loss(logits, g, yv, loss))}

    cfg = TrainConfig(epochs=epochs, steps_per_epoch=max(1, xt.shape[0] // batch), lr=lr,
                      monitor="val_loss", patience=patience)
    hist = fit(model, step_loss, config=cfg, validate=validate)
    hist["settings"] = {"model": name, "loss": loss, "epochs": epochs, "batch": batch, "lr": lr,
                        "seed": seed, "n_train": int(xt.shape[0]),
                        "n_parameters": int(sum(p.numel() for p in model.parameters()))}
    return model, hist


def train_direct_model(data: dict, *, epochs: int = 40, batch: int = 64, lr: float = 2e-3,
                       seed: int = 0, omega: np.ndarray = EVAL_OMEGA,
                       patience: int | None = 10) -> tuple[DirectSigmaNet, dict]:
    """Train :class:`DirectSigmaNet` with MSE on ``log σ_T(ω)`` over the mesh.

    Parameters
    ----------
    data : dict
        Splits from :func:`~specinv.ac.conductivity.data.build_dataset`.
    epochs : int
        Most epochs.
    batch : int
        Examples per step.
    lr : float
        Adam learning rate.
    seed : int
        Seed of the weights and of the batch order.
    omega : ndarray of shape (n_omega,)
        Frequencies of the predicted σ.
    patience : int or None
        Early-stopping patience in epochs (None: none).

    Returns
    -------
    model : DirectSigmaNet
        The trained network.
    history : dict
        History from :func:`~specinv.learning.training.fit` plus the settings.
    """
    seed_everything(seed)
    model = DirectSigmaNet(len(omega))
    xt = torch.as_tensor(data["train"]["x"], dtype=torch.float32)
    st = torch.as_tensor(np.log(sigma_on_mesh(data["train"]["y"], omega)), dtype=torch.float32)
    xv = torch.as_tensor(data["val"]["x"], dtype=torch.float32)
    sv = torch.as_tensor(np.log(sigma_on_mesh(data["val"]["y"], omega)), dtype=torch.float32)
    pick = _batches(xt.shape[0], batch, seed)

    def step_loss(step: int) -> torch.Tensor:
        i = pick(step)
        return torch.mean((model(xt[i]) - st[i]) ** 2)

    def validate() -> dict:
        return {"val_loss": float(torch.mean((model(xv) - sv) ** 2))}

    cfg = TrainConfig(epochs=epochs, steps_per_epoch=max(1, xt.shape[0] // batch), lr=lr,
                      monitor="val_loss", patience=patience)
    hist = fit(model, step_loss, config=cfg, validate=validate)
    hist["settings"] = {"model": "direct", "epochs": epochs, "batch": batch, "lr": lr,
                        "seed": seed, "n_omega": len(omega)}
    return model, hist


def predict_direct(model: DirectSigmaNet, x: np.ndarray) -> np.ndarray:
    """σ_T(ω) from the direct model.

    Parameters
    ----------
    model : DirectSigmaNet
        Trained network.
    x : ndarray of shape (n, 10, 200)
        Λ_T(τ) inputs.

    Returns
    -------
    ndarray of shape (n, 10, n_omega)
        σ at every temperature on the model's mesh.
    """
    model.eval()
    with torch.no_grad():
        return np.exp(model(torch.as_tensor(x, dtype=torch.float32)).numpy().astype(float))

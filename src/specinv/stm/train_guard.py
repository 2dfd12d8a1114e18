"""Fine-tuning without forgetting: validation losses, a guarded score and distillation.

A fine-tune that learns a new map family (e.g. subsurface scatterers in coherent
T-matrix tiles) can give up part of what the starting network did well (the Friedel
maps, whose phase is drawn anew at every bias). Two remedies, both used by
:func:`~specinv.stm.train.train_detector` when it starts from a network:

* distillation (learning without forgetting): the Kullback–Leibler divergence of the
  network's predictions on each batch's Friedel tiles from the frozen starting
  network's joins the loss;
* a guarded validation score: the mean validation loss plus :data:`GUARD_PENALTY` ×
  every excess of a guarded loss (:data:`GUARDED`) over the starting network's, so
  that an epoch on which the Friedel or the T-matrix validation loss rose is never
  kept while one on which neither rose exists; the starting network is a candidate.
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from specinv.stm.model import cross_entropy, log_probabilities

#: validation losses that may not rise above the starting network's under ``guard``
GUARDED = ("val_loss_friedel", "val_loss_friedel_long", "val_loss_tmatrix")
#: penalty per nat of excess of a guarded loss (large: a constraint, not a trade-off)
GUARD_PENALTY = 1000.0


def validation_losses(model: torch.nn.Module, friedel: tuple[torch.Tensor, torch.Tensor],
                      extra: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> dict:
    """Validation cross entropies of ``model``.

    Parameters
    ----------
    model : torch.nn.Module
        Detector network.
    friedel : (Tensor, Tensor)
        Held-out Friedel tiles (B, N_v, L, L) and their targets (B, L*L + 1).
    extra : dict
        Name → (tiles, targets) of other held-out families.

    Returns
    -------
    dict
        ``val_loss`` on the Friedel tiles, or with ``extra`` the mean over every set and
        ``val_loss_friedel``, ``val_loss_NAME`` per set (nats).
    """
    with torch.no_grad():
        rec = {"val_loss": float(cross_entropy(model(friedel[0]), friedel[1]))}
        if extra:
            rec["val_loss_friedel"] = rec["val_loss"]
            for name, (x, y) in extra.items():
                rec[f"val_loss_{name}"] = float(cross_entropy(model(x), y))
            rec["val_loss"] = float(np.mean([rec["val_loss_friedel"]] + [
                rec[f"val_loss_{name}"] for name in extra]))
    return rec


def guarded_score(rec: dict, reference: dict) -> dict:
    """Constrained validation score of one epoch against the starting network's losses.

    Parameters
    ----------
    rec : dict
        Validation losses of the epoch (:func:`_validation_losses`).
    reference : dict
        The same losses of the starting network.

    Returns
    -------
    dict
        ``val_score`` (``val_loss`` plus :data:`GUARD_PENALTY` × the summed excess of the
        :data:`GUARDED` losses present) and ``guard_excess`` (that sum, nats; 0 when no
        guarded loss rose).
    """
    excess = sum(max(0.0, rec[k] - reference[k]) for k in GUARDED if k in rec)
    return {"val_score": rec["val_loss"] + GUARD_PENALTY * excess, "guard_excess": excess}


def _distillation(model: torch.nn.Module, teacher: torch.nn.Module | None, x: torch.Tensor,
                  scores: torch.Tensor, n: int) -> torch.Tensor:
    """KL divergence of ``scores[:n]`` from the frozen ``teacher``'s on ``x[:n]`` (batch mean)."""
    if teacher is None or n == 0:
        return scores.new_zeros(())
    with torch.no_grad():
        logp_t = log_probabilities(teacher(x[:n]))
    return (logp_t.exp() * (logp_t - log_probabilities(scores[:n]))).sum(dim=1).mean()


def distillation(teacher: torch.nn.Module, x: torch.Tensor, scores: torch.Tensor,
                 n: int) -> torch.Tensor:
    """Kullback–Leibler divergence of ``scores[:n]`` from the frozen ``teacher``'s.

    Parameters
    ----------
    teacher : torch.nn.Module
        Starting network (no gradient).
    x : Tensor of shape (B, N_v, L, L)
        The batch; its first ``n`` tiles are the Friedel ones.
    scores : Tensor of shape (B, L, L)
        The trained network's score maps of ``x``.
    n : int
        Tiles compared.

    Returns
    -------
    Tensor
        Scalar mean KL divergence over the pixels and the null entry (nats); 0 when
        ``n == 0``.
    """
    if n == 0:
        return scores.new_zeros(())
    with torch.no_grad():
        logp_t = log_probabilities(teacher(x[:n]))
    return (logp_t.exp() * (logp_t - log_probabilities(scores[:n]))).sum(dim=1).mean()


class StartPoint:
    """The starting network of a fine-tune.

    Parameters
    ----------
    model : torch.nn.Module
        The network at the start (its weights are copied).
    guard : bool
        Restore these weights at the end when no epoch's guarded score is lower.
    distill : float
        Weight of the distillation term; when positive a frozen copy is kept as
        ``teacher``.
    val : (Tensor, Tensor)
        Held-out Friedel tiles and targets.
    val_extra : dict
        Other held-out sets (:func:`validation_losses`).

    Attributes
    ----------
    teacher : torch.nn.Module or None
        Frozen copy (``distill > 0``).
    reference : dict
        Validation losses of the start with its ``val_score`` (no excess).
    """

    def __init__(self, model: torch.nn.Module, guard: bool, distill: float, val: tuple,
                 val_extra: dict) -> None:
        self.guard = guard
        self.state = copy.deepcopy(model.state_dict())
        self.teacher = None
        if distill > 0:
            self.teacher = copy.deepcopy(model).eval()
            self.teacher.requires_grad_(False)
        model.eval()
        self.reference = validation_losses(model, val, val_extra)
        self.reference.update(guarded_score(self.reference, self.reference))

    def finish(self, model: torch.nn.Module, history: dict) -> dict:
        """Restore the start when no epoch scored better (``guard``).

        Parameters
        ----------
        model : torch.nn.Module
            The trained network (best epoch restored).
        history : dict
            :func:`~specinv.learning.training.fit`'s history (``best``: least score).

        Returns
        -------
        dict
            ``start_validation`` (the reference losses) and ``kept`` (what was kept).
        """
        out: dict = {"start_validation": self.reference, "kept": "best epoch"}
        best = history.get("best")
        if self.guard and (best is None or self.reference["val_score"] <= best):
            model.load_state_dict(self.state)
            out["kept"] = "start (no epoch kept every guarded loss at or below the start's)"
        return out

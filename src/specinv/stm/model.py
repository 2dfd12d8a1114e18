"""Networks of seed 004: attention across bias maps, and the no-attention baseline.

``AttentionDetector`` (seed Fig. 1): a shared convolutional trunk maps each bias
map ``X_i`` (L × L) to query, key and value tensors ``Q_i, K_i`` (L × L × d) and
``V_i`` (L × L × d_v); attention across the bias index,

    Ṽ_i = Σ_j softmax_j(⟨Q_i, K_j⟩ / sqrt(L² d)) V_j,

(inner product over pixels and channels, scaled as in Vaswani et al.), then
``V_T = (1/N_v) Σ_i Ṽ_i`` and a linear projection over channels (1 × 1
convolution) gives the score map ``S`` (L × L). Two documented departures from
the seed, both needed to detect on maps of any size and bias count: the sum over
``i`` is a mean (so the scale of ``S`` does not depend on ``N_v``), and the softmax
runs over the L² pixels plus one fixed "no impurity" logit equal to 0, which
anchors ``S`` so that one threshold on ``S`` works for every tile.

Each bias map is standardized (zero mean, unit std) inside ``forward``, so
callers may pass raw conductance tiles. The trunk's convolutions pad by repeating
the edge pixels (``padding_mode="replicate"``): with zero padding the network
placed most of its false detections on the tile's outermost pixels (42 of 49 on
Friedel test maps at η = 0.8), and replicate padding raised the Friedel F1 at
η = 0.8 with 126 biases from 0.912 / 0.897 to 0.938 / 0.940 (training seeds 2024 /
2025, the default recipe otherwise unchanged; reflect padding: 0.902).

``AveragedCNN`` (baseline): the same trunk and projection applied to the
bias-averaged standardized map; no attention.

``EnsembleDetector``: the mean of the score maps of networks trained from
different seeds (the shipped detector holds two attention networks). Averaging
logits anchored to the same null logit is the geometric mean of the members'
distributions, so one threshold applies. Friedel F1 at η = 0.8 with 126 biases
on 500 independent maps (1149 impurities, binomial error ±0.006): one network
trained 20 epochs 0.945 / 0.943 (seeds 2024 / 2025), 28 epochs 0.952 (2024), the
two 28-epoch networks together 0.953.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn


def _standardize(x: torch.Tensor) -> torch.Tensor:
    """Per-map zero mean, unit std over the last two axes."""
    mu = x.mean(dim=(-2, -1), keepdim=True)
    sd = x.std(dim=(-2, -1), keepdim=True)
    return (x - mu) / (sd + 1e-6)


def _trunk(channels: int, kernel: int, dilations: tuple[int, ...],
           padding_mode: str) -> nn.Sequential:
    layers: list[nn.Module] = []
    cin = 1
    for d in dilations:
        layers += [nn.Conv2d(cin, channels, kernel, padding=d * (kernel // 2), dilation=d,
                             padding_mode=padding_mode),
                   nn.ReLU()]
        cin = channels
    return nn.Sequential(*layers)


class AttentionDetector(nn.Module):
    """Attention network of seed 004.

    Parameters
    ----------
    channels : int
        Feature channels of the convolutional trunk.
    d_qk, d_v : int
        Channels of queries/keys and of values.
    kernel : int
        Convolution kernel size.
    dilations : tuple of int
        One convolution layer per entry with this dilation.
    padding_mode : str
        Padding of the trunk's convolutions (``torch.nn.Conv2d``): ``"replicate"``
        (default) or ``"zeros"`` (detectors saved before it was recorded).
    """

    kind = "attention"

    def __init__(self, channels: int = 12, d_qk: int = 8, d_v: int = 8, kernel: int = 5,
                 dilations: tuple[int, ...] = (1, 2, 3),
                 padding_mode: str = "replicate") -> None:
        super().__init__()
        self.config = {"channels": channels, "d_qk": d_qk, "d_v": d_v, "kernel": kernel,
                       "dilations": list(dilations), "padding_mode": padding_mode}
        self.trunk = _trunk(channels, kernel, tuple(dilations), padding_mode)
        self.q = nn.Conv2d(channels, d_qk, 1)
        self.k = nn.Conv2d(channels, d_qk, 1)
        self.v = nn.Conv2d(channels, d_v, 1)
        self.proj = nn.Conv2d(d_v, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score maps.

        Parameters
        ----------
        x : Tensor of shape (B, N_v, H, W)
            Conductance maps (each standardized inside).

        Returns
        -------
        Tensor of shape (B, H, W)
            The score map ``S`` (logits; the null entry is the constant 0).
        """
        B, N, H, W = x.shape
        f = self.trunk(_standardize(x).reshape(B * N, 1, H, W))
        q = self.q(f).reshape(B, N, -1)
        k = self.k(f).reshape(B, N, -1)
        v = self.v(f).reshape(B, N, -1, H, W)
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(q.shape[-1]), dim=-1)
        vt = torch.einsum("bij,bjchw->bchw", att, v) / N
        return self.proj(vt)[:, 0]


class AveragedCNN(nn.Module):
    """Baseline: the same CNN on the bias-averaged map, without attention.

    Parameters
    ----------
    channels : int
        Feature channels of the convolutional trunk.
    d_v : int
        Channels of the values.
    kernel : int
        Convolution kernel size.
    dilations : tuple of int
        One convolution layer per entry with this dilation.
    padding_mode : str
        Padding of the trunk's convolutions (``"replicate"`` or ``"zeros"``).
    **_
        Ignored, so that an attention configuration (with ``d_qk``) builds it too.
    """

    kind = "cnn"

    def __init__(self, channels: int = 12, d_v: int = 8, kernel: int = 5,
                 dilations: tuple[int, ...] = (1, 2, 3), padding_mode: str = "replicate",
                 **_: object) -> None:
        super().__init__()
        self.config = {"channels": channels, "d_v": d_v, "kernel": kernel,
                       "dilations": list(dilations), "padding_mode": padding_mode}
        self.trunk = _trunk(channels, kernel, tuple(dilations), padding_mode)
        self.v = nn.Conv2d(channels, d_v, 1)
        self.proj = nn.Conv2d(d_v, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score maps of the bias-averaged input.

        Parameters
        ----------
        x : Tensor of shape (B, N_v, H, W)
            Conductance maps.

        Returns
        -------
        Tensor of shape (B, H, W)
            Score map ``S`` (logits; the null logit is 0).
        """
        xm = _standardize(_standardize(x).mean(dim=1, keepdim=True))
        return self.proj(self.v(self.trunk(xm)))[:, 0]


class EnsembleDetector(nn.Module):
    """Deep ensemble: the mean of the score maps ``S`` of independently trained networks.

    Averaging the logits of members trained from different seeds cancels part of
    their independent errors (each member's ``S`` is anchored to the same null
    logit 0, so one threshold applies to the mean).

    Parameters
    ----------
    members : sequence of dict
        ``{"kind": ..., "config": {...}}`` of each member network (not ensembles).
    """

    kind = "ensemble"

    def __init__(self, members: Sequence[dict]) -> None:
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one member")
        if any(m["kind"] == self.kind for m in members):
            raise ValueError("ensembles cannot be nested")
        self.config = {"members": [{"kind": m["kind"], "config": dict(m["config"])}
                                   for m in members]}
        self.members = nn.ModuleList(build_model(m["kind"], **m["config"]) for m in members)

    @classmethod
    def of(cls, models: Sequence[nn.Module]) -> EnsembleDetector:
        """An ensemble holding copies of trained networks.

        Parameters
        ----------
        models : sequence of torch.nn.Module
            Trained detector networks (each with ``kind`` and ``config``).

        Returns
        -------
        EnsembleDetector
            The ensemble in evaluation mode.
        """
        ens = cls([{"kind": m.kind, "config": m.config} for m in models])
        for dst, src in zip(ens.members, models, strict=True):
            dst.load_state_dict(src.state_dict())
        return ens.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Mean score map of the members.

        Parameters
        ----------
        x : Tensor of shape (B, N_v, H, W)
            Conductance maps.

        Returns
        -------
        Tensor of shape (B, H, W)
            Mean of the members' score maps.
        """
        return torch.stack([m(x) for m in self.members]).mean(dim=0)


MODELS: dict[str, type[nn.Module]] = {"attention": AttentionDetector, "cnn": AveragedCNN,
                                      "ensemble": EnsembleDetector}


def build_model(kind: str, **config: object) -> nn.Module:
    """Instantiate a detector network by name (``attention``, ``cnn`` or ``ensemble``).

    Parameters
    ----------
    kind : {"attention", "cnn", "ensemble"}
        Network class.
    **config
        Keyword arguments of that class.

    Returns
    -------
    torch.nn.Module
        The untrained network.
    """
    if kind not in MODELS:
        raise ValueError(f"unknown model kind {kind!r}; choose from {sorted(MODELS)}")
    return MODELS[kind](**config)


def log_probabilities(scores: torch.Tensor) -> torch.Tensor:
    """Log-softmax over the pixels plus the fixed null logit 0.

    Parameters
    ----------
    scores : Tensor of shape (B, H, W)
        Score maps (logits).

    Returns
    -------
    Tensor of shape (B, H*W + 1)
        Log-probabilities of every pixel and of the null entry (last).
    """
    flat = scores.flatten(1)
    return torch.log_softmax(torch.cat([flat, flat.new_zeros(len(flat), 1)], dim=1), dim=1)


def cross_entropy(scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Seed Eq. 2, averaged over the batch.

    Parameters
    ----------
    scores : Tensor of shape (B, H, W)
        Score maps (logits).
    target : Tensor of shape (B, H*W + 1)
        Target distributions (see :func:`~specinv.stm.friedel.label_vector`).

    Returns
    -------
    Tensor
        Scalar loss (nats).
    """
    return -(target * log_probabilities(scores)).sum(dim=1).mean()


def prediction_entropy(scores: torch.Tensor) -> torch.Tensor:
    """Seed Eq. 4 per map, averaged: entropy of the softmax over the pixels only.

    Parameters
    ----------
    scores : Tensor of shape (B, H, W)
        Score maps (logits).

    Returns
    -------
    Tensor
        Scalar mean entropy (nats).
    """
    logp = torch.log_softmax(scores.flatten(1), dim=1)
    return -(logp.exp() * logp).sum(dim=1).mean()

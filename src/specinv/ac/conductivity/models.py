"""Networks of seed 003 (1D CNN, 2D CNN, attention; two-head output) and the direct σ(ω) model.

Input: Λ_T(τ) of shape (batch, 10, 200); every model first maps it to
``log(Λ/T)`` (Λ/T → 1 for a sharp Drude peak, so the features are O(1) for
every temperature). Two-head output as in the seed: α logits (3; softmax
gives α) and γ = (γ_01, γ_11, γ_02, …) ≥ 0 (6, softplus), in the label order
(components sorted by γ_0). :class:`DirectSigmaNet` instead predicts
``log σ_T(ω)`` on the evaluation mesh (10 × n_ω) directly.
"""

from __future__ import annotations

import torch
from torch import nn

from specinv.ac.conductivity.data import TEMPERATURES
from specinv.core.errors import ParameterError
from specinv.learning.blocks import mlp

MODELS = ("cnn1d", "cnn2d", "attention")


def features(x: torch.Tensor) -> torch.Tensor:
    """``log(Λ/T)`` of the inputs.

    Parameters
    ----------
    x : Tensor of shape (batch, 10, 200)
        Λ_T(τ) at the ten temperatures.

    Returns
    -------
    Tensor of shape (batch, 10, 200)
        ``log(max(Λ/T, 1e-6))``.
    """
    t = torch.as_tensor(TEMPERATURES, dtype=x.dtype, device=x.device)[None, :, None]
    return torch.log(torch.clamp(x / t, min=1e-6))


class TwoHead(nn.Module):
    """Out block: one fully connected layer per task head.

    Parameters
    ----------
    width : int
        Width of the embedding it reads.
    """

    def __init__(self, width: int) -> None:
        super().__init__()
        self.alpha = nn.Linear(width, 3)
        self.gamma = nn.Linear(width, 6)

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """α logits and γ ≥ 0 from an embedding.

        Parameters
        ----------
        h : Tensor of shape (batch, width)
            Embedding.

        Returns
        -------
        logits : Tensor of shape (batch, 3)
            Softmax gives the weights α.
        gamma : Tensor of shape (batch, 6)
            Softplus outputs ``(γ_01, γ_11, γ_02, …)``.
        """
        return self.alpha(h), nn.functional.softplus(self.gamma(h))


class LabelNet(nn.Module):
    """Base of the label networks: an ``embed`` of Λ_T(τ) and a :class:`TwoHead` on it.

    Subclasses set ``self.head`` and implement ``embed``.

    Parameters
    ----------
    *args, **kwargs
        Passed to :class:`torch.nn.Module`.
    """

    head: TwoHead

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Features of the last hidden layer (implemented by each network).

        Parameters
        ----------
        x : Tensor of shape (batch, 10, 200)
            Λ_T(τ) inputs.

        Returns
        -------
        Tensor of shape (batch, width)
            Embedding fed to the heads.
        """
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """α logits and γ of the three Drude components.

        Parameters
        ----------
        x : Tensor of shape (batch, 10, 200)
            Λ_T(τ) inputs.

        Returns
        -------
        logits : Tensor of shape (batch, 3)
            Softmax gives the weights α.
        gamma : Tensor of shape (batch, 6)
            ``(γ_01, γ_11, γ_02, …)`` ≥ 0 in label order.
        """
        return self.head(self.embed(x))


class CNN1D(LabelNet):
    """Temperatures as channels, convolution along τ.

    Parameters
    ----------
    width : int
        Width of the embedding.
    """

    def __init__(self, width: int = 64) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(10, 32, 7, stride=2, padding=3), nn.GELU(),
            nn.Conv1d(32, 64, 5, stride=2, padding=2), nn.GELU(),
            nn.Conv1d(64, 64, 5, stride=2, padding=2), nn.GELU(),
            nn.AdaptiveAvgPool1d(8), nn.Flatten(), nn.Linear(64 * 8, width), nn.GELU())
        self.head = TwoHead(width)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Features of the last hidden layer.

        Parameters
        ----------
        x : Tensor of shape (batch, 10, 200)
            Λ_T(τ) inputs.

        Returns
        -------
        Tensor of shape (batch, width)
            Embedding fed to the heads.
        """
        return self.body(features(x))


class CNN2D(LabelNet):
    """The 10 × 200 input as a one-channel image.

    Parameters
    ----------
    width : int
        Width of the embedding.
    """

    def __init__(self, width: int = 64) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, (3, 7), stride=(1, 2), padding=(1, 3)), nn.GELU(),
            nn.Conv2d(16, 32, (3, 5), stride=(2, 2), padding=(1, 2)), nn.GELU(),
            nn.Conv2d(32, 32, (3, 5), stride=(1, 2), padding=(1, 2)), nn.GELU(),
            nn.AdaptiveAvgPool2d((5, 8)), nn.Flatten(), nn.Linear(32 * 40, width), nn.GELU())
        self.head = TwoHead(width)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Features of the last hidden layer.

        Parameters
        ----------
        x : Tensor of shape (batch, 10, 200)
            Λ_T(τ) inputs.

        Returns
        -------
        Tensor of shape (batch, width)
            Embedding fed to the heads.
        """
        return self.body(features(x)[:, None])


class AttentionNet(LabelNet):
    """One token per temperature (its 200 τ values embedded), self-attention across T.

    Parameters
    ----------
    width : int
        Token and embedding width.
    heads : int
        Attention heads (must divide ``width``).
    """

    def __init__(self, width: int = 64, heads: int = 4) -> None:
        super().__init__()
        self.embed_tau = mlp(200, width, (128,), nn.GELU)
        self.pos = nn.Parameter(torch.zeros(10, width))
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.norm1 = nn.LayerNorm(width)
        self.ff = mlp(width, width, (2 * width,), nn.GELU)
        self.norm2 = nn.LayerNorm(width)
        self.pool = nn.Sequential(nn.Flatten(), nn.Linear(10 * width, width), nn.GELU())
        self.head = TwoHead(width)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Features of the last hidden layer.

        Parameters
        ----------
        x : Tensor of shape (batch, 10, 200)
            Λ_T(τ) inputs.

        Returns
        -------
        Tensor of shape (batch, width)
            Embedding fed to the heads.
        """
        h = self.embed_tau(features(x)) + self.pos
        h = self.norm1(h + self.attn(h, h, h, need_weights=False)[0])
        h = self.norm2(h + self.ff(h))
        return self.pool(h)


class DirectSigmaNet(nn.Module):
    """Beyond the seed: ``log σ_T(ω)`` on a mesh (10 × n_omega) from a 1D-CNN encoder.

    Parameters
    ----------
    n_omega : int
        Points of the σ mesh.
    width : int
        Width of the encoder's embedding.
    """

    def __init__(self, n_omega: int, width: int = 128) -> None:
        super().__init__()
        self.n_omega = n_omega
        self.encoder = CNN1D(width)
        self.out = nn.Linear(width, 10 * n_omega)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``log σ_T(ω)`` from Λ_T(τ).

        Parameters
        ----------
        x : Tensor of shape (batch, 10, 200)
            Λ_T(τ) inputs.

        Returns
        -------
        Tensor of shape (batch, 10, n_omega)
            log σ at every temperature.
        """
        return self.out(self.encoder.embed(x)).view(-1, 10, self.n_omega)


def build_model(name: str, **kwargs) -> nn.Module:
    """Model by name (:data:`MODELS`).

    Parameters
    ----------
    name : {"cnn1d", "cnn2d", "attention"}
        The network (:class:`CNN1D`, :class:`CNN2D` or :class:`AttentionNet`).
    **kwargs
        Constructor arguments of that network (``width``; ``heads`` for attention).

    Returns
    -------
    torch.nn.Module
        The untrained network: input Λ_T(τ) of shape (batch, 10, 200), two-head output
        (α logits, γ).
    """
    if name not in MODELS:
        raise ParameterError(f"unknown conductivity model {name!r}; valid: {', '.join(MODELS)}")
    return {"cnn1d": CNN1D, "cnn2d": CNN2D, "attention": AttentionNet}[name](**kwargs)

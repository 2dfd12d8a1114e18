"""Torch models of the optics inversion: FCN and CNN regressors and the rRIM.

All models take the scaled scattering rate ``y/Y_SCALE`` (shape (B, n_omega))
and return glue functions (B, n_glue). The rRIM also takes the scaled kernel
``A = K/Y_SCALE`` and its Landweber preconditioner ``P = (AᵀA + hI)⁻¹Aᵀ``,
either shared, shapes (n_omega, n_glue)/(n_glue, n_omega), or per sample
(B, ...), which is how one model serves data at many temperatures.
"""

from __future__ import annotations

import torch
from torch import nn

from specinv.learning.blocks import mlp


class FCN(nn.Module):
    """Fully connected regressor ``y → x`` (two hidden layers, ReLU).

    Parameters
    ----------
    n_omega : int
        Data points of the scaled 1/τ.
    n_glue : int
        Glue mesh cells.
    hidden : int
        Width of the hidden layers.
    """

    def __init__(self, n_omega: int, n_glue: int, hidden: int = 256) -> None:
        super().__init__()
        self.net = mlp(n_omega, n_glue, (hidden, hidden), nn.ReLU)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        """Glue functions from scaled scattering rates.

        Parameters
        ----------
        y : Tensor of shape (B, n_omega)
            ``1/τ / Y_SCALE``.

        Returns
        -------
        Tensor of shape (B, n_glue)
            Glue I²χ(Ω).
        """
        return self.net(y)


class CNN(nn.Module):
    """Convolutional regressor: two conv + pool blocks over ω, then two dense layers.

    Parameters
    ----------
    n_omega : int
        Data points of the scaled 1/τ.
    n_glue : int
        Glue mesh cells.
    channels : int
        Channels of the first convolution (the second has twice as many).
    hidden : int
        Width of the dense hidden layer.
    """

    def __init__(self, n_omega: int, n_glue: int, channels: int = 16, hidden: int = 256) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(1, channels, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(channels, 2 * channels, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2))
        flat = 2 * channels * (n_omega // 4)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(flat, hidden), nn.ReLU(),
                                  nn.Linear(hidden, n_glue))

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        """Glue functions from scaled scattering rates.

        Parameters
        ----------
        y : Tensor of shape (B, n_omega)
            ``1/τ / Y_SCALE``.

        Returns
        -------
        Tensor of shape (B, n_glue)
            Glue I²χ(Ω).
        """
        return self.head(self.features(y[:, None, :]))


class ConvGRUCell(nn.Module):
    """GRU cell whose gates are 1-D convolutions over the glue mesh (memory per Ω).

    Parameters
    ----------
    n_in : int
        Input channels.
    hidden : int
        Memory channels.
    kernel_size : int
        Convolution width (odd; padding keeps the mesh size).
    """

    def __init__(self, n_in: int, hidden: int, kernel_size: int = 5) -> None:
        super().__init__()
        pad = kernel_size // 2
        self.gates = nn.Conv1d(n_in + hidden, 2 * hidden, kernel_size, padding=pad)
        self.cand = nn.Conv1d(n_in + hidden, hidden, kernel_size, padding=pad)
        self.hidden = hidden

    def forward(self, u: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        """One GRU update.

        Parameters
        ----------
        u : Tensor of shape (B, n_in, n_glue)
            Input.
        s : Tensor of shape (B, hidden, n_glue)
            Memory.

        Returns
        -------
        Tensor of shape (B, hidden, n_glue)
            New memory.
        """
        z, r = torch.sigmoid(self.gates(torch.cat([u, s], 1))).chunk(2, 1)
        c = torch.tanh(self.cand(torch.cat([u, r * s], 1)))
        return (1 - z) * s + z * c


def h_feature(h: torch.Tensor) -> torch.Tensor:
    """Input channel of a noise-conditioned rRIM: ``(log10 h + 3)/2`` (−1 … 1 for h = 1e-5 … 0.1).

    Parameters
    ----------
    h : Tensor of shape (B,)
        Landweber regularization of each sample (> 0, scaled units).

    Returns
    -------
    Tensor of shape (B,)
        The feature.
    """
    return (torch.log10(h) + 3.0) / 2.0


def _apply(mat: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``mat @ v`` per sample; ``mat`` (r, c) shared or (B, r, c); ``v`` (B, c) → (B, r)."""
    if mat.dim() == 2:
        return v @ mat.T
    return torch.bmm(mat, v[:, :, None])[:, :, 0]


class RRIM(nn.Module):
    """Regularized recurrent inference machine (seed 001).

    ``x_{t+1} = x_t + g_φ(∇_t, s_t)``, ``∇_t = P (y − A x_t)``, a convolutional
    GRU memory ``s_t``; ``x_0 = 0`` so ``x_0 + ∇_0`` is the Tikhonov solution with
    regularization h. Returns all iterates for the accumulated loss.

    Parameters
    ----------
    n_glue : int
        Glue mesh cells.
    hidden : int
        Memory channels per mesh point.
    n_steps : int
        N_t (15 in the seed).
    temperature_input : bool
        Feed ``T/300 K`` as an extra input channel (temperature-range model).
    noise_input : bool
        Noise-conditioned model: the Landweber h of each sample (set from its noise
        level, :func:`specinv.optics.config.noise_h`) enters as the extra input channel
        :func:`h_feature`, after the temperature channel if any.
    """

    def __init__(self, n_glue: int, hidden: int = 8, n_steps: int = 15,
                 temperature_input: bool = False, noise_input: bool = False) -> None:
        super().__init__()
        self.n_glue, self.hidden, self.n_steps = n_glue, hidden, n_steps
        self.temperature_input, self.noise_input = temperature_input, noise_input
        n_in = 2 + int(temperature_input) + int(noise_input)
        self.encode = nn.Sequential(nn.Conv1d(n_in, hidden, 5, padding=2), nn.Tanh())
        self.gru = ConvGRUCell(hidden, hidden, 5)
        self.decode = nn.Conv1d(hidden, 1, 5, padding=2)

    def forward(self, y: torch.Tensor, a: torch.Tensor, p: torch.Tensor,
                temperature: torch.Tensor | None = None,
                n_steps: int | None = None, h: torch.Tensor | None = None) -> list[torch.Tensor]:
        """Iterates ``[x_1, …, x_{N_t}]`` for scaled data ``y``.

        Parameters
        ----------
        y : Tensor of shape (B, m)
            ``1/τ / Y_SCALE``.
        a : Tensor of shape (m, n_glue) or (B, m, n_glue)
            Scaled kernel ``A = K / Y_SCALE``.
        p : Tensor of shape (n_glue, m) or (B, n_glue, m)
            Landweber preconditioner ``(AᵀA + hI)⁻¹Aᵀ``.
        temperature : Tensor of shape (B,), optional
            Temperature (K); needed by temperature-input models.
        n_steps : int, optional
            Iterations (default: the trained N_t).
        h : Tensor of shape (B,), optional
            The Landweber h built into ``p``; needed by noise-input models.

        Returns
        -------
        list of Tensor of shape (B, n_glue)
            Every iterate x_t.
        """
        b = y.shape[0]
        x = y.new_zeros(b, self.n_glue)
        s = y.new_zeros(b, self.hidden, self.n_glue)
        extra = []
        if self.temperature_input:
            if temperature is None:
                raise ValueError("this rRIM needs the temperature of each sample")
            extra.append((temperature / 300.0)[:, None, None].expand(b, 1, self.n_glue))
        if self.noise_input:
            if h is None:
                raise ValueError("this noise-conditioned rRIM needs the Landweber h of "
                                 "each sample")
            extra.append(h_feature(h).to(y.dtype)[:, None, None].expand(b, 1, self.n_glue))
        out = []
        for _ in range(n_steps or self.n_steps):
            grad = _apply(p, y - _apply(a, x))
            u = self.encode(torch.cat([x[:, None], grad[:, None], *extra], 1))
            s = self.gru(u, s)
            x = x + grad + self.decode(s)[:, 0]
            out.append(x)
        return out

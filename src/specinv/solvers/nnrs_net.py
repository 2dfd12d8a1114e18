"""The networks of NNRS: their settings and ``B`` stacked MLPs ω → ρ(ω).

:class:`NetConfig` holds every setting of a run (architecture, optimizer, stop rule);
:class:`BatchedMLP` evaluates ``B`` independent multilayer perceptrons whose weights
are stacked along a leading batch axis (``torch.baddbmm``); :func:`features` is
their input. Training is :mod:`specinv.solvers.nnrs_core`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from specinv.core.errors import ParameterError

ACTIVATIONS = ("relu", "tanh", "silu", "gelu")
OUTPUTS = ("softplus", "relu", "exp", "none")


@dataclass
class NetConfig:
    """Architecture and training recipe (all options of the ``nnrs`` solver that shape a run).

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    hidden : tuple of int
        Widths of the hidden layers.
    activation : {"relu", "tanh", "silu", "gelu"}
        Hidden activation.
    output : {"softplus", "relu", "exp", "none"}
        Output map making ρ ≥ 0 (``none`` allows negative values).
    fourier : int
        Number of deterministic Fourier frequencies ``sin/cos(π k x)``, k = 1..fourier,
        appended to the scaled input ``x ∈ [−1, 1]``.
    init : {"knots", "torch"}
        ``knots``: first-layer ReLU knots spread uniformly over the mesh, He-normal
        deeper layers, output bias set so the initial spectrum equals the data scale
        (keeps the output alive); ``torch``: PyTorch's default ``nn.Linear`` init
        with zero-centred output (the seed's setting).
    scale_input : bool
        Map ω to ``[−1, 1]`` (``False``: raw energies, as the seed).
    input_scale : float
        Factor on the scaled input ``x`` (with ``scale_input``).
    stages : tuple of (float, int)
        Adam stages ``(learning rate, steps)``; within the last stage the rate
        decays by cosine to 1 % when ``cosine`` is true.
    cosine : bool
        Cosine decay inside every stage.
    lbfgs_steps : int
        L-BFGS iterations after Adam (0: none).
    loss : {"chi2", "precond", "sse"}
        ``chi2``: mean of squared σ-weighted residuals; ``precond``: the same with
        singular component i weighted by ``1/(1 + s̃_i²/μ)``
        (:mod:`specinv.solvers.nnrs_misfit`); ``sse``: the seed's unweighted
        ``‖K ρ − g‖²``.
    precond_mu : float
        μ of the ``precond`` loss (> 0).
    target_chi2 : float or None
        Discrepancy stop: a member freezes when ``χ²/N ≤ target_chi2``.
    dtype : {"float64", "float32"}
        Precision of the networks and the misfit.
    extra : dict
        Expert switches read by :mod:`specinv.solvers.nnrs_core` (``reduced``,
        ``polish_dtype``, ``polish_chi2``); empty for the defaults.
    """

    hidden: tuple[int, ...] = (64, 64, 64)
    activation: str = "relu"
    output: str = "softplus"
    fourier: int = 0
    init: str = "knots"
    scale_input: bool = True
    input_scale: float = 1.0
    stages: tuple[tuple[float, int], ...] = ((1e-2, 2000),)
    cosine: bool = True
    lbfgs_steps: int = 0
    loss: str = "chi2"
    precond_mu: float = 1.0
    target_chi2: float | None = 1.0
    dtype: str = "float64"
    extra: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        """Check every setting.

        Raises
        ------
        ParameterError
            A setting outside its allowed values, naming it.
        """
        if not self.hidden or any(int(h) < 1 for h in self.hidden):
            raise ParameterError(f"hidden widths must be positive integers, got {self.hidden}")
        if self.activation not in ACTIVATIONS:
            raise ParameterError(
                f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if self.output not in OUTPUTS:
            raise ParameterError(f"output must be one of {OUTPUTS}, got {self.output!r}")
        if self.init not in ("knots", "torch"):
            raise ParameterError(f"init must be 'knots' or 'torch', got {self.init!r}")
        if self.loss not in ("chi2", "precond", "sse"):
            raise ParameterError(f"loss must be 'chi2', 'precond' or 'sse', got {self.loss!r}")
        if not self.precond_mu > 0:
            raise ParameterError(f"precond_mu must be > 0, got {self.precond_mu}")
        if self.dtype not in ("float64", "float32"):
            raise ParameterError(f"dtype must be 'float64' or 'float32', got {self.dtype!r}")
        if int(self.fourier) < 0 or int(self.lbfgs_steps) < 0:
            raise ParameterError("fourier and lbfgs_steps must be >= 0")
        if not self.stages or any(lr <= 0 or n < 0 for lr, n in self.stages):
            raise ParameterError(f"stages must be (lr > 0, steps >= 0) pairs, got {self.stages}")
        if self.target_chi2 is not None and not self.target_chi2 > 0:
            raise ParameterError(f"target_chi2 must be > 0 or None, got {self.target_chi2}")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready settings (tuples as lists), recorded in the result's metadata.

        Returns
        -------
        dict
            One entry per field.
        """
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        d["stages"] = [list(s) for s in self.stages]
        return d


def _softplus_inv(y: float) -> float:
    return y + math.log(-math.expm1(-y)) if y < 30 else y


def features(omega: np.ndarray, cfg: NetConfig) -> np.ndarray:
    """Network input for mesh points ω, shape (n_mesh, 1 + 2·fourier).

    Parameters
    ----------
    omega : ndarray of shape (n_mesh,)
        Mesh points (energy unit of the problem).
    cfg : NetConfig
        ``scale_input``, ``input_scale`` and ``fourier`` are used.

    Returns
    -------
    ndarray of shape (n_mesh, 1 + 2·fourier)
        ``x`` (ω mapped to [−1, 1] and scaled, or raw ω), then ``sin(πkx), cos(πkx)``
        for k = 1 … fourier.
    """
    w = np.asarray(omega, float)
    if cfg.scale_input:
        lo, hi = float(w.min()), float(w.max())
        x = 2.0 * (w - lo) / (hi - lo) - 1.0 if hi > lo else np.zeros_like(w)
        cols = [float(cfg.input_scale) * x]
    else:
        x = w.copy()
        cols = [x]
    for k in range(1, int(cfg.fourier) + 1):
        cols += [np.sin(np.pi * k * x), np.cos(np.pi * k * x)]
    return np.stack(cols, axis=1)


class BatchedMLP:
    """``B`` independent MLPs with stacked weights.

    Parameters
    ----------
    member_seeds : sequence of int or of int tuples, length B
        Seed of each member's initialization (a member's start does not depend on
        the rest of the batch, so batched and one-at-a-time runs agree).
    n_in : int
        Input features.
    cfg : NetConfig
        Architecture (hidden widths, activation, output map, init, dtype).
    out_scale : ndarray of shape (B,)
        Spectrum scale of each member: ρ = out_scale · output(net(x)).
    x_range : (float, float)
        Range of the first input feature (knot placement).
    """

    def __init__(self, member_seeds: np.ndarray, n_in: int, cfg: NetConfig,
                 out_scale: np.ndarray, x_range: tuple[float, float] = (-1.0, 1.0)) -> None:
        dt = getattr(torch, cfg.dtype)
        self.cfg = cfg
        self.out_scale = torch.as_tensor(np.asarray(out_scale, float), dtype=dt).reshape(-1, 1)
        sizes = [n_in, *[int(h) for h in cfg.hidden], 1]
        per_member = [self._init_one([int(v) for v in np.atleast_1d(sd)], sizes, cfg, dt, x_range)
                      for sd in member_seeds]
        n = len(sizes) - 1
        self.weights = [torch.stack([m[0][i] for m in per_member]) for i in range(n)]
        self.biases = [torch.stack([m[1][i] for m in per_member]) for i in range(n)]
        for p in self.parameters():
            p.requires_grad_(True)

    @staticmethod
    def _init_one(seed: list[int], sizes: list[int], cfg: NetConfig, dt: torch.dtype,
                  x_range: tuple[float, float]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Initial weights of one member from its own seed (independent of the batch)."""
        gen = torch.Generator().manual_seed(int(np.random.SeedSequence(seed).generate_state(1)[0]))
        ws, bs = [], []
        for layer, (fi, fo) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            last = layer == len(sizes) - 2
            if cfg.init == "torch":  # nn.Linear default: U(±1/√fan_in) for weights and biases
                bound = 1.0 / math.sqrt(fi)
                w = (torch.rand(fi, fo, generator=gen, dtype=dt) * 2 - 1) * bound
                b = (torch.rand(1, fo, generator=gen, dtype=dt) * 2 - 1) * bound
            elif layer == 0:
                # ReLU knots −b/w of the first layer spread uniformly over the input range
                lo, hi = x_range
                w = torch.randn(fi, fo, generator=gen, dtype=dt) * math.sqrt(2.0 / fi)
                c = lo + (hi - lo) * torch.rand(1, fo, generator=gen, dtype=dt)
                b = -(c * w[:1, :])
            elif last:
                w = torch.randn(fi, fo, generator=gen, dtype=dt) * (0.1 / math.sqrt(fi))
                b = torch.zeros(1, fo, dtype=dt)
                # start from a flat spectrum at the data scale: output alive, gradients O(1)
                b += {"softplus": _softplus_inv(1.0), "exp": 0.0}.get(cfg.output, 1.0)
            else:
                w = torch.randn(fi, fo, generator=gen, dtype=dt) * math.sqrt(2.0 / fi)
                b = torch.zeros(1, fo, dtype=dt)
            ws.append(w)
            bs.append(b)
        return ws, bs

    def parameters(self) -> list[torch.Tensor]:
        """The trainable tensors: every layer's weights, then every layer's biases.

        Returns
        -------
        list of Tensor
            Weights of shape (B, fan_in, fan_out), then biases of shape (B, 1, fan_out).
        """
        return [*self.weights, *self.biases]

    def set_parameters(self, params: list[np.ndarray]) -> None:
        """Replace weights then biases (as from :meth:`parameters`, leading axis B).

        Parameters
        ----------
        params : list of ndarray
            The new weights, then biases, with the shapes of :meth:`parameters`.

        Raises
        ------
        ParameterError
            Wrong number of arrays or a wrong shape.
        """
        n = len(self.weights)
        if len(params) != 2 * n:
            raise ParameterError(f"need {2 * n} parameter arrays, got {len(params)}")
        cur = self.parameters()
        new = []
        for p, a in zip(cur, params, strict=True):
            if tuple(np.shape(a)) != tuple(p.shape):
                raise ParameterError(f"parameter shape {np.shape(a)} != {tuple(p.shape)}")
            new.append(torch.as_tensor(np.asarray(a), dtype=p.dtype).clone().requires_grad_(True))
        self.weights, self.biases = new[:n], new[n:]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Spectra for input features ``x`` (n_mesh, n_in); returns (B, n_mesh)."""
        act = {"relu": torch.relu, "tanh": torch.tanh,
               "silu": torch.nn.functional.silu, "gelu": torch.nn.functional.gelu}
        act_fn = act[self.cfg.activation]
        B = self.weights[0].shape[0]
        h = x.unsqueeze(0).expand(B, -1, -1)
        n = len(self.weights)
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = torch.baddbmm(b, h, w)
            if i < n - 1:
                h = act_fn(h)
        y = h.squeeze(-1)
        out = self.cfg.output
        if out == "softplus":
            y = torch.nn.functional.softplus(y)
        elif out == "relu":
            y = torch.relu(y)
        elif out == "exp":
            y = torch.exp(torch.clamp(y, max=60.0))
        return self.out_scale * y

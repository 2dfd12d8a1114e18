"""Batched training engine of NNRS: many small networks ω → ρ(ω) trained at once.

Every member ``b`` of a batch is an independent multilayer perceptron whose
weights are stacked along a leading batch axis (shape ``(B, fan_in, fan_out)``)
and evaluated with ``torch.baddbmm``; the loss is the sum over members of
their reduced misfit ``χ²_b / N = mean_i ((K ρ_b − g_b)_i / σ_b,i)²``, so the
gradient of the sum is exactly each member's own gradient. The optimizer is a
batched Adam written out here so that every member has its own *active* flag:
a member stops (and keeps its spectrum) as soon as its ``χ²/N`` reaches the
discrepancy target, while the others go on. One code path therefore serves

- an ensemble of restarts for one spectrum (members = random initializations),
- a whole spectroscopic map (members = pixels × restarts), sharing one kernel.

An optional L-BFGS polish (float64, strong-Wolfe line search) follows Adam for
members that have not reached the target; it minimises the sum of the
members' losses, which is separable, so members do not interfere except
through the shared line-search step length.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from specinv.core.errors import ParameterError
from specinv.solvers.nnrs_misfit import Misfit

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
        Factor on the scaled input (only with ``scale_input``).
    stages : tuple of (float, int)
        Adam stages ``(learning rate, steps)``; within the last stage the rate
        decays by cosine to 1 % when ``cosine`` is true.
    cosine : bool
        Cosine decay inside every stage.
    lbfgs_steps : int
        L-BFGS iterations after Adam (0: none).
    loss : {"chi2", "precond", "sse"}
        ``chi2``: mean of squared σ-weighted residuals; ``precond``: the same with
        weights ``1/(1 + s̃²/μ)`` on the singular components (see
        :class:`~specinv.solvers.nnrs_misfit.Misfit`); ``sse``: the seed's
        unweighted ``‖K ρ − g‖²``.
    precond_mu : float
        Preconditioning strength μ of the ``precond`` loss, > 0.
    target_chi2 : float or None
        Discrepancy stop: a member freezes when ``χ²/N ≤ target_chi2``.
    dtype : {"float64", "float32"}
        Precision of the Adam phase.
    extra : dict
        Expert switches read by :func:`train_batched`: ``reduced`` (singular-basis
        misfit, default True), ``polish_dtype`` (default ``"float64"``) and
        ``polish_chi2`` (L-BFGS on plain χ², default True).
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
        """Check every field.

        Raises
        ------
        ParameterError
            On the first invalid field, naming it and the accepted values.
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
        """JSON-ready copy of the fields.

        Returns
        -------
        dict
            Field name to value, tuples turned into lists.
        """
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        d["stages"] = [list(s) for s in self.stages]
        return d


def _softplus_inv(y: float) -> float:
    return y + math.log(-math.expm1(-y)) if y < 30 else y


def features(omega: np.ndarray, cfg: NetConfig) -> np.ndarray:
    """Network input for mesh points ω.

    Parameters
    ----------
    omega : ndarray of shape (n_mesh,)
        Mesh points (energy unit of the problem).
    cfg : NetConfig
        Supplies ``scale_input``, ``input_scale`` and ``fourier``.

    Returns
    -------
    ndarray of shape (n_mesh, 1 + 2·fourier)
        Scaled (or raw) ω followed by ``sin/cos(π k x)`` columns.
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
        Architecture (widths, activation, output map, init, dtype).
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
        """The trainable tensors.

        Returns
        -------
        list of torch.Tensor
            Weights (B, fan_in, fan_out) of every layer, then biases (B, 1, fan_out).
        """
        return [*self.weights, *self.biases]

    def set_parameters(self, params: list[np.ndarray]) -> None:
        """Replace weights then biases (as from :meth:`parameters`, leading axis B).

        Parameters
        ----------
        params : list of ndarray
            Arrays of the same shapes as :meth:`parameters`, in the same order.
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


@dataclass
class TrainOutput:
    """Result of :func:`train_batched`.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------

    spectra : ndarray of shape (B, n_mesh)
        Best spectrum of each member (lowest loss seen, or the one that first met
        the discrepancy target).
    loss : ndarray of shape (B,)
        Loss of that spectrum (``χ²/N`` or the seed's SSE).
    steps : ndarray of shape (B,)
        Optimizer steps each member took.
    converged : ndarray of bool, shape (B,)
        Member reached ``target_chi2``.
    alive : ndarray of bool, shape (B,)
        Spectrum is not collapsed (max > 1e-6 of the data scale).
    params : list of ndarray
        Final weights then biases of every member (leading axis B), e.g. to warm-start
        the networks of similar spectra (``init_params`` of :func:`train_batched`).
    """

    spectra: np.ndarray
    loss: np.ndarray
    steps: np.ndarray
    converged: np.ndarray
    alive: np.ndarray
    params: list[np.ndarray] | None = None


def train_batched(kernel_matrix: np.ndarray, data: np.ndarray, sigma: np.ndarray,
                  omega: np.ndarray, cfg: NetConfig, *, seed: int = 0,
                  member_seeds: Any = None,
                  svd: tuple[np.ndarray, ...] | None = None,
                  compact_below: float = 0.5, progress: Any = None,
                  init_params: list[np.ndarray] | None = None) -> TrainOutput:
    """Fit one network per row of ``data`` so that ``K ρ_b ≈ g_b``.

    Parameters
    ----------
    kernel_matrix : ndarray of shape (n_data, n_mesh)
        Forward matrix shared by all members (quadrature weights included).
    data : ndarray of shape (B, n_data)
        One data vector per member (repeat a row for restarts of one spectrum).
    sigma : ndarray of shape (B, n_data)
        Error bars of ``data``.
    omega : ndarray of shape (n_mesh,)
        Mesh points (network input).
    cfg : NetConfig
        Architecture and training recipe.
    seed : int
        Seed of the initialization; member ``b`` starts from seed ``(seed, b)``.
    member_seeds : sequence, optional
        Explicit per-member seeds (ints or int tuples), overriding ``seed``.
    svd : (U, s, Vt), optional
        Thin SVD of ``kernel_matrix`` (reused by the truncated-basis misfit when the
        error bars are uniform; computed when needed and absent).
    compact_below : float
        When fewer than this fraction of the members in the batch are still active,
        the finished ones are dropped from the batch (saves time on maps).
    progress : callable, optional
        Called as ``progress(n_steps_done)`` after each optimizer step.
    init_params : list of ndarray, optional
        Start from these weights then biases (leading axis B, as ``TrainOutput.params``)
        instead of the seeded initialization.

    Returns
    -------
    TrainOutput
        Best spectrum, loss, steps and flags of every member, and the final weights.
    """
    cfg.validate()
    # subnormal floats (exp output deep in a gap) slow CPUs down by 10-100x; flush them
    torch.set_flush_denormal(True)
    try:
        return _train(kernel_matrix, data, sigma, omega, cfg, seed, member_seeds, svd,
                      compact_below, progress, init_params)
    finally:
        torch.set_flush_denormal(False)


def _train(kernel_matrix: np.ndarray, data: np.ndarray, sigma: np.ndarray, omega: np.ndarray,
           cfg: NetConfig, seed: int, member_seeds: Any, svd: Any, compact_below: float,
           progress: Any, init_params: Any = None) -> TrainOutput:
    dt = getattr(torch, cfg.dtype)
    Km = np.asarray(kernel_matrix, dtype=float)
    g_np = np.asarray(data, dtype=float)
    s_np = np.asarray(sigma, dtype=float)
    if g_np.ndim != 2 or g_np.shape != s_np.shape or g_np.shape[1] != Km.shape[0]:
        raise ParameterError("data and sigma must have shape (B, n_data) matching the kernel")
    B = g_np.shape[0]
    feats = features(omega, cfg)
    x = torch.as_tensor(feats, dtype=dt)
    # scale of ρ per member: data level over the kernel's typical row sum (kernel-agnostic)
    row = float(np.median(np.abs(Km).sum(axis=1)))
    level = np.median(np.abs(g_np), axis=1)
    out_scale = level / max(row, 1e-300)
    out_scale = np.where(np.isfinite(out_scale) & (out_scale > 0), out_scale, 1.0)
    if cfg.init == "torch":
        out_scale = np.ones(B)
    if member_seeds is None:
        member_seeds = [(int(seed), b) for b in range(B)]
    if len(member_seeds) != B:
        raise ParameterError(f"need one seed per member ({B}), got {len(member_seeds)}")
    x0 = feats[:, 0]
    net = BatchedMLP(np.asarray(member_seeds), x.shape[1], cfg, out_scale,
                     (float(x0.min()), float(x0.max())))
    if init_params is not None:
        net.set_parameters(init_params)
    misfit = Misfit(Km, g_np, s_np, cfg.loss, cfg.precond_mu, dt, svd=svd,
                    reduced=bool(cfg.extra.get("reduced", True)))
    st = _State(net, misfit, torch.arange(B))
    st.final = [p.detach().clone() for p in net.parameters()]

    def member_loss() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(loss to minimise, χ²/N or SSE, ρ) of the members currently in the batch."""
        rho = st.net(st.x)
        loss, chi = st.misfit(rho)
        return loss, chi, rho

    st.x = x
    target = -math.inf if cfg.target_chi2 is None or cfg.loss == "sse" else cfg.target_chi2
    best_loss = torch.full((B,), math.inf, dtype=torch.float64)
    best_rho = torch.zeros(B, Km.shape[1], dtype=torch.float64)
    active = torch.ones(B, dtype=torch.bool)
    steps = torch.zeros(B, dtype=torch.long)
    st.m = [torch.zeros_like(p) for p in st.net.parameters()]
    st.v = [torch.zeros_like(p) for p in st.net.parameters()]
    b1, b2, eps = 0.9, 0.999, 1e-12 if cfg.dtype == "float64" else 1e-8
    t = 0

    def record(loss: torch.Tensor, rho: torch.Tensor) -> None:
        idx = st.idx
        loss = loss.to(torch.float64)
        better = (loss < best_loss[idx]) & active[idx]
        best_loss[idx[better]] = loss[better]
        best_rho[idx[better]] = rho[better].to(torch.float64)
        done = active[idx] & (loss <= target)
        active[idx[done]] = False

    for lr0, n_steps in cfg.stages:
        for k in range(int(n_steps)):
            if not bool(active.any()):
                break
            loss, chi, rho = member_loss()
            with torch.no_grad():
                record(chi.detach(), rho.detach())
            in_batch = active[st.idx]
            if not bool(in_batch.any()):
                break
            if float(in_batch.double().mean()) < compact_below:
                st.compact(in_batch)  # drop finished members: the rest runs faster
                loss, chi, rho = member_loss()
            params = st.net.parameters()
            grads = torch.autograd.grad(loss.sum(), params)
            t += 1
            lr = lr0 * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * k / max(n_steps, 1)))
                        ) if cfg.cosine else lr0
            with torch.no_grad():
                mask = active[st.idx].to(params[0].dtype)
                for p, gr, mi, vi in zip(params, grads, st.m, st.v, strict=True):
                    gr = torch.nan_to_num(gr)
                    mi.mul_(b1).add_(gr, alpha=1 - b1)
                    vi.mul_(b2).addcmul_(gr, gr, value=1 - b2)
                    upd = (mi / (1 - b1**t)) / ((vi / (1 - b2**t)).sqrt() + eps)
                    p.sub_(lr * upd * mask.view(-1, *([1] * (p.ndim - 1))))
                steps[st.idx] += active[st.idx].long()
            if progress is not None:
                progress(1)
    if cfg.lbfgs_steps > 0 and bool(active.any()):
        st.compact(active[st.idx])
        st.to(getattr(torch, cfg.extra.get("polish_dtype", "float64")))
        _polish(st.net.parameters(), member_loss, record, cfg, progress,
                bool(cfg.extra.get("polish_chi2", True)))
        steps[st.idx] += int(cfg.lbfgs_steps)
    with torch.no_grad():
        _, chi, rho = member_loss()
        record(chi, rho)
    st.save_final()
    spectra = best_rho.numpy().copy()
    alive = spectra.max(axis=1) > 1e-6 * out_scale
    conv = best_loss.numpy() <= (cfg.target_chi2 if cfg.target_chi2 is not None else -1.0)
    return TrainOutput(spectra, best_loss.numpy().copy(), steps.numpy().copy(), conv, alive,
                       [p.to(torch.float64).numpy() for p in st.final])


class _State:
    """The members currently trained (indices ``idx`` into the batch) and their tensors."""

    def __init__(self, net: BatchedMLP, misfit: Misfit, idx: torch.Tensor) -> None:
        self.net, self.misfit, self.idx = net, misfit, idx
        self.x: torch.Tensor | None = None
        self.m: list[torch.Tensor] = []
        self.v: list[torch.Tensor] = []
        self.final: list[torch.Tensor] = []

    def save_final(self) -> None:
        """Copy the current parameters of the members in the batch into ``final``."""
        with torch.no_grad():
            for f, p in zip(self.final, self.net.parameters(), strict=True):
                f[self.idx] = p.detach().to(f.dtype)

    def compact(self, keep: torch.Tensor) -> None:
        """Keep only the members flagged in ``keep`` (bool over the current batch)."""
        self.save_final()
        with torch.no_grad():
            net = self.net
            net.weights = [w[keep].detach().requires_grad_(True) for w in net.weights]
            net.biases = [b[keep].detach().requires_grad_(True) for b in net.biases]
            net.out_scale = net.out_scale[keep]
            self.m = [a[keep] for a in self.m]
            self.v = [a[keep] for a in self.v]
            self.misfit.compact(keep)
            self.idx = self.idx[keep]

    def to(self, dtype: torch.dtype) -> None:
        """Convert network, input and misfit to ``dtype``."""
        with torch.no_grad():
            net = self.net
            net.weights = [w.detach().to(dtype).requires_grad_(True) for w in net.weights]
            net.biases = [b.detach().to(dtype).requires_grad_(True) for b in net.biases]
            net.out_scale = net.out_scale.to(dtype)
            self.x = self.x.to(dtype)
            self.misfit.to(dtype)


def _polish(params: list[torch.Tensor], member_loss: Any, record: Any, cfg: NetConfig,
            progress: Any, polish_chi2: bool = True) -> None:
    """L-BFGS on the summed loss of the members in the batch (strong-Wolfe line search)."""
    opt = torch.optim.LBFGS(params, lr=1.0, max_iter=int(cfg.lbfgs_steps),
                            history_size=20, line_search_fn="strong_wolfe",
                            tolerance_grad=0.0, tolerance_change=0.0)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss, chi, rho = member_loss()
        with torch.no_grad():
            record(chi.detach(), rho.detach())
        total = (chi if polish_chi2 else loss).sum()
        if not torch.isfinite(total):
            total = torch.nan_to_num(total, nan=1e300, posinf=1e300)
        total.backward()
        if progress is not None:
            progress(1)
        return total

    opt.step(closure)

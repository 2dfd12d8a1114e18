"""Autoencoder complexity analysis (seed 002, Fig. 5, 6 and Appendix F).

Each sample becomes one vector v = [α²F / s_f ; g / s_g] (1000 + 400 values).
With ``scaling="raw"`` (default, as the seed) s_f = s_g = one common scale, so
the parts weigh as in physical units: the gap part (meV, ~1) then carries
about 7× the α²F part (~0.3) in the MSE and the bottleneck is spent on what
determines Δ. ``scaling="balanced"`` divides each part by its own RMS (both
weigh alike; measured: the gap part is then reconstructed much worse at small
d_L, gap rel. error 0.21 at d_L = 2 on the complex set). An autoencoder with
a latent dimension d_L (encoder
n → 512 → 128 → d_L, decoder mirrored, ReLU, linear bottleneck and output) is
trained to reconstruct v. The reconstruction error of each part vs d_L shows
the complexity of α²F and of Δ; the reconstructions of all samples form the
"AE-transformed" data set {f_n, g_n} on which a new regressor is trained.

A bottleneck of d_L = 2 trained on the reconstruction MSE alone does not keep
λ = 2∫α²F/Ω dΩ (its low-Ω weight is a small part of the MSE). With
``moment_weight > 0`` the objective adds the relative moment loss of
:mod:`specinv.eliashberg.gap2a2f.momentloss` on the reconstructed α²F part (λ by
default), so the latent is spent on what determines λ as well.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from specinv.core.errors import ParameterError
from specinv.core.threads import compute_threads
from specinv.eliashberg.gap2a2f.momentloss import DEFAULT_POWERS, MomentLoss
from specinv.learning.blocks import mlp
from specinv.learning.training import TrainConfig, fit, seed_everything, shuffled_batches

LATENT_DIMS = (1, 2, 4, 8, 16, 32, 64)

#: Default ``AEConfig.moment_weight`` and how it was chosen.
DEFAULT_AE_MOMENT_WEIGHT = 3.0
AE_MOMENT_WEIGHT_SELECTION = (
    "validation split of the complex set (seed-0 81/9/10 split), d_L = 2, 30 epochs: "
    "weights 0, 0.3, 3, 30 gave α²F / gap relative reconstruction errors "
    "0.373/0.118, 0.385/0.113, 0.417/0.135, 0.468/0.172 and median λ error of the "
    "reconstructed α²F 11.5, 6.8, 1.7, 0.47 %; rule: smallest λ error with both part "
    "errors within 15 % of weight 0 -> 3.0")


@dataclass(frozen=True)
class AEConfig:
    """Options of :func:`train_autoencoder`.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    latent : int
        d_L.
    hidden : tuple of int
        Encoder widths (the decoder mirrors them).
    epochs, batch_size, patience : int
        Most epochs, rows per step, early-stopping patience (epochs).
    lr : float
        Adam learning rate.
    seed : int
        Seed of initialization and batch order.
    time_limit_s : float or None
        Wall-time limit of the training (s).
    threads : int
        torch threads.
    scaling : {"raw", "balanced"}
        Relative weight of the two parts (see the module docstring).
    moment_weight : float
        Weight of the relative moment loss of the reconstructed α²F part added
        to the reconstruction MSE (0: the seed's plain AE). The default was
        chosen on the validation split of the complex set at d_L = 2
        (see ``AE_MOMENT_WEIGHT_SELECTION``).
    moment_powers : tuple of float
        Powers p of μ_p = ∫Ω^p α²F dΩ in that loss (−1: λ).
    """

    latent: int = 2
    hidden: tuple[int, ...] = (512, 128)
    epochs: int = 400
    batch_size: int = 64
    lr: float = 1e-3
    patience: int = 30
    seed: int = 0
    time_limit_s: float | None = 300.0
    threads: int = 1
    scaling: str = "raw"
    moment_weight: float = DEFAULT_AE_MOMENT_WEIGHT
    moment_powers: tuple[float, ...] = DEFAULT_POWERS


class AutoEncoder(torch.nn.Module):
    """Dense autoencoder with a linear bottleneck of size ``latent``.

    Parameters
    ----------
    n : int
        Length of the input vectors.
    latent : int
        Bottleneck size d_L, >= 1.
    hidden : tuple of int
        Encoder widths (the decoder mirrors them).
    """

    def __init__(self, n: int, latent: int, hidden: tuple[int, ...] = (512, 128)) -> None:
        super().__init__()
        if latent < 1:
            raise ParameterError(f"latent dimension must be >= 1, got {latent}")
        self.encoder = mlp(n, latent, tuple(hidden))
        self.decoder = mlp(latent, n, tuple(reversed(hidden)))

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        """Reconstruction of the input rows.

        Parameters
        ----------
        v : Tensor of shape (B, n)
            Scaled input vectors.

        Returns
        -------
        Tensor of shape (B, n)
            Their reconstructions.
        """
        return self.decoder(self.encoder(v))


@dataclass
class PairAE:
    """A trained autoencoder of [α²F; g] with the part scales.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    net : AutoEncoder
        The trained network.
    n_f : int
        Length of the α²F part (first block).
    scale_f, scale_g : float
        Divisors of the two parts (see ``AEConfig.scaling``).
    config : AEConfig
        Training options.
    history : dict
        Training history.
    """

    net: AutoEncoder
    n_f: int
    scale_f: float
    scale_g: float
    config: AEConfig
    history: dict[str, Any]

    def _stack(self, f: np.ndarray, g: np.ndarray) -> torch.Tensor:
        v = np.concatenate([np.atleast_2d(f) / self.scale_f, np.atleast_2d(g) / self.scale_g],
                           axis=1)
        return torch.from_numpy(v.astype(np.float32))

    def transform(self, f: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Reconstructions (f_n, g_n) of the pairs (f, g) in physical units.

        Parameters
        ----------
        f : ndarray of shape (S, n_f)
            α²F rows.
        g : ndarray of shape (S, n_g)
            Gap features (meV) or DOS rows.

        Returns
        -------
        f_n : ndarray of shape (S, n_f)
            Reconstructed α²F.
        g_n : ndarray of shape (S, n_g)
            Reconstructed gap features (unit of ``g``).
        """
        self.net.eval()
        with torch.no_grad():
            out = self.net(self._stack(f, g)).numpy().astype(np.float64)
        return out[:, :self.n_f] * self.scale_f, out[:, self.n_f:] * self.scale_g

    def encode(self, f: np.ndarray, g: np.ndarray) -> np.ndarray:
        """Latent coordinates z of the pairs (f, g).

        Parameters
        ----------
        f : ndarray of shape (S, n_f)
            α²F rows.
        g : ndarray of shape (S, n_g)
            Gap features (meV) or DOS rows.

        Returns
        -------
        ndarray of shape (S, d_L)
            Latent codes.
        """
        self.net.eval()
        with torch.no_grad():
            return self.net.encoder(self._stack(f, g)).numpy().astype(np.float64)

    def part_errors(self, f: np.ndarray, g: np.ndarray) -> dict[str, float]:
        """Relative RMS reconstruction error of each part, ‖x_n − x‖/‖x‖ over all rows.

        Parameters
        ----------
        f : ndarray of shape (S, n_f)
            α²F rows.
        g : ndarray of shape (S, n_g)
            Gap features (meV) or DOS rows.

        Returns
        -------
        dict
            ``a2f_rel_rms``, ``gap_rel_rms``, ``a2f_mse`` and ``gap_mse_meV2``.
        """
        fn, gn = self.transform(f, g)
        return {"a2f_rel_rms": float(np.linalg.norm(fn - f) / np.linalg.norm(f)),
                "gap_rel_rms": float(np.linalg.norm(gn - g) / np.linalg.norm(g)),
                "a2f_mse": float(np.mean((fn - f) ** 2)),
                "gap_mse_meV2": float(np.mean((gn - g) ** 2))}


def train_autoencoder(f_train: np.ndarray, g_train: np.ndarray, f_val: np.ndarray,
                      g_val: np.ndarray, config: AEConfig = AEConfig(), *,
                      progress: bool = False, omega: np.ndarray | None = None) -> PairAE:
    """Train an autoencoder of the concatenated [α²F; g] vectors.

    Parameters
    ----------
    f_train : ndarray of shape (N, n_f)
        α²F rows.
    g_train : ndarray of shape (N, n_g)
        Gap features ([Re Δ; Im Δ], meV) or DOS rows.
    f_val, g_val : ndarray
        Validation rows (early stopping on their reconstruction MSE).
    config : AEConfig
        Training options.
    progress : bool
        Show a progress bar.
    omega : ndarray of shape (n_f,), optional
        α²F mesh in meV (needed when ``config.moment_weight > 0``).

    Returns
    -------
    PairAE
        The trained autoencoder (best validation weights) with its part scales.
    """
    weight = float(config.moment_weight)
    if not weight >= 0:
        raise ParameterError(f"moment weight must be >= 0, got {weight}")
    if weight > 0 and omega is None:
        raise ParameterError("a moment weight > 0 needs the α²F mesh (omega)")
    with compute_threads(config.threads):
        rng = seed_everything(config.seed)
        if config.scaling not in ("raw", "balanced"):
            raise ParameterError(f"scaling must be 'raw' or 'balanced', got {config.scaling!r}")
        scale_f = float(np.sqrt(np.mean(f_train ** 2))) or 1.0
        scale_g = float(np.sqrt(np.mean(g_train ** 2))) or 1.0
        if config.scaling == "raw":
            both = np.concatenate([f_train.ravel(), g_train.ravel()])
            common = float(np.sqrt(np.mean(both ** 2)))
            scale_f = scale_g = common or 1.0
        n_f = f_train.shape[1]
        net = AutoEncoder(n_f + g_train.shape[1], config.latent, tuple(config.hidden))
        ae = PairAE(net, n_f, scale_f, scale_g, config, {})
        vt = ae._stack(f_train, g_train)
        vv = ae._stack(f_val, g_val)
        batch, steps = shuffled_batches(vt.shape[0], config.batch_size, rng)
        mloss = MomentLoss(omega, tuple(config.moment_powers)) if weight > 0 else None
        mt = mloss.moments(vt[:, :n_f]) if mloss else None
        mv = mloss.moments(vv[:, :n_f]) if mloss else None

        def step_loss(step: int) -> torch.Tensor:
            idx = batch(step)
            out = net(vt[idx])
            loss = torch.mean((out - vt[idx]) ** 2)
            if mloss is not None:
                loss = loss + weight * mloss(out[:, :n_f], mt[idx])
            return loss

        def validate() -> dict:
            out = net(vv)
            rec = {"val_mse": float(torch.mean((out - vv) ** 2))}
            rec["val_moment"] = float(mloss(out[:, :n_f], mv)) if mloss is not None else 0.0
            rec["val_loss"] = rec["val_mse"] + weight * rec["val_moment"]
            return rec

        tc = TrainConfig(epochs=config.epochs, steps_per_epoch=steps, lr=config.lr,
                         patience=config.patience, monitor="val_loss", progress=progress,
                         time_limit_s=config.time_limit_s, grad_clip=None)
        t0 = time.perf_counter()
        hist = fit(net, step_loss, config=tc, validate=validate)
        hist["train_wall_s"] = time.perf_counter() - t0
        hist["ae_config"] = asdict(config)
        ae.history = hist
        net.eval()
        return ae

"""Configuration of the optics models: architecture, training options, Landweber h.

:class:`ModelConfig` holds everything recorded with the weights; :func:`auto_h`,
:func:`noise_h` and :func:`default_hidden` resolve the options left at None, and
:func:`build_model` makes the untrained network of a resolved config. Training is in
:mod:`specinv.optics.train`, the trained model in :mod:`specinv.optics.trained`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from specinv.core.errors import ParameterError
from specinv.optics.models import CNN, FCN, RRIM
from specinv.optics.setup import Y_SCALE, OpticsSetup

KINDS = ("rrim", "fcn", "cnn")


@dataclass
class ModelConfig:
    """Architecture and training options (all recorded with the weights).

    Parameters
    ----------
    kind : {"rrim", "fcn", "cnn"}
        Network.
    n_steps : int
        rRIM iterations N_t.
    h : float or None
        Landweber regularization of the rRIM (see the field comment below).
    hidden : int or None
        rRIM memory channels (see the field comment below).
    temperature_input : bool
        Give the rRIM the temperature as an input channel (models for a T range).
    noise_input : bool
        Noise-conditioned rRIM: h = max(σ, h_min) per sample, log10 h as an input channel.
    batch_size : int
        Samples per step.
    lr : float
        Adam learning rate.
    epochs : int
        Most epochs.
    min_steps_per_epoch : int
        Least optimizer steps per epoch (small training sets).
    patience : int
        Early-stopping patience in epochs.
    time_limit_s : float or None
        Wall-time limit of the training (s).
    seed : int
        Seed of initialization and batch order.
    scale_input : bool
        Exactly scale-equivariant model: each spectrum is divided by
        c = max |1/τ| / ``Y_SCALE`` and its glue multiplied by c, in training and
        prediction (:func:`input_scales`).
    step_weights : {"uniform", "linear"}
        rRIM loss weights w_t (see :func:`~specinv.optics.train.step_weights`).
    """

    kind: str = "rrim"
    n_steps: int = 15
    #: Landweber regularization h of the rRIM; None: :func:`auto_h` of the training noise.
    #: Noise-conditioned models: the smallest h, h_min of :func:`noise_h` (None: H_MIN)
    h: float | None = None
    #: rRIM memory channels; None: :func:`default_hidden` (8, or 16 if noise-conditioned)
    hidden: int | None = None
    temperature_input: bool = False
    #: noise-conditioned rRIM: h = max(σ, h_min) per sample, log10 h as an input channel
    noise_input: bool = False
    batch_size: int = 32
    lr: float = 1e-3
    epochs: int = 60
    min_steps_per_epoch: int = 25
    patience: int = 10
    time_limit_s: float | None = None
    seed: int = 0
    #: rRIM loss weights w_t: "uniform" (w_t = 1, seed 001) or "linear" (w_t ∝ t, Σ w_t = N_t)
    step_weights: str = "uniform"
    #: divide each spectrum by max |1/τ| / Y_SCALE and multiply its glue back (training and
    #: prediction): exactly scale-equivariant (off for the weights shipped before it existed)
    scale_input: bool = False


def input_scales(y: np.ndarray) -> np.ndarray:
    """Per-spectrum factor c = max |1/τ| / ``Y_SCALE`` of scale-equivariant models (1 for zeros).

    Parameters
    ----------
    y : ndarray of shape (B, n_omega)
        Scattering rates 1/τ (meV).

    Returns
    -------
    ndarray of shape (B, 1)
        The factors c; a model sees y / c and answers c × its glue.
    """
    top = np.max(np.abs(np.atleast_2d(y)), axis=1, keepdims=True)
    return np.where(top > 0, top / Y_SCALE, 1.0)


#: smallest h of every rRIM: h_min of noise-conditioned rRIMs and the floor of
#: :func:`auto_h`. Chosen on validation data only. Noise-conditioned (N = 1e4, σ ∈ {0,
#: 1e-5, 1e-4, 1e-3, 1e-2} mixed, 1500 steps, seed 0): geometric mean over the levels of
#: the validation MSE for h_min = 1e-4 … 1e-8 was 7.2, 6.1, 5.8, 5.6, 5.2 × 1e-4. Fixed
#: noise: see :func:`auto_h`. The grid stops at 1e-8, below the float32 resolution
#: (1.2e-7) of the network's inputs
H_MIN = 1e-8


def auto_h(noise: float) -> float:
    """Landweber regularization h for training data of relative noise σ: ``max(σ, H_MIN)``.

    Seed 001 fixes h = 0.01 in its own discretization of the kernel, which it does
    not give, and tunes hyperparameters on validation data; in ours (scaled units,
    :mod:`specinv.optics.setup`) h was chosen on validation data:

    - noisy training data, N = 1000, 400 steps, σ = 1e-3 … 0.1: best at h ≈ σ;
    - σ = 1e-5, N = 1000, 1500 steps, 2 seeds: test MSE 1.3e-4 at h = 1e-5 against
      2.4e-4 at h = 1e-4;
    - noise-free data, N = 1e4, 1500 steps, 3 seeds: validation MSE 3.2, 2.5, 2.0,
      1.5, 1.2, 0.74, 0.49 × 1e-4 for h = 1e-4, 3e-5, 1e-5, 3e-6, 1e-6, 1e-7, 1e-8,
      so the floor is :data:`H_MIN`, as for noise-conditioned rRIMs.

    A model trained on noise-free data is therefore exact-data-only: the
    preconditioner amplifies input noise by up to 1/(2√h) = 5000, and the same
    noise-free h = 1e-8 models score 3.1e-3 on the validation spectra with 1e-5
    relative noise added and 0.33 with 1e-4. Noisy spectra need a model trained at
    their noise level, or a noise-conditioned one (``ModelConfig.noise_input``);
    :class:`specinv.optics.solvers.OpticsLearnedSolver` warns when the data are noisier than
    a model's training set.

    Parameters
    ----------
    noise : float
        Relative noise σ of the training set (≥ 0).

    Returns
    -------
    float
        h in the scaled units of :mod:`specinv.optics.setup`.
    """
    return max(float(noise), H_MIN)


def default_hidden(noise_input: bool) -> int:
    """Memory channels of an rRIM whose ``ModelConfig.hidden`` is None.

    8 for a fixed-noise rRIM (16 before): inference 0.28 instead of 0.42 ms per
    spectrum (batched, one thread) and no worse out of distribution. Square-wave glue
    outside the bench's OOD set, 1e-4 noise, N = 1e4 σ = 0 trainings (h = 1e-4, the
    floor of :func:`auto_h` then): MSE 0.0093 (3 seeds) against 0.0101 (16) and 0.0103
    (4); in distribution 3.1e-4 against 2.4e-4 (CNN 2.4e-3). 16 for a noise-conditioned
    rRIM, which covers five noise levels with one network: with 8 its test MSE at
    N = 1e4 is 14–33 % higher at every level and its noise-free OOD squares (σ
    estimated) 0.0069 against 0.0063 (``bench optics``, 3 trainings each).

    Parameters
    ----------
    noise_input : bool
        Whether the rRIM is noise-conditioned.

    Returns
    -------
    int
        Memory channels (8 or 16).
    """
    return 16 if noise_input else 8


def noise_h(noise: float | np.ndarray, h_min: float) -> np.ndarray:
    """Landweber h of a noise-conditioned rRIM per sample: ``max(σ, h_min)``.

    Parameters
    ----------
    noise : float or ndarray of shape (B,)
        Relative noise σ of each spectrum (standard deviation / max |1/τ|, ≥ 0).
    h_min : float
        Smallest h (> 0), used for noise-free and nearly noise-free spectra.

    Returns
    -------
    ndarray of shape (B,) or ()
        h per spectrum (scaled units).
    """
    nz = np.asarray(noise, dtype=float)
    if not np.all(nz >= 0):
        raise ParameterError(f"relative noise levels must be >= 0, got {noise}")
    return np.maximum(nz, h_min)


def build_model(cfg: ModelConfig, setup: OpticsSetup) -> torch.nn.Module:
    """Untrained network of ``cfg``.

    Parameters
    ----------
    cfg : ModelConfig
        A resolved config (``hidden`` set, as after
        :func:`~specinv.optics.train.train_model` or in a saved model's JSON).
    setup : OpticsSetup
        Grids (sizes of the input and output layers).

    Returns
    -------
    torch.nn.Module
        FCN, CNN or RRIM.
    """
    if cfg.kind == "fcn":
        return FCN(setup.n_omega, setup.n_glue)
    if cfg.kind == "cnn":
        return CNN(setup.n_omega, setup.n_glue)
    if cfg.kind == "rrim":
        return RRIM(setup.n_glue, cfg.hidden, cfg.n_steps, cfg.temperature_input,
                    cfg.noise_input)
    raise ParameterError(f"unknown model kind {cfg.kind!r}; valid: {', '.join(KINDS)}")

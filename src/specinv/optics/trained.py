"""A trained optics model: inference on the setup's grid, and its weights file.

:class:`TrainedModel` bundles the network with its resolved :class:`ModelConfig`, grids
and training record; :meth:`TrainedModel.save` and :meth:`TrainedModel.load` write and
read it through :mod:`specinv.learning.weights`. Made by
:func:`specinv.optics.train.train_model`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from specinv.core.errors import InputError, ParameterError
from specinv.core.threads import compute_threads
from specinv.learning.weights import display, load_state, load_torch, save_torch
from specinv.optics.config import ModelConfig, build_model, input_scales, noise_h
from specinv.optics.fast import SINGLE_THREAD_ROWS, KernelBank, StackedRRIM
from specinv.optics.setup import Y_SCALE, OpticsSetup

#: kind recorded in (and required of) the metadata of optics weights
WEIGHTS_KIND = "optics-model"


@dataclass
class TrainedModel:
    """A trained optics model with everything needed to use and reproduce it.

    Parameters
    ----------
    config : ModelConfig
        Resolved architecture and training options (``h`` set).
    setup : OpticsSetup
        Grids (meV) and default temperature (K).
    model : torch.nn.Module
        The trained network.
    temperature_range : (float, float)
        Temperatures of the training data (K).
    history : dict
        Training history.
    data_params : dict
        Parameters of the training data set.
    """

    config: ModelConfig
    setup: OpticsSetup
    model: torch.nn.Module
    temperature_range: tuple[float, float]
    history: dict[str, Any] = field(default_factory=dict)
    data_params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.config.h is None:
            raise ParameterError("a TrainedModel needs its Landweber h (ModelConfig.h); "
                                 "train_model fills it in from the training noise")
        self._bank = KernelBank(self.setup, self.config.h)
        self._stacked: StackedRRIM | None = None
        self.model.eval()

    @property
    def kind(self) -> str:
        """Network kind (``rrim``, ``fcn`` or ``cnn``)."""
        return self.config.kind

    @property
    def noise_input(self) -> bool:
        """Whether this is a noise-conditioned rRIM (``predict`` needs ``noise``)."""
        return self.kind == "rrim" and self.config.noise_input

    def sample_h(self, noise: float | np.ndarray | None, n: int) -> np.ndarray | None:
        """Per-sample Landweber h of a noise-conditioned rRIM; None for other models.

        Parameters
        ----------
        noise : float or ndarray of shape (n,) or None
            Relative noise σ of each spectrum (standard deviation / max |1/τ|).
        n : int
            Number of spectra.

        Returns
        -------
        ndarray of shape (n,) or None
            ``max(σ, h_min)`` per spectrum.
        """
        if not self.noise_input:
            return None
        if noise is None:
            raise ParameterError("this noise-conditioned rRIM needs the relative noise level "
                                 "of the data (σ / max |1/τ|)")
        return np.array(np.broadcast_to(noise_h(noise, self.config.h), (n,)))

    def predict(self, y: np.ndarray, temperature: float | np.ndarray,
                n_steps: int | None = None, all_steps: bool = False,
                noise: float | np.ndarray | None = None) -> np.ndarray:
        """Glue functions from scattering rates on the setup's grid.

        The rRIM runs through :class:`~specinv.optics.fast.StackedRRIM`; small
        batches use one torch thread.

        Parameters
        ----------
        y : ndarray of shape (B, n_omega)
            1/τ (meV) on ``setup.omega()``.
        temperature : float or ndarray of shape (B,)
            Temperature of each spectrum (K).
        n_steps : int, optional
            rRIM iterations (default: the trained N_t).
        all_steps : bool
            rRIM: return every iterate.
        noise : float or ndarray of shape (B,), optional
            Relative noise σ of each spectrum (standard deviation / max |1/τ|),
            required by noise-conditioned rRIMs, ignored otherwise.

        Returns
        -------
        ndarray of shape (B, n_glue), or (N_t, B, n_glue) with ``all_steps``
            Glue I²χ(Ω) (dimensionless).
        """
        y = np.atleast_2d(np.asarray(y, dtype=float))
        # scale-equivariant models see y/c and answer c × glue (c = 1 for the others)
        c = input_scales(y) if self.config.scale_input else np.ones((y.shape[0], 1))
        temps = np.array(np.broadcast_to(np.asarray(temperature, dtype=float), (y.shape[0],)))
        hs = self.sample_h(noise, y.shape[0])
        yt = torch.as_tensor(y / c / Y_SCALE, dtype=torch.float32)
        with torch.no_grad(), compute_threads(1 if y.shape[0] <= SINGLE_THREAD_ROWS else None):
            if self.kind != "rrim":
                out = self.model(yt).numpy().astype(float) * c
                return out[None] if all_steps else out
            a, p = self.bank.batch(temps, hs)
            tt = torch.as_tensor(temps, dtype=torch.float32)
            ht = None if hs is None else torch.as_tensor(hs, dtype=torch.float32)
            xs = self.stacked()(yt, a, p, tt, n_steps=n_steps, all_steps=all_steps, h=ht)
        return xs[..., 0, :].numpy().astype(float) * c

    @property
    def bank(self) -> KernelBank:
        """Scaled kernels and Landweber preconditioners per temperature (cached)."""
        return self._bank

    def stacked(self) -> StackedRRIM:
        """This rRIM as a (cached) :class:`StackedRRIM` of one model.

        Returns
        -------
        StackedRRIM
            The fused one-member ensemble.
        """
        if self._stacked is None:
            self._stacked = StackedRRIM([self.model])
        return self._stacked

    def save(self, path: str | Path, recipe: str = "specinv.optics.train.train_model") -> Path:
        """Write ``path`` (.pt weights) and ``path.json`` (config, setup, history, checksum).

        Parameters
        ----------
        path : str or Path
            Weights file.
        recipe : str
            The script or command that trained the model (recorded in the metadata).

        Returns
        -------
        Path
            The weights file written (its metadata beside it as ``path.json``).
        """
        meta = {"config": asdict(self.config), "setup": self.setup.to_dict(),
                "temperature_range_K": list(self.temperature_range),
                "data": self.data_params, "history": self.history,
                "torch_version": torch.__version__}
        return save_torch(path, self.model.state_dict(), meta, kind=WEIGHTS_KIND, recipe=recipe)

    @classmethod
    def load(cls, path: str | Path) -> TrainedModel:
        """Read a model written by :meth:`save` (see :mod:`specinv.learning.weights`).

        Parameters
        ----------
        path : str or Path
            Weights file (``.pt``, with its ``.json`` metadata beside it).

        Returns
        -------
        TrainedModel
            The model in evaluation mode, with its config, setup, temperature range (K),
            training history and data parameters.

        Raises
        ------
        InputError
            Any file that is not an optics model's weights with their metadata.
        """
        state, meta = load_torch(path, WEIGHTS_KIND)
        try:
            cfg = ModelConfig(**meta["config"])
            setup = OpticsSetup(**meta["setup"])
            t_range = (float(meta["temperature_range_K"][0]), float(meta["temperature_range_K"][1]))
            model = build_model(cfg, setup)
        except (KeyError, TypeError, ValueError, IndexError, ParameterError):
            raise InputError("metadata lacks a valid optics model config, setup or temperature "
                             "range", display(path)) from None
        load_state(model, state, path)
        return cls(cfg, setup, model, t_range, meta.get("history", {}), meta.get("data", {}))

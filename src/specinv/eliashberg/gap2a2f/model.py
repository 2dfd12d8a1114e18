"""The seed's regressor: MLP n_in → 500 → 800 → n_out (ReLU, linear output).

:class:`Regressor` wraps the network with its scalers (per-feature input
standardization, one output scale) and the meshes and physical parameters of
the training set, and saves everything to one NPZ (weights optionally in
float16, which keeps the shipped model < 5 MB).

A regressor may carry a *decoder* (the α²F part of an autoencoder's decoder,
see :meth:`Regressor.with_decoder`): the network then predicts the AE latent
code z from the gap, and :meth:`Regressor.predict` returns the decoded α²F
(the "latent head" of :mod:`specinv.eliashberg.gap2a2f.experiment`). The decoder is saved
in the same NPZ, so such a model is used exactly like a plain one. The NPZ and its
metadata JSON are written and verified by :mod:`specinv.learning.weights`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from specinv.core.errors import InputError
from specinv.learning import blocks
from specinv.learning.weights import display, load_npz, load_state, save_npz

HIDDEN = (500, 800)
FORMAT = "specinv-gap2a2f-model"
#: kind recorded in (and required of) the metadata of gap2a2f weights
WEIGHTS_KIND = "gap2a2f-regressor"


def mlp(n_in: int, n_out: int, hidden: tuple[int, ...] = HIDDEN) -> torch.nn.Sequential:
    """The seed's MLP: ReLU after every hidden layer, linear output (:func:`blocks.mlp`).

    Parameters
    ----------
    n_in, n_out : int
        Input and output widths.
    hidden : tuple of int
        Hidden widths.

    Returns
    -------
    torch.nn.Sequential
        Linear layers n_in → hidden… → n_out with ReLU between them, untrained.
    """
    return blocks.mlp(n_in, n_out, hidden, activation=torch.nn.ReLU)


@dataclass
class Regressor:
    """A trained MLP with its scalers and provenance.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    net : torch.nn.Sequential
        The MLP (standardized inputs → outputs in units of ``y_scale``).
    x_mean, x_std : ndarray of shape (n_in,)
        Input standardization.
    y_scale : float
        Outputs are predicted in units of ``y_scale``.
    meta : dict
        ``input`` ("gap"/"dos"), ``omega`` (meV, input mesh), ``omega_a2f`` (meV),
        ``temperature_K``, ``mu_star``, domain statistics, training parameters.
    decoder : torch.nn.Sequential or None
        Latent code (d_L,) → α²F in units of ``decoder_scale`` (None: the network
        predicts α²F directly).
    decoder_scale : float
        α²F unit of the decoder output.
    """

    net: torch.nn.Sequential
    x_mean: np.ndarray
    x_std: np.ndarray
    y_scale: float
    meta: dict[str, Any] = field(default_factory=dict)
    decoder: torch.nn.Sequential | None = None
    decoder_scale: float = 1.0

    @classmethod
    def create(cls, x_train: np.ndarray, y_train: np.ndarray, *,
               hidden: tuple[int, ...] = HIDDEN, meta: dict | None = None) -> Regressor:
        """New untrained regressor with scalers fitted on the training arrays.

        Parameters
        ----------
        x_train : ndarray of shape (S, n_in)
            Training inputs (gap or DOS features).
        y_train : ndarray of shape (S, n_out)
            Training targets (α²F rows or latent codes).
        hidden : tuple of int
            Hidden layer widths.
        meta : dict, optional
            Provenance stored with the model.

        Returns
        -------
        Regressor
            The untrained regressor.
        """
        x_mean = x_train.mean(axis=0)
        x_std = np.maximum(x_train.std(axis=0), 1e-3 * max(float(x_train.std()), 1e-12))
        y_scale = float(np.sqrt(np.mean(y_train ** 2))) or 1.0
        net = mlp(x_train.shape[1], y_train.shape[1], hidden)
        return cls(net, x_mean.astype(np.float32), x_std.astype(np.float32), y_scale,
                   dict(meta or {}, hidden=list(hidden)))

    def scale_x(self, x: np.ndarray) -> torch.Tensor:
        """Standardized inputs as a float32 tensor.

        Parameters
        ----------
        x : ndarray of shape (S, n_in)
            Input rows.

        Returns
        -------
        Tensor of shape (S, n_in)
            ``(x − x_mean) / x_std``.
        """
        return torch.from_numpy(((np.asarray(x, dtype=np.float32) - self.x_mean)
                                 / self.x_std).astype(np.float32))

    def with_decoder(self, decoder: torch.nn.Sequential, n_a2f: int,
                     scale: float) -> Regressor:
        """This regressor (predicting latent codes) followed by an AE decoder.

        Parameters
        ----------
        decoder : torch.nn.Sequential
            Linear/ReLU layers ending in a Linear layer whose first ``n_a2f``
            outputs are α²F in units of ``scale`` (the autoencoder's decoder).
        n_a2f : int
            Length of the α²F block kept from the decoder output.
        scale : float
            α²F unit of the decoder output.

        Returns
        -------
        Regressor
            A regressor whose :meth:`predict` returns decoded α²F.
        """
        hidden = tuple(int(m.out_features) for m in decoder[:-1]
                       if isinstance(m, torch.nn.Linear))
        dec = mlp(int(decoder[0].in_features), int(n_a2f), hidden)
        state = {k: v.detach().clone() for k, v in decoder.state_dict().items()}
        last = f"{len(decoder) - 1}"
        state[f"{last}.weight"] = state[f"{last}.weight"][:n_a2f]
        state[f"{last}.bias"] = state[f"{last}.bias"][:n_a2f]
        dec.load_state_dict(state)
        dec.eval()
        meta = dict(self.meta, head="latent", latent_dim=int(decoder[0].in_features),
                    decoder_hidden=list(hidden))
        return Regressor(self.net, self.x_mean, self.x_std, self.y_scale, meta, dec,
                         float(scale))

    def predict_raw(self, x: np.ndarray, batch: int = 4096) -> np.ndarray:
        """Network output for input rows: α²F, or latent codes with a decoder.

        Parameters
        ----------
        x : ndarray of shape (S, n_in)
            Input rows.
        batch : int
            Rows per forward pass.

        Returns
        -------
        ndarray of shape (S, n_out), float64
            Outputs in physical units (times ``y_scale``).
        """
        x = np.atleast_2d(x)
        self.net.eval()
        out = []
        with torch.no_grad():
            for i in range(0, x.shape[0], batch):
                out.append(self.net(self.scale_x(x[i:i + batch])).numpy())
        return np.concatenate(out).astype(np.float64) * self.y_scale

    def decode(self, z: np.ndarray) -> np.ndarray:
        """α²F for latent rows ``z``; needs a decoder.

        Parameters
        ----------
        z : ndarray of shape (S, d_L)
            Latent codes.

        Returns
        -------
        ndarray of shape (S, n_a2f), float64
            Decoded α²F.
        """
        if self.decoder is None:
            raise ValueError("this regressor has no decoder")
        with torch.no_grad():
            out = self.decoder(torch.from_numpy(np.atleast_2d(z).astype(np.float32)))
        return out.numpy().astype(np.float64) * self.decoder_scale

    def predict(self, x: np.ndarray, batch: int = 4096) -> np.ndarray:
        """α²F for input rows ``x``.

        Parameters
        ----------
        x : ndarray of shape (S, n_in)
            Input rows.
        batch : int
            Rows per forward pass.

        Returns
        -------
        ndarray of shape (S, n_a2f), float64
            Predicted α²F (dimensionless).
        """
        out = self.predict_raw(x, batch)
        return out if self.decoder is None else self.decode(out)

    def save(self, path: str | Path, *, half: bool = False,
             recipe: str = "specinv eliashberg train") -> Path:
        """Write one NPZ (weights, scalers, metadata) and its metadata JSON (atomically).

        Parameters
        ----------
        path : str or Path
            ``.npz`` file; the metadata goes to the ``.json`` beside it.
        half : bool
            Store the weights in float16.
        recipe : str
            The script or command that trained the model (recorded in the metadata).

        Returns
        -------
        Path
            The ``.npz`` file written (its metadata JSON beside it).
        """
        arrays: dict[str, np.ndarray] = {}
        for prefix, net in (("w", self.net), ("d", self.decoder)):
            for k, v in ({} if net is None else net.state_dict()).items():
                a = v.detach().cpu().numpy()
                arrays[f"{prefix}:{k}"] = a.astype(np.float16) if half else a
        arrays["x_mean"], arrays["x_std"] = self.x_mean, self.x_std
        meta = dict(self.meta, format=FORMAT, y_scale=self.y_scale,
                    decoder_scale=self.decoder_scale,
                    n_in=int(self.x_mean.size), n_out=int(self.net[-1].out_features),
                    weights_dtype="float16" if half else "float32")
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        return save_npz(path, arrays, meta, kind=WEIGHTS_KIND, recipe=recipe)

    @classmethod
    def load(cls, path: str | Path) -> Regressor:
        """Read a model written by :meth:`save` (see :mod:`specinv.learning.weights`).

        Parameters
        ----------
        path : str or Path
            NPZ file.

        Returns
        -------
        Regressor
            The model (networks in evaluation mode).

        Raises
        ------
        InputError
            Any file that is not a gap2a2f model with its metadata.
        """
        arrays, _ = load_npz(path, WEIGHTS_KIND)
        name = display(path)
        try:
            meta = json.loads(bytes(arrays["meta"]).decode())
            x_mean, x_std = arrays["x_mean"], arrays["x_std"]
            net = mlp(meta["n_in"], meta["n_out"], tuple(meta["hidden"]))
            dec = None
            if meta.get("head") == "latent":
                last = arrays[f"d:{2 * len(meta['decoder_hidden'])}.bias"]
                dec = mlp(meta["latent_dim"], int(last.size), tuple(meta["decoder_hidden"]))
            y_scale = float(meta["y_scale"])
            decoder_scale = float(meta.get("decoder_scale", 1.0))
        except (KeyError, TypeError, ValueError, UnicodeDecodeError):
            raise InputError("not a specinv gap2a2f model (metadata, scalers or decoder "
                             "missing)", name) from None
        for prefix, module in (("w", net), ("d", dec)):
            if module is not None:
                load_state(module, {k[2:]: torch.from_numpy(a.astype(np.float32))
                                    for k, a in arrays.items() if k.startswith(f"{prefix}:")},
                           path)
        return cls(net, x_mean, x_std, y_scale, meta, dec, decoder_scale)

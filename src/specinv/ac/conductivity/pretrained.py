"""The shipped model: attention network, Loss 1, trained on ``element_mixed_data``.

:func:`train_shipped` is the script that produced
``specinv/data/conductivity/attention_element_mixed.pt`` and its JSON of training
parameters (``specinv conductivity train --output DIR`` runs it);
:func:`load_pretrained` loads it; :func:`predict` runs the network and, by
default, the least-squares Drude refinement.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from specinv.ac.conductivity.data import build_dataset
from specinv.ac.conductivity.models import MODELS, build_model
from specinv.ac.conductivity.refine import refine_drude
from specinv.ac.conductivity.train import predict_labels, train_label_model
from specinv.core.errors import InputError, ParameterError
from specinv.learning.weights import display, load_state, load_torch, save_torch, shipped

WEIGHTS = "attention_element_mixed.pt"
#: kind recorded in (and required of) the metadata of conductivity-network weights
WEIGHTS_KIND = "conductivity-network"
SHIPPED = {"model": "attention", "loss": "loss1", "dataset": "element_mixed_data", "seed": 0,
           "epochs": 30, "noise": 0.0}


def train_shipped(out_dir: str | Path, cache_dir: str | Path | None = None) -> dict:
    """Train the shipped model and write ``WEIGHTS`` + ``.json`` into ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Output directory (created).
    cache_dir : str or Path, optional
        Data set cache (None: no caching).

    Returns
    -------
    dict
        The metadata written next to the weights (recipe, settings, best validation
        loss and epoch, wall time in s, torch version).
    """
    data = build_dataset(SHIPPED["dataset"], seed=SHIPPED["seed"], noise=SHIPPED["noise"],
                         cache_dir=cache_dir)
    model, hist = train_label_model(SHIPPED["model"], data, loss=SHIPPED["loss"],
                                    epochs=SHIPPED["epochs"], seed=SHIPPED["seed"])
    meta = {**SHIPPED, "settings": hist["settings"], "best_val_loss": hist["best"],
            "best_epoch": hist["best_epoch"], "train_wall_time_s": hist["wall_time_s"],
            "torch_threads": torch.get_num_threads(), "torch_version": torch.__version__}
    save_torch(Path(out_dir) / WEIGHTS, model.state_dict(), meta, kind=WEIGHTS_KIND,
               recipe="specinv conductivity train")
    return meta


def load_pretrained(path: str | Path | None = None) -> torch.nn.Module:
    """The shipped (or a user-given) attention model in eval mode.

    Parameters
    ----------
    path : str or Path, optional
        Weights file with its metadata JSON (default: the shipped model). The metadata
        names the network (``"model"``, one of :data:`MODELS`) and may give its
        constructor arguments (``"architecture"``, e.g. ``{"width": 64}``).

    Returns
    -------
    torch.nn.Module
        The network named in the metadata, with the stored weights, in eval mode.

    Raises
    ------
    InputError
        Any file that is not conductivity-network weights with their metadata.
    """
    p = shipped("conductivity", WEIGHTS) if path is None else Path(path)
    state, meta = load_torch(p, WEIGHTS_KIND)
    try:
        model = build_model(meta["model"], **meta.get("architecture", {}))
    except (KeyError, TypeError, ParameterError):
        raise InputError(f"metadata names no conductivity model (one of {', '.join(MODELS)})",
                         display(p)) from None
    load_state(model, state, p)
    return model


def read_lambda_npz(path: str | Path) -> np.ndarray:
    """Λ inputs from an ``.npz`` (key ``x``, ``lambda`` or the only array).

    Parameters
    ----------
    path : str or Path
        The archive.

    Returns
    -------
    ndarray of shape (n, 10, 200)
        Λ_T(τ) (a single (10, 200) array gets a leading axis).

    Raises
    ------
    InputError
        Missing or unreadable file, no suitable array, wrong shape, non-positive values.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", str(p))
    try:
        z = np.load(p)
    except (OSError, ValueError):
        raise InputError("not a readable .npz archive", str(p)) from None
    keys = [k for k in ("x", "lambda") if k in z.files] or z.files
    if len(keys) != 1 and not any(k in z.files for k in ("x", "lambda")):
        raise InputError(f"expected an array named 'x' or 'lambda', found {z.files}", str(p))
    x = np.asarray(z[keys[0]], dtype=float)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.shape[1:] != (10, 200):
        raise InputError(f"array {keys[0]!r} must have shape (n, 10, 200) or (10, 200): ten "
                         f"temperatures 0.1..1.0 × 200 τ midpoints; got {x.shape}", str(p))
    if not np.all(np.isfinite(x)) or np.any(x <= 0):
        raise InputError(f"array {keys[0]!r} must be finite and > 0 (Λ(τ) is positive)", str(p))
    return x


def predict(x: np.ndarray, *, refine: bool = True, rel_noise: float = 1e-3,
            model: torch.nn.Module | None = None) -> tuple[np.ndarray, list[dict]]:
    """Drude labels for Λ_T(τ) inputs; ``refine`` adds the Drude least squares.

    Parameters
    ----------
    x : ndarray of shape (n, 10, 200)
        Λ_T(τ) inputs.
    refine : bool
        Refine each network label by least squares (:func:`refine_drude`).
    rel_noise : float
        Relative error of the data assumed by the refinement.
    model : torch.nn.Module, optional
        Label network (default: :func:`load_pretrained`).

    Returns
    -------
    labels : ndarray of shape (n, 3, 3)
        Rows ``(α, γ_0, γ_1)``.
    infos : list of dict
        Refinement figures per example (empty without ``refine``).
    """
    model = model or load_pretrained()
    labels = predict_labels(model, x)
    infos: list[dict] = [{} for _ in range(len(x))]
    if refine:
        for i in range(len(x)):
            labels[i], infos[i] = refine_drude(x[i], labels[i], rel_noise=rel_noise)
    return labels, infos

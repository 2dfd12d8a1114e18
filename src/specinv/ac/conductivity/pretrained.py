"""The shipped model: attention network, Loss 1, trained on ``element_mixed_data``.

:func:`train_shipped` is the script that produced
``specinv/data/conductivity/attention_element_mixed.pt`` and its JSON of training
parameters (``specinv conductivity train --output DIR`` runs it);
:func:`load_pretrained` loads it; :func:`predict` runs the network and, by
default, the least-squares Drude refinement.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from specinv.ac.conductivity.data import build_dataset
from specinv.ac.conductivity.models import build_model
from specinv.ac.conductivity.refine import refine_drude
from specinv.ac.conductivity.train import predict_labels, train_label_model
from specinv.core.errors import InputError
from specinv.io.atomic import atomic_path

WEIGHTS = "attention_element_mixed.pt"
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
    torch.set_num_threads(max(1, torch.get_num_threads()))
    data = build_dataset(SHIPPED["dataset"], seed=SHIPPED["seed"], noise=SHIPPED["noise"],
                         cache_dir=cache_dir)
    model, hist = train_label_model(SHIPPED["model"], data, loss=SHIPPED["loss"],
                                    epochs=SHIPPED["epochs"], seed=SHIPPED["seed"])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / WEIGHTS) as tmp:
        torch.save(model.state_dict(), tmp)
    meta = {**SHIPPED, "settings": hist["settings"], "best_val_loss": hist["best"],
            "best_epoch": hist["best_epoch"], "train_wall_time_s": hist["wall_time_s"],
            "torch_threads": torch.get_num_threads(), "torch_version": torch.__version__}
    with atomic_path(out / WEIGHTS.replace(".pt", ".json")) as tmp:
        tmp.write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def load_pretrained(path: str | Path | None = None) -> torch.nn.Module:
    """The shipped (or a user-given) attention model in eval mode.

    Parameters
    ----------
    path : str or Path, optional
        Weights file (default: the shipped one).

    Returns
    -------
    torch.nn.Module
        The attention network.
    """
    model = build_model(SHIPPED["model"])
    if path is None:
        ref = resources.files("specinv") / "data" / "conductivity" / WEIGHTS
        with resources.as_file(ref) as p:
            state = torch.load(p, map_location="cpu", weights_only=True)
    else:
        state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    model.eval()
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

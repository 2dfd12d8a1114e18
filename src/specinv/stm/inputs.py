"""Inputs of the ``specinv stm`` commands: map stacks from .npz, Nanonis .3ds and .sxm."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from specinv.core.errors import InputError


def load_maps(path: str, channel: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read a multi-bias map from ``.npz`` or Nanonis ``.3ds``.

    Parameters
    ----------
    path : str
        ``.npz`` with arrays ``maps`` and ``bias_mV``, or a Nanonis grid.
    channel : str, optional
        dI/dV channel of a ``.3ds`` (default: the lock-in channel).

    Returns
    -------
    maps : ndarray of shape (n_bias, H, W)
        Conductance maps.
    bias_mV : ndarray of shape (n_bias,)
        Bias of each map (mV).

    Raises
    ------
    InputError
        Missing or unreadable file, wrong type, missing arrays or wrong shapes,
        non-numeric or NaN values, a bias repeated in the stack, ``channel`` with an ``.npz``.
    """
    from specinv.io.arrays import load_arrays, require

    p = Path(path)
    if p.suffix.lower() == ".3ds":
        from specinv.io.nanonis_grid import read_3ds

        g = read_3ds(p)
        name = g.didv_channel(channel)
        maps, bias = g.channels[name].astype(np.float32), np.asarray(g.bias_mV(), float)
    elif p.suffix.lower() == ".npz" or not p.exists():
        if channel is not None:
            raise InputError("--channel selects a channel of a Nanonis .3ds grid; this is an "
                             ".npz stack (arrays maps and bias_mV)", str(p))
        what = "an .npz with maps (n_bias, H, W) and bias_mV (n_bias,)"
        maps, bias = require(load_arrays(p, what), ("maps", "bias_mV"), what, str(p))
        if maps.ndim != 3:
            raise InputError(f"'maps' must have shape (n_bias, H, W), got {maps.shape}", str(p))
        bias = bias.ravel()
        if bias.shape != (maps.shape[0],):
            raise InputError(f"'bias_mV' has {bias.size} values but 'maps' has {maps.shape[0]} "
                             "bias maps", str(p))
        maps = maps.astype(np.float32)
    else:
        raise InputError("unsupported file type; expected .npz (maps, bias_mV) or .3ds", str(p))
    if np.unique(bias).size != bias.size:
        dup = bias[np.flatnonzero(np.diff(np.sort(bias)) == 0)[0]]
        raise InputError(f"bias {dup:g} mV appears more than once in the stack (each map "
                         "needs its own bias)", str(p))
    return maps, bias


def load_stack(inputs: list[str], channel: str | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Read the map stack of ``stm detect``: one ``.npz``/``.3ds``, or ``.sxm`` files.

    Parameters
    ----------
    inputs : list of str
        One ``.npz`` or ``.3ds`` stack, or several ``.sxm`` scans of one area (one bias each).
    channel : str, optional
        dI/dV channel of a ``.3ds`` or of the ``.sxm`` files.

    Returns
    -------
    maps : ndarray of shape (n_bias, H, W)
        Conductance maps.
    bias_mV : ndarray of shape (n_bias,)
        Bias of each map (mV).

    Raises
    ------
    InputError
        Several inputs that are not all ``.sxm``, and every error of the readers.
    """
    if all(Path(p).suffix.lower() == ".sxm" for p in inputs):
        from specinv.io.sxm import read_sxm_stack

        maps, bias = read_sxm_stack(list(inputs), channel)
        if np.unique(bias).size != bias.size:
            dup = bias[np.flatnonzero(np.diff(bias) == 0)[0]]
            raise InputError(f"bias {dup:g} mV appears in more than one .sxm file (each map "
                             "needs its own bias)", inputs[0])
        return maps.astype(np.float32), bias
    if len(inputs) > 1:
        raise InputError("several inputs must all be Nanonis .sxm scans (one bias each); "
                         "an .npz or .3ds holds the whole stack", inputs[0])
    return load_maps(inputs[0], channel)

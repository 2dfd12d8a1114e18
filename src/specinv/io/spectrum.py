"""Read one tunneling spectrum (bias, conductance) from text/CSV or Nanonis ``.dat``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from specinv.core.errors import InputError
from specinv.io.nanonis import read_nanonis_dat
from specinv.io.table import read_columns

#: fewest bias points accepted for a deconvolution
MIN_POINTS = 10


@dataclass
class Spectrum:
    """Bias in mV (increasing) and conductance, with where they came from.

    Parameters
    ----------
    bias_mV : ndarray of shape (n,)
        Bias (mV), increasing.
    didv : ndarray of shape (n,)
        Conductance (file units).
    source : str
        File name, for messages.
    info : dict
        How the file was read (``format``, channel, header, ...).
    """

    bias_mV: np.ndarray
    didv: np.ndarray
    source: str
    info: dict[str, Any] = field(default_factory=dict)


def check_bias(bias: np.ndarray, source: str) -> np.ndarray:
    """Return the order that makes ``bias`` increasing, or raise for duplicates/zigzags.

    Parameters
    ----------
    bias : ndarray of shape (n,)
        Bias (mV) in file order.
    source : str
        File name, for messages.

    Returns
    -------
    ndarray of int, shape (n,)
        Indices that sort ``bias`` increasing (identity or reversal).

    Raises
    ------
    InputError
        Too few points, a duplicated value, or a non-monotonic sweep.
    """
    if bias.size < MIN_POINTS:
        raise InputError(f"too few points: {bias.size} (at least {MIN_POINTS} bias values needed)",
                         source)
    d = np.diff(bias)
    if np.any(d == 0):
        i = int(np.flatnonzero(d == 0)[0])
        raise InputError(f"duplicated bias value {bias[i]:g} mV (rows {i + 1} and {i + 2})",
                         source)
    if np.all(d > 0):
        return np.arange(bias.size)
    if np.all(d < 0):
        return np.arange(bias.size)[::-1]
    i = int(np.flatnonzero(np.sign(d) != np.sign(d[0]))[0])
    raise InputError(f"bias is not monotonic (direction changes at row {i + 2}); "
                     "expected one sweep", source)


def read_spectrum(path: str | Path, *, channel: str | None = None,
                  bias_channel: str | None = None) -> Spectrum:
    """Read a spectrum file.

    Two-column text (bias in mV, conductance; optional header line, ``#``
    comments, comma/semicolon/tab/space separators; extra columns ignored) or
    a Nanonis ``.dat`` (channels chosen by name, forward/backward averaged).

    Parameters
    ----------
    path : str or Path
        The file.
    channel : str, optional
        Nanonis signal channel (default: the lock-in X channel).
    bias_channel : str, optional
        Nanonis bias channel (default: ``Bias calc (V)``, else the first with "Bias").

    Returns
    -------
    Spectrum
        Bias sorted increasing.

    Raises
    ------
    InputError
        With the file name and what is wrong; also for ``channel``/``bias_channel``
        given with a text table (they select Nanonis channels).
    """
    p = Path(path)
    if p.suffix.lower() == ".dat" and p.is_file() and "[DATA]" in p.read_text(
            encoding="utf-8", errors="replace"):
        spec = read_nanonis_dat(p, channel=channel, bias_channel=bias_channel)
        bias, g = spec.bias_mV, spec.signal
        info = {"format": "nanonis-dat", "channel": spec.channel, "sweeps_averaged": spec.n_sweeps}
    else:
        given = [o for o, v in (("--channel", channel), ("--bias-channel", bias_channel)) if v]
        if given:
            raise InputError(f"{' and '.join(given)} select(s) a channel of a Nanonis .dat "
                             "file; this is a text table (bias, dI/dV in its first two "
                             "columns)", str(p))
        table, header = read_columns(p, min_columns=2, names=("bias (mV)", "conductance"))
        bias, g = table[:, 0], table[:, 1]
        info = {"format": "text", "header": header}
    order = check_bias(bias, str(p))
    return Spectrum(bias[order].copy(), g[order].copy(), str(p), info)

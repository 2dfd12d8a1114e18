"""Nanonis point-spectroscopy ``.dat`` files.

Layout: ``key<TAB>value`` header lines, a ``[DATA]`` line, a tab-separated
line of channel names such as ``Bias calc (V)``, ``LI Demod 1 X (A)``,
``LI Demod 1 X [bwd] (A)``, then numeric rows. Backward sweeps carry
``[bwd]`` before the unit; filtered copies carry ``[filt]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from specinv.core.errors import InputError

_UNIT = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*$")


@dataclass
class NanonisSpectrum:
    """One bias sweep read from a ``.dat`` file.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    bias_mV : ndarray of shape (n,)
        Bias (mV).
    signal : ndarray of shape (n,)
        Chosen channel, forward and backward sweeps averaged when both exist.
    channel : str
        Name of the chosen channel.
    n_sweeps : int
        1 or 2 (forward/backward averaged).
    header : dict
        Header key/value pairs.
    channels : list of str
        All channel names in the file.
    """

    bias_mV: np.ndarray
    signal: np.ndarray
    channel: str
    n_sweeps: int
    header: dict[str, str]
    channels: list[str]


def _split_unit(name: str) -> tuple[str, str]:
    m = _UNIT.match(name.strip())
    return (m.group(1).strip(), m.group(2)) if m else (name.strip(), "")


def _bwd_name(name: str) -> str:
    base, unit = _split_unit(name)
    return f"{base} [bwd] ({unit})" if unit else f"{base} [bwd]"


def _default_signal(channels: list[str]) -> str | None:
    fwd = [c for c in channels if "[bwd]" not in c and "[filt]" not in c]
    for key in ("LI Demod 1 X", "LI Demod 2 X", "dIdV", "dI/dV", "LIX", "Lock-in"):
        for c in fwd:
            if key.lower() in c.lower():
                return c
    return None


def _read_data_section(p: Path) -> tuple[dict[str, str], list[str], np.ndarray]:
    """Header (key → value), channel names and the (n_rows, n_channels) table of ``p``."""
    lines = p.read_text(encoding="utf-8", errors="replace").splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "[DATA]")
    except StopIteration:
        raise InputError("not a Nanonis spectrum: no [DATA] section", str(p)) from None
    header = {}
    for line in lines[:start]:
        parts = line.split("\t")
        if parts and parts[0].strip():
            header[parts[0].strip()] = parts[1].strip() if len(parts) > 1 else ""
    if start + 1 >= len(lines):
        raise InputError("[DATA] section has no channel line", str(p))
    channels = [c.strip() for c in lines[start + 1].split("\t") if c.strip()]
    rows = [ln.split("\t") for ln in lines[start + 2:] if ln.strip()]
    try:
        table = np.array([[float(v) for v in r[: len(channels)]] for r in rows], dtype=float)
    except ValueError:
        raise InputError("non-numeric value in the [DATA] section", str(p)) from None
    if table.ndim != 2 or table.shape[0] == 0 or table.shape[1] != len(channels):
        raise InputError("[DATA] rows do not match the channel line", str(p))
    return header, channels, table


def _find_channel(channels: list[str], name: str, what: str, source: str) -> int:
    """Index of channel ``name`` (exact, or a unique case-insensitive prefix)."""
    if name in channels:
        return channels.index(name)
    hits = [i for i, c in enumerate(channels) if c.lower().startswith(name.lower())]
    if len(hits) == 1:
        return hits[0]
    raise InputError(f"{what} channel {name!r} not found; channels: {', '.join(channels)}",
                     source)


def _default_bias(channels: list[str], source: str) -> str:
    """``Bias calc (V)``-like channel, else the first channel containing "bias"."""
    cands = [c for c in channels if c.lower().startswith("bias calc")] or \
        [c for c in channels if "bias" in c.lower()]
    if not cands:
        raise InputError(f"no bias channel; channels: {', '.join(channels)}", source)
    return cands[0]


def read_nanonis_dat(path: str | Path, *, channel: str | None = None,
                     bias_channel: str | None = None, average_sweeps: bool = True
                     ) -> NanonisSpectrum:
    """Read bias and one signal channel from a Nanonis ``.dat`` spectrum.

    Parameters
    ----------
    path : str or Path
        The ``.dat`` file.
    channel : str, optional
        Signal channel name (exact, or a unique case-insensitive prefix).
        Default: the lock-in X channel (``LI Demod 1 X``...).
    bias_channel : str, optional
        Default: ``Bias calc (V)``, else the first channel containing "Bias".
    average_sweeps : bool
        Average with the ``[bwd]`` copy of the channel when present.

    Returns
    -------
    NanonisSpectrum
        Bias in mV and the chosen signal (file units), in file order.

    Raises
    ------
    InputError
        No ``[DATA]`` section, unknown channel (the message lists them), NaN in
        the chosen columns, unknown bias unit.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", str(p))
    header, channels, table = _read_data_section(p)
    if bias_channel is None:
        bias_channel = _default_bias(channels, str(p))
    ib = _find_channel(channels, bias_channel, "bias", str(p))
    if channel is None:
        channel = _default_signal(channels)
        if channel is None:
            raise InputError("no lock-in (dI/dV) channel found; choose one with --channel from: "
                             + ", ".join(channels), str(p))
    ic = _find_channel(channels, channel, "signal", str(p))
    base, unit = _split_unit(channels[ib])
    factor = {"V": 1e3, "mV": 1.0}.get(unit)
    if factor is None:
        raise InputError(f"bias channel {channels[ib]!r} has unit {unit!r}; expected V or mV",
                         str(p))
    signal = table[:, ic]
    n_sweeps = 1
    bwd = _bwd_name(channels[ic])
    if average_sweeps and bwd in channels:
        signal = 0.5 * (signal + table[:, channels.index(bwd)])
        n_sweeps = 2
    bias = table[:, ib] * factor
    for arr, name in ((bias, channels[ib]), (signal, channels[ic])):
        if not np.all(np.isfinite(arr)):
            raise InputError(f"channel {name!r} contains NaN or infinite values", str(p))
    return NanonisSpectrum(bias, signal, channels[ic], n_sweeps, header, channels)

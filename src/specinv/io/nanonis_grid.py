"""Reader for Nanonis grid spectroscopy files (``.3ds``).

Format: an ASCII header of ``key=value`` lines (values of list keys are
``;``-separated inside double quotes) ending with a line ``:HEADER_END:``, then
big-endian float32 data. Per pixel, in raster order (line after line, ``Grid dim``
is ``"points x lines"``): ``# Parameters (4 byte)`` parameter values (the fixed
parameters ``Sweep Start``, ``Sweep End`` first, then the experiment parameters),
followed by ``Points`` values of each channel in the order of ``Channels``.
Pixels not yet measured in an interrupted grid read as NaN (or are missing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from specinv.core.errors import InputError

_END = b":HEADER_END:"
#: preferred dI/dV channel name fragments, in order
_DIDV_HINTS = ("LI Demod 1 X", "LIX", "Lock-in", "LI Demod", "dI/dV", "Input 2")


@dataclass
class NanonisGrid:
    """A Nanonis grid.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    channels : dict of str -> ndarray of shape (n_points, lines, points)
        Channel data with the sweep index first (a stack of maps).
    sweep : ndarray of shape (n_points,)
        Sweep signal values (e.g. bias in V) from ``Sweep Start``/``Sweep End``.
    sweep_signal : str
        Name of the sweep signal (e.g. ``"Bias (V)"``).
    parameters : dict of str -> ndarray of shape (lines, points)
        Per-pixel parameters (``Sweep Start``, ``X (m)``, ...).
    header : dict of str -> str
        Header key/value pairs.
    """

    channels: dict[str, np.ndarray]
    sweep: np.ndarray
    sweep_signal: str
    parameters: dict[str, np.ndarray] = field(default_factory=dict)
    header: dict[str, str] = field(default_factory=dict)

    def bias_mV(self) -> np.ndarray:
        """The sweep in mV if it is a bias in V (or mV).

        Returns
        -------
        ndarray of shape (n_points,)
            Bias (mV).

        Raises
        ------
        InputError
            The sweep signal is not a bias in V or mV.
        """
        unit = re.search(r"\(([^)]*)\)", self.sweep_signal)
        u = unit.group(1) if unit else ""
        if u == "V":
            return self.sweep * 1e3
        if u == "mV":
            return self.sweep.astype(float)
        raise InputError(f"sweep signal {self.sweep_signal!r} is not a bias in V or mV")

    def didv_channel(self, name: str | None = None) -> str:
        """Name of the dI/dV channel: ``name`` (exact or unique substring) or a lock-in guess.

        Parameters
        ----------
        name : str, optional
            Channel asked for (None: the first forward lock-in channel).

        Returns
        -------
        str
            Key of :attr:`channels`.

        Raises
        ------
        InputError
            Unknown or ambiguous ``name``, or no lock-in channel (the message lists them).
        """
        names = list(self.channels)
        if name is not None:
            if name in self.channels:
                return name
            hits = [n for n in names if name.lower() in n.lower()]
            if len(hits) == 1:
                return hits[0]
            raise InputError(f"channel {name!r} {'is ambiguous' if hits else 'not found'}; "
                             f"available channels: {', '.join(names)}")
        for hint in _DIDV_HINTS:
            hits = [n for n in names if hint.lower() in n.lower() and "bwd" not in n.lower()]
            if hits:
                return hits[0]
        raise InputError("no lock-in (dI/dV) channel recognised; choose one with --channel "
                         f"from: {', '.join(names)}")


def _parse_header(text: str, source: str) -> dict[str, str]:
    header: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or "=" not in line:
            continue
        key, val = line.split("=", 1)
        header[key.strip()] = val.strip().strip('"')
    for key in ("Grid dim", "Sweep Signal", "# Parameters (4 byte)", "Points", "Channels"):
        if key not in header:
            raise InputError(f"header has no {key!r} entry; not a Nanonis grid file", source)
    return header


def read_3ds(path: str | Path) -> NanonisGrid:
    """Read a Nanonis ``.3ds`` grid.

    Parameters
    ----------
    path : str or Path
        The ``.3ds`` file.

    Returns
    -------
    NanonisGrid
        Channels (sweep index first), sweep values and header.

    Raises
    ------
    InputError
        Missing file, no ``:HEADER_END:``, missing header keys, a data block whose
        size does not fit the header.
    """
    p = Path(path)
    src = str(p)
    if not p.is_file():
        raise InputError("file not found", src)
    raw = p.read_bytes()
    end = raw.find(_END)
    if end < 0:
        raise InputError("no ':HEADER_END:' line; not a Nanonis .3ds grid", src)
    start = end + len(_END)
    while start < len(raw) and raw[start:start + 1] in (b"\r", b"\n"):
        start += 1
    header = _parse_header(raw[:end].decode("latin-1"), src)
    try:
        dims = [int(v) for v in re.findall(r"\d+", header["Grid dim"])]
        n_points, n_lines = dims[0], dims[1]
        n_par = int(header["# Parameters (4 byte)"])
        n_sweep = int(header["Points"])
    except (ValueError, IndexError):
        raise InputError("cannot parse 'Grid dim', 'Points' or '# Parameters (4 byte)'",
                         src) from None
    chans = [c for c in header["Channels"].split(";") if c]
    fixed = [c for c in header.get("Fixed parameters", "Sweep Start;Sweep End").split(";") if c]
    exp = [c for c in header.get("Experiment parameters", "").split(";") if c]
    par_names = (fixed + exp)[:n_par] + [f"param {i}" for i in range(len(fixed + exp), n_par)]
    per_pix = n_par + n_sweep * len(chans)
    data = np.frombuffer(raw[start:start + (len(raw) - start) // 4 * 4], dtype=">f4")
    n_pix = n_points * n_lines
    if data.size < per_pix:
        raise InputError(f"data block holds {data.size} values, less than one pixel "
                         f"({per_pix} values expected per pixel)", src)
    if data.size > n_pix * per_pix:
        raise InputError(f"data block holds {data.size} values, more than the header's "
                         f"{n_pix} pixels x {per_pix} values", src)
    full = np.full(n_pix * per_pix, np.nan, dtype=np.float32)
    full[:data.size - data.size % per_pix] = data[:data.size - data.size % per_pix]
    grid = full.reshape(n_lines, n_points, per_pix)
    params = {name: grid[:, :, i] for i, name in enumerate(par_names)}
    channels = {}
    for i, c in enumerate(chans):
        block = grid[:, :, n_par + i * n_sweep:n_par + (i + 1) * n_sweep]
        channels[c] = np.moveaxis(block, 2, 0).copy()
    if "Sweep Start" in params and "Sweep End" in params:
        s0, s1 = params["Sweep Start"].ravel()[0], params["Sweep End"].ravel()[0]
    else:
        s0, s1 = grid[0, 0, 0], grid[0, 0, 1]
    sweep = np.linspace(float(s0), float(s1), n_sweep)
    return NanonisGrid(channels, sweep, header["Sweep Signal"], params, header)


def write_3ds(path: str | Path, channels: dict[str, np.ndarray], sweep: np.ndarray,
              sweep_signal: str = "Bias (V)",
              experiment_parameters: tuple[str, ...] = ("X (m)", "Y (m)", "Z (m)")) -> None:
    """Write a minimal ``.3ds`` grid (for tests and simulated data).

    Parameters
    ----------
    path : str or Path
        Output file.
    channels : dict of str -> ndarray of shape (n_points, lines, points)
        Channel data, sweep index first (stored as big-endian float32).
    sweep : ndarray of shape (n_points,)
        Only its first and last value are stored (``Sweep Start``/``Sweep End``).
    sweep_signal : str
        Name and unit of the sweep signal.
    experiment_parameters : tuple of str
        Names of the per-pixel experiment parameters (written as zeros).
    """
    names = list(channels)
    n_sweep, n_lines, n_points = next(iter(channels.values())).shape
    fixed = ["Sweep Start", "Sweep End"]
    n_par = len(fixed) + len(experiment_parameters)
    per_pix = n_par + n_sweep * len(names)
    hdr = [f'Grid dim="{n_points} x {n_lines}"', "Grid settings=0;0;1E-8;1E-8;0",
           f"Sweep Signal=\"{sweep_signal}\"", f'Fixed parameters="{";".join(fixed)}"',
           f'Experiment parameters="{";".join(experiment_parameters)}"',
           f"# Parameters (4 byte)={n_par}", f"Experiment size (bytes)={n_sweep * 4 * len(names)}",
           f"Points={n_sweep}", f'Channels="{";".join(names)}"', "Delay before measuring (s)=0",
           "Experiment=Grid Spectroscopy", ":HEADER_END:"]
    data = np.zeros((n_lines, n_points, per_pix), dtype=">f4")
    data[:, :, 0], data[:, :, 1] = sweep[0], sweep[-1]
    for i, n in enumerate(names):
        data[:, :, n_par + i * n_sweep:n_par + (i + 1) * n_sweep] = np.moveaxis(
            np.asarray(channels[n]), 0, 2)
    Path(path).write_bytes(("\r\n".join(hdr) + "\r\n").encode("latin-1") + data.tobytes())

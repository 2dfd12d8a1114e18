"""Reader for Nanonis scan files (``.sxm``) and stacks of them (one bias per file).

Format: an ASCII header of tags ``:NAME:`` each followed by its value lines, ending
with the line ``:SCANIT_END:``; then the bytes ``\\x1a\\x04`` and big-endian float32
data. ``:SCAN_PIXELS:`` is ``"points lines"``; ``:DATA_INFO:`` is a tab-separated
table (``Channel Name Unit Direction Calibration Offset``) whose rows give, in order,
the stored channels, each as a forward image and, with direction ``both``, a
backward image (``lines × points`` values each, line after line). ``:BIAS:`` is the
sample bias in V; ``:SCAN_DIR:`` ``up`` means the first stored line is the bottom one.
A conductance-map stack is a set of such files taken at different biases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from specinv.core.errors import InputError
from specinv.io.nanonis_grid import _DIDV_HINTS

_END = b":SCANIT_END:"


@dataclass
class NanonisScan:
    """One Nanonis scan.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    channels : dict of str -> ndarray of shape (lines, points)
        Forward images, top line first.
    bias_V : float
        Sample bias (V).
    header : dict of str -> str
        Tag → value text.
    """

    channels: dict[str, np.ndarray]
    bias_V: float
    header: dict[str, str] = field(default_factory=dict)


def _header(raw: bytes, source: str) -> dict[str, str]:
    tags: dict[str, list[str]] = {}
    key = None
    for line in raw.decode("latin-1").splitlines():
        s = line.strip()
        if len(s) > 1 and s.startswith(":") and s.endswith(":"):
            key = s[1:-1]
            tags[key] = []
        elif key is not None:
            tags[key].append(line)
    if "SCAN_PIXELS" not in tags or "DATA_INFO" not in tags:
        raise InputError("not a Nanonis .sxm scan (no SCAN_PIXELS or DATA_INFO tag)", source)
    return {k: "\n".join(v).strip() for k, v in tags.items()}


def _layout(h: dict[str, str], source: str) -> tuple[int, int, list[tuple[str, int]]]:
    try:
        points, lines = (int(v) for v in h["SCAN_PIXELS"].split()[:2])
        rows = [r.strip().split("\t") for r in h["DATA_INFO"].splitlines()[1:] if r.strip()]
        chans = [(r[1].strip() + (f" ({r[2].strip()})" if len(r) > 2 else ""),
                  2 if len(r) > 3 and r[3].strip() == "both" else 1) for r in rows]
    except (ValueError, IndexError):
        raise InputError("unreadable SCAN_PIXELS or DATA_INFO in the header", source) from None
    if points < 1 or lines < 1 or not chans:
        raise InputError("the header declares no pixels or no channel", source)
    return lines, points, chans


def read_sxm(path: str | Path) -> NanonisScan:
    """Read one ``.sxm`` scan.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    NanonisScan
        Forward images of every channel (top line first), the bias and the header.

    Raises
    ------
    InputError
        Missing file, no ``:SCANIT_END:``, a header without pixels/channels/bias, or
        fewer data than the header declares.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", str(p)) from None
    end = raw.find(_END)
    if end < 0:
        raise InputError("not a Nanonis .sxm scan (no :SCANIT_END: line)", str(p))
    h = _header(raw[:end], str(p))
    start = raw.find(b"\x1a\x04", end)
    if start < 0:
        raise InputError("no data block after :SCANIT_END:", str(p))
    lines, points, chans = _layout(h, str(p))
    data = np.frombuffer(raw[start + 2:], dtype=">f4")
    need = lines * points * sum(n for _, n in chans)
    if data.size < need:
        raise InputError(f"{data.size} data values, the header declares {need} "
                         f"({len(chans)} channels of {lines} x {points})", str(p))
    try:
        bias = float(h["BIAS"].split()[0])
    except (KeyError, ValueError, IndexError):
        raise InputError("the header has no :BIAS: (sample bias in V)", str(p)) from None
    out, i = {}, 0
    for name, n in chans:
        img = data[i:i + lines * points].reshape(lines, points).astype(np.float64)
        out[name] = img[::-1] if h.get("SCAN_DIR", "").strip() == "up" else img
        i += n * lines * points
    return NanonisScan(out, bias, h)


def _channel(scan: NanonisScan, name: str | None, source: str) -> str:
    names = list(scan.channels)
    if name is not None:
        hits = [n for n in names if n == name] or [n for n in names
                                                   if name.lower() in n.lower()]
        if len(hits) == 1:
            return hits[0]
        raise InputError(f"channel {name!r} {'is ambiguous' if hits else 'not found'}; "
                         f"available channels: {', '.join(names)}", source)
    for hint in _DIDV_HINTS:
        hits = [n for n in names if hint.lower() in n.lower()]
        if hits:
            return hits[0]
    raise InputError("no lock-in (dI/dV) channel recognised; choose one with --channel "
                     f"from: {', '.join(names)}", source)


def read_sxm_stack(paths: list[str], channel: str | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """A conductance-map stack from ``.sxm`` files of one area at different biases.

    Parameters
    ----------
    paths : list of str
        One file per bias (any order; sorted by bias).
    channel : str, optional
        dI/dV channel (exact name or unique substring; default: the first lock-in channel).

    Returns
    -------
    maps : ndarray of shape (n_files, lines, points)
        The channel's forward image of each file, in bias order.
    bias_mV : ndarray of shape (n_files,)
        Biases (mV), increasing.

    Raises
    ------
    InputError
        Any unreadable file, a missing channel, or images of different sizes.
    """
    scans = [read_sxm(p) for p in paths]
    imgs = [s.channels[_channel(s, channel, str(p))] for s, p in zip(scans, paths, strict=True)]
    shapes = {im.shape for im in imgs}
    if len(shapes) > 1:
        raise InputError(f"the .sxm files have different sizes {sorted(shapes)}; a stack "
                         "needs one area at every bias", str(paths[0]))
    bias = np.array([s.bias_V * 1e3 for s in scans])
    order = np.argsort(bias, kind="stable")
    return np.stack(imgs)[order], bias[order]


def write_sxm(path: str | Path, channels: dict[str, np.ndarray], bias_V: float,
              scan_dir: str = "down") -> None:
    """Write a minimal ``.sxm`` (forward and backward images; for tests and examples).

    Parameters
    ----------
    path : str or Path
        Output file.
    channels : dict of str -> ndarray of shape (lines, points)
        Images, top line first; names may carry a unit as ``"NAME (UNIT)"``.
    bias_V : float
        Sample bias (V).
    scan_dir : {"down", "up"}
        Stored line order (``up``: bottom line first).
    """
    first = next(iter(channels.values()))
    lines, points = first.shape
    rows = ["\tChannel\tName\tUnit\tDirection\tCalibration\tOffset"]
    blob = []
    for i, (name, img) in enumerate(channels.items()):
        base, _, unit = name.partition(" (")
        rows.append(f"\t{i}\t{base}\t{unit.rstrip(')') or 'V'}\tboth\t1.000E+0\t0.000E+0")
        stored = np.asarray(img, ">f4")[::-1] if scan_dir == "up" else np.asarray(img, ">f4")
        blob += [stored, stored[:, ::-1]]
    head = (f":NANONIS_VERSION:\n2\n:SCAN_PIXELS:\n       {points}       {lines}\n"
            f":SCAN_DIR:\n{scan_dir}\n:BIAS:\n{bias_V:.6E}\n:DATA_INFO:\n"
            + "\n".join(rows) + "\n\n:SCANIT_END:\n\n\n")
    with open(path, "wb") as f:
        f.write(head.encode("latin-1") + b"\x1a\x04")
        for b in blob:
            f.write(np.ascontiguousarray(b, ">f4").tobytes())

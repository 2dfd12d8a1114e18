"""Check every output path of a command before any work starts.

A command names its output files (the table, its ``.json`` sidecar, a plot)
and its input files; :func:`check_outputs` refuses, with one message naming
the path, an output that is a directory, lies somewhere no file can be
created, collides with another output or would overwrite an input. Commands
that write a directory of results use :func:`check_output_dir`. The files
themselves are then written with :func:`specinv.io.atomic.atomic_outputs`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from specinv.core.errors import ParameterError

PathLike = str | os.PathLike


def _existing_ancestor(path: Path) -> Path:
    d = path
    while not d.exists() and d != d.parent:
        d = d.parent
    return d


def _probe_directory(directory: Path, shown: str) -> None:
    """Raise unless a file can be created in ``directory`` (or in its first existing parent)."""
    base = _existing_ancestor(directory)
    if not base.is_dir():
        raise ParameterError(f"{shown}: cannot create it, {base} is a file, not a directory")
    try:
        fd, probe = tempfile.mkstemp(prefix=".specinv-probe.", dir=base)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ParameterError(f"{shown}: cannot write in {base} ({reason})") from None
    os.close(fd)
    os.unlink(probe)


def _same(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_outputs(outputs: Sequence[tuple[str, PathLike | None]],
                  inputs: Iterable[PathLike | None] = ()) -> list[Path]:
    """Refuse output files that cannot be written, or that collide, before any work.

    Parameters
    ----------
    outputs : sequence of (label, path)
        Each output file with the option that names it (e.g. ``("--output", "a.csv")``,
        ``("--output's metadata", "a.json")``); entries with path ``None`` are skipped.
    inputs : iterable of path-like
        Files the command reads; no output may be one of them.

    Returns
    -------
    list of Path
        The output paths, in order (``None`` entries dropped).

    Raises
    ------
    ParameterError
        Naming the path: an existing directory, a non-regular file, a location
        where no file can be created (missing permission, ``/proc``, a parent that
        is a file), two outputs that are one file, or an output that is an input.
    """
    seen: list[tuple[str, Path]] = []
    ins = [Path(p) for p in inputs if p is not None]
    for label, raw in outputs:
        if raw is None:
            continue
        p = Path(raw)
        shown = f"{label} {raw}"
        if str(raw) == "" or p.name in ("", ".", ".."):
            raise ParameterError(f"{shown}: expected a file name")
        if p.is_dir():
            raise ParameterError(f"{shown}: is a directory; expected a file name")
        if p.exists() and not p.is_file():
            raise ParameterError(f"{shown}: exists and is not a regular file")
        if p.exists() and not os.access(p, os.W_OK):
            raise ParameterError(f"{shown}: file exists and is not writable")
        for other_label, other in seen:
            if _same(p, other):
                raise ParameterError(f"{shown}: is the same file as {other_label} {other}; "
                                     "choose another name")
        for i in ins:
            if _same(p, i):
                raise ParameterError(f"{shown}: is the input file {i}; writing it would "
                                     "destroy the input")
        _probe_directory(p.parent, shown)
        seen.append((label, p))
    return [p for _, p in seen]


def check_output_dir(label: str, path: PathLike,
                     inputs: Iterable[PathLike | None] = ()) -> Path:
    """Refuse an output directory that is a file, an input, or cannot be created.

    Parameters
    ----------
    label : str
        Option naming it (``"--output"``).
    path : path-like
        Existing or creatable directory.
    inputs : iterable of path-like
        Input files or directories it must differ from.

    Returns
    -------
    Path
        The directory (it may not exist yet).

    Raises
    ------
    ParameterError
        Naming the path.
    """
    p = Path(path)
    shown = f"{label} {path}"
    if str(path) == "":
        raise ParameterError(f"{shown}: expected a directory name")
    if p.exists() and not p.is_dir():
        raise ParameterError(f"{shown}: exists and is not a directory")
    for i in inputs:
        if i is not None and _same(p, Path(i)):
            raise ParameterError(f"{shown}: is the input {i}; choose another directory")
    _probe_directory(p, shown)
    return p


def table_outputs(output: PathLike, plot: PathLike | None = None, *,
                  inputs: Iterable[PathLike | None] = (),
                  sidecar: str = ".json") -> list[Path]:
    """Check a table output, its metadata sidecar and an optional plot.

    Parameters
    ----------
    output : path-like
        ``--output`` file (CSV or NPZ).
    plot : path-like, optional
        ``--plot`` file.
    inputs : iterable of path-like
        Input files.
    sidecar : str
        Suffix of the metadata file written next to ``output``.

    Returns
    -------
    list of Path
        ``[output, metadata]`` plus the plot when given.
    """
    out = Path(output)
    meta = out.with_suffix(sidecar)
    if out.suffix.lower() == sidecar:
        raise ParameterError(f"--output {output}: the metadata is written to {meta}; "
                             f"give the table another suffix (e.g. .csv)")
    return check_outputs([("--output", out), ("--output's metadata file", meta),
                          ("--plot", plot)], inputs)

"""Plain-text tables in, CSV + JSON metadata out.

Readers accept comma, semicolon, tab or whitespace separators, ``#`` comments
and an optional header line, and raise :class:`~specinv.core.errors.InputError`
naming the file and the problem. :func:`write_table` writes ``OUT.csv`` and
its sibling ``OUT.json`` all-or-nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from specinv.core.errors import InputError
from specinv.core.result import jsonable
from specinv.io.atomic import atomic_outputs

_SPLIT = re.compile(r"[,;\t ]+")
#: largest magnitude accepted in a table: beyond it no physical quantity in any unit
#: here lies, and squares and sums in the solvers would overflow
MAX_ABS_VALUE = 1e100


def printable(text: str, limit: int = 24) -> str:
    """``text`` quoted for a message: non-printable characters escaped, at most ``limit`` long.

    Parameters
    ----------
    text : str
        Untrusted text from a file.
    limit : int
        Characters kept before ``...``.

    Returns
    -------
    str
        Quoted, ASCII-only, safe to print in a one-line message.
    """
    short = text[:limit] + ("..." if len(text) > limit else "")
    return repr(short.encode("ascii", "backslashreplace").decode("ascii"))


def read_text(path: str | Path, expected: str) -> str:
    """Contents of a text file, refusing a missing, unreadable or binary file.

    Parameters
    ----------
    path : str or Path
        File to read.
    expected : str
        What the file should be, for messages (``"a text table (bias, dI/dV)"``).

    Returns
    -------
    str
        The decoded text (UTF-8, else Latin-1 when every character is printable).

    Raises
    ------
    InputError
        ``FILE: not a text file (expected ...)`` for binary data; never echoes raw bytes.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", str(p))
    if not p.is_file():
        raise InputError(f"not a file (expected {expected})", str(p))
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", str(p)) from None
    if b"\0" in raw[:65536]:
        raise InputError(f"not a text file: binary data (expected {expected})", str(p))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if sum(not (c.isprintable() or c.isspace()) for c in text[:65536]) > 0:
        raise InputError(f"not a text file: undecodable bytes (expected {expected})", str(p))
    return text


def read_columns(path: str | Path, *, min_columns: int = 2,
                 names: Sequence[str] | None = None) -> tuple[np.ndarray, list[str] | None]:
    """Read a numeric table.

    Parameters
    ----------
    path : str or Path
        Text file.
    min_columns : int
        Fewest columns every row must have.
    names : sequence of str, optional
        Names used in messages for the first columns (e.g. ``("bias", "conductance")``).

    Returns
    -------
    table : ndarray of shape (n_rows, n_columns)
        The numbers, one row per data line.
    header : list of str or None
        Column names from a non-numeric first line, if present.

    Raises
    ------
    InputError
        Missing file, empty table, ragged rows, non-numeric or non-finite values.
    """
    p = Path(path)
    label = " and ".join(names) if names else f"{min_columns} numeric columns"
    text = read_text(p, f"a text table of {label}")
    header: list[str] | None = None
    rows: list[list[float]] = []
    width: int | None = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = [f for f in _SPLIT.split(line) if f]
        try:
            values = [float(f) for f in fields]
        except ValueError:
            if not rows and header is None:
                header = fields
                continue
            bad = next(f for f in fields if not _is_float(f))
            raise InputError(f"line {lineno}: non-numeric value {printable(bad)}",
                             str(p)) from None
        if width is None:
            width = len(values)
            if width < min_columns:
                label = " and ".join(names[:min_columns]) if names else f"{min_columns} columns"
                raise InputError(
                    f"line {lineno}: expected at least {min_columns} columns ({label}), "
                    f"found {width}", str(p))
        elif len(values) != width:
            raise InputError(f"line {lineno}: expected {width} columns, found {len(values)}",
                             str(p))
        rows.append(values)
    if not rows:
        raise InputError("no numeric data rows found", str(p))
    table = np.asarray(rows, dtype=float)
    bad = ~np.isfinite(table)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        col = names[c] if names and c < len(names) else f"column {c + 1}"
        raise InputError(f"{col} has a NaN or infinite value in data row {r + 1}", str(p))
    huge = np.abs(table) > MAX_ABS_VALUE
    if huge.any():
        r, c = np.argwhere(huge)[0]
        col = names[c] if names and c < len(names) else f"column {c + 1}"
        raise InputError(f"{col} has the implausible value {table[r, c]:.3g} in data row "
                         f"{r + 1} (|value| > {MAX_ABS_VALUE:g}); check the file's units",
                         str(p))
    return table, header


def _is_float(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def save_csv(path: str | Path, columns: dict[str, np.ndarray], *, fmt: str = "%.10g") -> None:
    """Write columns as CSV with a header line to ``path`` (not atomic: see :func:`write_table`).

    Parameters
    ----------
    path : str or Path
        Destination (usually a temporary file of :func:`~specinv.io.atomic.atomic_outputs`).
    columns : dict of str -> ndarray of shape (n,)
        Columns in order; the keys form the header.
    fmt : str
        Number format.
    """
    arrays = [np.asarray(v, dtype=float) for v in columns.values()]
    n = {a.shape for a in arrays}
    if len(n) != 1 or len(next(iter(n))) != 1:
        raise ValueError(f"columns must be 1-D of equal length, got shapes {sorted(n)}")
    np.savetxt(path, np.column_stack(arrays), delimiter=",", header=",".join(columns),
               comments="", fmt=fmt)


def save_json(path: str | Path, metadata: dict[str, Any]) -> None:
    """Write ``metadata`` as indented JSON (numpy values converted) to ``path``.

    Parameters
    ----------
    path : str or Path
        Destination.
    metadata : dict
        JSON-able after numpy conversion.
    """
    Path(path).write_text(json.dumps(jsonable(metadata), indent=2) + "\n")


def write_table(path: str | Path, columns: dict[str, np.ndarray],
                metadata: dict[str, Any] | None = None, *, fmt: str = "%.10g",
                extra: Sequence[tuple[str | Path, Callable[[Path], None]]] = ()) -> Path | None:
    """Write ``path`` (CSV with a header), ``path.with_suffix('.json')`` and extra files.

    All files are written under temporary names and renamed together once all
    are complete, so a failure in any writer (a plot, say) leaves nothing.

    Parameters
    ----------
    path : str or Path
        CSV output file.
    columns : dict of str -> ndarray of shape (n,)
        Columns in order; the keys form the header.
    metadata : dict, optional
        Written as JSON next to the CSV (numpy values converted).
    fmt : str
        printf-style format of the numbers.
    extra : sequence of (path, writer)
        Further outputs (e.g. a plot): ``writer(tmp_path)`` writes one to a temporary path.

    Returns
    -------
    Path or None
        The JSON path, if metadata was written.
    """
    out = Path(path)
    json_path = out.with_suffix(".json") if metadata is not None else None
    targets = [out] + ([json_path] if json_path is not None else []) + [Path(p) for p, _ in extra]
    with atomic_outputs(targets) as tmps:
        save_csv(tmps[0], columns, fmt=fmt)
        if json_path is not None:
            save_json(tmps[1], metadata)
        for tmp, (_, writer) in zip(tmps[len(targets) - len(extra):], extra, strict=True):
            writer(tmp)
    return json_path

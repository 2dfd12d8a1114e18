"""Plain-text tables in, CSV + JSON metadata out.

Readers accept comma, semicolon, tab or whitespace separators, ``#`` comments
and an optional header line, and raise :class:`~specinv.core.errors.InputError`
naming the file and the problem. :func:`write_table` writes ``OUT.csv`` and
its sibling ``OUT.json`` all-or-nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from specinv.core.errors import InputError
from specinv.core.result import jsonable
from specinv.io.atomic import atomic_path

_SPLIT = re.compile(r"[,;\t ]+")


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
    if not p.is_file():
        raise InputError("file not found", str(p))
    try:
        text = p.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", str(p)) from None
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
            raise InputError(f"line {lineno}: non-numeric value {bad!r}", str(p)) from None
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
    return table, header


def _is_float(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def write_table(path: str | Path, columns: dict[str, np.ndarray],
                metadata: dict[str, Any] | None = None, *, fmt: str = "%.10g") -> Path | None:
    """Write ``path`` (CSV with a header) and ``path.with_suffix('.json')``.

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

    Returns
    -------
    Path or None
        The JSON path, if metadata was written.
    """
    out = Path(path)
    arrays = [np.asarray(v, dtype=float) for v in columns.values()]
    n = {a.shape for a in arrays}
    if len(n) != 1 or len(next(iter(n))) != 1:
        raise ValueError(f"columns must be 1-D of equal length, got shapes {sorted(n)}")
    data = np.column_stack(arrays)
    json_path = out.with_suffix(".json") if metadata is not None else None
    with atomic_path(out) as tmp_csv:
        np.savetxt(tmp_csv, data, delimiter=",", header=",".join(columns), comments="", fmt=fmt)
        if json_path is not None:
            with atomic_path(json_path) as tmp_json:
                tmp_json.write_text(json.dumps(jsonable(metadata), indent=2) + "\n")
    return json_path

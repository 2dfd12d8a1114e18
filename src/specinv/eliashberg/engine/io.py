"""Read α²F files: two columns (Ω in meV, α²F) or EPW-style (Ω in THz, many smearings)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from specinv.core.errors import InputError, ParameterError
from specinv.eliashberg.engine.a2f import A2F
from specinv.io.table import read_columns

MEV_PER_UNIT = {"meV": 1.0, "THz": 4.135667696, "eV": 1000.0}
#: Highest boson energy (meV) a plausible α²F reaches, and the least its support must
#: extend to: outside, the energy column is almost surely in another unit than --unit.
PLAUSIBLE_MAX_MEV = (0.5, 500.0)
#: a unit named in a header line, e.g. EPW's "# E (THz)" or "omega_meV"
_HEADER_UNIT = re.compile(r"(?<![A-Za-z])(THz|meV|eV)(?![A-Za-z])")


def header_unit(path: str | Path, max_lines: int = 5) -> str | None:
    """Energy unit named in the header of an α²F file (lines before the first number row).

    Parameters
    ----------
    path : str or Path
        α²F text file.
    max_lines : int
        Lines read at most.

    Returns
    -------
    str or None
        ``"meV"``, ``"THz"`` or ``"eV"`` when the header names exactly one of
        them, else None (no header, no unit, several units, or an unreadable file).
    """
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = [fh.readline() for _ in range(max_lines)]
    except OSError:
        return None  # read_columns reports the file problem
    found: set[str] = set()
    for line in lines:
        text = line.strip().lstrip("#").strip()
        if not text:
            continue
        try:
            float(text.split()[0].rstrip(","))
            break  # data reached
        except ValueError:
            found.update(_HEADER_UNIT.findall(text))
    return found.pop() if len(found) == 1 else None


def resolve_unit(path: str | Path, unit: str | None) -> str:
    """The energy unit to read ``path`` in: ``unit``, else the header's, else meV.

    Parameters
    ----------
    path : str or Path
        α²F text file.
    unit : {"meV", "THz", "eV"} or None
        Unit given by the user (None: not given).

    Returns
    -------
    str
        ``"meV"``, ``"THz"`` or ``"eV"``.

    Raises
    ------
    InputError
        ``unit`` contradicts the unit the file's header names.
    """
    if unit is not None and unit not in MEV_PER_UNIT:
        raise ParameterError(f"--unit must be one of {sorted(MEV_PER_UNIT)}, got {unit!r}")
    named = header_unit(path)
    if unit is None:
        return named or "meV"
    if named is not None and named != unit:
        raise InputError(f"the header gives the energy in {named} but --unit {unit} was "
                         f"given; pass --unit {named} (or remove the unit from the header)",
                         str(path))
    return unit


def read_a2f(path: str | Path, *, unit: str | None = None, column: int = 1) -> A2F:
    """Load α²F from a text table.

    Parameters
    ----------
    path : str or Path
        File; first column energy, further columns α²F.
    unit : {"meV", "THz", "eV"}, optional
        Unit of the energy column (EPW writes THz). Default: the unit the header
        names (:func:`header_unit`), else meV.
    column : int
        Which α²F column to use, counting α²F columns from 1 (EPW: the smearing
        index; the energy column is not counted).

    Returns
    -------
    A2F
        α²F on the file's energies converted to meV, sorted.

    Raises
    ------
    InputError
        Missing file, one column, column out of range, NaN, negative α²F,
        spectral weight ending outside :data:`PLAUSIBLE_MAX_MEV` (a wrong ``unit``),
        or a ``unit`` that contradicts the header.
    """
    unit = resolve_unit(path, unit)
    table, _ = read_columns(path, min_columns=2, names=("Ω", "α²F"))
    if not 1 <= column <= table.shape[1] - 1:
        raise InputError(f"--column {column} out of range: the file has "
                         f"{table.shape[1] - 1} α²F column(s)", str(path))
    omega = table[:, 0] * MEV_PER_UNIT[unit]
    values = table[:, column]
    order = np.argsort(omega, kind="stable")
    weight = omega[np.isfinite(values) & (values > 0)]
    lo, hi = PLAUSIBLE_MAX_MEV
    if weight.size and not lo <= float(weight.max()) <= hi:
        raise InputError(f"α²F extends to {weight.max():.4g} meV when the energy column is read "
                         f"in {unit}; boson spectra end between {lo:g} and {hi:g} meV. Is "
                         f"--unit right (meV, THz or eV)?", str(path))
    return A2F.from_table(omega[order], values[order], source=f"{path} (column {column}, {unit})")

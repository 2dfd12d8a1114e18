"""Readers of measured optical spectra: σ₁/σ₂, ε₁/ε₂, n/k and reflectivity tables.

Column 1 is the photon energy in meV, cm⁻¹ or eV (``--unit``; the header of a
specinv output, ``omega_meV``, names it); it is returned in meV, sorted, and
refused when it is ≤ 0 or repeated. Each reader checks that the columns hold the
quantity the user says they do, and names the file and column when not.
"""

from __future__ import annotations

import numpy as np

from specinv.core.errors import InputError
from specinv.core.units import CM1_PER_MEV
from specinv.optics.drude import INPUT_KINDS

#: photon-energy units accepted, and their size in meV
UNITS = {"meV": 1.0, "cm-1": 1.0 / CM1_PER_MEV, "eV": 1000.0}
#: fewest rows of an optical spectrum
MIN_ROWS = 10


def header_unit(header: list[str] | None) -> str | None:
    """Unit named by a header's first field ``omega_UNIT`` (specinv outputs), else None.

    Parameters
    ----------
    header : list of str or None
        Column names of the table's header line.

    Returns
    -------
    str or None
        One of :data:`UNITS`, or None when the header names none.
    """
    if not header:
        return None
    first = header[0].strip().lstrip("#").strip()
    for unit in UNITS:
        if first.lower() == f"omega_{unit}".lower():
            return unit
    return None


def resolve_unit(given: str | None, header: list[str] | None, path: str) -> str:
    """The energy unit of a table: ``--unit`` when given, else its header's, else meV.

    Parameters
    ----------
    given : str or None
        ``--unit`` (None: not given).
    header : list of str or None
        The table's header fields.
    path : str
        File name for messages.

    Returns
    -------
    str
        One of :data:`UNITS`.

    Raises
    ------
    InputError
        ``--unit`` contradicts the unit in the header.
    """
    named = header_unit(header)
    if given is not None and named is not None and given != named:
        raise InputError(f"the header names omega in {named} but --unit is {given}", path)
    return given or named or "meV"


def read_energy_table(path: str, unit: str | None, names: tuple[str, ...]
                      ) -> tuple[np.ndarray, np.ndarray, list[str] | None, str]:
    """ω (meV, increasing) and the further columns ``names`` of a text table.

    Parameters
    ----------
    path : str
        Text table with ω first.
    unit : str or None
        ``--unit`` of ω (None: from the header, else meV).
    names : tuple of str
        Names of the columns after ω, for messages.

    Returns
    -------
    omega : ndarray of shape (n,)
        Photon energies (meV), increasing.
    columns : ndarray of shape (n, len(names))
        The further columns, sorted with ω.
    header : list of str or None
        Column names of the header line.
    unit : str
        The unit ω was read in.

    Raises
    ------
    InputError
        Too few rows, ω ≤ 0 or repeated.
    """
    from specinv.io.table import read_columns

    table, header = read_columns(path, min_columns=1 + len(names), names=("omega", *names))
    unit = resolve_unit(unit, header, path)
    w = table[:, 0] * UNITS[unit]
    if w.size < MIN_ROWS:
        raise InputError(f"need at least {MIN_ROWS} rows, found {w.size}", path)
    if np.any(w <= 0):
        raise InputError(f"column 1 (omega, {unit}) must be > 0 in every row", path)
    order = np.argsort(w, kind="stable")
    w = w[order]
    if np.any(np.diff(w) <= 0):
        raise InputError("column 1 (omega) has repeated values (two sweeps pasted together?)",
                         path)
    return w, table[order, 1:1 + len(names)], header, unit


def read_response(path: str, kind: str, unit: str | None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """ω (meV) and the two columns of σ (Ω⁻¹cm⁻¹), ε or n, k, checked for plausibility.

    Parameters
    ----------
    path : str
        Text table: ω, then the real and imaginary parts.
    kind : {"sigma", "epsilon", "n"}
        What columns 2 and 3 are.
    unit : str or None
        Unit of ω (None: from the header, else meV).

    Returns
    -------
    omega : ndarray of shape (n,)
        Photon energies (meV), increasing.
    first, second : ndarray of shape (n,)
        Columns 2 and 3.
    unit : str
        The unit ω was read in.

    Raises
    ------
    InputError
        Absorption (σ₁, ε₂ or k) negative at most energies, n ≤ 0, or a fewer columns.
    """
    a, b = INPUT_KINDS[kind]
    w, cols, _, unit = read_energy_table(path, unit, (a, b))
    first, second = cols[:, 0], cols[:, 1]
    absorption = first if kind == "sigma" else second
    label = f"column {2 if kind == 'sigma' else 3} ({a if kind == 'sigma' else b})"
    if np.median(absorption) <= 0:
        raise InputError(f"{label} is ≤ 0 at most energies, but absorption is positive "
                         f"(is the file {kind} as --input says, columns in this order?)", path)
    if kind == "n" and np.any(first <= 0):
        raise InputError(f"column 2 ({a}) must be > 0 in every row", path)
    if np.any(np.hypot(first, second) == 0):
        raise InputError(f"columns 2 and 3 are both zero in a row: no {kind} there", path)
    return w, first, second, unit


def read_reflectivity(path: str, unit: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    """ω (meV) and the normal-incidence reflectivity R (a fraction in (0, 1)).

    Parameters
    ----------
    path : str
        Text table: ω, R.
    unit : str or None
        Unit of ω (None: from the header, else meV).

    Returns
    -------
    omega : ndarray of shape (n,)
        Photon energies (meV), increasing.
    refl : ndarray of shape (n,)
        Reflectivity.
    unit : str
        The unit ω was read in.

    Raises
    ------
    InputError
        R outside (0, 1) (with a hint when it looks like percent).
    """
    w, cols, _, unit = read_energy_table(path, unit, ("R",))
    r = cols[:, 0]
    if np.any(r >= 1):
        hint = " (it looks like percent: divide by 100)" if 1 < r.max() <= 100 else ""
        raise InputError(f"column 2 (R) must lie in (0, 1), found {r.max():.4g}{hint}", path)
    if np.any(r <= 0):
        raise InputError(f"column 2 (R) must lie in (0, 1), found {r.min():.4g}", path)
    return w, r, unit


def read_scattering_rate(path: str, unit: str | None) -> tuple[np.ndarray, np.ndarray]:
    """ω and 1/τ in meV from a two-column file (sorted by ω; ω > 0, distinct, ≥ 5 rows).

    Parameters
    ----------
    path : str
        Text table: ω, 1/τ (the output of ``optics drude`` as it is).
    unit : {"meV", "cm-1", "eV"} or None
        Unit of both columns (None: the header's ``omega_UNIT``, else meV).

    Returns
    -------
    omega : ndarray of shape (n,)
        Photon energies (meV), increasing.
    rate : ndarray of shape (n,)
        Scattering rate 1/τ (meV).

    Raises
    ------
    InputError
        Fewer than 5 rows, ω ≤ 0 or repeated, 1/τ negative at most ω.
    """
    from specinv.io.table import read_columns

    table, header = read_columns(path, min_columns=2, names=("omega", "1/tau"))
    f = UNITS[resolve_unit(unit, header, path)]
    w, g = table[:, 0] * f, table[:, 1] * f
    if w.size < 5:
        raise InputError(f"need at least 5 rows of (omega, 1/tau), found {w.size}", path)
    if np.any(g < 0) and np.median(g) < 0:
        raise InputError("column 2 (1/tau) is negative at most frequencies; a scattering rate "
                         "is positive (wrong column or sign?)", path)
    if np.any(w <= 0):
        raise InputError("column 1 (omega) must be > 0 in every row", path)
    order = np.argsort(w)
    w, g = w[order], g[order]
    if np.any(np.diff(w) <= 0):
        raise InputError("column 1 (omega) has repeated values", path)
    return w, g

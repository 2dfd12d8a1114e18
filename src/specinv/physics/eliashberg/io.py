"""Read α²F files: two columns (Ω in meV, α²F) or EPW-style (Ω in THz, many smearings)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from specinv.errors import InputError, ParameterError
from specinv.io.table import read_columns
from specinv.physics.eliashberg.a2f import A2F

MEV_PER_UNIT = {"meV": 1.0, "THz": 4.135667696, "eV": 1000.0}
#: Highest boson energy (meV) a plausible α²F reaches, and the least its support must
#: extend to: outside, the energy column is almost surely in another unit than --unit.
PLAUSIBLE_MAX_MEV = (0.5, 500.0)


def read_a2f(path: str | Path, *, unit: str = "meV", column: int = 1) -> A2F:
    """Load α²F from a text table.

    Parameters
    ----------
    path : str or Path
        File; first column energy, further columns α²F.
    unit : {"meV", "THz", "eV"}
        Unit of the energy column (EPW writes THz).
    column : int
        Which α²F column to use, counting α²F columns from 1 (EPW: the smearing
        index; the energy column is not counted).

    Raises
    ------
    InputError
        Missing file, one column, column out of range, NaN, negative α²F, or
        spectral weight ending outside :data:`PLAUSIBLE_MAX_MEV` (a wrong ``unit``).
    """
    if unit not in MEV_PER_UNIT:
        raise ParameterError(f"--unit must be one of {sorted(MEV_PER_UNIT)}, got {unit!r}")
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
    return A2F.from_table(omega[order], values[order], source=f"{path} (column {column})")

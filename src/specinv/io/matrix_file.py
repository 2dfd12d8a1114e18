"""Read one 2-D array given by a user: a covariance matrix or QMC bins.

Accepted formats, told apart by content (not by the file name):

- NumPy ``.npy`` (one array) or ``.npz`` (the array named ``NAME``, or its only array);
- HDF5 (the dataset named ``NAME`` at the top level, or the only top-level dataset);
- a text table (any separator, ``#`` comments, optional header line): one row per line.

Complex arrays (bins of G(iω_n)) become their real and imaginary parts side by side,
``[Re, Im]`` along the last axis, the order of the fermionic Matsubara data vector.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from specinv.core.errors import InputError
from specinv.io.arrays import load_arrays
from specinv.io.hdf5 import is_hdf5
from specinv.io.table import MAX_ABS_VALUE, printable, read_columns

_NPY = (b"\x93NUMPY", b"PK\x03\x04")


def read_matrix(path: str | Path, name: str, expected: str) -> np.ndarray:
    """The 2-D array ``name`` in ``path`` (NumPy, HDF5 or text).

    Parameters
    ----------
    path : str or Path
        The file.
    name : str
        Array/dataset name looked for in ``.npz`` and HDF5 files (``"covariance"``,
        ``"bins"``).
    expected : str
        Description of the content for messages, e.g. ``"an n x n covariance matrix"``.

    Returns
    -------
    ndarray of shape (n_rows, n_columns)
        Finite real numbers (complex input as ``[Re, Im]`` columns).

    Raises
    ------
    InputError
        Missing or unreadable file, no or several candidate arrays, not 2-D, non-finite
        or implausible values; the message names the file and what was expected.
    """
    p = Path(path)
    src = str(p)
    if not p.is_file():
        raise InputError("file not found" if not p.exists() else f"not a file (expected "
                         f"{expected})", src)
    with p.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(_NPY):
        arrays = load_arrays(p, f"{expected} (array '{name}')", allow_npy=True,
                             complex_ok=True)
        a = _pick(arrays, name, expected, src)
    elif is_hdf5(p):
        a = _read_h5(p, name, expected, src)
    else:
        a = read_columns(p, min_columns=1)[0]
    a = np.asarray(a)
    if a.dtype.kind == "c":
        a = np.concatenate([a.real, a.imag], axis=-1)
    if a.ndim != 2:
        raise InputError(f"expected {expected} as a 2-D array, got shape {a.shape}", src)
    a = np.asarray(a, dtype=float)
    if not np.all(np.isfinite(a)):
        raise InputError(f"{name} contains NaN or infinite values", src)
    if np.max(np.abs(a)) > MAX_ABS_VALUE:
        raise InputError(f"{name} has implausible values (|value| > {MAX_ABS_VALUE:g}); "
                         "check its units", src)
    return a


def _pick(arrays: dict[str, np.ndarray], name: str, expected: str, src: str) -> np.ndarray:
    if name in arrays:
        return arrays[name]
    if len(arrays) == 1:
        return next(iter(arrays.values()))
    found = ", ".join(printable(k) for k in arrays)
    raise InputError(f"several arrays ({found}) and none named '{name}' (expected "
                     f"{expected})", src)


def _read_h5(path: Path, name: str, expected: str, src: str) -> np.ndarray:
    from specinv.io.qmc import require_h5py

    h5py = require_h5py(path)
    try:
        with h5py.File(path, "r") as h5:
            sets = {k: v for k, v in h5.items() if isinstance(v, h5py.Dataset)}
            if name not in sets and len(sets) != 1:
                found = ", ".join(printable(k) for k in sets) or "none"
                raise InputError(f"no top-level dataset '{name}' and not exactly one dataset "
                                 f"(found: {found}; expected {expected})", src)
            ds = sets.get(name) or next(iter(sets.values()))
            a = np.asarray(ds[()])
    except (OSError, KeyError, ValueError, TypeError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"unreadable HDF5 content ({type(exc).__name__}); expected "
                         f"{expected}", src) from None
    if a.dtype.kind not in "biufc":
        raise InputError(f"dataset '{name}' holds {a.dtype.name} values; expected numbers", src)
    return a

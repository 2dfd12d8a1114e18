"""The one place where NumPy ``.npz`` / ``.npy`` files given by a user are opened.

Any failure of NumPy (an empty or truncated archive, a ``.npy`` renamed
``.npz``, object arrays, non-numeric arrays) becomes one
:class:`~specinv.core.errors.InputError` of the form ``FILE: not a ...
(expected ...)``: no library message is passed through, no raw bytes are
echoed, and pickled objects are never loaded.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from specinv.core.errors import InputError
from specinv.io.table import MAX_ABS_VALUE, printable

_NPY_MAGIC = b"\x93NUMPY"


def _checked(name: str, a: np.ndarray, src: str, kinds: str, finite: bool,
             convert: bool) -> np.ndarray:
    if a.dtype.kind not in kinds:
        expected = "real numbers" if "c" not in kinds else "numbers"
        raise InputError(f"array {printable(name)} holds {a.dtype.name} values; expected "
                         f"{expected}", src)
    if convert:
        a = np.asarray(a, dtype=complex if a.dtype.kind == "c" else float)
    if not a.size:
        return a
    ok = np.isfinite(a)
    if finite and not ok.all():
        raise InputError(f"array {printable(name)} contains NaN or infinite values", src)
    if ok.any() and np.max(np.abs(a[ok])) > MAX_ABS_VALUE:
        raise InputError(f"array {printable(name)} has implausible values (|value| > "
                         f"{MAX_ABS_VALUE:g}); check its units", src)
    return a


def load_arrays(path: str | Path, expected: str, *, finite: bool = True,
                allow_npy: bool = False, complex_ok: bool = False,
                convert: bool = True) -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` archive (or of a plain ``.npy`` file) as floats.

    Parameters
    ----------
    path : str or Path
        File to read.
    expected : str
        Description of the expected content for messages, e.g.
        ``"an .npz with bias_mV (n_bias,) and didv (ny, nx, n_bias)"``.
    finite : bool
        Refuse NaN or infinite values (default) or keep them.
    allow_npy : bool
        Accept a plain ``.npy`` file; its array is returned under the key ``""``.
    complex_ok : bool
        Keep complex arrays (as complex128) instead of refusing them.
    convert : bool
        Convert to float64 / complex128 (default) or keep the stored dtypes.

    Returns
    -------
    dict of str -> ndarray of float (or complex)
        Arrays by name, loaded eagerly (the file is closed).

    Raises
    ------
    InputError
        Missing, unreadable, corrupt or empty file; object, string or complex arrays;
        NaN/inf (with ``finite``); magnitudes above ``MAX_ABS_VALUE``.
    """
    p = Path(path)
    src = str(p)
    if not p.exists():
        raise InputError("file not found", src)
    if not p.is_file():
        raise InputError(f"not a file (expected {expected})", src)
    try:
        with p.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", src) from None
    is_npy = head.startswith(_NPY_MAGIC)
    if is_npy and not allow_npy:
        raise InputError(f"not an .npz archive: a single .npy array (expected {expected})", src)
    if not is_npy and not zipfile.is_zipfile(p):
        raise InputError(f"not a NumPy .npz archive (expected {expected})", src)
    try:
        if is_npy:
            raw = {"": np.load(p, allow_pickle=False)}
        else:
            with np.load(p, allow_pickle=False) as z:
                raw = {k: z[k] for k in z.files}
    except Exception:  # noqa: BLE001 - any NumPy/zip failure is a malformed user file
        raise InputError(f"not a readable NumPy file: corrupt, truncated or holding "
                         f"Python objects (expected {expected})", src) from None
    if not raw:
        raise InputError(f"empty archive (expected {expected})", src)
    kinds = "biufc" if complex_ok else "biuf"
    return {name: _checked(name, a, src, kinds, finite, convert) for name, a in raw.items()}


def require(arrays: dict[str, np.ndarray], names: tuple[str, ...], expected: str,
            src: str) -> list[np.ndarray]:
    """The arrays ``names`` of an archive, or an error listing what is missing and found.

    Parameters
    ----------
    arrays : dict of str -> ndarray
        As returned by :func:`load_arrays`.
    names : tuple of str
        Required array names.
    expected : str
        Description for messages.
    src : str
        File name for messages.

    Returns
    -------
    list of ndarray
        In the order of ``names``.
    """
    missing = [k for k in names if k not in arrays]
    if missing:
        found = ", ".join(printable(k) for k in arrays) or "none"
        raise InputError(f"missing array(s) {', '.join(missing)} (expected {expected}); "
                         f"found: {found}", src)
    return [arrays[k] for k in names]

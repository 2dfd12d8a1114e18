"""Input of ``ac continue --kind self-energy|matrix``: text, NPZ or HDF5, one reader.

Formats (told apart by content):

text table
    ``omega_n, Re, Im[, error]``, or five columns ``omega_n, Re, Im, error_re, error_im``
    or (ALPS/CQMP maxent) ``omega_n, Re, error_re, Im, error_im``, told apart by which
    columns are positive (:func:`specinv.io.qmc.matsubara_columns`; one function; with two
    error columns the larger is used for both parts).
NPZ
    one axis array ``wn`` (or ``iw``: positive Matsubara frequencies) or ``tau``; one
    value array ``siw``, ``giw``, ``gtau``, ``G`` or ``data`` of shape (n,), (n, k, k)
    or (k, k, n); optionally ``err`` / ``error`` / ``<value>_err`` of the same shape
    and ``beta``. Without an axis array complex values are taken on ω_n = (2n+1)π/β.
HDF5
    TRIQS or w2dynamics archives (:mod:`specinv.io.hdf5`).

The result is a :class:`~specinv.io.hdf5.GfArrays` checked against ``--beta``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from specinv.core.errors import InputError, ParameterError
from specinv.io.arrays import load_arrays
from specinv.io.hdf5 import GfArrays, is_hdf5, read_gf_hdf5
from specinv.io.qmc import check_matsubara_grid, matsubara_columns
from specinv.io.table import read_columns

VALUE_KEYS = ("siw", "giw", "gtau", "G", "data")
NPZ_EXPECTED = ("an .npz with wn or tau (n,) and one of siw, giw, gtau, G, data of shape "
                "(n,), (n, k, k) or (k, k, n)")


def _orbital_last(a: np.ndarray, n: int, name: str, src: str) -> np.ndarray:
    """Shape (n,), (n, k, k) or (k, k, n) to (n, k, k)."""
    if a.ndim == 1 and a.shape[0] == n:
        return a[:, None, None]
    if a.ndim == 3 and a.shape[0] == n and a.shape[1] == a.shape[2]:
        return a
    if a.ndim == 3 and a.shape[2] == n and a.shape[0] == a.shape[1]:
        return np.moveaxis(a, -1, 0)
    raise InputError(f"array {name} has shape {a.shape}; expected ({n},), ({n}, k, k) or "
                     f"(k, k, {n}) to match the {n} points of the axis", src)


def _read_npz(path: str | Path, beta: float) -> GfArrays:
    src = str(path)
    z = load_arrays(path, NPZ_EXPECTED, complex_ok=True)
    name = next((k for k in VALUE_KEYS if k in z), None)
    if name is None:
        raise InputError(f"no value array ({', '.join(VALUE_KEYS)}) (expected {NPZ_EXPECTED});"
                         f" found: {', '.join(z) or 'none'}", src)
    values = z[name]
    axis_key = next((k for k in ("wn", "iw", "tau") if k in z), None)
    if axis_key is None:
        if not np.iscomplexobj(values):
            raise InputError(f"real array {name} without a tau axis (expected "
                             f"{NPZ_EXPECTED})", src)
        n = values.shape[0] if values.ndim != 3 or values.shape[1] == values.shape[2] \
            else values.shape[-1]
        points = (2 * np.arange(n) + 1) * np.pi / beta
    else:
        points = np.asarray(z[axis_key].real if np.iscomplexobj(z[axis_key]) else z[axis_key],
                            dtype=float).ravel()
    n = points.size
    data = _orbital_last(np.asarray(values, dtype=complex), n, name, src)
    err_key = next((k for k in ("err", "error", f"{name}_err") if k in z), None)
    err = None if err_key is None else _orbital_last(np.abs(z[err_key]).astype(float), n,
                                                     err_key, src)
    stored = float(np.ravel(z["beta"])[0]) if "beta" in z else None
    return GfArrays("tau" if axis_key == "tau" else "matsubara", points, data, err, stored,
                    src)


def _read_text(path: str | Path) -> GfArrays:
    table, _ = read_columns(path, min_columns=3, names=("omega_n", "Re", "Im", "error"))
    wn, re, im, err, _ = matsubara_columns(table, str(path))
    return GfArrays("matsubara", wn, (re + 1j * im)[:, None, None],
                    None if err is None else err[:, None, None], None, str(path))


def is_npz(path: str | Path) -> bool:
    """True when ``path`` is a file starting with the zip signature of an ``.npz``.

    Parameters
    ----------
    path : str or Path
        A file (missing or unreadable files give False).

    Returns
    -------
    bool
        Whether it looks like an NPZ archive.
    """
    try:
        with Path(path).open("rb") as fh:
            return fh.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def read_greens_input(path: str | Path, *, beta: float, kind: str,
                      block: str | None = None, n_matsubara: int | None = None) -> GfArrays:
    """Read and check the input of ``ac continue --kind self-energy|matrix``.

    Parameters
    ----------
    path : str or Path
        Text table, NPZ or HDF5 (TRIQS, w2dynamics) file.
    beta : float
        Inverse temperature given on the command line (1/energy unit of the data).
    kind : {"g", "self-energy", "matrix"}
        What the file holds (chooses the w2dynamics quantity).
    block : str, optional
        HDF5 block (TRIQS block name, w2dynamics ``ineq-XXX[/up|down]``).
    n_matsubara : int, optional
        Keep only the first ``n_matsubara`` positive Matsubara frequencies.

    Returns
    -------
    GfArrays
        Points, (n, k, k) data and errors.

    Raises
    ------
    InputError
        Unreadable file, wrong shapes, axis not increasing, non-positive errors,
        frequencies off the fermionic grid of ``beta``.
    ParameterError
        ``--beta`` contradicting the β stored in the file, ``--block`` on a non-HDF5 file.

    Notes
    -----
    A Green's function (``kind`` g or matrix) in the ``⟨T c c†⟩`` sign convention
    (positive trace of G(τ), positive Im of the trace of G(iω_n)) is flipped to the
    physical sign and marked ``flipped``.
    """
    p = Path(path)
    if is_hdf5(p):
        gf = read_gf_hdf5(p, kind=kind, block=block)
    elif block is not None:
        raise ParameterError(f"--block applies to HDF5 input; {p} is not an HDF5 file")
    elif is_npz(p):
        gf = _read_npz(p, beta)
    else:
        gf = _read_text(p)
    src = gf.source
    if gf.beta is not None and abs(gf.beta - beta) > 1e-6 * beta:
        raise ParameterError(f"--beta {beta:g} contradicts beta = {gf.beta:g} stored in {src}")
    if not np.all(np.isfinite(gf.data)):
        raise InputError("the data contain NaN or infinite values", src)
    if gf.points.size < 4 or np.any(np.diff(gf.points) <= 0):
        raise InputError(f"the {'τ' if gf.axis == 'tau' else 'Matsubara'} axis must hold at "
                         f"least 4 strictly increasing points, found {gf.points.size}", src)
    if gf.error is not None:
        k = gf.error.shape[1]
        if np.any(gf.error < 0) or not np.all(gf.error[:, np.arange(k), np.arange(k)] > 0):
            raise InputError("error bars must be > 0 (>= 0 for off-diagonal elements)", src)
    if gf.axis == "matsubara":
        if gf.points[0] <= 0:
            raise InputError("Matsubara frequencies must be positive (give ω_n > 0 only; "
                             f"found {gf.points[0]:g})", src)
        if n_matsubara is not None:
            gf.points, gf.data = gf.points[:n_matsubara], gf.data[:n_matsubara]
            gf.error = None if gf.error is None else gf.error[:n_matsubara]
        check_matsubara_grid(gf.points, beta, True, src)
    elif n_matsubara is not None:
        raise ParameterError(f"--n-matsubara applies to Matsubara input; {src} holds G(τ)")
    elif gf.points[0] < -1e-9 * beta or gf.points[-1] > beta * (1 + 1e-9):
        raise InputError(f"tau must lie in [0, beta = {beta:g}], found [{gf.points[0]:g}, "
                         f"{gf.points[-1]:g}] (wrong --beta?)", src)
    if kind != "self-energy":  # a Σ of the wrong sign is refused by its tail fit instead
        trace = np.trace(gf.data, axis1=1, axis2=2)
        if np.median(trace.real if gf.axis == "tau" else trace.imag) > 0:
            gf.data, gf.flipped = -gf.data, True
    return gf

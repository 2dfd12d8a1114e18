"""Imaginary-time / Matsubara input of ``specinv ac continue`` and the shared QMC files.

User formats (any separator, ``#`` comments, optional header line):

- τ kernels: ``tau, value[, error]``
- Matsubara kernels: ``omega_n, Re, Im[, error]``

Fermionic data are expected in the physical sign (``G(τ) ≤ 0``,
``Im G(iω_n) < 0`` for ω_n > 0); data of the opposite sign (the
``⟨T c c†⟩`` convention of some codes) are detected, flipped and reported.

Readers of the third-party benchmark files in ``shared/data`` are at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from specinv.core.errors import InputError
from specinv.io.table import read_columns

#: the τ axis must reach at least this fraction of β (β/2 suffices for symmetric data)
MIN_TAU_REACH = 0.45


@dataclass
class ContinuationInput:
    """Data read for analytic continuation.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    points : ndarray of shape (n,)
        τ values or Matsubara frequencies ω_n.
    values : ndarray of shape (n,)
        Real data (τ kernels) or Re part (Matsubara).
    imag : ndarray of shape (n,) or None
        Im part (Matsubara only).
    error : ndarray of shape (n,) or None
        One-σ errors from the file (same for Re and Im).
    flipped : bool
        True when the sign was flipped to the physical convention.
    source : str
        File name, for messages.
    info : dict
        Reading notes (``n_points``, ``columns``).
    """

    points: np.ndarray
    values: np.ndarray
    imag: np.ndarray | None = None
    error: np.ndarray | None = None
    flipped: bool = False
    source: str = ""
    info: dict[str, Any] = field(default_factory=dict)


def read_tau_input(path: str | Path, *, beta: float, fermionic: bool = True) -> ContinuationInput:
    """Read ``tau, value[, error]``; check τ ∈ [0, β]; flip a positive fermionic G.

    Parameters
    ----------
    path : str or Path
        Text table.
    beta : float
        Inverse temperature (1/energy unit of the data).
    fermionic : bool
        Fermionic G(τ): a positive median is flipped to the physical G ≤ 0.

    Returns
    -------
    ContinuationInput
        τ, values and optional errors.

    Raises
    ------
    InputError
        Fewer than 2 columns, τ outside [0, β] or ending before β/2 (a β that
        contradicts the τ axis), τ not increasing, errors ≤ 0.
    """
    table, _ = read_columns(path, min_columns=2, names=("tau", "value", "error"))
    src = str(path)
    tau, val = table[:, 0], table[:, 1].copy()
    if tau.size < 4:
        raise InputError(f"need at least 4 imaginary-time points, found {tau.size}", src)
    if np.any(np.diff(tau) <= 0):
        raise InputError("column 1 (tau) must be strictly increasing", src)
    if tau[0] < -1e-9 * beta or tau[-1] > beta * (1 + 1e-9):
        raise InputError(f"column 1 (tau) must lie in [0, beta = {beta:g}], found "
                         f"[{tau[0]:g}, {tau[-1]:g}] (wrong --beta?)", src)
    if tau[-1] < MIN_TAU_REACH * beta:
        raise InputError(f"column 1 (tau) ends at {tau[-1]:g}, less than half of beta = "
                         f"{beta:g}: the τ axis does not fit this β (--beta in another unit, "
                         "or τ in units of β?)", src)
    err = _errors(table, 2, src)
    flipped = False
    if fermionic and np.median(val) > 0:
        val, flipped = -val, True
    return ContinuationInput(tau, val, None, err, flipped, src,
                             {"n_points": int(tau.size), "columns": int(table.shape[1])})


def read_matsubara_input(path: str | Path, *, fermionic: bool = True) -> ContinuationInput:
    """Read ``omega_n, Re, Im[, error]``; flip a fermionic G with Im G > 0 at ω_n > 0.

    Parameters
    ----------
    path : str or Path
        Text table.
    fermionic : bool
        Fermionic G(iω_n): a positive median Im G is flipped to the physical sign.

    Returns
    -------
    ContinuationInput
        ω_n, Re, Im and optional errors.

    Raises
    ------
    InputError
        Fewer than 3 columns or frequencies, ω_n negative or not increasing, errors ≤ 0.
    """
    table, _ = read_columns(path, min_columns=3, names=("omega_n", "Re", "Im", "error"))
    src = str(path)
    wn, re, im, err, order = matsubara_columns(table, src)
    if wn.size < 3:
        raise InputError(f"need at least 3 Matsubara frequencies, found {wn.size}", src)
    if np.any(wn < 0) or np.any(np.diff(wn) <= 0):
        raise InputError("column 1 (omega_n) must be non-negative and strictly increasing", src)
    flipped = False
    if fermionic and np.median(im[wn > 0]) > 0:
        re, im, flipped = -re, -im, True
    return ContinuationInput(wn, re, im, err, flipped, src,
                             {"n_points": int(wn.size), "columns": int(table.shape[1]),
                              "column_order": order})


#: the two five-column layouts of Matsubara tables in use
FIVE_COLUMN_ORDERS = {"omega_n,Re,Im,err_Re,err_Im": (1, 2, 3, 4),
                      "omega_n,Re,err_Re,Im,err_Im": (1, 3, 2, 4)}


def matsubara_columns(table: np.ndarray, src: str) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                            np.ndarray | None, str]:
    """Split a Matsubara table into ω_n, Re, Im and one error column.

    Three or four columns are ``omega_n, Re, Im[, error]``. Five columns come in two
    layouts: ``omega_n, Re, Im, err_Re, err_Im`` and the ALPS/CQMP maxent
    ``omega_n, Re, err_Re, Im, err_Im``; the layout is the one whose two error columns
    are positive on every row while the other candidate is not. The error used for
    both parts is the larger of the two.

    Parameters
    ----------
    table : ndarray of shape (n, n_columns)
        The numeric table.
    src : str
        File name, for messages.

    Returns
    -------
    omega_n, re, im : ndarray of shape (n,)
        Frequencies and the two parts (copies).
    error : ndarray of shape (n,) or None
        One-σ errors, when the table has them.
    order : str
        The column layout read.

    Raises
    ------
    InputError
        Non-positive errors, or five columns whose layout cannot be told apart.
    """
    if table.shape[1] < 5:
        order = "omega_n,Re,Im" + (",error" if table.shape[1] == 4 else "")
        return (table[:, 0], table[:, 1].copy(), table[:, 2].copy(),
                _errors(table, 3, src), order)
    fits = [name for name, (_, _, e1, e2) in FIVE_COLUMN_ORDERS.items()
            if np.all(table[:, e1] > 0) and np.all(table[:, e2] > 0)]
    if len(fits) != 1:
        raise InputError("five columns, but the layout cannot be told from the values: "
                         f"expected {' or '.join(FIVE_COLUMN_ORDERS)} with positive error "
                         "columns", src)
    i_re, i_im, e1, e2 = FIVE_COLUMN_ORDERS[fits[0]]
    return (table[:, 0], table[:, i_re].copy(), table[:, i_im].copy(),
            np.maximum(table[:, e1], table[:, e2]), fits[0])


def _errors(table: np.ndarray, col: int, src: str) -> np.ndarray | None:
    if table.shape[1] <= col:
        return None
    err = table[:, col]
    if np.any(err <= 0):
        row = int(np.argmax(err <= 0)) + 1
        raise InputError(
            f"column {col + 1} (error) must be > 0; data row {row} has {err[row - 1]:g}", src)
    return err


def check_matsubara_grid(wn: np.ndarray, beta: float, fermionic: bool, src: str) -> None:
    """Raise :class:`InputError` unless ω_n are (2n+1)π/β (fermionic) or 2πn/β (bosonic).

    Parameters
    ----------
    wn : ndarray of shape (n,)
        Matsubara frequencies (energy unit of the data).
    beta : float
        Inverse temperature (1/energy unit).
    fermionic : bool
        Which grid is expected.
    src : str
        File name, for the message.
    """
    k = wn * beta / np.pi
    target = np.round((k - 1) / 2) * 2 + 1 if fermionic else np.round(k / 2) * 2
    if np.max(np.abs(k - target)) > 1e-3:
        kind = "(2n+1)π/β" if fermionic else "2πn/β"
        raise InputError(f"column 1 (omega_n) is not on the {kind} grid for beta = {beta:g} "
                         "(wrong --beta or kernel?)", src)


# -- third-party benchmark files (shared/data) --------------------------------------

def square_lattice_dos(edges: np.ndarray, t: float = 1.0, n_sub: int = 64) -> np.ndarray:
    """Cell averages of the 2-D square-lattice tight-binding DOS (bandwidth 8t).

    ``ρ(ε) = K(1 − ε²/16t²)/(2π² t)`` for |ε| < 4t (``K`` the complete elliptic
    integral, parameter m); log-divergent at ε = 0, so cells are averaged with
    ``n_sub`` midpoint samples per cell (never sampled at the singularity).

    Parameters
    ----------
    edges : ndarray of shape (n + 1,)
        Cell edges.
    t : float
        Hopping.
    n_sub : int
        Midpoint samples per cell.

    Returns
    -------
    ndarray of shape (n,)
        Cell averages; ∫ρ = 1.
    """
    from scipy.special import ellipk

    e = np.asarray(edges, dtype=float)
    u = (np.arange(n_sub) + 0.5) / n_sub
    x = e[:-1, None] + (e[1:] - e[:-1])[:, None] * u[None, :]
    m = 1.0 - (x / (4 * t)) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where((m > 0) & (m < 1), ellipk(np.clip(m, 0, 1 - 1e-16)) / (2 * np.pi**2 * t),
                       0.0)
    return rho.mean(axis=1)


def require_h5py(path: str | Path) -> Any:
    """Import :mod:`h5py`, or explain how to get it for reading ``path``.

    Parameters
    ----------
    path : str or Path
        The HDF5 file (named in the message).

    Returns
    -------
    module
        :mod:`h5py`.

    Raises
    ------
    InputError
        When h5py is not installed (it is the ``hdf5`` extra: ``pip install specinv[hdf5]``).
    """
    try:
        import h5py
    except ImportError:
        raise InputError("reading an HDF5 file needs h5py: pip install 'specinv[hdf5]'",
                         source=str(path)) from None
    return h5py


def read_smoqy_holstein(path: str | Path) -> dict[str, np.ndarray | float]:
    """SmoQyDEAC ``greens.jld2`` (HDF5): binned G(τ) with the exact A(ω).

    Parameters
    ----------
    path : str or Path
        The ``greens.jld2`` file.

    Returns
    -------
    dict
        ``tau`` (51,), ``G_bins`` (n_bins, 51) in the physical sign (negated, the file
        stores ``⟨T c c†⟩ ≥ 0``), ``omega`` (401,), ``A`` (401,), ``beta``.
    """
    h5py = require_h5py(path)
    with h5py.File(path, "r") as h:
        a = np.asarray(h["A"], dtype=float)
        g = np.asarray(h["Gτ"], dtype=float)
        beta = float(np.asarray(h["β"]))
    bins = g.T if g.shape[0] == 51 else g
    tau = np.linspace(0.0, beta, bins.shape[1])
    omega = np.linspace(-10.0, 10.0, a.size)
    return {"tau": tau, "G_bins": -bins, "omega": omega, "A": a, "beta": beta}

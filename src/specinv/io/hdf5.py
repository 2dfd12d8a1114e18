"""Green's functions and self-energies from HDF5 archives: TRIQS and w2dynamics (h5py).

Two layouts are recognized by content (any extension):

TRIQS (``h5py``-readable archives of ``triqs.gf``)
    a group with attribute ``TRIQS_HDF5_data_scheme`` = ``BlockGf`` (its
    ``block_names`` and one sub-group per block) or ``GfImFreq`` / ``GfImTime`` / ``Gf``
    (a single Gf). A Gf holds ``data`` of shape (n, a, b, 2) (Re, Im; attribute
    ``__complex__``) or (n, a, b), and ``mesh`` with ``domain/beta`` and ``size``
    (``positive_freq_only`` on Matsubara meshes; the scheme ``MeshImFreq`` /
    ``MeshImTime`` on newer archives).
w2dynamics
    ``.config`` (attribute ``general.beta``), ``.axes/iw`` and ``.axes/tau``, and one
    group per iteration (``dmft-last``, ``stat-last``, ``dmft-NNN``) holding
    ``ineq-XXX/<quantity>/value`` of shape (n_band, 2, n) — spin-diagonal — or
    (n_band, 2, n_band, 2, n), with ``error`` beside it when the run measured it.

Both give a :class:`GfArrays`: the positive Matsubara frequencies (or τ) and a matrix
per point. A missing group or dataset is an :class:`~specinv.core.errors.InputError`
naming the file and the path looked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from specinv.core.errors import InputError

#: TRIQS data schemes of a single Green's function, by axis
TRIQS_GF = {"GfImFreq": "matsubara", "GfImTime": "tau", "MeshImFreq": "matsubara",
            "MeshImTime": "tau"}
#: w2dynamics quantity read for each wanted kind
W2DYN_QUANTITY = {"self-energy": ("siw",), "g": ("giw", "gtau")}
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


@dataclass
class GfArrays:
    """A (matrix-valued) function on the Matsubara or imaginary-time axis.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    axis : {"matsubara", "tau"}
        Which axis ``points`` are.
    points : ndarray of shape (n,)
        Positive fermionic Matsubara frequencies ω_n, or τ ∈ [0, β] (data's energy unit).
    data : ndarray of shape (n, n_orb, n_orb), complex
        The function at each point.
    error : ndarray of shape (n, n_orb, n_orb) or None
        One-σ error of each element (Re and Im alike).
    beta : float or None
        Inverse temperature stored in the file.
    source : str
        File name (and block), for messages.
    flipped : bool
        The sign was flipped to the physical convention (G(τ) ≤ 0, Im G(iω_n) < 0).
    """

    axis: str
    points: np.ndarray
    data: np.ndarray
    error: np.ndarray | None
    beta: float | None
    source: str
    flipped: bool = False


def is_hdf5(path: str | Path) -> bool:
    """True when ``path`` starts with the HDF5 signature.

    Parameters
    ----------
    path : str or Path
        A file (missing or unreadable files give False).

    Returns
    -------
    bool
        Whether it is an HDF5 file.
    """
    try:
        with Path(path).open("rb") as fh:
            return fh.read(8) == HDF5_MAGIC
    except OSError:
        return False


def _text(v: Any) -> str:
    v = v[()] if hasattr(v, "shape") and not isinstance(v, (bytes, str)) else v
    return v.decode() if isinstance(v, bytes) else str(v)


def _get(group: Any, path: str, src: str) -> Any:
    if path not in group:
        raise InputError(f"HDF5 group or dataset '{group.name.rstrip('/')}/{path}' not found",
                         src)
    return group[path]


def _complex(ds: Any) -> np.ndarray:
    a = np.asarray(ds[()])
    if "__complex__" in ds.attrs or (a.ndim == 4 and a.shape[-1] == 2 and a.dtype.kind == "f"):
        a = a[..., 0] + 1j * a[..., 1]
    return np.asarray(a, dtype=complex)


def _triqs_gf(g: Any, src: str) -> GfArrays:
    """One TRIQS Gf group: positive Matsubara half (or τ mesh) and its data."""
    mesh = _get(g, "mesh", src)
    scheme = _text(g.attrs.get("TRIQS_HDF5_data_scheme", b""))
    axis = TRIQS_GF.get(scheme) or TRIQS_GF.get(_text(mesh.attrs.get(
        "TRIQS_HDF5_data_scheme", b"")))
    if axis is None:
        raise InputError(f"TRIQS Gf '{g.name}' is neither on MeshImFreq nor MeshImTime "
                         f"(scheme {scheme!r})", src)
    beta = float(_get(mesh, "domain/beta", src)[()])
    data = _complex(_get(g, "data", src))
    if data.ndim == 1:
        data = data[:, None, None]
    n = data.shape[0]
    if axis == "tau":
        return GfArrays(axis, np.linspace(0.0, beta, n), data, None, beta, src)
    positive_only = "positive_freq_only" in mesh and int(mesh["positive_freq_only"][()])
    first = 0 if positive_only else n // 2
    k = np.arange(n - first)
    return GfArrays(axis, (2 * k + 1) * np.pi / beta, data[first:], None, beta, src)


def read_triqs(h5: Any, src: str, block: str | None = None) -> GfArrays:
    """The first TRIQS Gf (or the block ``block`` of the first BlockGf) in an open file.

    Parameters
    ----------
    h5 : h5py.File
        Open archive.
    src : str
        File name, for messages.
    block : str, optional
        Block name (default: the first of ``block_names``), or the path of a Gf group.

    Returns
    -------
    GfArrays
        The function, its axis and β.
    """
    if block is not None and block in h5 and "data" in h5[block]:
        return _triqs_gf(h5[block], f"{src}:{block}")
    found = []
    h5.visititems(lambda name, obj: found.append(name) if _text(obj.attrs.get(
        "TRIQS_HDF5_data_scheme", b"")) in ("BlockGf", "Gf", *TRIQS_GF) else None)
    if not found:
        raise InputError("no TRIQS Green's function in the file (no group with "
                         "TRIQS_HDF5_data_scheme BlockGf, Gf, GfImFreq or GfImTime)", src)
    top = h5[found[0]]
    if _text(top.attrs["TRIQS_HDF5_data_scheme"]) != "BlockGf":
        return _triqs_gf(top, src)
    names = [_text(b) for b in np.atleast_1d(_get(top, "block_names", src)[()])]
    name = names[0] if block is None else block
    if name not in names:
        raise InputError(f"block '{name}' not in BlockGf '{top.name}' (blocks: "
                         f"{', '.join(names)})", src)
    return _triqs_gf(_get(top, name, src), f"{src}:{top.name.lstrip('/')}/{name}")


def _w2dyn_iteration(h5: Any, src: str) -> Any:
    for name in ("dmft-last", "stat-last"):
        if name in h5:
            return h5[name]
    its = sorted(k for k in h5 if k.startswith(("dmft-", "stat-")))
    if not its:
        raise InputError("w2dynamics file without an iteration group (dmft-last, "
                         "stat-last or dmft-NNN)", src)
    return h5[its[-1]]


def read_w2dynamics(h5: Any, src: str, kind: str, block: str | None = None) -> GfArrays:
    """Σ(iω_n) or G of one inequivalent atom and spin from a w2dynamics output.

    Parameters
    ----------
    h5 : h5py.File
        Open archive.
    src : str
        File name, for messages.
    kind : {"self-energy", "g"}
        ``siw`` for a self-energy; ``giw`` (else ``gtau``) for a Green's function.
    block : str, optional
        ``ineq-XXX`` or ``ineq-XXX/SPIN`` with SPIN ``up`` or ``down`` (default
        ``ineq-001/up``).

    Returns
    -------
    GfArrays
        Band matrix per point (diagonal for spin-diagonal outputs).
    """
    atom, _, spin = (block or "ineq-001/up").partition("/")
    if spin not in ("", "up", "down"):
        raise InputError(f"w2dynamics block '{block}': the spin must be 'up' or 'down'", src)
    s = 1 if spin == "down" else 0
    beta = float(_get(h5, ".config", src).attrs["general.beta"]) \
        if "general.beta" in h5[".config"].attrs else None
    ineq = _get(_w2dyn_iteration(h5, src), atom, src)
    names = W2DYN_QUANTITY[kind]
    q = next((n for n in names if n in ineq), None)
    if q is None:
        raise InputError(f"w2dynamics group '{ineq.name}' has none of {', '.join(names)}", src)
    value = np.asarray(_get(ineq[q], "value", src)[()])
    error = np.asarray(ineq[q]["error"][()], dtype=float) if "error" in ineq[q] else None
    axis = "tau" if q == "gtau" else "matsubara"
    pts = np.asarray(_get(h5, ".axes/tau" if axis == "tau" else ".axes/iw", src)[()]).real

    def pick(a: np.ndarray) -> np.ndarray:
        if a.ndim == 5:  # (band, spin, band, spin, n)
            return np.moveaxis(a[:, s, :, s, :], -1, 0)
        diag = np.moveaxis(a[:, s, :], -1, 0)  # (n, band)
        out = np.zeros((*diag.shape, diag.shape[-1]), dtype=a.dtype)
        idx = np.arange(diag.shape[-1])
        out[:, idx, idx] = diag
        return out

    data, err = pick(value).astype(complex), None if error is None else pick(error)
    if axis == "matsubara":
        keep = pts > 0
        pts, data, err = pts[keep], data[keep], None if err is None else err[keep]
    if err is not None and not np.all(err[:, np.arange(err.shape[1]), np.arange(err.shape[1])]
                                      > 0):
        err = None  # unmeasured errors are stored as zeros
    return GfArrays(axis, pts, data, err, beta, f"{src}:{ineq.name.lstrip('/')}/{q}")


def read_gf_hdf5(path: str | Path, *, kind: str = "g", block: str | None = None) -> GfArrays:
    """Read a TRIQS or w2dynamics archive (told apart by content).

    Parameters
    ----------
    path : str or Path
        HDF5 file.
    kind : {"g", "self-energy", "matrix"}
        What is wanted (chooses the w2dynamics quantity; "matrix" reads a G).
    block : str, optional
        TRIQS block name or Gf path; w2dynamics ``ineq-XXX[/up|down]``.

    Returns
    -------
    GfArrays
        The function on its axis, with β from the file.

    Raises
    ------
    InputError
        Not HDF5, neither layout, or the group asked for is missing (named).
    """
    from specinv.io.qmc import require_h5py

    src = str(path)
    if not Path(path).is_file():
        raise InputError("file not found", src)
    if not is_hdf5(path):
        raise InputError("not an HDF5 file (expected a TRIQS or w2dynamics archive)", src)
    h5py = require_h5py(path)
    try:
        with h5py.File(path, "r") as h5:
            if ".config" in h5:
                return read_w2dynamics(h5, src, "self-energy" if kind == "self-energy"
                                       else "g", block)
            return read_triqs(h5, src, block)
    except (OSError, KeyError, ValueError, TypeError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"unreadable HDF5 content ({type(exc).__name__}); expected a TRIQS "
                         "or w2dynamics archive", src) from None

"""Cases of ``specinv bench ac``: the third-party QMC data and their reference spectra.

Each loader reads one case from the ``shared/data`` folder and returns a dict with the
data (:class:`~specinv.io.qmc.ContinuationInput`), the kernel name, β, the reference
spectrum (or ``None``) and the window; :func:`l1_distance` scores a spectrum against the
reference. The cases are described in :mod:`specinv.ac.bench`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from specinv.io.qmc import ContinuationInput

CASES = ("srvo3", "u0", "bosonic", "holstein")
#: α of the ALPS reference spectrum, which TRIQS/maxent's stored SrVO3 results were made
#: with (set by hand in its test, in ALPS's normalization)
ALPS_ALPHA_SRVO3 = 5.514845959


def _srvo3(root: Path) -> dict[str, Any]:
    from specinv.io.qmc import read_tau_input, require_h5py

    d = root / "triqs_maxent_srvo3"
    h5py = require_h5py(d / "srvo3_mesh_and_ALPS.ref.h5")
    data = read_tau_input(d / "srvo3_G_tau_beta37.5.dat", beta=37.5)
    ref = np.loadtxt(d / "srvo3_ALPS_maxspec_reference.dat")
    stored = {}
    with h5py.File(d / "srvo3_mesh_and_ALPS.ref.h5", "r") as h:
        for mesh in ("lin", "hyp", "lor"):
            stored[f"triqs_maxent_{mesh}"] = (np.asarray(h[f"A_maxent_{mesh}/0"]),
                                              np.asarray(h[f"A_maxent_{mesh}/1"]))
    return {"data": data, "kernel": "fermionic-tau", "beta": 37.5, "ref_omega": ref[:, 0],
            "ref": ref[:, 1], "ref_name": "ALPS maxspec", "stored": stored,
            "ref_mesh": ref[:, 0], "window": float(ref[-1, 0]),
            "stored_alpha": ALPS_ALPHA_SRVO3, "triqs_window": 10.0}


def _u0(root: Path) -> dict[str, Any]:
    from specinv.io.qmc import read_tau_input, square_lattice_dos
    from specinv.kernels import Mesh

    data = read_tau_input(root / "cqmp_maxent_examples" / "U0" / "Gtau", beta=8.0)
    fine = Mesh.uniform(-8.0, 8.0, 3201)
    return {"data": data, "kernel": "fermionic-tau", "beta": 8.0, "ref_omega": fine.points,
            "ref": square_lattice_dos(fine.edges), "ref_name": "exact square-lattice DOS"}


def _bosonic(root: Path) -> dict[str, Any]:
    t = np.loadtxt(root / "cqmp_maxent_examples" / "Bosonic" / "dat_in")
    data = ContinuationInput(t[:, 0], t[:, 1], t[:, 3], t[:, 2], source="Bosonic/dat_in")
    return {"data": data, "kernel": "bosonic-matsubara", "beta": 2.0, "ref": None,
            "ref_name": "none (peer distance and sum rule)", "chi0": float(t[0, 1]),
            "window": 40.0}


def _holstein(root: Path) -> dict[str, Any]:
    from specinv.io.qmc import read_smoqy_holstein

    h = read_smoqy_holstein(root / "smoqy_dqmc_holstein" / "greens.jld2")
    bins = np.asarray(h["G_bins"])
    err = bins.std(axis=0, ddof=1) / np.sqrt(bins.shape[0])
    data = ContinuationInput(np.asarray(h["tau"]), bins.mean(axis=0), None, err,
                             source="greens.jld2")
    return {"data": data, "kernel": "fermionic-tau", "beta": float(h["beta"]),
            "ref_omega": np.asarray(h["omega"]), "ref": np.asarray(h["A"]),
            "ref_name": "exact A(omega) (synthetic data)", "window": 10.0}


LOADERS = {"srvo3": _srvo3, "u0": _u0, "bosonic": _bosonic, "holstein": _holstein}


def l1_distance(omega: np.ndarray, spectrum: np.ndarray, ref_omega: np.ndarray,
                ref: np.ndarray) -> float:
    """``∫|A − A_ref| dω`` on the reference points (A interpolated, 0 outside its mesh).

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Mesh of the recovered spectrum.
    spectrum : ndarray of shape (n,)
        Recovered A(ω).
    ref_omega : ndarray of shape (m,)
        Points of the reference (same energy unit).
    ref : ndarray of shape (m,)
        Reference A(ω).

    Returns
    -------
    float
        L1 distance (trapezoid rule on ``ref_omega``).
    """
    a = np.interp(ref_omega, omega, spectrum, left=0.0, right=0.0)
    return float(np.trapezoid(np.abs(a - ref), ref_omega))

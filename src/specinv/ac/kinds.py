"""``ac continue --kind self-energy|matrix`` and HDF5 input: read, continue, write, verdict.

``--kind g`` (the default) on a text table stays with the scalar path of
:mod:`specinv.ac.cli`; everything else comes here:

``--kind self-energy``
    Σ(iω_n) → Σ(ω) (:func:`~specinv.ac.selfenergy.continue_self_energy`; a k×k input
    goes through :func:`~specinv.ac.selfenergy_matrix.continue_matrix_self_energy`).
    CSV ``omega,re_sigma,im_sigma`` (``re_sigma_a_b,im_sigma_a_b`` per element for k > 1).
``--kind matrix``
    G(τ) or G(iω_n) of shape (k, k) per point → positive-semidefinite A(ω)
    (:func:`~specinv.ac.matrix.continue_matrix`). CSV ``omega,A_a_a,...,re_A_a_b,im_A_a_b``.
``--kind g`` on HDF5
    one scalar G (element 0,0 of the chosen block), as the text path.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from specinv.core.errors import ParameterError
from specinv.io.options import positive_float

KINDS = ("g", "self-energy", "matrix")
#: largest matrix continued (k + 4·k(k − 1)/2 scalar continuations: 1954 at k = 32)
MAX_ORBITALS = 32


def add_kind_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--kind``, ``--block``, ``--n-matsubara`` and ``--error`` to ``ac continue``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The ``ac continue`` parser.
    """
    parser.add_argument(
        "--kind", choices=KINDS, default="g",
        help="what INPUT holds: g (a Green's function, default), self-energy (Σ(iω_n) with "
             "its Hartree shift, scalar or k×k; --kernel not needed) or matrix (k×k G(τ) "
             "or G(iω_n) from an .npz or HDF5 file)")
    parser.add_argument(
        "--block", default=None, metavar="NAME",
        help="HDF5 input: TRIQS block name (default: the first) or w2dynamics "
             "ineq-XXX[/up|down] (default ineq-001/up)")
    parser.add_argument(
        "--n-matsubara", type=int, default=None, metavar="N",
        help="use only the first N positive Matsubara frequencies (default: all); for "
             "QMC data whose highest frequencies are noise or a fitted tail")
    parser.add_argument(
        "--error", type=positive_float, default=None, metavar="SIGMA",
        help="one-σ error of every data value, in the data's unit, for files without error "
             "bars (e.g. TRIQS archives; refused when the file has them); default: "
             "estimated from the roughness of the data")


def uses_kind_path(args: argparse.Namespace) -> bool:
    """True when ``args`` need this module rather than the scalar text path.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``ac continue`` arguments.

    Returns
    -------
    bool
        A non-default kind, HDF5 or NPZ input, or ``--block`` / ``--n-matsubara`` /
        ``--error`` given.
    """
    from specinv.io.greens import is_npz
    from specinv.io.hdf5 import is_hdf5

    return (args.kind != "g" or is_hdf5(args.input) or is_npz(args.input)
            or args.block is not None or args.n_matsubara is not None
            or args.error is not None)


def _check_kernel(args: argparse.Namespace, axis: str) -> str:
    kernel = "fermionic-tau" if axis == "tau" else "fermionic-matsubara"
    if args.kernel is not None and args.kernel != kernel:
        raise ParameterError(f"--kernel {args.kernel} does not fit --kind {args.kind} on "
                             f"{'τ' if axis == 'tau' else 'Matsubara'} data (expected "
                             f"{kernel}, or omit --kernel)")
    return kernel


def run_kind(args: argparse.Namespace, options: dict[str, Any]) -> int:
    """Read, continue, write and report one ``ac continue`` call of this module.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``ac continue`` arguments (output paths already checked).
    options : dict
        Solver options (checked).

    Returns
    -------
    int
        Exit code from :func:`~specinv.io.report.report_verdict`.
    """
    from specinv.ac.outputs import write_matrix, write_scalar_g, write_self_energy
    from specinv.io.greens import is_npz, read_greens_input
    from specinv.io.hdf5 import is_hdf5
    from specinv.io.limits import check_array, check_count
    from specinv.io.report import report_verdict

    if args.n_matsubara is not None:
        check_count("--n-matsubara", args.n_matsubara, minimum=8)
    text = not (is_hdf5(args.input) or is_npz(args.input))
    if args.kind == "g" and text and args.block is None and \
            args.kernel != "fermionic-matsubara":
        raise ParameterError("--n-matsubara or --error on a text table needs --kernel "
                             f"fermionic-matsubara (got {args.kernel}); give τ data's errors "
                             "as a third column")
    gf = read_greens_input(args.input, beta=args.beta, kind=args.kind, block=args.block,
                           n_matsubara=args.n_matsubara)
    if args.error is not None:
        if gf.error is not None:
            raise ParameterError(f"--error given, but {gf.source} has its own error bars")
        gf.error = np.full(gf.data.shape, args.error)
    kernel = _check_kernel(args, gf.axis)
    k = gf.data.shape[1]
    if k > MAX_ORBITALS:
        raise ParameterError(f"{gf.source} holds a {k}×{k} matrix; at most {MAX_ORBITALS}×"
                             f"{MAX_ORBITALS} are continued (select a block with --block)")
    if args.n_omega is not None:
        rows = gf.points.size * (1 if gf.axis == "tau" else 2)
        check_array("--n-omega", args.n_omega, (rows, args.n_omega), what="kernel")
    common = {"method": args.method, "options": options, "omega_max": args.omega_max,
              "n_omega": args.n_omega}
    if args.kind == "self-energy":
        if gf.axis == "tau":
            raise ParameterError(f"--kind self-energy needs Σ(iω_n) on Matsubara frequencies; "
                                 f"{gf.source} holds a function of τ")
        check = write_self_energy(args, gf, common)
    elif args.kind == "matrix":
        check = write_matrix(args, gf, kernel, common)
    else:
        if k > 1:
            raise ParameterError(f"{gf.source} holds a {k}×{k} matrix: use --kind matrix "
                                 "(or --kind self-energy for Σ)")
        check = write_scalar_g(args, gf, kernel, common)
    return report_verdict(check, args, what=str(Path(args.output)))

"""Outputs of ``ac continue --kind ...``: CSV columns, JSON record, optional plot.

Each writer runs one continuation of :mod:`specinv.ac.kinds`, writes the CSV and its
JSON (every parameter, the tail fit, the positivity figures and the check) atomically,
prints the notes and a summary line, and returns the check for the verdict.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from specinv.io.hdf5 import GfArrays
from specinv.io.qmc import ContinuationInput


def _meta(args: argparse.Namespace, gf: GfArrays, **extra: Any) -> dict[str, Any]:
    return {"command": "ac continue", "kind": args.kind, "input": str(Path(args.input)),
            "source": gf.source, "block": args.block, "beta": args.beta,
            "n_matsubara": args.n_matsubara, "n_points": int(gf.points.size),
            "n_orbitals": int(gf.data.shape[1]), "error_bars_given": gf.error is not None,
            "error_option": args.error, "sign_flipped": gf.flipped,
            "n_omega_requested": args.n_omega,
            **extra}


def _split(m: np.ndarray) -> dict[str, Any]:
    """A complex matrix as JSON-ready real and imaginary parts."""
    return {"re": np.real(m), "im": np.imag(m)}


def _write(args: argparse.Namespace, cols: dict[str, Any], meta: dict[str, Any],
           curves: dict[str, np.ndarray], notes: list[str], summary: str, check: Any) -> None:
    from specinv.io.table import write_table

    def plot(path: str) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (ax, res) = plt.subplots(2, 1, figsize=(6, 5.5), height_ratios=(3, 1))
        for label, y in curves.items():
            ax.plot(cols["omega"], y, lw=1, label=label)
        ax.set_xlabel("ω")
        ax.legend(fontsize=7)
        check.plot_residuals(res, np.arange(np.size(check.residuals)),
                             xlabel="data index of the continued function ([Re; Im] ω_n)")
        fig.tight_layout()
        fig.savefig(path, dpi=100, format="png")
        plt.close(fig)

    write_table(args.output, cols, meta, extra=[(args.plot, plot)] if args.plot else [])
    for note in notes:
        print(f"note: {note}")
    print(f"wrote {args.output}: {summary}")


def write_self_energy(args: argparse.Namespace, gf: GfArrays, common: dict[str, Any]) -> Any:
    """Continue Σ(iω_n) (scalar or k×k) and write Σ(ω).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments (output, plot, beta, ...).
    gf : GfArrays
        Σ(iω_n) read from the input.
    common : dict
        ``method``, ``options``, ``omega_max``, ``n_omega``.

    Returns
    -------
    Check
        The check of the back-transform of the continued normalized Σ.
    """
    if gf.data.shape[1] > 1:
        from specinv.ac.selfenergy_matrix import continue_matrix_self_energy

        r = continue_matrix_self_energy(gf, args.beta, **common)
        cols = {"omega": r.omega, **element_columns("sigma", r.sigma, split_diagonal=True)}
        meta = _meta(args, gf, sigma_inf=_split(r.sigma_inf), sigma_inf_err=r.sigma_inf_err,
                     sigma_1=_split(r.sigma_1), sigma_1_err=r.sigma_1_err,
                     tail_omega_from=r.omega_from, min_eigenvalue=r.matrix.min_eigenvalue,
                     psd_correction=r.matrix.projection, notes=r.matrix.notes,
                     check=r.matrix.check.to_dict())
        curves = {f"-Im Σ_{a}{a}": -r.sigma[:, a, a].imag for a in range(r.sigma.shape[1])}
        _write(args, cols, meta, curves, r.matrix.notes,
               f"{r.sigma.shape[1]}×{r.sigma.shape[1]} Σ(ω), minimum eigenvalue of the "
               f"normalized spectrum {r.matrix.min_eigenvalue:.3g}", r.matrix.check)
        return r.matrix.check
    from specinv.ac.selfenergy import Z_WINDOW, continue_self_energy

    r = continue_self_energy(gf.points, gf.data[:, 0, 0],
                             None if gf.error is None else gf.error[:, 0, 0], args.beta,
                             source=gf.source, **common)
    res = r.result
    cols = {"omega": r.omega, "re_sigma": r.re_sigma, "im_sigma": r.im_sigma}
    meta = _meta(args, gf, **{**r.tail.metadata(), "quasiparticle_weight": r.z,
                              "dre_sigma_domega_at_0": r.slope,
                              "z_fit_half_width": Z_WINDOW / args.beta,
                              "n_omega": int(r.omega.size),
                              "spectrum": "sigma(omega) = -Im Sigma/(pi Sigma_1)",
                              **res.metadata(), **r.setup.metadata(),
                              "alpha": res.hyperparameters.get("alpha"),
                              "runtime_s": res.wall_time_s})
    meta["notes"] = r.setup.notes + r.notes
    z = "no quasiparticle" if r.z is None else f"Z = {r.z:.4g}"
    _write(args, cols, meta, {"Re Σ": r.re_sigma, "Im Σ": r.im_sigma}, meta["notes"],
           f"Σ(ω), Σ(∞) = {r.tail.sigma_inf:.6g}, Σ₁ = {r.tail.sigma_1:.6g}, {z}, "
           f"χ²/N = {res.chi2_reduced:.3g}", res.check)
    return res.check


def write_matrix(args: argparse.Namespace, gf: GfArrays, kernel: str,
                 common: dict[str, Any]) -> Any:
    """Continue a matrix G and write its positive-semidefinite A(ω).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments.
    gf : GfArrays
        Matrix G(τ) or G(iω_n).
    kernel : str
        ``fermionic-tau`` or ``fermionic-matsubara`` (from the data's axis).
    common : dict
        ``method``, ``options``, ``omega_max``, ``n_omega``.

    Returns
    -------
    Check
        The worst check of the element continuations, with the positivity figures.
    """
    from specinv.ac.matrix import continue_matrix

    r = continue_matrix(gf, args.beta, **common)
    cols = {"omega": r.omega, **element_columns("A", r.spectrum, split_diagonal=False)}
    meta = _meta(args, gf, kernel_name=kernel, min_eigenvalue=r.min_eigenvalue,
                 psd_correction=r.projection, parts=sorted(r.parts), notes=r.notes,
                 alphas={n: res.hyperparameters.get("alpha") for n, (_, res) in r.parts.items()},
                 chi2_reduced={n: res.chi2_reduced for n, (_, res) in r.parts.items()},
                 check=r.check.to_dict(), **common)
    k = r.spectrum.shape[1]
    curves = {f"A_{a}{b}": r.spectrum[:, a, b].real for a in range(k) for b in range(a, k)}
    _write(args, cols, meta, curves, r.notes,
           f"{k}×{k} A(ω), minimum eigenvalue before projection {r.min_eigenvalue:.3g}",
           r.check)
    return r.check


def write_scalar_g(args: argparse.Namespace, gf: GfArrays, kernel: str,
                   common: dict[str, Any]) -> Any:
    """Continue a scalar G read from HDF5 (or trimmed by ``--n-matsubara``) and write A(ω).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments.
    gf : GfArrays
        A 1×1 G(τ) or G(iω_n).
    kernel : str
        ``fermionic-tau`` or ``fermionic-matsubara``.
    common : dict
        ``method``, ``options``, ``omega_max``, ``n_omega``.

    Returns
    -------
    Check
        The continuation's check.
    """
    from specinv.ac.continuation import continue_data

    g = gf.data[:, 0, 0]
    err = None if gf.error is None else gf.error[:, 0, 0]
    data = ContinuationInput(gf.points, g.real.copy(),
                             None if gf.axis == "tau" else g.imag.copy(), err, gf.flipped,
                             gf.source)
    setup, res = continue_data(data, kernel, args.beta, **common)
    cols = {"omega": res.omega, "spectrum": res.spectrum}
    meta = _meta(args, gf, **{"kernel_name": kernel, "spectrum": "A(omega)",
                              **res.metadata(), **setup.metadata(),
                              "alpha": res.hyperparameters.get("alpha")})
    _write(args, cols, meta, {"A": res.spectrum}, setup.notes,
           f"{common['method']}, {kernel}, χ²/N = {res.chi2_reduced:.3g}", res.check)
    return res.check


def element_columns(prefix: str, m: np.ndarray, *, split_diagonal: bool) -> dict[str, Any]:
    """CSV columns of a (n, k, k) complex array: ``re_P_a_b``, ``im_P_a_b``.

    Parameters
    ----------
    prefix : str
        Column stem (``sigma``, ``A``).
    m : ndarray of shape (n, k, k), complex
        Values per point.
    split_diagonal : bool
        False: a real diagonal element gets one column ``P_a_a`` (Hermitian spectra).

    Returns
    -------
    dict of str -> ndarray of shape (n,)
        Columns in row-major element order.
    """
    cols: dict[str, Any] = {}
    k = m.shape[1]
    for a in range(k):
        for b in range(k):
            if not split_diagonal and a == b:
                cols[f"{prefix}_{a}_{a}"] = m[:, a, a].real
            elif split_diagonal or a < b:
                cols[f"re_{prefix}_{a}_{b}"] = m[:, a, b].real
                cols[f"im_{prefix}_{a}_{b}"] = m[:, a, b].imag
    return cols

"""``specinv bench ac``: analytic continuation of third-party QMC data beside the peers.

Cases (from ``shared/data``; the benchmark skips cleanly when it is absent):

``srvo3``     SrVO3 G(τ), β = 37.5/eV, 500 τ, error 1e-3 (TRIQS/maxent test data).
              Reference: the ALPS "maxspec" spectrum; TRIQS/maxent's stored test
              outputs on three meshes are scored the same way.
``u0``        U = 0 square-lattice G(τ), β = 8, 1025 τ, error 1e-5 (CQMP/Maxent).
              Reference: the exact tight-binding DOS (cell averages).
``bosonic``   χ(Q = (π, π), iΩ_n), β = 2, 11 frequencies, error 1e-4 (CQMP/Maxent).
              No exact answer: reported are χ²/N, the sum rule ∫A vs χ(0) and the
              L1 distance between the codes.
``holstein``  Synthetic binned G(τ) with correlated noise (SmoQyDEAC), β = 5, 51 τ.
              Reference: the exact A(ω) stored with the data.

Distances are ``∫|A − A_ref| dω`` on the reference's own points (SrVO3: the ALPS
mesh; U = 0 and Holstein: a uniform grid, exact DOS as cell averages). Our runs:
``maxent_default_auto_mesh``, what ``specinv ac continue`` runs by default (χ²-curvature
α, Gaussian default model of the data's moments, automatic window); ``maxent`` with the
posterior α (ALPS's rule; flat default normalized to the data's zeroth moment) on the
automatic mesh and, for
SrVO3, on the reference's mesh with cell and point quadrature; ``maxent`` classic;
``nnrs`` on the small cases. ana_cont (optional, ``--ana-cont-path`` or
importable) runs maxent with its ``chi2kink`` and ``classic`` α on a uniform
mesh over the same window, with the flat default model normalized to 1 on the
given axis as its examples do. For τ data ana_cont works on a β-scaled axis
(τ/β, βω, βG) where that model integrates to β while the data integrate to 1:
its default model is then β times the data's norm, unlike ours. The run
``ana_cont_classic_model_over_beta`` passes the model divided by β (normalized
like the data on its internal axis), which is the like-for-like comparison.

TRIQS/maxent (optional, ``--triqs-maxent-path`` or importable; the fermionic τ
cases, which is what its ``TauMaxEnt`` continues) runs as its SrVO3 guide does
(``triqs_maxent_guide_<analyzer>``): ``probability="normal"``, a 400-point
hyperbolic mesh (±10 eV for SrVO3 as in the guide, the case window otherwise),
``LogAlphaMesh(1e-4, 100, 50)`` widened by the factor (1e-3/error)² by which the
guide says to scale it (at its density of points), and every analyzer from that
one run: line fit and χ² curvature (its defaults), entropy, Bryan's average and
classic. ``maxent_posterior_triqs_guide_mesh`` is ours on the same mesh with the
same (trapezoid) weights. See
:mod:`specinv.ac.bench_peers` for how it is imported without the TRIQS library.

``triqs_maxent_same_alpha_{lin,hyp,lor}_live`` run TRIQS/maxent's SrVO3 test again
(Bryan's cost function at the α it was given by hand: ALPS's 5.5148, on its linear,
hyperbolic and Lorentzian meshes), timed; ``max_abs_diff_to_stored`` checks that it
reproduces its stored outputs. ``maxent_same_alpha_{lin,hyp,lor}_mesh_trapezoid``
are ours on the same meshes with the same weights and α, so that only the
implementations differ.

``nnrs_errors_estimated_steps4000`` is what ``specinv ac continue`` advises when
the data are fitted far better than their error bars claim (posterior MaxEnt
χ²/N < 0.01: inflated or nominal errors; of the τ cases only U = 0, which carries
a constant 1e-5 on data exact to 1e-14): the error column omitted, so the errors
are estimated from the data (exact data get a floor of 1e-6 of max|G|), and nnrs
given 4000 Adam steps, as its convergence warning advises when the default budget
ends above χ²/N = 1. Where the error bars are not inflated the estimate is no
substitute for them (SrVO3 and Holstein: L1 0.79 and 0.64 that way).
Wall times exclude imports and the kernel build (with its SVD) for our runs, which
is recorded apart as ``setup_s`` (it serves every run on that mesh); they include
everything inside ana_cont's ``solve`` and TRIQS/maxent's ``run`` (their kernel
set-up is inside those calls); peers run with their default BLAS threads, ours
with one.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from specinv.ac.actest_matsubara import add_peer_arguments
from specinv.ac.bench_actest_report import json_default
from specinv.ac.bench_cases import CASES, LOADERS, l1_distance
from specinv.ac.bench_peers import (
    ana_cont_run,
    import_ana_cont,
    import_triqs_maxent,
    triqs_fixed_alpha_run,
    triqs_guide_runs,
)
from specinv.ac.continuation import INFLATED_CHI2
from specinv.io.datasets import data_root

#: Adam steps of the ``nnrs_errors_estimated`` runs (default budget: 700 + 150 L-BFGS)
LONG_STEPS = 4000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default=None, metavar="DIR",
                        help="third-party data folder (default: $SPECINV_DATA, else ../shared/data "
                             "beside a source checkout)")
    parser.add_argument("--cases", default=None,
                        help=f"comma-separated subset of {','.join(CASES)} (default: all)")
    parser.add_argument("--no-peers", action="store_true",
                        help="skip ana_cont and TRIQS/maxent")
    parser.add_argument("--ana-cont-path", default=None, metavar="DIR",
                        help="folder to put on sys.path for an ana_cont installed elsewhere "
                             "(default: none)")
    parser.add_argument("--triqs-maxent-path", default=None, metavar="DIR",
                        help="folder to put on sys.path for a triqs_maxent installed elsewhere "
                             "(default: none)")
    parser.add_argument("--no-nnrs", action="store_true", help="skip nnrs")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timing repeats of our runs (median; default 3, quick 1)")
    parser.add_argument("--suite", choices=("qmc", "actest"), default="qmc",
                        help="qmc: the third-party QMC cases above; actest: the ACTest "
                             "standard sets, see specinv.ac.bench_actest (default: %(default)s)")
    parser.add_argument("--sets", default="std_fg", metavar="SETS",
                        help="actest suite: comma-separated subsets of ACTest's ACT100, "
                             "std_fg, std_fd, std_frd (fermionic: Gaussian, δ-like, signed "
                             "rise-and-decay), std_bg, std_bd, std_brd (bosonic), or act100 "
                             "for all six (default: %(default)s)")
    parser.add_argument("--noise", default="1e-2,1e-4,1e-6", metavar="SIGMAS",
                        help="actest suite: comma-separated noise levels σ of G(τ), in units "
                             "of G (normalized spectra) (default: %(default)s)")
    add_peer_arguments(parser)  # --mini-pole-path, --adapol-path


# -- runs --------------------------------------------------------------------------------

def _ours(case: dict[str, Any], method: str, options: dict, repeats: int,
          mesh: Any = None, quadrature: str = "cell") -> dict[str, Any]:
    from specinv.ac.continuation import build_problem
    from specinv.solvers import solve

    kw = {"omega_max": case.get("window")} if mesh is None and case["kernel"] \
        == "bosonic-matsubara" else {}
    t0 = time.perf_counter()
    setup = build_problem(case["data"], case["kernel"], case["beta"], mesh=mesh,
                          quadrature=quadrature, **kw)
    _ = setup.problem.kernel.svd  # shared by every method on this mesh; timed apart
    setup_s = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            r = solve(setup.problem, method, **options)
            times.append(time.perf_counter() - t0)
    return {"omega": r.omega, "spectrum": r.spectrum, "wall_s": float(np.median(times)),
            "wall_all_s": times, "setup_s": setup_s, "alpha": r.hyperparameters.get("alpha"),
            "chi2_reduced": float(r.chi2_reduced), "omega_max": setup.omega_max,
            "n_omega": int(r.omega.size), "warnings": [str(w) for w in r.warnings]}


def _default_run(case: dict[str, Any]) -> dict[str, Any]:
    """``specinv ac continue`` with its defaults (window, α rule, default model), timed."""
    from specinv.ac.cli import AC_DEFAULT_MODEL, AC_DEFAULTS
    from specinv.ac.continuation import continue_data, is_fermionic

    model = AC_DEFAULT_MODEL if is_fermionic(case["kernel"]) else "flat"
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        setup, r = continue_data(case["data"], case["kernel"], case["beta"],
                                 options=AC_DEFAULTS["maxent"], default_model=model,
                                 omega_max=case.get("window") if case["kernel"]
                                 == "bosonic-matsubara" else None)
    return {"omega": r.omega, "spectrum": r.spectrum, "wall_s": time.perf_counter() - t0,
            "alpha": r.hyperparameters.get("alpha"), "chi2_reduced": float(r.chi2_reduced),
            "omega_max": setup.omega_max, "n_omega": int(r.omega.size),
            "default_model": model, "warnings": [str(w) for w in r.warnings]}


def _score(case: dict[str, Any], run: dict[str, Any]) -> None:
    if "spectrum" not in run:
        return
    if case.get("ref") is not None:
        run["l1_to_reference"] = l1_distance(run["omega"], run["spectrum"],
                                             case["ref_omega"], case["ref"])
    if case["kernel"] == "bosonic-matsubara":
        # ∫ over the full axis of the even spectrum = χ(iΩ = 0)
        run["sum_rule"] = float(2 * np.trapezoid(run["spectrum"], run["omega"]))


def _stored_runs(case: dict[str, Any], tm: Any, repeats: int) -> dict[str, dict[str, Any]]:
    """The case's stored TRIQS/maxent spectra, its live rerun (when importable) and ours
    at the same α on its mesh with its trapezoid weights (max |ΔA| to the stored one)."""
    from specinv.kernels import Mesh

    out: dict[str, dict[str, Any]] = {}
    for key, (w, a) in case.get("stored", {}).items():
        mesh = key.removeprefix("triqs_maxent_")
        out[key] = {"omega": w, "spectrum": a, "wall_s": None, "stored": True}
        if "stored_alpha" not in case:
            continue
        alpha = case["stored_alpha"]
        if tm is not None:  # its test run again, timed; it must reproduce what it stored
            live = triqs_fixed_alpha_run(tm, case, mesh, float(w[-1]), alpha, n=w.size)
            if "spectrum" in live:
                live["max_abs_diff_to_stored"] = float(np.max(np.abs(
                    np.interp(w, live["omega"], live["spectrum"]) - a)))
            out[f"triqs_maxent_same_alpha_{mesh}_live"] = live
        # like-for-like: its mesh and its trapezoid weights, its α
        fixed = {"alpha_rule": "classic", "refine_alpha": False, "n_alpha": 5,
                 "alpha_range": (alpha, alpha * (1 + 1e-9))}
        run = _ours(case, "maxent", fixed, repeats, mesh=Mesh.trapezoid(w),
                    quadrature="point")
        run["max_abs_diff_to_stored"] = float(np.max(np.abs(
            np.interp(w, run["omega"], run["spectrum"]) - a)))
        out[f"maxent_same_alpha_{mesh}_mesh_trapezoid"] = run
    return out


def run_case(name: str, case: dict[str, Any], args: argparse.Namespace,
             cont: Any, tm: Any = None) -> dict[str, Any]:
    """All runs of one case; returns the JSON-ready record (spectra included).

    Parameters
    ----------
    name : str
        Case name (a key of :data:`~specinv.ac.bench_cases.LOADERS`).
    case : dict
        Loaded case: ``data``, ``kernel``, ``beta``, reference spectrum and window.
    args : argparse.Namespace
        Bench options (``quick``, ``repeats``, ...).
    cont : module or None
        ana_cont's ``continuation`` module, None when absent.
    tm : module, optional
        The ``triqs_maxent`` package, None when absent.

    Returns
    -------
    dict
        Reference, β, kernel, sizes and ``runs`` (per method: spectrum, wall time,
        L1 distances).
    """
    from specinv.kernels import Mesh

    repeats = args.repeats or (1 if args.quick else 3)
    runs: dict[str, dict[str, Any]] = {"maxent_default_auto_mesh": _default_run(case)}
    runs["maxent_posterior_auto_mesh"] = _ours(case, "maxent", {"alpha_rule": "posterior"},
                                               repeats)
    if "ref_mesh" in case:
        m = Mesh.from_points(case["ref_mesh"])
        runs["maxent_posterior_ref_mesh"] = _ours(case, "maxent", {"alpha_rule": "posterior"},
                                                  repeats, mesh=m)
        runs["maxent_posterior_ref_mesh_point"] = _ours(
            case, "maxent", {"alpha_rule": "posterior"}, repeats, mesh=m, quadrature="point")
    if not args.quick:
        runs["maxent_classic_auto_mesh"] = _ours(case, "maxent", {}, repeats)
        if not args.no_nnrs and name in ("holstein", "bosonic"):
            runs["nnrs_auto_mesh"] = _ours(case, "nnrs", {}, 1)
        chi2 = runs["maxent_posterior_auto_mesh"]["chi2_reduced"]
        if not args.no_nnrs and case["kernel"] == "fermionic-tau" and chi2 < INFLATED_CHI2:
            no_err = {**case, "data": dataclasses.replace(case["data"], error=None)}
            runs[f"nnrs_errors_estimated_steps{LONG_STEPS}"] = _ours(
                no_err, "nnrs", {"steps": LONG_STEPS}, 1)
    window = case.get("window") or runs["maxent_posterior_auto_mesh"]["omega_max"]
    if cont is not None and not (args.quick and name == "u0"):
        for rule in ("chi2kink", "classic"):
            runs[f"ana_cont_{rule}"] = ana_cont_run(cont, case, rule, window)
        if case["kernel"] == "fermionic-tau":
            runs["ana_cont_classic_model_over_beta"] = ana_cont_run(
                cont, case, "classic", window, model_over_beta=True)
    if tm is not None and case["kernel"] == "fermionic-tau" \
            and not (args.quick and name == "u0"):
        guide = triqs_guide_runs(tm, case, case.get("triqs_window", window))
        runs.update(guide)
        first = next(iter(guide.values()))
        if "omega" in first:  # ours on its mesh, with its (trapezoid) weights
            runs["maxent_posterior_triqs_guide_mesh"] = _ours(
                case, "maxent", {"alpha_rule": "posterior"}, repeats,
                mesh=Mesh.trapezoid(first["omega"]), quadrature="point")
    runs.update(_stored_runs(case, tm, repeats))
    for run in runs.values():
        _score(case, run)
    if case.get("ref") is None and "ana_cont_classic" in runs \
            and "spectrum" in runs["ana_cont_classic"]:
        peer = runs["ana_cont_classic"]
        for run in runs.values():
            if "spectrum" in run:
                grid = np.linspace(0.0, window, 2001)
                run["l1_to_ana_cont_classic"] = l1_distance(run["omega"], run["spectrum"],
                                                            grid, np.interp(
                                                                grid, peer["omega"],
                                                                peer["spectrum"]))
    return {"reference": case["ref_name"], "beta": case["beta"], "kernel": case["kernel"],
            "n_data": int(case["data"].points.size), "window": float(window),
            "median_error": float(np.median(case["data"].error)),
            "reference_omega": case.get("ref_omega"), "reference_spectrum": case.get("ref"),
            "runs": runs}


def run(args: argparse.Namespace) -> int:
    from specinv.io.atomic import atomic_path
    from specinv.solvers import load_all

    load_all()
    if args.suite == "actest":
        from specinv.ac import bench_actest

        cont = None if args.no_peers else import_ana_cont(args.ana_cont_path)
        tm, tm_note = (None, "skipped (--no-peers)") if args.no_peers \
            else import_triqs_maxent(args.triqs_maxent_path)
        peers = {"ana_cont": None if cont is None else getattr(
            sys.modules.get("ana_cont"), "__file__", "imported"), "triqs_maxent": tm_note}
        return bench_actest.run(args, cont, tm, peers)
    root = Path(args.data) if args.data else data_root()
    out = Path(args.output)
    if root is None or not root.is_dir():
        print(f"bench ac: third-party data folder {root or '../shared/data'} is absent "
              "(set $SPECINV_DATA); nothing to do (skipped)")
        return 0
    names = CASES if args.cases is None else tuple(args.cases.split(","))
    unknown = [n for n in names if n not in CASES]
    if unknown:
        from specinv.core.errors import ParameterError
        raise ParameterError(f"unknown case(s) {', '.join(unknown)}; valid: {', '.join(CASES)}")
    out.mkdir(parents=True, exist_ok=True)
    cont = None if args.no_peers else import_ana_cont(args.ana_cont_path)
    tm, tm_note = (None, "skipped (--no-peers)") if args.no_peers \
        else import_triqs_maxent(args.triqs_maxent_path)
    report: dict[str, Any] = {
        "benchmark": "ac", "quick": bool(args.quick), "data": str(root),
        "peers": {"ana_cont": None if cont is None else getattr(
            sys.modules.get("ana_cont"), "__file__", "imported"),
            "triqs_maxent": tm_note},
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "load_average_start": os.getloadavg(), "blas_threads_maxent": 1},
        "cases": {}}
    for name in names:
        try:
            case = LOADERS[name](root)
        except (OSError, KeyError) as exc:
            report["cases"][name] = {"skipped": f"{type(exc).__name__}: {exc}"}
            continue
        rec = run_case(name, case, args, cont, tm)
        report["cases"][name] = rec
        for key, r in rec["runs"].items():
            dist = r.get("l1_to_reference", r.get("l1_to_ana_cont_classic"))
            d = "failed" if "failed" in r else ("-" if dist is None else f"{dist:.4f}")
            t = "-" if r.get("wall_s") is None else f"{r['wall_s']:.2f}s"
            print(f"{name:9s} {key:34s} L1 {d:>8s}  t {t}", flush=True)
    report["machine"]["load_average_end"] = os.getloadavg()
    _figure(out / "ac.png", report)
    with atomic_path(out / "ac.json") as tmp:
        tmp.write_text(json.dumps(report, indent=1, default=json_default) + "\n")
    print(f"wrote {out / 'ac.json'} and {out / 'ac.png'}")
    return 0


def _plotted(key: str, run: dict[str, Any]) -> bool:
    """Runs drawn in the figure: not the like-for-like repeats, and of TRIQS/maxent only
    its guide run's classic α (the others are in the JSON)."""
    if "spectrum" not in run or key.endswith(("_point", "_trapezoid", "_live")):
        return False
    return not key.startswith("triqs_maxent") or key == "triqs_maxent_guide_classic"


def _figure(path: Path, report: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from specinv.io.atomic import atomic_path

    cases = {k: v for k, v in report["cases"].items() if "runs" in v}
    if not cases:
        return
    fig, axes = plt.subplots(1, len(cases), figsize=(4.5 * len(cases), 3.6), squeeze=False)
    for ax, (name, rec) in zip(axes[0], cases.items(), strict=True):
        for key, r in rec["runs"].items():
            if not _plotted(key, r):
                continue
            ls = "--" if key.startswith(("ana_cont", "triqs")) else "-"
            ax.plot(r["omega"], r["spectrum"], ls, lw=1, label=key)
        if rec.get("reference_spectrum") is not None:
            ax.plot(rec["reference_omega"], rec["reference_spectrum"], "k-", lw=1.6,
                    alpha=0.5, label="reference")
        ax.set_title(f"{name} ({rec['reference']})", fontsize=8)
        ax.set_xlabel("ω")
        if rec["kernel"] == "bosonic-matsubara":
            ax.set_xlim(0.0, rec["window"] / 3)
        else:
            ax.set_xlim(-rec["window"], rec["window"])
        ax.legend(fontsize=5)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)

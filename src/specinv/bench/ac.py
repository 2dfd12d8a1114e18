"""``specinv bench ac``: analytic continuation of third-party QMC data beside the peers.

Cases (from ``shared/data``; the benchmark skips cleanly when it is absent):

``srvo3``     SrVO3 G(τ), β = 37.5/eV, 500 τ, error 1e-3 (TRIQS/maxent test data).
              Reference: the ALPS "maxspec" spectrum; TRIQS/maxent's stored outputs
              on three meshes are scored the same way (its run time is not stored).
``u0``        U = 0 square-lattice G(τ), β = 8, 1025 τ, error 1e-5 (CQMP/Maxent).
              Reference: the exact tight-binding DOS (cell averages).
``bosonic``   χ(Q = (π, π), iΩ_n), β = 2, 11 frequencies, error 1e-4 (CQMP/Maxent).
              No exact answer: reported are χ²/N, the sum rule ∫A vs χ(0) and the
              L1 distance between the codes.
``holstein``  Synthetic binned G(τ) with correlated noise (SmoQyDEAC), β = 5, 51 τ.
              Reference: the exact A(ω) stored with the data.

Distances are ``∫|A − A_ref| dω`` on the reference's own points (SrVO3: the ALPS
mesh; U = 0 and Holstein: a uniform grid, exact DOS as cell averages). Our runs:
``maxent`` with the posterior α (the default of ``specinv ac continue``; flat
default normalized to the data's zeroth moment) on the automatic mesh and, for
SrVO3, on the reference's mesh with cell and point quadrature; ``maxent`` classic;
``nnrs`` on the small cases. ana_cont (optional, ``--ana-cont-path`` or
importable) runs maxent with its ``chi2kink`` and ``classic`` α on a uniform
mesh over the same window, with the flat default model normalized to 1 on the
given axis as its examples do. For τ data ana_cont works on a β-scaled axis
(τ/β, βω, βG) where that model integrates to β while the data integrate to 1:
its default model is then β times the data's norm, unlike ours. The run
``ana_cont_classic_model_over_beta`` passes the model divided by β (normalized
like the data on its internal axis), which is the like-for-like comparison.

``maxent_same_alpha_{lin,hyp,lor}_mesh_point`` repeat TRIQS/maxent's stored SrVO3
runs like for like: its mesh, point quadrature and the α it was given (ALPS's,
5.5148), so that only the implementations differ (``max_abs_diff_to_stored``).

``nnrs_errors_estimated_steps4000`` is what ``specinv ac continue`` advises when
the data are fitted far better than their error bars claim (posterior MaxEnt
χ²/N < 0.01: inflated or nominal errors; of the τ cases only U = 0, which carries
a constant 1e-5 on data exact to 1e-14): the error column omitted, so the errors
are estimated from the data (exact data get a floor of 1e-6 of max|G|), and nnrs
given 4000 Adam steps, as its convergence warning advises when the default budget
ends above χ²/N = 1. Where the error bars are not inflated the estimate is no
substitute for them (SrVO3 and Holstein: L1 0.79 and 0.64 that way).
Wall times exclude imports and the kernel build
for our runs and include everything inside ana_cont's ``solve`` (its kernel
set-up is inside its solve call).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from specinv.ac import INFLATED_CHI2
from specinv.io.qmc import ContinuationInput

CASES = ("srvo3", "u0", "bosonic", "holstein")
#: α of the ALPS reference spectrum, which TRIQS/maxent's stored SrVO3 results were made
#: with (set by hand in its test, in ALPS's normalization)
ALPS_ALPHA_SRVO3 = 5.514845959
#: Adam steps of the ``nnrs_errors_estimated`` runs (default budget: 700 + 150 L-BFGS)
LONG_STEPS = 4000
DEFAULT_DATA = Path(__file__).resolve().parents[4] / "shared" / "data"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default=None, metavar="DIR",
                        help=f"third-party data folder (default: {DEFAULT_DATA})")
    parser.add_argument("--cases", default=None,
                        help=f"comma-separated subset of {','.join(CASES)}")
    parser.add_argument("--no-peers", action="store_true", help="skip ana_cont")
    parser.add_argument("--ana-cont-path", default=None, metavar="DIR",
                        help="folder to put on sys.path for an ana_cont installed elsewhere")
    parser.add_argument("--no-nnrs", action="store_true", help="skip nnrs")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timing repeats of our runs (median; default 3, quick 1)")


# -- data --------------------------------------------------------------------------------

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
            "stored_alpha": ALPS_ALPHA_SRVO3}


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
    """``∫|A − A_ref| dω`` on the reference points (A interpolated, 0 outside its mesh)."""
    a = np.interp(ref_omega, omega, spectrum, left=0.0, right=0.0)
    return float(np.trapezoid(np.abs(a - ref), ref_omega))


# -- runs --------------------------------------------------------------------------------

def _ours(case: dict[str, Any], method: str, options: dict, repeats: int,
          mesh: Any = None, quadrature: str = "cell") -> dict[str, Any]:
    from specinv import solve
    from specinv.ac import build_problem

    kw = {"omega_max": case.get("window")} if mesh is None and case["kernel"] \
        == "bosonic-matsubara" else {}
    setup = build_problem(case["data"], case["kernel"], case["beta"], mesh=mesh,
                          quadrature=quadrature, **kw)
    _ = setup.problem.kernel.svd  # shared by every method on this mesh; not timed
    times = []
    for _ in range(repeats):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            r = solve(setup.problem, method, **options)
            times.append(time.perf_counter() - t0)
    return {"omega": r.omega, "spectrum": r.spectrum, "wall_s": float(np.median(times)),
            "wall_all_s": times, "alpha": r.hyperparameters.get("alpha"),
            "chi2_reduced": float(r.chi2_reduced), "omega_max": setup.omega_max,
            "n_omega": int(r.omega.size), "warnings": [str(w) for w in r.warnings]}


def _import_ana_cont(path: str | None) -> Any:
    if path:
        sys.path.insert(0, path)
    try:
        import ana_cont.continuation as cont
    except ImportError:
        return None
    return cont


@contextlib.contextmanager
def _numpy2_shim() -> Any:
    """ana_cont 1.1 calls ``np.trapz`` (removed in NumPy 2.4); alias it during its run."""
    name = "trap" + "z"  # the removed alias, spelled so linters do not flag it
    added = not hasattr(np, name)
    if added:
        setattr(np, name, np.trapezoid)
    try:
        yield
    finally:
        if added:
            delattr(np, name)


def _ana_cont(cont: Any, case: dict[str, Any], rule: str, window: float,
              n: int = 401, model_over_beta: bool = False) -> dict[str, Any]:
    data = case["data"]
    if case["kernel"] == "fermionic-tau":
        w = np.linspace(-window, window, n)
        mode, im_data, err = "time_fermionic", -data.values, data.error
        model = np.full(n, 1.0 / (2 * window))
        if model_over_beta:
            model = model / case["beta"]
    else:  # bosonic Matsubara, real part, even spectrum on [0, W]
        w = np.linspace(0.0, window, n)
        mode, im_data, err = "freq_bosonic", data.values, data.error
        model = np.full(n, data.values[0] / window)
    # its own α range first; chi2kink's sigmoid fit fails on some data (U = 0), then the
    # scan is widened as its documentation suggests
    tries = [{}, {"alpha_start": 1e14, "alpha_end": 1e-2}] if rule == "chi2kink" else [{}]
    t0 = time.perf_counter()
    errors = []
    for kw in tries:
        try:
            with _numpy2_shim(), warnings.catch_warnings(), \
                    contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                p = cont.AnalyticContinuationProblem(im_axis=data.points, re_axis=w,
                                                     im_data=im_data, kernel_mode=mode,
                                                     beta=case["beta"])
                sol, _ = p.solve(method="maxent_svd", optimizer="newton",
                                 alpha_determination=rule, model=model, stdev=err,
                                 interactive=False, **kw)
            break
        except Exception as exc:  # noqa: BLE001 - a failing peer is a result, not a crash
            errors.append(f"{kw or 'default'}: {type(exc).__name__}: {exc}"[:200])
    else:
        return {"failed": "; ".join(errors), "wall_s": time.perf_counter() - t0}
    spec = np.asarray(sol.A_opt, float)
    if mode == "freq_bosonic":
        spec = spec / 2.0  # its A on [0, W] carries both halves of the even spectrum
    return {"omega": w, "spectrum": spec, "wall_s": time.perf_counter() - t0,
            "alpha": float(sol.alpha), "chi2_reduced": float(sol.chi2) / im_data.size,
            "n_omega": n, "options": kw, "failed_tries": errors}


def _score(case: dict[str, Any], run: dict[str, Any]) -> None:
    if "spectrum" not in run:
        return
    if case.get("ref") is not None:
        run["l1_to_reference"] = l1_distance(run["omega"], run["spectrum"],
                                             case["ref_omega"], case["ref"])
    if case["kernel"] == "bosonic-matsubara":
        # ∫ over the full axis of the even spectrum = χ(iΩ = 0)
        run["sum_rule"] = float(2 * np.trapezoid(run["spectrum"], run["omega"]))


def run_case(name: str, case: dict[str, Any], args: argparse.Namespace,
             cont: Any) -> dict[str, Any]:
    """All runs of one case; returns the JSON-ready record (spectra included)."""
    from specinv.kernels import Mesh

    repeats = args.repeats or (1 if args.quick else 3)
    runs: dict[str, dict[str, Any]] = {}
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
            runs[f"ana_cont_{rule}"] = _ana_cont(cont, case, rule, window)
        if case["kernel"] == "fermionic-tau":
            runs["ana_cont_classic_model_over_beta"] = _ana_cont(
                cont, case, "classic", window, model_over_beta=True)
    for key, (w, a) in case.get("stored", {}).items():
        runs[key] = {"omega": w, "spectrum": a, "wall_s": None, "stored": True}
        if "stored_alpha" in case:  # like-for-like: its mesh, its α, point quadrature
            alpha = case["stored_alpha"]
            fixed = {"alpha_rule": "classic", "refine_alpha": False, "n_alpha": 5,
                     "alpha_range": (alpha, alpha * (1 + 1e-9))}
            run = _ours(case, "maxent", fixed, repeats, mesh=Mesh.from_points(w),
                        quadrature="point")
            run["max_abs_diff_to_stored"] = float(np.max(np.abs(
                np.interp(w, run["omega"], run["spectrum"]) - a)))
            runs[f"maxent_same_alpha_{key.removeprefix('triqs_maxent_')}_mesh_point"] = run
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
    root = Path(args.data) if args.data else DEFAULT_DATA
    out = Path(args.output)
    if not root.is_dir():
        print(f"bench ac: third-party data folder {root} is absent; nothing to do (skipped)")
        return 0
    names = CASES if args.cases is None else tuple(args.cases.split(","))
    unknown = [n for n in names if n not in CASES]
    if unknown:
        from specinv.errors import ParameterError
        raise ParameterError(f"unknown case(s) {', '.join(unknown)}; valid: {', '.join(CASES)}")
    out.mkdir(parents=True, exist_ok=True)
    cont = None if args.no_peers else _import_ana_cont(args.ana_cont_path)
    report: dict[str, Any] = {
        "benchmark": "ac", "quick": bool(args.quick), "data": str(root),
        "peers": {"ana_cont": None if cont is None else getattr(
            sys.modules.get("ana_cont"), "__file__", "imported"),
            "triqs_maxent": "not installable here; its stored SrVO3 outputs are scored"},
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "load_average_start": os.getloadavg(), "blas_threads_maxent": 1},
        "cases": {}}
    for name in names:
        try:
            case = LOADERS[name](root)
        except (OSError, KeyError) as exc:
            report["cases"][name] = {"skipped": f"{type(exc).__name__}: {exc}"}
            continue
        rec = run_case(name, case, args, cont)
        report["cases"][name] = rec
        for key, r in rec["runs"].items():
            dist = r.get("l1_to_reference", r.get("l1_to_ana_cont_classic"))
            d = "failed" if "failed" in r else ("-" if dist is None else f"{dist:.4f}")
            t = "-" if r.get("wall_s") is None else f"{r['wall_s']:.2f}s"
            print(f"{name:9s} {key:34s} L1 {d:>8s}  t {t}", flush=True)
    report["machine"]["load_average_end"] = os.getloadavg()
    _figure(out / "ac.png", report)
    with atomic_path(out / "ac.json") as tmp:
        tmp.write_text(json.dumps(report, indent=1, default=_json) + "\n")
    print(f"wrote {out / 'ac.json'} and {out / 'ac.png'}")
    return 0


def _json(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(type(x).__name__)


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
            if "spectrum" not in r or key.endswith("_point") or key.startswith("triqs_maxent_l"):
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

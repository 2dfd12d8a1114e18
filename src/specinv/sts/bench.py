"""``specinv bench sts``: seed 000's theoretical setting for every method.

Δ = 1, ε ∈ [−5, 5], ω ∈ [−6, 6], N = 1201, β = 3 and 10 (PHYSICS.md §1),
noise-free and with 1e-3 relative Gaussian noise (σ = 1e-3 · max g). Two
discretizations are run: ``seed`` (the seed's ``a·cosh⁻²(β(ω+ε)/2)·dis(ω)``
with the BCS formula sampled at the mesh points — reproduces its Table 1) and
``cell`` (our default: normalized kernel integrated over cells, cell-averaged
BCS truth). Per case and method: peak position and height (positive side,
parabolic sub-grid), relative L2 error, spurious extrema and excess total
variation against the truth, negativity, χ²/N and runtime (median over repeats).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from specinv.core.metrics import coherence_peaks, l2_error, negativity, oscillation
from specinv.core.problem import Problem
from specinv.io.atomic import atomic_path
from specinv.kernels import Mesh, STSKernel
from specinv.solvers import load_all, solve
from specinv.sts.dos import bcs_dos, bcs_dos_sampled

#: (label, method, options)
METHODS: list[tuple[str, str, dict[str, Any]]] = [
    ("tsvd", "tsvd", {}),
    ("tikhonov", "tikhonov", {}),
    ("maxent", "maxent", {}),
    ("maxent-bryan", "maxent", {"alpha_rule": "bryan"}),
    ("maxent-historic", "maxent", {"alpha_rule": "historic"}),
    ("som", "som", {}),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--methods", default=None,
                        help="comma-separated labels to run (default: all)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timing repeats per case (default 3, quick 1)")
    parser.add_argument("--no-nnrs", action="store_true", help="skip the NNRS benchmark")


def _case(beta: float, noise: float, disc: str, seed: int = 0) -> tuple[Problem, np.ndarray]:
    mesh = Mesh.uniform(-6.0, 6.0, 1201)
    eps = np.linspace(-5.0, 5.0, 1201)
    if disc == "seed":
        kernel = STSKernel(eps, mesh, beta=beta, convention="seed", prefactor=1.0,
                           quadrature="point")
        truth = bcs_dos_sampled(mesh.points, 1.0)
    else:
        kernel = STSKernel(eps, mesh, beta=beta)
        truth = bcs_dos(mesh, 1.0)
    g = kernel.forward(truth)
    if noise > 0:
        g = g + noise * np.max(np.abs(g)) * np.random.default_rng(seed).standard_normal(g.size)
    return Problem(kernel, g, name=f"beta={beta:g},noise={noise:g},{disc}"), truth


def _score(result: Any, truth: np.ndarray, mesh: Mesh) -> dict[str, float]:
    pos, height = coherence_peaks(mesh.points, result.spectrum)["positive"]
    osc = oscillation(result.spectrum, truth)
    return {"peak_position": pos, "peak_height": height,
            "l2": l2_error(result.spectrum, truth, mesh.weights),
            "spurious_extrema": osc["spurious_extrema"], "excess_tv": osc["excess_tv"],
            "negativity": negativity(result.spectrum, mesh.weights),
            "chi2_reduced": result.chi2_reduced,
            "finite": bool(np.all(np.isfinite(result.spectrum))),
            "blank": bool(np.max(np.abs(result.spectrum)) < 1e-6)}


def run(args: argparse.Namespace) -> int:
    load_all()
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    repeats = args.repeats or (1 if args.quick else 3)
    wanted = None if args.methods is None else set(args.methods.split(","))
    methods = [m for m in METHODS if wanted is None or m[0] in wanted]
    cases = [(b, n, d) for d in ("seed", "cell") for b in (3.0, 10.0) for n in (0.0, 1e-3)]
    if args.quick:
        cases = [c for c in cases if c[2] == "cell" or c[1] == 0.0]
    rows: list[dict[str, Any]] = []
    spectra: dict[str, dict[str, list[float]]] = {}
    for beta, noise, disc in cases:
        problem, truth = _case(beta, noise, disc)
        mesh = problem.kernel.mesh
        _ = problem.kernel.svd  # the kernel's SVD is shared by all methods; not timed
        key = f"beta={beta:g} noise={noise:g} {disc}"
        spectra[key] = {"truth": truth.tolist()}
        for label, method, opts in methods:
            times = []
            for _ in range(repeats):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t0 = time.perf_counter()
                    result = solve(problem, method, **opts)
                    times.append(time.perf_counter() - t0)
            row = {"case": key, "beta": beta, "noise": noise, "discretization": disc,
                   "method": label, **_score(result, truth, mesh),
                   "runtime_s": float(np.median(times)), "runtime_all_s": times,
                   "hyperparameters": result.metadata()["hyperparameters"]}
            rows.append(row)
            spectra[key][label] = result.spectrum.tolist()
            print(f"{key:28s} {label:13s} peak {row['peak_position']:.4f} "
                  f"L2 {row['l2']:.3f} t {row['runtime_s']:.2f}s", flush=True)
    report: dict[str, Any] = {
        "benchmark": "sts", "setting": "seed 000: Delta=1, eps in [-5,5], omega in [-6,6], "
        "N=1201, noise sigma = level * max(g), noise seed 0",
        "quick": bool(args.quick), "repeats": repeats, "results": rows,
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "load_average": os.getloadavg()},
        "methods": {label: {"method": m, "options": o} for label, m, o in methods},
    }
    if not args.no_nnrs:
        try:
            from specinv.sts.bench_nnrs import run_nnrs_benchmark
        except ImportError:
            report["nnrs"] = "not available"
        else:
            report["nnrs"] = run_nnrs_benchmark(out, bool(args.quick))
    with atomic_path(out / "sts.json") as tmp:
        tmp.write_text(json.dumps(report, indent=1, default=float) + "\n")
    _figure(out / "sts.png", spectra, methods)
    _table(rows)
    print(f"wrote {out / 'sts.json'} and {out / 'sts.png'}")
    return 0


def _table(rows: list[dict[str, Any]]) -> None:
    print("\n| case | method | peak | height | L2 | spurious extrema | negativity | time (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['case']} | {r['method']} | {r['peak_position']:.3f} | "
              f"{r['peak_height']:.2f} | {r['l2']:.3f} | {r['spurious_extrema']:.0f} | "
              f"{r['negativity']:.1e} | {r['runtime_s']:.2f} |")


def _figure(path: Path, spectra: dict[str, dict[str, list[float]]],
            methods: list[tuple[str, str, dict[str, Any]]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(spectra)
    x = np.linspace(-6.0, 6.0, 1201)
    fig, axes = plt.subplots(len(keys), 2, figsize=(10, 2.6 * len(keys)), squeeze=False)
    for row, key in zip(axes, keys, strict=True):
        for ax, (lo, hi) in zip(row, ((-6, 6), (0.5, 1.6)), strict=True):
            ax.plot(x, spectra[key]["truth"], "k--", lw=0.8, label="exact")
            for i, (label, _, _) in enumerate(methods):
                if label not in spectra[key]:
                    continue
                f = np.asarray(spectra[key][label])
                if np.all(np.abs(f) < 100.0):
                    ax.plot(x, f, lw=0.9, color=f"C{i}", label=label)
                else:  # the unregularized pseudo-inverse on noisy data
                    ax.plot([], [], lw=0.9, color=f"C{i}", label=f"{label} (diverges)")
            if lo > 0:
                ax.legend(fontsize=6, frameon=False)
            ax.set_xlim(lo, hi)
            ax.set_ylim(-0.5, 6 if lo < 0 else 8)
            ax.set_title(key, fontsize=8)
        row[0].set_ylabel("ρ(ω)")
    for ax in axes[-1]:
        ax.set_xlabel("ω (units of Δ)")
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)

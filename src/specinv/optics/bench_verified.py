"""``specinv bench optics-verified``: the shipped rRIM, verified, on glues it never saw.

The glue families are written here, independently of the training generator
(:mod:`specinv.optics.glue` draws only Gaussian mixtures): an MMP spin-fluctuation
continuum cut off at 300 meV, a resonance mode (height 2.9, above the prior's 1.5) on
a continuum, two modes, a flat histogram, plus Gaussian mixtures of the training
family as an in-prior control. Each is simulated at 30, 100 and 200 K with white
noise of 1e-3 and 1e-4 of max 1/τ, and inverted by the verified rRIM (``solve(...,
"rrim")``: network answer as MaxEnt's default model, fallback to MaxEnt; with
``--select cv`` then cross-validated against MaxEnt, :mod:`specinv.optics.crossval`,
``rrim_nocv`` keeping the refined answer before that choice), the raw
network (``verify=False``), MaxEnt (chi2kink, as ``optics invert``) and Tikhonov.
The JSON lists every case; the summary gives per-family medians and the ratio to
MaxEnt that issue targets are stated in. ``optics_families.json`` holds the
out-of-prior family table (five members per family, CNN too:
:mod:`specinv.optics.bench_families`).
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np

TEMPERATURES = (30.0, 100.0, 200.0)
NOISES = (1e-3, 1e-4)


def families(x: np.ndarray, n_mixtures: int = 3) -> dict[str, np.ndarray]:
    """Glue shapes on the mesh ``x`` (meV), keyed by family name.

    Parameters
    ----------
    x : ndarray of shape (n_glue,)
        Boson energies Ω (meV).
    n_mixtures : int
        In-prior Gaussian mixtures added as a control (seeded, drawn by the
        training generator's own function).

    Returns
    -------
    dict of str to ndarray of shape (n_glue,)
        Non-negative glues I²χ(Ω).
    """
    from specinv.optics.glue import gaussian_mixtures

    out = {
        "MMP continuum": np.where(x < 300.0, 2.0 * x * 40.0 / (x**2 + 40.0**2), 0.0),
        "mode+continuum": 2.9 * np.exp(-((x - 40.0) / 6.0) ** 2)
        + 0.5 * np.clip(x / 150.0, 0.0, 1.0) * (x < 300.0),
        "two modes": 1.2 * np.exp(-((x - 50.0) / 8.0) ** 2)
        + 0.9 * np.exp(-((x - 180.0) / 20.0) ** 2),
        "histogram": 0.6 * ((x > 30.0) & (x < 250.0)),
    }
    for i, g in enumerate(gaussian_mixtures(x, n_mixtures, np.random.default_rng(11))):
        out[f"in-prior mixture {i}"] = g
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of this benchmark (``--output`` and ``--quick`` are added by the caller).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The ``bench optics-verified`` parser.
    """
    parser.add_argument("--seed", type=int, default=7, help="noise seed (default: %(default)s)")
    parser.add_argument("--select", choices=("none", "cv"), default="none",
                        help="the verified rRIM's choice against MaxEnt: none (keep the "
                             "refined network answer, as optics invert does) or cv (5-fold "
                             "cross-validation on held-out frequencies; about 10x slower) "
                             "(default: %(default)s)")


def _case(k: Any, g: np.ndarray, noise: float, rng: np.random.Generator,
          select: str) -> dict[str, Any]:
    from specinv.core.problem import Problem
    from specinv.optics.setup import MAXENT_OPTIONS
    from specinv.solvers import solve

    y = k.forward(g)
    sigma = noise * float(np.abs(y).max())
    p = Problem(k, y + sigma * rng.standard_normal(y.size), sigma=sigma)
    runs = {"rrim": solve(p, "rrim", select=select), "rrim_raw": solve(p, "rrim", verify=False),
            "maxent": solve(p, "maxent", **MAXENT_OPTIONS), "tikhonov": solve(p, "tikhonov")}
    norm = float(np.linalg.norm(g))
    out = {m: float(np.linalg.norm(r.spectrum - g) / norm) for m, r in runs.items()}
    nocv = runs["rrim"].extras.get("verified_spectrum", runs["rrim"].spectrum)
    out["rrim_nocv"] = float(np.linalg.norm(nocv - g) / norm)
    out.update({f"{m}_chi2_reduced": r.chi2_reduced for m, r in runs.items()},
               method_used=runs["rrim"].hyperparameters["method_used"])
    return out


def run(args: argparse.Namespace) -> int:
    """Run the comparison; write ``optics_verified.json`` and ``optics_families.json``.

    Parameters
    ----------
    args : argparse.Namespace
        ``output``, ``quick`` (100 K only), ``seed`` and ``select``.

    Returns
    -------
    int
        0.
    """
    from specinv.io.atomic import atomic_path
    from specinv.optics.setup import OpticsSetup

    setup = OpticsSetup()
    glues = families(setup.mesh().points)
    rng = np.random.default_rng(args.seed)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # recorded per case through χ²/N and method_used
        for t in (100.0,) if args.quick else TEMPERATURES:
            k = setup.kernel(t)
            for name, g in glues.items():
                for noise in NOISES:
                    rows.append({"family": name, "temperature_K": t, "noise": noise,
                                 **_case(k, g, noise, rng, args.select)})
        from specinv.optics.bench_families import family_table, print_table

        table = family_table(args.quick, args.seed, args.select)
    summary = _summary(rows, list(glues))
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "optics_families.json") as tmp:
        tmp.write_text(json.dumps({"parameters": {"quick": args.quick, "seed": args.seed,
                                                  "select": args.select},
                                   **table}, indent=1) + "\n")
    with atomic_path(out / "optics_verified.json") as tmp:
        tmp.write_text(json.dumps({"parameters": {"quick": args.quick, "seed": args.seed,
                                                  "select": args.select, "noises": NOISES},
                                   "summary": summary, "cases": rows}, indent=1) + "\n")
    for name, s in summary["families"].items():
        print(f"{name:22s} " + "  ".join(f"{m} {s[m]:.3f}" for m in s))
    print(f"median rrim/maxent {summary['median_ratio_rrim_maxent']:.2f}; worse than maxent "
          f"by > 10 %: {summary['n_worse_than_maxent_10pc']} of {len(rows)} (before the "
          f"cross-validated choice {summary['n_worse_than_maxent_10pc_nocv']}); fallbacks: "
          f"{summary['n_fallback']}; wrote {out / 'optics_verified.json'}")
    print_table(table)
    return 0


def _summary(rows: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    ratio = np.array([r["rrim"] / r["maxent"] for r in rows])
    before = np.array([r["rrim_nocv"] / r["maxent"] for r in rows])
    fam = {n: {m: float(np.median([r[m] for r in rows if r["family"] == n]))
               for m in ("rrim", "rrim_nocv", "rrim_raw", "maxent", "tikhonov")} for n in names}
    return {"families": fam, "median_ratio_rrim_maxent": float(np.median(ratio)),
            "worst_ratio_rrim_maxent": float(ratio.max()),
            "n_worse_than_maxent_10pc": int(np.sum(ratio > 1.1)),
            "n_worse_than_maxent_10pc_nocv": int(np.sum(before > 1.1)),
            "n_fallback": sum(r["method_used"] != "network+maxent" for r in rows)}

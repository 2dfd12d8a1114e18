"""``specinv bench calibration``: do the reported error bands cover the truth?

For every method that reports ``spectrum_std``, problems with known answers are
simulated in three domains (:mod:`specinv.cli.calibration_cases`, written there and
not by any training generator) over the range users run: tunneling spectra (Dynes,
d-wave and two-gap DOS at 0.3-10 K, 81-321 bias points, with and without lock-in,
the curve computed on a mesh four times finer than the solver's), imaginary-time and
Matsubara Green's functions (one to three Gaussian peaks, β 10-40, three grid sizes)
and optical glues (the families of :mod:`specinv.optics.bench_verified`, outside the
rRIM's training prior, at 10-300 K). Error bars are given (the true σ) on half the
tunneling and continuation cases and estimated from the data on the other half, as
the CLI does for a file without an error column. Every method in a domain sees the
same noisy data. The pointwise z-scores ``z = |f − truth| / σ_boot`` of the raw
bootstrap band give the nominal coverage of the 68 % (z ≤ 1) and 95 % (z ≤ 1.96)
bands. Split conformal calibration: the cases are split in two halves, every case
axis balanced within each; the 68 % and 95 % quantiles of z on the calibration half
are the factors ``s68`` and ``s95``, and the targets are checked on the coverage of
``s68 σ_boot`` and ``s95 σ_boot`` on the held-out half. A factor is never below the
raw band's Gaussian width (1, 1.96) unless the cases no builder draws
(:mod:`specinv.cli.calibration_outofset`: other shapes, temperatures, grid sizes)
validate the shrink: every out-of-set case of the domain must still cover the lower end
of the window (60 %, 90 %) at the shrunk factor (:func:`out_of_set_floor`). The
coverage of the shipped factors on those cases is reported beside the held-out one.
``--write-factors`` writes the factors in the format :mod:`specinv.solvers.bands`
ships and applies.

Answers whose α choice dominates their band (window-to-bootstrap ratio ``ρ`` at least
:data:`~specinv.solvers.alpha_window.ALPHA_LIMITED`, :mod:`specinv.solvers.alpha_window`)
form a stratum of their own (:mod:`specinv.cli.calibration_scores`): where a pair has
enough of them among its calibration cases, the 68 % and 95 % quantiles of
``|f − truth| / sqrt(σ_boot² + d²)`` on those cases are its factors (``alpha_limited``
in the factors JSON, never below the Gaussian floors), and an α-limited answer reports
the wider of its two calibrated bands. The held-out and out-of-set coverages are those
of the bands reported,
strata included; ``heldout_68_bootstrap`` keeps the coverage without the stratum.

The band every solver reports on request is the parametric bootstrap of
:mod:`specinv.solvers.bands` (option ``band="bootstrap"``); the native spreads that
failed this benchmark (MaxEnt's spread over α, SOM's sample spread, NNRS's, the
conductivity network's and the raw rRIM's ensemble spreads) are no longer reported as
bands. Each domain lists its CLI's default method first.
"""

from __future__ import annotations

import argparse
import json
import warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from specinv.cli.calibration_cases import (
    CASE_AXES,
    _ac_cases,
    _matsubara_cases,
    _optics_cases,
    _sts_cases,
    calibration_half,
    case_sigma,
)
from specinv.cli.calibration_scores import MIN_STRATUM, alpha_stratum, band_scores, covered
from specinv.solvers.alpha_window import ALPHA_LIMITED
from specinv.solvers.bands import FLOORS, TARGETS, level_missed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of this benchmark (``--output`` and ``--quick`` are added by the caller).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The ``bench calibration`` parser.
    """
    parser.add_argument("--seed", type=int, default=3, help="noise seed (default: %(default)s)")
    parser.add_argument("--cases", type=int, default=None, metavar="N",
                        help="simulated problems per domain, at least 8 (default: 24, "
                             "or 8 with --quick)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="worker processes, each solving 8 cases of one (domain, method) "
                             "pair at a time (default: %(default)s)")
    parser.add_argument("--band-window", action="store_true",
                        help="measure the bands with the α-window term (solver option "
                             "band_window=true, :mod:`specinv.solvers.alpha_window`); the "
                             "shipped factors are for the bands without it")
    parser.add_argument("--write-factors", default=None, metavar="JSON",
                        help="also write the fitted factors to this .json file (the shipped "
                             "one is specinv/data/bands/factors.json; default: none, only "
                             "OUTPUT/band_factors.json)")


#: bootstrap band options (the solvers' defaults)
_BOOT = {"band": "bootstrap"}
#: method name -> (registered solver, options)
METHODS: dict[str, tuple[str, dict[str, Any]]] = {
    "maxent": ("maxent", _BOOT),
    "maxent-historic": ("maxent", {**_BOOT, "alpha_rule": "historic"}),
    "maxent-chi2kink": ("maxent", {**_BOOT, "alpha_rule": "chi2kink"}),
    "maxent-chi2curv": ("maxent", {**_BOOT, "alpha_rule": "chi2curv"}),
    "tikhonov": ("tikhonov", _BOOT),
    "rrim-verified": ("rrim", _BOOT),
}
#: how a factor's floor is set (:func:`out_of_set_floor`), recorded in the factors JSON
FLOOR_RULE = ("s = max(q, floor); floor = min(Gaussian floor (1, 1.96), the smallest factor at "
              "which every out-of-set case of the domain covers the lower end of the window "
              "(60 %, 90 %)); a domain without out-of-set cases keeps the Gaussian floor")
#: domain -> (case builder, methods that report a band there; the first is the CLI default)
DOMAINS = {"sts": (_sts_cases, ("maxent-historic", "tikhonov")),
           "ac": (_ac_cases, ("maxent-chi2curv", "maxent", "maxent-chi2kink", "tikhonov")),
           "ac-matsubara": (_matsubara_cases, ("maxent-chi2curv", "maxent", "maxent-chi2kink",
                                               "tikhonov")),
           "optics": (_optics_cases, ("maxent-chi2kink", "tikhonov", "rrim-verified"))}


def coverage(z_cal: np.ndarray, z_test: np.ndarray,
             z_out: list[np.ndarray] | tuple[np.ndarray, ...] = ()) -> dict[str, float]:
    """Nominal coverage and split-conformal factors with their held-out coverage.

    Parameters
    ----------
    z_cal, z_test : ndarray
        ``|f − truth| / σ_boot`` on the calibration and the held-out cases.
    z_out : sequence of ndarray, optional
        The same on each out-of-set case of the domain (:mod:`.calibration_outofset`),
        which may validate a factor below its floor (:func:`out_of_set_floor`).

    Returns
    -------
    dict
        ``nominal_68``/``nominal_95`` (all points, raw band, z ≤ 1 and z ≤ 1.96),
        ``q68``/``q95`` (68 % and 95 % quantiles of ``z_cal``), ``floor68``/``floor95``
        (:func:`out_of_set_floor`), the factors ``s68``/``s95`` (the quantiles, at least
        the floors) and ``heldout_68``/``heldout_95`` (share of held-out points with
        z ≤ s68, z ≤ s95).
    """
    z = np.concatenate([z_cal, z_test])
    out = {"nominal_68": float(np.mean(z <= 1.0)), "nominal_95": float(np.mean(z <= 1.96))}
    for level in FLOORS:
        q = float(np.quantile(z_cal, int(level) / 100))
        floor = out_of_set_floor(z_out, level)
        out[f"q{level}"], out[f"floor{level}"], out[f"s{level}"] = q, floor, max(q, floor)
    for level in FLOORS:
        out[f"heldout_{level}"] = float(np.mean(z_test <= out[f"s{level}"]))
    return out


def out_of_set_floor(z_out: list[np.ndarray] | tuple[np.ndarray, ...], level: str) -> float:
    """The smallest factor of a level: its Gaussian floor, or less where validated out of set.

    A calibration may shrink the raw band below :data:`~specinv.solvers.bands.FLOORS`
    only as far as every out-of-set case still covers the lower end of the level's
    window (:data:`~specinv.solvers.bands.TARGETS`): the floor is the smallest factor
    at which each case's z-scores reach that coverage, capped at the Gaussian floor.

    Parameters
    ----------
    z_out : sequence of ndarray
        z-scores of each out-of-set case of the domain (seeds pooled); none: no
        validation, the Gaussian floor.
    level : {"68", "95"}
        Nominal coverage.

    Returns
    -------
    float
        The floor of the factor ``s68`` or ``s95``.
    """
    lo = TARGETS[level][0]
    need = [float(np.quantile(z, lo, method="higher")) for z in z_out]
    return min(FLOORS[level], max(need)) if need else FLOORS[level]


def _chunk(task: tuple[str, str, int, int, int, int, str, dict[str, Any]]) -> dict[str, Any]:
    """z-scores of one (domain, method) pair on cases ``lo:hi`` (a worker's job)."""
    from specinv.core.problem import Problem
    from specinv.solvers import get_solver
    from specinv.solvers.bands import calibration_options

    domain, method, n, seed, lo, hi, name, options = task
    d = list(DOMAINS).index(domain)
    cases = DOMAINS[domain][0](np.random.default_rng([seed, d]), n)
    solver = get_solver(name, **options)
    z, zw, rho = [], [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(lo, hi):
            kernel, truth, noise, mode, y = cases[i]
            sigma = noise * float(np.abs(y).max())
            y = y + sigma * np.random.default_rng([seed, d, i]).standard_normal(y.size)
            r = solver.solve(Problem(kernel, y, sigma=case_sigma(kernel, y, sigma, mode)))
            for out, x in zip((z, zw, rho), band_scores(r, truth), strict=True):
                out.append(x)
    return {"domain": domain, "method": method, "z": z, "zw": zw, "rho": rho,
            "kernel": type(cases[0][0]).__name__,
            "solver": solver.name, "options": calibration_options(solver.options)}


def _pairs(n: int, seed: int, jobs: int, specs: dict[str, tuple[str, dict[str, Any]]]
           ) -> tuple[list[dict[str, Any]], dict[Any, Any]]:
    """z-scores of every (domain, method) pair, in chunks of 8 cases over ``jobs`` workers,
    and of every method on the out-of-set cases of its domain (``specs``: as METHODS)."""
    from specinv.cli.calibration_outofset import out_of_set_z

    tasks = [(d, m, n, seed, lo, min(lo + 8, n), *specs[m]) for d, (_, methods)
             in DOMAINS.items() for m in methods for lo in range(0, n, 8)]
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
        mapper = pool.map if jobs > 1 else map
        pairs: dict[tuple[str, str], dict[str, Any]] = {}
        for t, c in zip(tasks, mapper(_chunk, tasks), strict=True):  # cases stay in order
            print(f"  {t[0]}/{t[1]}: cases {t[4]}-{t[5] - 1} solved", flush=True)
            _merge(pairs, c)
        outside = out_of_set_z({d: m for d, (_, m) in DOMAINS.items()}, specs, mapper)
    return list(pairs.values()), outside


def _merge(pairs: dict[tuple[str, str], dict[str, Any]], c: dict[str, Any]) -> None:
    """Append chunk ``c``'s z-scores to its pair's entry in ``pairs``."""
    key = (c["domain"], c["method"])
    if key in pairs:
        for k in ("z", "zw", "rho"):
            pairs[key][k].extend(c[k])
    else:
        pairs[key] = c


def _summary(res: dict[str, Any], z_out: list[np.ndarray], strata: bool) -> dict[str, Any]:
    z = res["z"]
    out = coverage(np.concatenate([a for i, a in enumerate(z) if calibration_half(i)]),
                   np.concatenate([a for i, a in enumerate(z) if not calibration_half(i)]),
                   z_out)
    cases = list(zip(z, res["zw"], res["rho"], strict=True))
    cal = [c for i, c in enumerate(cases) if calibration_half(i)]
    test = [c for i, c in enumerate(cases) if not calibration_half(i)]
    stratum = alpha_stratum(cal) if strata else None
    if stratum is not None:
        out["alpha_limited"] = stratum
        limited = [c for c in test if c[2] >= ALPHA_LIMITED]
        stratum["cases_heldout"] = len(limited)
        for level in TARGETS:
            out[f"heldout_{level}_bootstrap"] = out[f"heldout_{level}"]
            out[f"heldout_{level}"] = float(np.mean(np.concatenate(
                [covered(c, out, level) for c in test])))
            if limited:  # the α-limited held-out cases alone, with the band reported
                stratum[f"heldout_{level}"] = float(np.mean(np.concatenate(
                    [covered(c, out, level) for c in limited])))
    out["within_targets"] = all(level_missed(out, k) is None for k in TARGETS)
    out["cases_calibration"] = sum(calibration_half(i) for i in range(len(z)))
    out["cases_heldout"] = len(z) - out["cases_calibration"]
    print(f"{res['domain']:7s} {res['method']:16s} raw band covers {out['nominal_68']:.0%} / "
          f"{out['nominal_95']:.0%}; s68 = {out['s68']:.3g}, s95 = {out['s95']:.3g}"
          + (f" (α-limited {stratum['s68']:.3g}, {stratum['s95']:.3g})" if stratum else "")
          + f": held-out {out['heldout_68']:.1%} / {out['heldout_95']:.1%}", flush=True)
    return out


def run(args: argparse.Namespace) -> int:
    """Measure band coverage per domain and method; write the report and the factors.

    Parameters
    ----------
    args : argparse.Namespace
        ``output``, ``quick`` (fewer cases), ``seed``, ``cases``, ``jobs``, ``band_window``
        and ``write_factors``.

    Returns
    -------
    int
        0.
    """
    from specinv.cli.calibration_outofset import CASES, domain_z, out_of_set
    from specinv.core.errors import ParameterError
    from specinv.io.atomic import atomic_path

    n = args.cases or (8 if args.quick else 24)
    if n < 8 or args.jobs < 1:
        raise ParameterError(f"--cases must be at least 8 and --jobs at least 1, got "
                             f"{n} and {args.jobs}")
    params = {"quick": args.quick, "seed": args.seed, "cases_per_domain": n,
              "split": "cases i with i % 4 < 2 calibrate, the others are held out",
              "targets": TARGETS, "floors": FLOORS, "floor_rule": FLOOR_RULE,
              "cases": CASE_AXES, "out_of_set_cases": {k: d for k, (_, d) in CASES.items()},
              "band_window": args.band_window,
              "alpha_limited": {"threshold": ALPHA_LIMITED, "min_cases": MIN_STRATUM,
                                "applied": not args.band_window},
              "command": f"specinv bench calibration --cases {n} --seed {args.seed}"
                         + (" --band-window" if args.band_window else "")}
    specs = {m: (name, {**opts, "band_window": args.band_window})
             for m, (name, opts) in METHODS.items()}
    pairs, outside = _pairs(n, args.seed, args.jobs, specs)
    report: dict[str, Any] = {"parameters": params, "results": {}}
    factors = []
    for res in pairs:
        summary = _summary(res, domain_z(outside, res["domain"], res["method"]),
                           strata=not args.band_window)
        report["results"][f"{res['domain']}/{res['method']}"] = summary
        factors.append({"kernel": res["kernel"], "solver": res["solver"],
                        "options": res["options"], "method": res["method"],
                        "calibration": f"bench calibration, domain {res['domain']}",
                        **{k: summary[k] for k in ("q68", "q95", "floor68", "floor95", "s68",
                                                   "s95", "heldout_68", "heldout_95",
                                                   "alpha_limited") if k in summary}})
    fitted = {(r["domain"], r["method"]): f for r, f in zip(pairs, factors, strict=True)}
    report["out_of_set"] = out_of_set(outside, fitted)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    shipped = {"parameters": params, "factors": factors}
    writes = [(out / "calibration.json", report), (out / "band_factors.json", shipped)]
    if args.write_factors:
        writes.append((Path(args.write_factors), shipped))
    for path, obj in writes:
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(obj, indent=1) + "\n")
        print(f"wrote {path}")
    z = {f"{r['domain']}/{r['method']}/{i}": a for r in pairs for i, a in enumerate(r["z"])}
    z.update({f"{k}{r['domain']}/{r['method']}/{i}": np.asarray(a) for r in pairs
              for k, key in (("window/", "zw"), ("alpha_ratio/", "rho"))
              for i, a in enumerate(r[key])})
    z.update({f"{k}out_of_set/{c}/{m}/{i}": np.asarray(s[j]) for (c, m), zs in outside.items()
              for i, s in enumerate(zs) for j, k in enumerate(("", "window/", "alpha_ratio/"))})
    np.savez_compressed(out / "zscores.npz", **z)
    return 0

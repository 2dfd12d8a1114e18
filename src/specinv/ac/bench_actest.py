"""``specinv bench ac --suite actest``: the ACTest standard sets, every method side by side.

The sets are the six subsets of ACTest's ACT100 (:mod:`specinv.ac.act100`; STD_FG by
default, any with ``--sets``, ``act100`` for all), the scoring that of
:mod:`specinv.ac.actest`. Each spectrum is continued at each noise level by every run
that can continue it (:func:`applies`; the others are recorded as not run, with the
reason):

- ours, through :func:`specinv.ac.continuation.continue_data` exactly as
  ``specinv ac continue`` runs it (automatic window with widening, flat default model
  normalized to the data's zeroth moment): ``maxent_default`` (the command's default α
  rule and default model, :data:`specinv.ac.cli.AC_DEFAULTS`,
  :data:`~specinv.ac.cli.AC_DEFAULT_MODEL`), the same with the error column ×0.5 and ×2
  (robustness to the error-bar scale: the noise stays σ) and with the two-pass model,
  the smoothed-answer model (also with the error column ×0.5 and ×2),
  MaxEnt with every α rule and the flat model, three of them also with the option
  ``bryan_iteration`` (a stalled Newton iteration goes on by Bryan's iteration in the
  singular space), ``tikhonov`` and, without ``--quick``, ``som``;
- the peers when importable: ana_cont's ``maxent_svd`` with its ``historic`` and
  ``chi2kink`` α (uniform 401-point mesh on ACTest's window ±8, flat model; fermionic
  data only, with ``offdiag=True`` for the signed subset), and TRIQS/maxent as its guide
  runs it (every analyzer of one run, hyperbolic 400-point mesh on ±8; positive spectra,
  bosonic data through its ``DataKernel``: about 3 minutes per spectrum here).

A failure is a run that raises, returns a non-finite spectrum, or (ours) ends with the
verdict ``fail``; it scores 0. Wall times are per spectrum, window widenings included for
ours, the whole ``solve``/``run`` call for the peers.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from specinv.ac import act100, actest

#: MaxEnt α rules run beside the default
OTHER_RULES = ("posterior", "classic", "bryan", "historic", "chi2kink", "linefit")
#: α rules also run with the option ``bryan_iteration`` (flat model)
BRYAN_ITERATION_RULES = ("chi2curv", "posterior", "bryan")
#: error-column scale factors of the robustness runs
ERROR_SCALES = (0.5, 2.0)
#: spectra drawn in the figure (indices into the set), at the middle noise level
FIGURE_CASES = (3, 8, 12, 18)


def _ours(method: str, options: dict[str, Any], error_scale: float = 1.0,
          model: str = "flat") -> Callable[[dict[str, Any]], dict[str, Any]]:
    from specinv.ac.continuation import continue_data

    def run(case: dict[str, Any]) -> dict[str, Any]:
        data = case["data"]
        if error_scale != 1.0:
            data = type(data)(data.points, data.values, error=data.error * error_scale,
                              source=data.source)
        signed = bool(case.get("signed"))  # plus-minus MaxEnt, flat model (ac continue --signed)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, r = continue_data(data, case["kernel"], case["beta"], method=method,
                                 options=options, default_model="flat" if signed else model,
                                 signed=signed)
        return {"omega": r.omega, "spectrum": r.spectrum, "wall_s": time.perf_counter() - t0,
                "alpha": r.hyperparameters.get("alpha"), "verdict": r.check.verdict}
    return run


def runs_of(args: argparse.Namespace, cont: Any, tm: Any) -> dict[str, Callable]:
    """Every run of the suite: name -> function of one case returning its record.

    Parameters
    ----------
    args : argparse.Namespace
        Bench options (``quick``).
    cont : module or None
        ana_cont's ``continuation`` module.
    tm : module or None
        The ``triqs_maxent`` package.

    Returns
    -------
    dict of str to callable
        A run takes a case of :func:`specinv.ac.actest.make_case` and returns ``omega``,
        ``spectrum``, ``wall_s`` (s) and what it chose; a dict of runs for TRIQS/maxent
        (one per analyzer).
    """
    from specinv.ac.bench_peers import ana_cont_run, triqs_guide_runs
    from specinv.ac.cli import AC_DEFAULT_MODEL, AC_DEFAULTS

    default, model = AC_DEFAULTS["maxent"], AC_DEFAULT_MODEL
    runs: dict[str, Callable] = {"maxent_default": _ours("maxent", default, model=model)}
    for scale in ERROR_SCALES:
        runs[f"maxent_default_errors_x{scale:g}"] = _ours("maxent", default, scale, model)
    runs["maxent_default_two_pass_model"] = _ours("maxent", default, model="two-pass")
    smoothed = "maxent_default_smoothed_answer_model"
    runs[smoothed] = _ours("maxent", default, model="smoothed-answer")
    for scale in ERROR_SCALES:
        runs[f"{smoothed}_errors_x{scale:g}"] = _ours("maxent", default, scale, "smoothed-answer")
    runs[f"maxent_{default['alpha_rule']}_flat_model"] = _ours("maxent", default)
    for rule in OTHER_RULES:  # the flat model, as the peers run
        runs[f"maxent_{rule}_flat_model"] = _ours("maxent", {**default, "alpha_rule": rule})
    for rule in BRYAN_ITERATION_RULES:  # a stalled Newton iteration goes on by Bryan's
        runs[f"maxent_{rule}_bryan_iteration"] = _ours(
            "maxent", {**default, "alpha_rule": rule, "bryan_iteration": True})
    runs["tikhonov"] = _ours("tikhonov", {})
    if not args.quick:
        runs["som"] = _ours("som", {})
    if cont is not None:
        for rule in ("historic", "chi2kink"):
            runs[f"ana_cont_{rule}"] = \
                lambda case, rule=rule: ana_cont_run(cont, case, rule, actest.OMEGA_MAX)
    if tm is not None:
        runs["triqs_maxent_guide"] = lambda case: triqs_guide_runs(tm, case, actest.OMEGA_MAX)
    from specinv.ac.actest_matsubara import matsubara_runs, peer_modules  # G(iω_n) given

    runs.update(matsubara_runs(*peer_modules(args)))
    return runs


def _record(out: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    spec = out.get("spectrum")
    ok = "failed" not in out and spec is not None and bool(np.all(np.isfinite(spec))) \
        and out.get("verdict") != "fail"
    err = actest.relative_error(np.asarray(out["omega"]), np.asarray(spec), case["ref_omega"],
                                case["ref"]) if ok else float("nan")
    return {"err": err, "wall_s": out.get("wall_s"), "alpha": out.get("alpha"),
            "failed": None if ok else str(out.get("failed", out.get("verdict", "non-finite")))}


def applies(name: str, subset: str) -> str | None:
    """Why run ``name`` cannot continue the spectra of ``subset``, or None if it can.

    Parameters
    ----------
    name : str
        A run of :func:`runs_of`.
    subset : str
        A key of :data:`specinv.ac.act100.SUBSETS`.

    Returns
    -------
    str or None
        The reason it is not run (recorded in the JSON), or None.
    """
    sub = act100.SUBSETS[subset]
    if name.endswith("_matsubara") and (sub.statistics != "fermionic" or sub.signed):
        return "continues positive fermionic G(iω_n) only"
    if name.startswith("ana_cont") and sub.statistics != "fermionic":
        return ("its bosonic kernels assume an even spectrum on [0, W]; ACT100's bosonic "
                "spectra are not even")
    if name.startswith("triqs") and sub.signed:
        return "run with its positive entropy only (the guide's settings)"
    if sub.signed and (name == "som" or "two_pass" in name or "smoothed" in name):
        return "positive by construction (method or default model); the spectrum changes sign"
    return None


def run_level(set_name: str, sigma: float, runs: dict[str, Callable],
              keep: tuple[int, ...] = ()) -> dict[str, Any]:
    """Every run on every spectrum of one set at one noise level.

    Parameters
    ----------
    set_name : str
        A key of :data:`specinv.ac.act100.SUBSETS`.
    sigma : float
        Noise level.
    runs : dict of str to callable
        From :func:`runs_of`.
    keep : tuple of int
        Spectra whose answers are kept for the figure.

    Returns
    -------
    dict
        Per method: ``f``, ``err`` (per spectrum; NaN when failed), ``wall_s``, ``alpha``,
        ``failures``; and ``spectra`` (kept answers and references).
    """
    table: dict[str, dict[str, list]] = {}
    kept: dict[str, Any] = {}
    skipped = {n: why for n in runs if (why := applies(n, set_name)) is not None}
    n_spectra = len(act100.SUBSETS[set_name].spectra)
    t0 = time.perf_counter()
    for i in range(n_spectra):
        print(f"  sigma={sigma:g} spectrum {i + 1}/{n_spectra} "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
        case = act100.make_case(set_name, i, sigma, seed=1000 + i)
        if i in keep:
            kept[str(i)] = {"reference": (case["ref_omega"][::8], case["ref"][::8])}
        for name, fn in runs.items():
            if name in skipped:
                continue
            try:
                out = fn(case)
            except Exception as exc:  # noqa: BLE001 - a failing method is a result
                out = {"failed": f"{type(exc).__name__}: {exc}"[:200]}
            outs = out if name == "triqs_maxent_guide" and "omega" not in out else {name: out}
            for key, o in outs.items():
                rec = _record(o, case)
                row = table.setdefault(key, {"err": [], "wall_s": [], "alpha": [],
                                             "failed": []})
                for k in row:
                    row[k].append(rec[k])
                if i in keep and rec["failed"] is None:
                    kept[str(i)][key] = (o["omega"], o["spectrum"])
    result = {k: {**v, "f": actest.score(v["err"]),
                  "failures": sum(x is not None for x in v["failed"]),
                  "median_wall_s": float(np.median([t for t in v["wall_s"] if t is not None]))
                  if any(t is not None for t in v["wall_s"]) else None}
              for k, v in table.items()}
    return {"methods": result, "spectra": kept, "not_run": skipped}


def print_table(set_name: str, sigma: float, level: dict[str, Any]) -> None:
    """One table per noise level: f, failures, median time, worst Err.

    Parameters
    ----------
    set_name : str
        Name of the set.
    sigma : float
        Noise level.
    level : dict
        From :func:`run_level`.
    """
    print(f"\n{set_name} sigma={sigma:g}: {'method':44s} {'f':>6s} {'fail':>4s} "
          f"{'t_med':>7s} {'Err_max':>7s}", flush=True)
    rows = sorted(level["methods"].items(), key=lambda kv: -kv[1]["f"])
    for name, m in rows:
        errs = np.asarray(m["err"], float)
        worst = f"{np.nanmax(errs):.3f}" if np.any(np.isfinite(errs)) else "-"
        t = "-" if m["median_wall_s"] is None else f"{m['median_wall_s']:.2f}s"
        print(f"  {name:48s} {m['f']:6.2f} {m['failures']:4d} {t:>7s} {worst:>7s}", flush=True)


def run(args: argparse.Namespace, cont: Any, tm: Any, peers: dict[str, Any]) -> int:
    """Run the suite; write ``actest.json`` and ``actest.png`` in ``args.output``.

    Parameters
    ----------
    args : argparse.Namespace
        Bench options (``output``, ``quick``, ``sets``, ``noise``).
    cont : module or None
        ana_cont's ``continuation`` module.
    tm : module or None
        The ``triqs_maxent`` package.
    peers : dict
        How each peer was found (recorded in the JSON).

    Returns
    -------
    int
        0.
    """
    from specinv.ac.bench_actest_report import figure, write_json
    from specinv.core.errors import ParameterError

    sets = tuple(act100.SUBSETS) if args.sets == "act100" else tuple(args.sets.split(","))
    unknown = [s for s in sets if s not in act100.SUBSETS]
    if unknown:
        raise ParameterError(f"--sets: unknown set(s) {', '.join(unknown)}; "
                             f"valid: {', '.join(act100.SUBSETS)} or act100")
    try:
        levels = tuple(float(x) for x in args.noise.split(","))
    except ValueError:
        levels = (float("nan"),)
    if not all(np.isfinite(s) and s > 0 for s in levels):
        raise ParameterError(f"--noise must be comma-separated positive numbers (σ of G(τ)), "
                             f"got {args.noise!r}")
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    runs = runs_of(args, cont, tm)
    report: dict[str, Any] = {
        "benchmark": "ac", "suite": "actest", "quick": bool(args.quick), "peers": peers,
        "protocol": {"beta": actest.BETA, "n_tau": actest.N_TAU,
                     "omega_window": actest.OMEGA_MAX, "n_reference": actest.N_REF,
                     "noise": "white, additive, sigma as the error column; seed 1000 + index",
                     "score": "f = sum max(0, 1 - Err), Err = int|A - A0| / int|A0|"},
        "sets": {}}
    for set_name in sets:
        report["sets"][set_name] = {}
        for k, sigma in enumerate(levels):
            keep = FIGURE_CASES if k == len(levels) // 2 else ()
            level = run_level(set_name, sigma, runs, keep)
            report["sets"][set_name][f"{sigma:g}"] = level
            print_table(set_name, sigma, level)
    write_json(out / "actest.json", report)
    figure(out / "actest.png", report)
    print(f"wrote {out / 'actest.json'} and {out / 'actest.png'}")
    return 0

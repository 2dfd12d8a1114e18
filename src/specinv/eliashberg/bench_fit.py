"""Bench of the physics fits (issue 28), run by ``specinv bench eliashberg``.

- ``gap_families``: held-out draws of every family of :mod:`~specinv.eliashberg.fit.families`;
  the gap Δ(ω) from the engine (real-axis step 0.05 meV) at the shipped network's T and μ*;
  three answers per sample: the network alone (re-solve verdict), the refinement as
  ``invert --refine`` runs it (physics fit from the network's answer, or from a flat
  start when the network refuses or fails its re-solve), and the classical regularized
  fit from a flat start. Per family and method: the fraction of samples with λ and ω_log
  within 5 %, median errors, the *silent* failures (outside 5 % with verdict ``ok``), and
  the correct answers (within 5 %) that carry ``warn`` or ``fail`` anyway, in all and by
  the blind-energy bound (:mod:`~specinv.eliashberg.fit.blind`) and by the onset check
  (:mod:`~specinv.eliashberg.fit.onset`).
- ``gap_out_of_family``: the same on the fixed shapes of
  :mod:`~specinv.eliashberg.fit.offfamily` (two peaks of unequal width, a sharply cut Debye
  law), which no family draws.
- ``didv``: simulated Pb-like and Nb-like conductance (and Nb's real α²F when the data
  folder exists) at T = T_c/5, 0.05 mV lock-in, 1e-3 noise, fitted by ``from-didv``'s
  :func:`~specinv.eliashberg.fit.didv.fit_didv`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from specinv.core.errors import InputError
from specinv.eliashberg.engine.a2f import A2F, moments
from specinv.eliashberg.engine.matsubara import solve_matsubara
from specinv.eliashberg.engine.msc import real_axis_on_mesh
from specinv.eliashberg.engine.tc import critical_temperature
from specinv.eliashberg.fit.families import FAMILIES, draw
from specinv.eliashberg.fit.gap_mu import fit_gap_evidence
from specinv.eliashberg.fit.simulate import nb_like, pb_like, simulate_didv

TOL = 0.05


def _gap_of(spec: A2F, t: float, mu: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Δ(ω) on 0 … max(35, ω_max + 5) meV (0.175 meV steps), None when not superconducting."""
    sol = solve_matsubara(spec, t, mu)
    if not sol.is_superconducting:
        return None
    top = max(35.0, moments(spec)["omega_max_meV"] + 5.0)
    omega = np.linspace(0.0, top, int(round(top / 0.175)) + 1)
    return omega, real_axis_on_mesh(sol, spec, omega[1:], d_omega=0.05)[0].delta


def _network(models, omega, delta, t, mu) -> dict[str, Any]:
    from specinv.eliashberg.gap2a2f.inference import predict_gap
    from specinv.eliashberg.gap2a2f.physics import resolve_check, solve_a2f

    meta = models[0].meta
    try:
        a2f, _, info = predict_gap(models, omega, delta, t)
    except InputError as exc:
        return {"refused": str(exc)}
    sol = solve_a2f(a2f, np.asarray(meta["omega_a2f"]), np.asarray(meta["omega"]), t, mu,
                    with_tc=False, continuation="realaxis")
    check = resolve_check(sol["delta"], info["delta_mesh"])
    return {"lambda": sol["lambda"], "omega_log_meV": sol["omega_log_meV"],
            "verdict": check.verdict, "start": (np.asarray(meta["omega_a2f"]), a2f)}


def _fit_row(omega, delta, t, mu, start) -> dict[str, Any]:
    fit = fit_gap_evidence(omega, delta, t, mu, start=start)
    blind = fit.info.get("blind", {})
    return {"lambda": fit.figures["lambda"], "omega_log_meV": fit.figures["omega_log_meV"],
            "lambda_range": blind.get("lambda_range"),
            "omega_log_range_meV": blind.get("omega_log_range_meV"),
            "blind_warn": any("E_blind" in x for x in fit.check.reasons),
            "onset": fit.info.get("onset"),
            "onset_warn": any("E_onset" in x for x in fit.check.reasons),
            "tc_K": fit.figures["tc_K"], "lambda_std": fit.figures["lambda_std"],
            "omega_log_std_meV": fit.figures["omega_log_meV_std"],
            "verdict": fit.check.verdict, "chi2_reduced": fit.occam.chi2_reduced,
            "n_knots": fit.basis.n_knots, "mu_rule": fit.info["mu_rule"],
            "wall_s": fit.occam.wall_s, "n_evaluations": fit.occam.n_evaluations}


def gap_families(n_per_family: int, first: int = 0) -> dict[str, Any]:
    """The family table (see the module docstring).

    Parameters
    ----------
    n_per_family : int
        Superconducting samples per family.
    first : int
        Index of the first draw of each family (0: the bench's draws; a large offset
        gives draws that no choice of the fit was made on).

    Returns
    -------
    dict
        ``rows`` (one per sample and method) and ``summary`` (per family and method).
    """
    from specinv.eliashberg.gap2a2f.inference import load_models

    models = load_models()
    t, mu = float(models[0].meta["temperature_K"]), float(models[0].meta["mu_star"])
    rows = []
    for fam in FAMILIES:
        k, i = 0, first
        while k < n_per_family and i < first + 4 * n_per_family:
            spec, i = draw(fam, i), i + 1
            new = _sample_rows(models, spec, t, mu, {"family": fam, "index": i - 1})
            k += bool(new)
            rows += new
    return {"temperature_K": t, "mu_star": mu, "tolerance": TOL, "first_draw": first,
            "rows": rows, "summary": _summary(rows)}


def gap_out_of_family() -> dict[str, Any]:
    """The same three answers on the fixed shapes of
    :mod:`~specinv.eliashberg.fit.offfamily`, which no family draws.

    Returns
    -------
    dict
        ``rows`` (one per shape and method) and ``summary`` (per shape and method).
    """
    from specinv.eliashberg.fit.offfamily import SHAPES
    from specinv.eliashberg.gap2a2f.inference import load_models

    models = load_models()
    t, mu = float(models[0].meta["temperature_K"]), float(models[0].meta["mu_star"])
    rows = []
    for name, make in SHAPES.items():
        rows += _sample_rows(models, make(), t, mu, {"family": name, "index": 0})
    return {"temperature_K": t, "mu_star": mu, "tolerance": TOL, "rows": rows,
            "summary": _summary(rows)}


def _sample_rows(models, spec: A2F, t: float, mu: float,
                 label: dict[str, Any]) -> list[dict[str, Any]]:
    """Network, refined and classical rows of one spectrum ([] when not superconducting)."""
    data = _gap_of(spec, t, mu)
    if data is None:
        return []
    omega, delta = data[0], np.concatenate([[data[1][0]], data[1]])
    true = moments(spec)
    net = _network(models, omega, delta, t, mu)
    start = net.pop("start", None) if net.get("verdict") not in (None, "fail") else None
    net.pop("start", None)
    refined = _fit_row(omega, delta, t, mu, start)
    classical = refined if start is None else _fit_row(omega, delta, t, mu, None)
    return [_errors({**label, "method": method, "lambda_true": true["lambda"],
                     "omega_log_true_meV": true["omega_log_meV"], **r})
            for method, r in (("network", net), ("refined", refined), ("classical", classical))]


def _errors(row: dict[str, Any]) -> dict[str, Any]:
    if "lambda" in row:
        row["lambda_rel_err"] = abs(row["lambda"] / row["lambda_true"] - 1.0)
        row["omega_log_rel_err"] = abs(row["omega_log_meV"] / row["omega_log_true_meV"] - 1.0)
    return row


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fam in dict.fromkeys(r["family"] for r in rows):
        for method in ("network", "refined", "classical"):
            sel = [r for r in rows if r["family"] == fam and r["method"] == method]
            ans = [r for r in sel if "lambda_rel_err" in r]
            el = np.array([r["lambda_rel_err"] for r in ans])
            ew = np.array([r["omega_log_rel_err"] for r in ans])
            bad = [r for r in ans if max(r["lambda_rel_err"], r["omega_log_rel_err"]) > TOL]
            out[f"{fam}/{method}"] = {
                "n": len(sel), "refused": len(sel) - len(ans),
                "within_5pct": float(np.mean((el <= TOL) & (ew <= TOL))) if ans else None,
                "median_lambda_rel_err": float(np.median(el)) if ans else None,
                "median_omega_log_rel_err": float(np.median(ew)) if ans else None,
                "silent_failures": sum(r["verdict"] == "ok" for r in bad),
                "correct": len(ans) - len(bad),
                "correct_flagged": sum(r["verdict"] != "ok" for r in ans if r not in bad),
                "correct_flagged_by_blind_bound": sum(bool(r.get("blind_warn"))
                                                      for r in ans if r not in bad),
                "misses_flagged_by_blind_bound": sum(bool(r.get("blind_warn")) for r in bad),
                "correct_flagged_by_onset": sum(bool(r.get("onset_warn"))
                                                for r in ans if r not in bad),
                "misses_flagged_by_onset": sum(bool(r.get("onset_warn")) for r in bad),
                "verdicts": {v: sum(r.get("verdict") == v for r in ans)
                             for v in ("ok", "warn", "fail")},
                "median_wall_s": float(np.median([r["wall_s"] for r in ans]))
                if ans and "wall_s" in ans[0] else None}
    return out


def didv_cases(nb_table: A2F | None, quick: bool) -> dict[str, Any]:
    """dI/dV → α²F on simulated Pb-like, Nb-like (and real-Nb) conductance.

    Parameters
    ----------
    nb_table : A2F or None
        Nb's α²F from the data folder (column 15), if present.
    quick : bool
        Only the Pb-like case.

    Returns
    -------
    dict
        Per case: truth, fit (λ, ω_log, T_c with errors, μ*), relative errors, verdict,
        wall time.
    """
    from specinv.eliashberg.fit.didv import fit_didv

    cases = {"pb_like": (pb_like(), 20.0), "nb_like": (nb_like(), 40.0)}
    if nb_table is not None:
        cases["nb_real_col15"] = (nb_table, 40.0)
    if quick:
        cases = {"pb_like": cases["pb_like"]}
    out = {}
    for name, (spec, vmax) in cases.items():
        tc = critical_temperature(spec, 0.12).tc_K
        t = tc / 5.0
        bias = np.arange(-vmax, vmax + 1e-9, 0.05)
        g = simulate_didv(spec, t, 0.12, bias, lockin_rms=0.05, noise=1e-3, seed=1)
        t0 = time.perf_counter()
        fit = fit_didv(bias, g, t, lockin_rms=0.05)
        wall = time.perf_counter() - t0
        true = moments(spec)
        f = fit.figures
        out[name] = {"temperature_K": t, "mu_star_true": 0.12, "lambda_true": true["lambda"],
                     "omega_log_true_meV": true["omega_log_meV"], "tc_true_K": tc, **f,
                     "mu_star": fit.mu_star, "mu_star_std": fit.mu_star_std,
                     "lambda_rel_err": abs(f["lambda"] / true["lambda"] - 1),
                     "omega_log_rel_err": abs(f["omega_log_meV"] / true["omega_log_meV"] - 1),
                     "tc_rel_err": abs(f["tc_K"] / tc - 1), "verdict": fit.check.verdict,
                     "chi2_reduced": fit.check.chi2_reduced, "wall_s": wall,
                     "n_evaluations": fit.occam.n_evaluations}
    return out

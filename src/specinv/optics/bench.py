"""``specinv bench optics``: seed 001 (rRIM vs FCN/CNN) plus classical methods.

Writes ``DIR/optics.json`` and figures ``optics_fig2.png`` (test MSE vs N and vs
noise, rRIM iterates), ``optics_fig3.png`` (noisy test samples; OOD shapes noise-free
and with noise) and
``optics_temperature.png`` (one temperature-range rRIM vs per-T models).
Default: N ∈ {100, 1e3, 1e4} (1e5 with ``--with-1e5``), 3 independent trainings;
``--quick``: N ∈ {100, 1e3}, 1 training, fewer noise levels and steps.
FCN and CNN get ``--max-steps-regressor`` steps (5× the rRIM's by default).
Classical methods run on a subset of each test set (``--n-classical``), nnrs on
``--n-nnrs`` spectra at σ = 1e-3 only (it takes tens of seconds per spectrum).
The batched speed-up of the rRIM over the most accurate classical method at
σ = 1e-3 is timed in alternating rounds on the same machine load.
Noise-conditioned rRIMs (per-sample Landweber h = max(σ, h_min), log10 h as an
input; :mod:`specinv.optics.train`) are trained at the largest N on mixed noise
σ ∈ ``NC_LEVELS`` (``--repeats`` of them; ``--skip-noise-conditioned`` leaves them
out) and scored on the OOD sets and on the fixed-noise test sets of that N, given
each set's noise level, as a per-noise model is trained at it.
Out of distribution (seed 001, Fig. 3): noise-free shapes scored by the models
trained noise-free (the seed's setting), and the same shapes with ``OOD_NOISE``
relative noise scored by models trained at that noise (and by the classical methods).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from specinv.core.errors import ParameterError
from specinv.optics.bench_timing import timing_report

#: noise levels of the mixed training set of noise-conditioned rRIMs (one drawn per sample)
NC_LEVELS = (0.0, 1e-5, 1e-4, 1e-3, 1e-2)
#: relative noise of the noisy OOD data and of the models that score them
OOD_NOISE = 1e-4


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repeats", type=int, default=None,
                   help="independent trainings (default 3; quick 1)")
    p.add_argument("--with-1e5", action="store_true", help="also N = 100000 (slow)")
    p.add_argument("--max-steps", type=int, default=None,
                   help="optimizer steps per rRIM training (default 1500; quick 400)")
    p.add_argument("--max-steps-regressor", type=int, default=None,
                   help="optimizer steps per FCN/CNN training (default 5 × --max-steps; "
                        "they are cheap and converge slowly)")
    p.add_argument("--n-classical", type=int, default=None,
                   help="test spectra per set for classical methods (default 20; quick 6)")
    p.add_argument("--n-nnrs", type=int, default=None, help="spectra for nnrs (default 2; quick 0)")
    p.add_argument("--skip-temperature", action="store_true",
                   help="skip the temperature-range experiment")
    p.add_argument("--skip-noise-conditioned", action="store_true",
                   help="skip the noise-conditioned rRIMs at the largest N")
    p.add_argument("--workers", type=int, default=1,
                   help="parallel trainings (processes; default %(default)s)")
    p.add_argument("--cache-dir", default=None, help="data-set cache (default DIR/cache)")
    p.add_argument("--seed", type=int, default=0, help="seed (default %(default)s)")


def _machine() -> dict[str, Any]:
    import torch

    return {"cpu_count": os.cpu_count(), "torch_threads_per_training": 1,
            "torch_version": torch.__version__, "platform": platform.platform(),
            "note": "shared 2-core machine; other agents were loading it"}


def _strip(d: dict) -> dict:
    return {k: v for k, v in d.items() if k not in ("model", "pred")}


def run(args: argparse.Namespace) -> int:  # noqa: C901 (a linear script of experiments)
    from specinv.core.parallel import map_chunks
    from specinv.optics import experiments as ex
    from specinv.optics.dataset import build_dataset
    from specinv.optics.inputs import estimate_relative_noise

    q = args.quick
    repeats = args.repeats or (1 if q else 3)
    max_steps = args.max_steps or (400 if q else 1500)
    steps_reg = args.max_steps_regressor or 5 * max_steps
    n_cls = args.n_classical if args.n_classical is not None else (6 if q else 20)
    n_nnrs = args.n_nnrs if args.n_nnrs is not None else (0 if q else 2)
    if repeats < 1 or min(max_steps, steps_reg) < 10 or n_cls < 1:
        raise ParameterError("--repeats >= 1, --max-steps(-regressor) >= 10 and "
                             "--n-classical >= 1 required")
    sizes = [100, 1000] if q else [100, 1000, 10000]
    if args.with_1e5:
        sizes.append(100000)
    noises = [1e-3, 1e-2, 1e-1] if q else [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]
    out_dir = Path(args.output)
    cache = args.cache_dir or str(out_dir / "cache")
    seed = args.seed
    kinds = ("rrim", "cnn", "fcn")
    params = {"sizes": sizes, "noises": noises, "repeats": repeats, "max_steps": max_steps,
              "max_steps_regressor": steps_reg,
              "n_classical": n_cls, "n_nnrs": n_nnrs, "data_seed": seed, "quick": q,
              "temperature_K": 100.0, "split": [0.8, 0.1, 0.1], "y_scale": 300.0,
              "model_seeds": f"1000*repeat + index of kind, repeat in 0..{repeats - 1}",
              "ood_models": {"noise_free_data": "trained noise-free at the largest N",
                             f"data_noise_{OOD_NOISE}": "trained at that noise, largest N"}}
    t_start = time.perf_counter()

    jobs = []
    # OOD with 1e-4 noise is scored by models trained at that noise (at the largest N);
    # those trained noise-free have h = 1e-8 and are for exact data only (auto_h)
    settings = [(n, 0.0) for n in sizes] + [(1000, nz) for nz in noises]
    if (max(sizes), OOD_NOISE) not in settings:
        settings.append((max(sizes), OOD_NOISE))
    for n, nz in settings:
        for r in range(repeats):
            for i, kind in enumerate(kinds):
                cfg = ex.bench_config(kind, n, max_steps if kind == "rrim" else steps_reg,
                                      1000 * r + i)
                jobs.append({"n": n, "noise": nz, "data_seed": seed, "temperatures": [100.0],
                             "cache_dir": cache, "threads": 1,
                             "keep_model": n in (1000, max(sizes)), "config": cfg.__dict__})
    if not args.skip_noise_conditioned:
        params["noise_conditioned"] = {"n": max(sizes), "noise_levels": list(NC_LEVELS),
                                       "model_seeds": "1000*repeat"}
        for r in range(repeats):
            cfg = ex.bench_config("rrim", max(sizes), max_steps, 1000 * r, noise_input=True)
            jobs.append({"n": max(sizes), "noise": 0.0, "noise_levels": list(NC_LEVELS),
                         "data_seed": seed, "temperatures": [100.0], "cache_dir": cache,
                         "threads": 1, "keep_model": True, "config": cfg.__dict__})
    results: list[dict] = [None] * len(jobs)  # type: ignore[list-item]
    for idx, res in map_chunks(ex.training_job, jobs, workers=args.workers, progress=True,
                               desc="optics trainings"):
        results[idx] = res

    def pick(n: int, noise: float, kind: str) -> list[dict]:
        return [r for r in results if r["n"] == n and r["noise"] == noise and r["kind"] == kind
                and r.get("noise_levels") is None]

    nc_results = [r for r in results if r.get("noise_levels") is not None]
    nc_models = [r["model"] for r in nc_results]

    report: dict[str, Any] = {"parameters": params, "machine": _machine()}
    report["trainings"] = [_strip(r) for r in results]
    def stats(n: int, noise: float, kind: str) -> dict[str, float]:
        v = [r["test_mse"] for r in pick(n, noise, kind)]
        return {"mean_test_mse": float(np.mean(v)), "median_test_mse": float(np.median(v)),
                "std_test_mse": float(np.std(v))}

    report["fig2a"] = {kind: {str(n): stats(n, 0.0, kind) for n in sizes} for kind in kinds}
    report["fig2b"] = {kind: {str(nz): stats(1000, nz, kind) for nz in [0.0, *noises]}
                       for kind in kinds}

    # classical methods on a subset of the N = 1000 test sets (same spectra for all)
    from specinv.optics.setup import MAXENT_OPTIONS

    classical_methods = {"tikhonov": {}, "maxent": dict(MAXENT_OPTIONS), "allen": {}}
    params["classical_options"] = classical_methods
    report["classical"] = {}
    setup = build_dataset(1000, seed=seed, cache_dir=cache).setup
    kernel = setup.kernel()
    subsets = {}
    for nz in [0.0, *noises]:
        ds = build_dataset(1000, noise=nz, seed=seed, cache_dir=cache)
        x, y, _ = ds.part("test")
        subsets[nz] = (x[:n_cls], y[:n_cls])
        cl = ex.classical_on(kernel, x[:n_cls], y[:n_cls], max(nz, 1e-5), classical_methods)
        learned = {}
        for kind in kinds:
            ms = [r["model"] for r in pick(1000, nz, kind)]
            learned[kind] = {"mse": float(np.mean([ex.mse(m.predict(y[:n_cls], 100.0), x[:n_cls])
                                                    for m in ms]))}
        report["classical"][str(nz)] = {"classical": {m: _strip(v) for m, v in cl.items()},
                                        "learned_same_subset": learned,
                                        "sigma_given_rel": max(nz, 1e-5)}
        if nz == 1e-2:
            noisy_preds = {m: v["pred"][:3] for m, v in cl.items()}
    if n_nnrs > 0:
        x, y = subsets[1e-3]
        cl = ex.classical_on(kernel, x[:n_nnrs], y[:n_nnrs], 1e-3, {"nnrs": {}})
        rr = [r["model"] for r in pick(1000, 1e-3, "rrim")]
        report["nnrs_sigma_1e-3"] = {
            **_strip(cl["nnrs"]),
            "rrim_mse_same_spectra": float(np.mean([ex.mse(m.predict(y[:n_nnrs], 100.0),
                                                           x[:n_nnrs]) for m in rr]))}

    # rRIM timing (single spectrum: model forward and the full solve() path; batched) on
    # σ = 1e-3 data, by a model trained at that noise when there is one (same cost)
    rr0 = pick(1000, 0.0, "rrim")
    model = (pick(1000, 1e-3, "rrim") or rr0)[0]["model"]
    y_test = build_dataset(1000, noise=1e-3, seed=seed, cache_dir=cache).part("test")[1]
    report["timing"] = timing_report(model, y_test, kernel, rr0, report, classical_methods,
                               max_steps, subsets[1e-3][1] if 1e-3 in subsets else None)

    # Fig. 2c,d: rRIM iterates on noise-free data, model trained noise-free (N = 1000)
    x0, y0 = subsets[0.0][0][0], subsets[0.0][1][0]
    iterates = rr0[0]["model"].predict(y0[None], 100.0, all_steps=True)[:, 0]
    # OOD: data with 1e-4 relative noise, models trained at that noise at the largest N
    nmax = max(sizes)

    def models_at(noise: float) -> dict[str, list]:
        """Models trained at ``noise`` (largest N), plus the noise-conditioned ones."""
        ms = {kind: [r["model"] for r in pick(nmax, noise, kind)] for kind in kinds}
        if nc_models:  # given the data's noise level
            ms["rrim_noise_conditioned"] = nc_models
        return ms

    ood = ex.ood_data(setup, OOD_NOISE, seed)
    ood_models = models_at(OOD_NOISE)
    report["ood"] = {"trained_N": nmax, "trained_noise_rel": OOD_NOISE,
                     "data_noise_rel": OOD_NOISE}
    ood_preds = {}

    def learned_mse(xo: np.ndarray, yo: np.ndarray, noise: float,
                    models: dict[str, list]) -> dict[str, float]:
        out = {kind: float(np.mean([ex.mse(m.predict(yo, 100.0, noise=noise), xo)
                                    for m in ms]))
               for kind, ms in models.items()}
        if nc_models:  # as a user runs it: σ estimated from each spectrum
            est = np.array([estimate_relative_noise(y) for y in yo])
            out["rrim_noise_conditioned_sigma_estimated"] = float(np.mean(
                [ex.mse(m.predict(yo, 100.0, noise=est), xo) for m in nc_models]))
            out["sigma_estimated_median"] = float(np.median(est))
        return out

    for name, (xo, yo) in ood.items():
        entry = learned_mse(xo, yo, OOD_NOISE, ood_models)
        cl = ex.classical_on(kernel, xo, yo, OOD_NOISE, classical_methods)
        entry.update({m: v["mse"] for m, v in cl.items()})
        report["ood"][name] = entry
        ood_preds[name] = {**{kind: ms[0].predict(yo[:1], 100.0)[0] for kind, ms in
                              ood_models.items() if kind in kinds},
                           **{m: v["pred"][0] for m, v in cl.items()}}
    # the seed's Fig. 3 setting: noise-free OOD data, models trained noise-free (learned
    # models only; the classical methods need error bars, so they are scored above)
    exact_models = models_at(0.0)
    report["ood_noise_free"] = {"trained_N": nmax, "trained_noise_rel": 0.0,
                                "data_noise_rel": 0.0}
    ood_exact = ex.ood_data(setup, 0.0, seed)
    for name, (xo, yo) in ood_exact.items():
        report["ood_noise_free"][name] = learned_mse(xo, yo, 0.0, exact_models)
    exact_preds = {name: {kind: exact_models[kind][0].predict(yo[:1], 100.0)[0]
                          for kind in kinds} for name, (_, yo) in ood_exact.items()}
    if nc_models:
        report["noise_conditioned"] = {
            "n": nmax, "h_min": nc_models[0].config.h,
            "train_seconds": [r["train_seconds"] for r in nc_results],
            "test_mse": ex.noise_conditioned_scores(nc_models, nmax, NC_LEVELS, seed, cache)}

    # 5b: ensemble of the independent rRIM trainings at σ = 1e-3
    if repeats >= 2 and 1e-3 in noises:
        ds = build_dataset(1000, noise=1e-3, seed=seed, cache_dir=cache)
        x, y, _ = ds.part("test")
        p = np.stack([r["model"].predict(y, 100.0) for r in pick(1000, 1e-3, "rrim")])
        mean, std = p.mean(0), p.std(0, ddof=1)
        err = np.abs(mean - x)
        report["ensemble_sigma_1e-3"] = {
            "members": int(p.shape[0]), "ensemble_mse": ex.mse(mean, x),
            "member_mse_mean": float(np.mean([ex.mse(pi, x) for pi in p])),
            "rms_std": float(np.sqrt(np.mean(std**2))), "rmse": float(np.sqrt(ex.mse(mean, x))),
            "fraction_within_2std": float(np.mean(err <= 2 * std))}

    if not args.skip_temperature:
        report["temperature"] = _temperature_experiment(ex, q, max_steps, seed, cache, args)

    report["targets"] = _targets(report, sizes, noises, kinds)
    report["wall_time_s"] = time.perf_counter() - t_start
    from specinv.core.result import jsonable
    from specinv.io.atomic import atomic_path

    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "optics.json") as tmp:
        tmp.write_text(json.dumps(jsonable(report), indent=1))
    from specinv.optics.plots import plot_fig2, plot_fig3, plot_temperature

    plot_fig2(out_dir / "optics_fig2.png", report, setup, x0, y0, iterates, kernel)
    plot_fig3(out_dir / "optics_fig3.png", setup, subsets[1e-2] if 1e-2 in noises else None,
              {kind: [r["model"] for r in pick(1000, 1e-2, kind)][0] for kind in kinds}
              if 1e-2 in noises else {}, noisy_preds if 1e-2 in noises else {},
              [("noise-free data and models", ood_exact, exact_preds),
               (f"σ = {OOD_NOISE:g}: data and models", ood, ood_preds)])
    if "temperature" in report:
        plot_temperature(out_dir / "optics_temperature.png", report["temperature"])
    print(json.dumps(jsonable(report["targets"]), indent=1))
    print(f"wrote {out_dir / 'optics.json'} ({report['wall_time_s']:.0f} s)")
    return 0


def _temperature_experiment(ex: Any, q: bool, max_steps: int, seed: int, cache: str,
                            args: argparse.Namespace) -> dict[str, Any]:
    """5a: one rRIM over 10–300 K (kernel at each sample's T in ∇_t) vs per-T rRIMs."""
    from specinv.optics.dataset import build_dataset
    from specinv.optics.train import train_model

    grid = tuple(float(t) for t in range(10, 301, 10))
    n_range = 2000 if q else 4000
    test_ts = (30.0, 100.0, 250.0)
    ds = build_dataset(n_range, noise=1e-3, seed=seed + 50, temperatures=grid, cache_dir=cache)
    cfg = ex.bench_config("rrim", n_range, max_steps, 77, temperature_input=True)
    rng_model = train_model(ds, cfg)
    out: dict[str, Any] = {"grid_K": list(grid), "n_range": n_range, "noise": 1e-3,
                           "range_train_seconds": rng_model.history["train_seconds"],
                           "per_T_N": 1000, "per_T": {}}
    for t in test_ts:
        dt = build_dataset(1000, noise=1e-3, seed=seed + 60, temperatures=(t,), cache_dir=cache)
        per = train_model(dt, ex.bench_config("rrim", 1000, max_steps, 78))
        x, y, _ = dt.part("test")
        out["per_T"][str(t)] = {"per_T_model_mse": ex.mse(per.predict(y, t), x),
                                "range_model_mse": ex.mse(rng_model.predict(y, t), x)}
    return out


def _targets(report: dict, sizes: list, noises: list, kinds: tuple) -> dict[str, Any]:
    f2a, f2b = report["fig2a"], report["fig2b"]
    def m(fig: dict, kind: str, key: Any) -> float:
        return fig[kind][str(key)]["mean_test_mse"]

    order_n = {str(n): m(f2a, "rrim", n) < m(f2a, "cnn", n) < m(f2a, "fcn", n) for n in sizes}
    noise_ok = {str(nz): m(f2b, "rrim", nz) < m(f2b, "cnn", nz) for nz in noises if nz <= 1e-2}
    def ood_ratio(ood: dict, key: str = "rrim") -> dict[str, float]:
        return {s: ood[s]["cnn"] / ood[s][key] for s in ("square", "triangle")}

    t: dict[str, Any] = {"rrim_lt_cnn_lt_fcn_vs_N": order_n,
                         "rrim_lt_cnn_vs_noise_le_1e-2": noise_ok,
                         "ood_cnn_over_rrim_mse_ratio": ood_ratio(report["ood"]),
                         "ood_noise_free_cnn_over_rrim_mse_ratio":
                             ood_ratio(report["ood_noise_free"])}
    if "noise_conditioned" in report:
        for key in ("rrim_noise_conditioned", "rrim_noise_conditioned_sigma_estimated"):
            t[f"ood_cnn_over_{key}_mse_ratio"] = ood_ratio(report["ood"], key)
            t[f"ood_noise_free_cnn_over_{key}_mse_ratio"] = ood_ratio(
                report["ood_noise_free"], key)
    if "0.001" in report["classical"]:
        c = report["classical"]["0.001"]
        best = min(("maxent", "tikhonov"), key=lambda m: c["classical"][m]["mse"])
        tm = report["timing"]
        t["sigma_1e-3_subset"] = {
            "rrim_mse": c["learned_same_subset"]["rrim"]["mse"], "best_classical": best,
            "best_classical_mse": c["classical"][best]["mse"],
            "speedup_vs_best_single_solve": tm["speedup_single_solve"][best],
            "speedup_vs_best_batched": tm["paired_vs_best_classical"].get("speedup_batched")}
    t["rrim_train_seconds_N1000"] = report["timing"]["rrim_train_seconds_N1000_median"]
    t["rrim_inference_ms_single"] = 1e3 * report["timing"][
        "rrim_inference_s_single_spectrum_median"]
    t["rrim_solve_ms_single"] = 1e3 * report["timing"]["rrim_solve_s_single_spectrum_median"]
    return t

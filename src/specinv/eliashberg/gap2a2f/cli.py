"""``specinv eliashberg train | autoencoder | invert`` (registered by the eliashberg command).

Usage::

    specinv eliashberg train --data DIR --output MODEL_DIR [--input gap|dos] [--latent D]
                             [--ensemble K] [--epochs N] [--check N]
    specinv eliashberg autoencoder --data DIR --output DIR [--latent 1 2 4 8 16 32 64]
    specinv eliashberg invert GAP.csv --output A2F.csv [--plot FIG.png] [--model M.npz ...]
                              [--temperature K]

Heavy imports (torch) happen inside the command functions.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from specinv.core.check import Check
from specinv.core.errors import ParameterError
from specinv.io.limits import check_count
from specinv.io.output import check_output_dir, table_outputs
from specinv.io.report import add_verdict_argument, report_verdict

#: largest autoencoder latent dimension (the α²F and gap vectors have a few hundred values)
MAX_LATENT = 1024


def register_learning(esub: argparse._SubParsersAction) -> None:
    """Add the learning subcommands to ``specinv eliashberg``."""
    p = esub.add_parser("train", help="train and evaluate the gap -> α²F regressor (seed 002)")
    p.add_argument("--data", required=True, metavar="DIR",
                   help="data set built by 'specinv eliashberg dataset'")
    p.add_argument("--output", required=True, metavar="MODEL_DIR",
                   help="directory for member_*.npz, train.json and a figure")
    p.add_argument("--input", choices=["gap", "dos"], default="gap",
                   help="input: Re/Im Δ(ω) (400) or the DOS (200) (default: %(default)s)")
    p.add_argument("--latent", type=int, default=None, metavar="D",
                   help="first encode the data with an autoencoder of latent dimension D "
                        "(default: none)")
    p.add_argument("--head", choices=["a2f", "latent"], default="a2f",
                   help="with --latent: the regressor predicts α²F from the AE-reconstructed "
                        "gaps (a2f, the seed) or the AE latent code from the original gaps, "
                        "decoded by the AE (latent; the decoder is saved with the model) "
                        "(default: %(default)s)")
    p.add_argument("--ensemble", type=int, default=1, metavar="K", help="models (default 1)")
    p.add_argument("--epochs", type=int, default=300, help="maximum epochs (default 300)")
    p.add_argument("--finetune-epochs", type=int, default=100,
                   help="second stage at lr/10 from the best weights (0: none; default 100)")
    p.add_argument("--patience", type=int, default=30, help="in epochs (default 30)")
    p.add_argument("--batch-size", type=int, default=64, help="samples (default 64)")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    p.add_argument("--seed", type=int, default=0, help="split and weights seed (default 0)")
    p.add_argument("--time-limit", type=float, default=420.0,
                   help="wall-time limit per training stage, model and AE, in s (two stages "
                        "stay within the 15-minute budget; default %(default)s)")
    p.add_argument("--check", type=int, default=200, metavar="N",
                   help="test samples re-solved by the Eliashberg engine (0: skip; default 200)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--refine", type=int, default=0, metavar="N",
                   help="refine the first N checked predictions against their gaps through "
                        "the engine and re-check them (see 'invert --refine'; default 0)")
    p.add_argument("--workers", type=int, default=1,
                   help="processes for the physics check and the refinement (default 1)")
    p.add_argument("--moment-weight", type=float, default=None, metavar="W",
                   help="weight of the relative λ (moment) loss in the regressor's objective "
                        "(0: plain MSE; default: the value chosen on validation data)")
    p.add_argument("--ae-moment-weight", type=float, default=None, metavar="W",
                   help="the same for the autoencoder with --latent (default: the value "
                        "chosen on validation data)")
    p.add_argument("--moment-powers", type=float, nargs="+", default=None, metavar="P",
                   help="powers p of the moments ∫Ω^p α²F dΩ in that loss (default: -1, i.e. λ)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run_train)

    p = esub.add_parser("autoencoder",
                        help="AE complexity analysis of [α²F; Δ] vs latent dimension")
    p.add_argument("--data", required=True, metavar="DIR", help="from 'eliashberg dataset'")
    p.add_argument("--output", required=True, metavar="DIR", help="for the JSON and a figure")
    p.add_argument("--input", choices=["gap", "dos"], default="gap", help="(default: gap)")
    p.add_argument("--latent", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32, 64],
                   help="latent dimensions to sweep (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=300, help="maximum per AE (default 300)")
    p.add_argument("--time-limit", type=float, default=120.0, help="per AE, in s (default 120)")
    p.add_argument("--seed", type=int, default=0, help="seed (default %(default)s)")
    p.add_argument("--moment-weight", type=float, default=None, metavar="W",
                   help="weight of the relative λ loss of the reconstructed α²F (0: plain MSE; "
                        "default: the value chosen on validation data)")
    p.set_defaults(func=run_autoencoder)

    _register_invert(esub)



def _register_invert(esub: argparse._SubParsersAction) -> None:
    """Add ``eliashberg invert``."""
    p = esub.add_parser("invert", help="predict α²F from a measured gap function Δ(ω)")
    p.add_argument("gap", metavar="GAP.csv",
                   help="table with header omega_meV,re_delta_meV,im_delta_meV")
    p.add_argument("--output", required=True, metavar="A2F.csv",
                   help="omega_meV,a2f[,a2f_std] (+ A2F.json with λ, ω_log, T_c, residual)")
    p.add_argument("--plot", metavar="FIG.png",
                   help="also plot α²F (with band) and Δ (default: no figure)")
    p.add_argument("--model", nargs="+", default=None, metavar="M.npz",
                   help="model file(s); several form an ensemble (default: shipped model)")
    p.add_argument("--temperature", type=float, default=None,
                   help="temperature of the measurement in K (default: the model's)")
    p.add_argument("--no-resolve", action="store_true",
                   help="skip re-solving the Eliashberg equations with the prediction")
    p.add_argument("--mu-star", type=float, default=None,
                   help="Coulomb pseudopotential μ* of the material (default: the model's, 0.1)")
    p.add_argument("--refine", action="store_true",
                   help="fit α²F (λ free, non-negative, smoothness by the Laplace "
                        "evidence, or by the discrepancy principle when that answer fails; "
                        "both in refine.mu_rule) to the input gap through the exact engine, "
                        "starting from the network's answer, or from a flat start with the "
                        "data's gap edge when the gap lies outside the network's domain or its "
                        "answer fails the re-solve; a2f_std is then the fit's 1σ band; "
                        "5-120 s CPU")
    add_verdict_argument(p)
    p.set_defaults(func=run_invert)

def run_train(args: argparse.Namespace) -> int:
    from specinv.eliashberg.gap2a2f import data
    from specinv.eliashberg.gap2a2f.experiment import public, run_supervised
    from specinv.eliashberg.gap2a2f.plots import plot_predictions
    from specinv.eliashberg.gap2a2f.train import SupervisedConfig
    from specinv.io.atomic import atomic_path

    check_output_dir("--output", args.output, inputs=[args.data])
    if args.latent is not None and not 1 <= args.latent <= MAX_LATENT:
        raise ParameterError(f"--latent must lie in 1..{MAX_LATENT}, got {args.latent}")
    check_count("--epochs", args.epochs)
    check_count("--batch-size", args.batch_size)
    if args.head == "latent" and args.latent is None:
        raise ParameterError("--head latent needs --latent D (the autoencoder it decodes with)")
    if args.ensemble < 1 or args.check < 0:
        raise ParameterError("--ensemble must be >= 1 and --check >= 0")
    if not 0 <= args.refine <= args.check or args.workers < 1:
        raise ParameterError(f"--refine must lie in [0, --check] and --workers be >= 1, got "
                             f"{args.refine}, {args.workers}")
    from specinv.eliashberg.gap2a2f.autoencoder import AEConfig

    moment = _moment_options(args.moment_weight, args.moment_powers)
    ae_moment = _moment_options(args.ae_moment_weight, args.moment_powers)
    cfg = SupervisedConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                           patience=args.patience, seed=args.seed,
                           time_limit_s=args.time_limit, threads=args.threads,
                           finetune_epochs=args.finetune_epochs, **moment)
    cfg.validate()
    ds = data.load(args.data)
    models, rep = run_supervised(ds, kind=args.input, latent=args.latent, config=cfg,
                                 ae_config=AEConfig(time_limit_s=args.time_limit,
                                                    epochs=args.epochs, **ae_moment),
                                 members=args.ensemble, n_check=args.check,
                                 progress=not args.no_progress, head=args.head,
                                 n_refine=args.refine, workers=args.workers)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    for k, m in enumerate(models):
        m.save(out / f"member_{k:02d}.npz")
    res = dict(public(rep), data=str(args.data), command="eliashberg train")
    with atomic_path(out / "train.json") as tmp:
        tmp.write_text(json.dumps(res, indent=2, default=float) + "\n")
    plot_predictions(out / "predictions.png", ds, rep)
    pc = rep.get("physics_check", {})
    if "physics_check_refined" in rep:
        pr = rep["physics_check_refined"]
        print(f"refined ({pr['n']} samples): median λ error {pr['median_lambda_rel_err']:.3%}, "
              f"T_c error {pr['median_tc_rel_err']:.3%}, Δf {pr['mean_delta_f']:.4f}, "
              f"Δg {pr['mean_delta_g']:.4f} (mean); "
              f"{pr['refine_wall_s_per_sample']:.2f} s per sample")
    print(f"test MSE {rep['test_mse']:.3g} (α²F rms {rep['test_rms_a2f']:.3g}); "
          f"median λ error {pc.get('median_lambda_rel_err', float('nan')):.3%}, "
          f"T_c error {pc.get('median_tc_rel_err', float('nan')):.3%}; wrote {out}")
    return 0


def _moment_options(weight: float | None, powers: list[float] | None) -> dict:
    """Config fields of the moment loss given on the command line (others: defaults)."""
    out: dict = {}
    if weight is not None:
        if not weight >= 0:
            raise ParameterError(f"--moment-weight must be >= 0, got {weight}")
        out["moment_weight"] = float(weight)
    if powers is not None:
        out["moment_powers"] = tuple(float(p) for p in powers)
    return out


def run_autoencoder(args: argparse.Namespace) -> int:
    from specinv.eliashberg.gap2a2f import data
    from specinv.eliashberg.gap2a2f.autoencoder import AEConfig, train_autoencoder
    from specinv.eliashberg.gap2a2f.plots import plot_reconstructions
    from specinv.io.atomic import atomic_path

    check_output_dir("--output", args.output, inputs=[args.data])
    if any(not 1 <= d <= MAX_LATENT for d in args.latent):
        raise ParameterError(f"--latent values must lie in 1..{MAX_LATENT}, got {args.latent}")
    check_count("--epochs", args.epochs)
    moment = _moment_options(args.moment_weight, None)
    ds = data.load(args.data)
    tr, va, te = data.split_indices(len(ds), 0)
    x, y = ds.features(args.input), ds.a2f
    rows, examples = [], {}
    for d in args.latent:
        ae = train_autoencoder(y[tr], x[tr], y[va], x[va],
                               AEConfig(latent=d, epochs=args.epochs, seed=args.seed,
                                        time_limit_s=args.time_limit, **moment),
                               omega=ds.omega_a2f)
        rows.append({"latent": d, **ae.part_errors(y[te], x[te]),
                     "train_wall_s": ae.history["train_wall_s"],
                     "best_epoch": ae.history["best_epoch"]})
        examples[d] = ae.transform(y[te[:1]], x[te[:1]])
        print(f"d_L = {d}: α²F rel. error {rows[-1]['a2f_rel_rms']:.3f}, "
              f"gap rel. error {rows[-1]['gap_rel_rms']:.3f}")
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "autoencoder.json") as tmp:
        tmp.write_text(json.dumps({"data": str(args.data), "input": args.input,
                                   "moment": moment, "results": rows}, indent=2) + "\n")
    plot_reconstructions(out / "autoencoder.png", y[te[0]], x[te[0]], examples, rows)
    return 0


def run_invert(args: argparse.Namespace) -> int:
    import time

    from specinv.core.errors import InputError
    from specinv.eliashberg.gap2a2f.inference import load_models, predict_gap, read_gap

    table_outputs(args.output, args.plot, inputs=[args.gap, *(args.model or [])])
    if args.temperature is not None and not 0 < args.temperature < 1e3:
        raise ParameterError(f"--temperature must lie in (0, 1e3) K, got {args.temperature}")
    if args.mu_star is not None and not 0 <= args.mu_star < 0.5:
        raise ParameterError(f"--mu-star must lie in [0, 0.5), got {args.mu_star}")
    t0 = time.perf_counter()
    models = load_models(args.model)
    meta = models[0].meta
    temp = meta["temperature_K"] if args.temperature is None else args.temperature
    mu = meta["mu_star"] if args.mu_star is None else args.mu_star
    omega, delta = read_gap(args.gap)
    res = {"command": "eliashberg invert", "input": str(args.gap),
           "models": [str(p) for p in (args.model or [])] or "shipped default",
           "ensemble_size": len(models), "model_training": meta.get("training"),
           "temperature_K": temp, "mu_star": mu}
    try:
        a2f, std, info = predict_gap(models, omega, delta, temp, source=str(args.gap))
    except InputError as exc:
        if not args.refine:
            raise
        res["network"] = f"not applied: {exc}"
        return _physics_fit(args, res, omega, delta, temp, mu, None)
    res.update(domain_check={k: v for k, v in info.items() if k != "delta_mesh"},
               prediction_wall_s=time.perf_counter() - t0)
    w_a2f, mesh = np.asarray(meta["omega_a2f"]), np.asarray(meta["omega"])
    check = None
    if not args.no_resolve or args.refine:
        check = _resolve(res, a2f, w_a2f, mesh, info["delta_mesh"], temp, mu,
                         (meta.get("dataset") or {}).get("continuation") or "pade")
    if args.refine:
        start = None if check.failed else (w_a2f, a2f)
        res["network_check"] = res.pop("check")
        return _physics_fit(args, res, omega, delta, temp, mu, start, network=(w_a2f, a2f))
    cols = {"omega_meV": w_a2f, "a2f": a2f}
    if std is not None:
        cols["a2f_std"] = std
    _write(args, cols, res, mesh, info["delta_mesh"], std, check=check)
    msg = f"wrote {args.output}"
    if "lambda" in res:
        msg = (f"λ = {res['lambda']:.3f}, ω_log = {res['omega_log_meV']:.3f} meV, "
               f"T_c = {res['tc_K']:.3f} K, re-solve residual "
               f"{res['resolve_gap_residual']:.3f}; " + msg)
    print(msg)
    if args.no_resolve:
        print("not checked (--no-resolve): nothing tells whether this alpha2F reproduces the gap")
        return 0
    return report_verdict(check, args)


def _resolve(res: dict, a2f: np.ndarray, w_a2f: np.ndarray, mesh: np.ndarray,
             delta: np.ndarray, temp: float, mu: float, continuation: str):
    """Re-solve the network's answer; its figures go into ``res``, its Check is returned."""
    from specinv.eliashberg.gap2a2f.physics import gap_residual, resolve_check, solve_a2f

    sol = solve_a2f(a2f, w_a2f, mesh, temp, mu, continuation=continuation)
    res.update({"lambda": sol["lambda"], "omega_log_meV": sol["omega_log_meV"],
                "tc_K": sol["tc_K"], "superconducting": sol["superconducting"],
                "resolve_gap_residual": float(gap_residual(sol["delta"], delta)[0])})
    check = resolve_check(sol["delta"], delta)
    res["check"] = check.to_dict()
    return check


def _physics_fit(args: argparse.Namespace, res: dict, omega: np.ndarray, delta: np.ndarray,
                 temp: float, mu: float, start: tuple | None,
                 network: tuple | None = None) -> int:
    """``invert --refine``: fit α²F through the engine (λ free), write and report it."""
    from specinv.eliashberg.fit.gap_mu import fit_gap_evidence

    fit = fit_gap_evidence(omega, delta, temp, mu, start=start)
    from_network = start is not None and fit.info.get("start_kept", "given") == "given"
    if network is not None:
        res["network_lambda"] = res.pop("lambda", None)
    res.update({k: v for k, v in fit.figures.items()}, refine=fit.summary(),
               **{k: fit.info["blind"][k] for k in ("lambda_range", "omega_log_range_meV",
                                                    "blind_energy_meV") if "blind" in fit.info},
               **({"onset": fit.info["onset"]} if "onset" in fit.info else {}),
               method_used="physics fit" + (" from the network's answer" if from_network
                                            else " from a flat start (data's gap edge)"),
               check=fit.check.to_dict())
    if start is not None and not from_network:
        res["fallback_reason"] = (
            f"the fit from the network's answer failed (chi2/N "
            f"{fit.info['start_given_chi2_reduced']:.3g}); the flat start reproduced the gap "
            f"better (chi2/N {fit.info['start_flat_chi2_reduced']:.3g})")
    if start is None:
        res["fallback_reason"] = res.get("network") or (
            "the network's answer does not reproduce the gap (re-solve check failed)")
    cols = {"omega_meV": fit.omega, "a2f": fit.a2f, "a2f_std": fit.a2f_std}
    keep = omega > 0
    _write(args, cols, res, omega[keep], np.asarray(delta)[keep], fit.a2f_std, network,
           check=fit.check)
    f = fit.figures
    blind = fit.info.get("blind")
    span = "" if blind is None else (
        f"; answers as good with other weight below E_blind = "
        f"{blind['blind_energy_meV']:.2f} meV: λ {blind['lambda_range'][0]:.3f}-"
        f"{blind['lambda_range'][1]:.3f}, ω_log {blind['omega_log_range_meV'][0]:.3f}-"
        f"{blind['omega_log_range_meV'][1]:.3f} meV"
        + ("" if blind["bounded"] else " (not bounded by the data: Ω² onset assumed)"))
    onset = fit.info.get("onset")
    if onset is not None and onset["equally_good"]:
        span += (f"; as good with a linear α²F onset below E_onset = "
                 f"{onset['onset_energy_meV']:.2f} meV: λ {onset['lambda_alt']:.3f}, "
                 f"ω_log {onset['omega_log_alt_meV']:.3f} meV")
    print(f"{res['method_used']}: λ = {f['lambda']:.3f} ± {f['lambda_std']:.3f}, "
          f"ω_log = {f['omega_log_meV']:.3f} ± {f['omega_log_meV_std']:.3f} meV, "
          f"T_c = {f['tc_K']:.3f} ± {f['tc_K_std']:.3f} K{span} "
          f"({fit.occam.n_evaluations} engine solves, {fit.occam.wall_s:.1f} s); "
          f"wrote {args.output}")
    return report_verdict(fit.check, args)


def _write(args: argparse.Namespace, cols: dict, res: dict, mesh: np.ndarray,
           delta: np.ndarray, std: np.ndarray | None, network: tuple | None = None,
           check: Check | None = None) -> None:
    """Table + JSON (and the figure with ``--plot``, residuals of ``check`` included)."""
    from specinv.io.table import write_table

    extra = []
    if args.plot:
        from specinv.eliashberg.gap2a2f.plots import plot_inversion

        extra.append((args.plot, lambda tmp: plot_inversion(
            tmp, cols["omega_meV"], cols["a2f"], std, mesh, delta, res, network, check)))
    write_table(args.output, cols, res, extra=extra)

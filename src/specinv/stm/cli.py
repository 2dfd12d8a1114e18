"""``specinv stm``: simulate, train and run the impurity detector (seed 004)."""

from __future__ import annotations

import argparse
import functools
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.threads import compute_threads
from specinv.io.limits import check_array, check_count
from specinv.io.output import check_outputs, table_outputs
from specinv.io.report import add_verdict_argument
from specinv.stm.inputs import load_maps, load_stack

__all__ = ["load_maps", "load_stack", "register"]

#: largest simulated map side, pixels
MAX_SIM_SIZE = 4096


def _with_threads(handler: Callable[[argparse.Namespace], int]
                  ) -> Callable[[argparse.Namespace], int]:
    """Run ``handler`` under :func:`~specinv.core.threads.compute_threads` (``--threads``),
    refusing a count below 1 with a user message; the caller's thread count is restored."""
    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        import torch  # noqa: F401  (loaded first, so compute_threads limits its pool too)

        if args.threads < 1:
            raise ParameterError(f"--threads must be >= 1, got {args.threads}")
        with compute_threads(args.threads):
            return handler(args)

    return run


# -- simulate -------------------------------------------------------------------------
def _simulate(args: argparse.Namespace) -> int:
    from specinv.io.atomic import atomic_outputs

    table_outputs(args.output, sidecar=".json")
    check_count("--size", args.size, minimum=8)
    if args.size > MAX_SIM_SIZE:
        raise ParameterError(f"--size must be <= {MAX_SIM_SIZE} pixels, got {args.size}")
    check_count("--n-impurities", args.n_impurities, minimum=0)
    if args.n_impurities > args.size ** 2:
        raise ParameterError(f"--n-impurities must be <= --size² = {args.size ** 2}")
    rng = np.random.default_rng(args.seed)
    if args.model == "tmatrix":
        from specinv.stm.tmatrix import TMatrixConfig, simulate_tmatrix

        if not 0 < args.pixel_size < 1e4:
            raise ParameterError(f"--pixel-size must lie in (0, 1e4) Å, got {args.pixel_size}")
        if not (np.isfinite(args.bias_min) and np.isfinite(args.bias_max)
                and args.bias_max >= args.bias_min and args.bias_step > 0):
            raise ParameterError("need finite --bias-min <= --bias-max and --bias-step > 0")
        n_bias = int((args.bias_max - args.bias_min) / args.bias_step) + 1
        check_array("--bias-step", args.bias_step, (n_bias, args.size, args.size),
                    what="map stack")
        bias = tuple(float(v) for v in np.arange(args.bias_min, args.bias_max + 1e-9,
                                                 args.bias_step))
        if len(bias) < 1 or min(bias) <= -520.0:
            raise ParameterError("--bias-min/--bias-max must span energies above -520 mV")
        cfg = TMatrixConfig(shape=(args.size, args.size), pixel_size_A=args.pixel_size,
                            n_impurities=args.n_impurities, bias_mV=bias,
                            outside_density=args.n_impurities / args.size**2)
        d = simulate_tmatrix(rng, cfg)
        maps, bias_mv, pos, meta = d["maps"], d["bias_mV"], d["positions"], d["config"]
        extra = {"kf_per_px": d["kf_per_px"]}
    else:
        from specinv.stm.friedel import FriedelConfig, friedel_maps

        check_count("--n-bias", args.n_bias)
        check_array("--n-bias", args.n_bias, (args.n_bias, args.size, args.size),
                    what="map stack")
        if not (0 < args.kf <= np.pi and 0 <= args.eta < 1e3):
            raise ParameterError("--kf must lie in (0, π] rad/pixel and --eta in [0, 1e3)")
        cfg = FriedelConfig(tile=args.size, n_bias=args.n_bias, noise_eta=args.eta)
        pos = rng.integers(0, args.size, (args.n_impurities, 2)).astype(float)
        kf = args.kf * (1 + cfg.kf_spread * rng.uniform(-1, 1, args.n_bias))
        amp = rng.uniform(*cfg.amplitude_range, (args.n_bias, len(pos)))
        ph = rng.uniform(0, 2 * np.pi, (args.n_bias, len(pos)))
        maps = friedel_maps((args.size, args.size), pos, kf, amp, ph, cfg.epsilon)
        maps = (maps + args.eta * rng.standard_normal(maps.shape)).astype(np.float32)
        bias_mv = np.arange(args.n_bias, dtype=float)
        meta = {**cfg.to_dict(), "kf0": args.kf}
        extra = {"kf_per_px": kf}
    out = Path(args.output)
    with atomic_outputs([out, out.with_suffix(".json")], [".npz", None]) as (tmp, tmp_json):
        np.savez_compressed(tmp, maps=maps, bias_mV=bias_mv, positions=np.asarray(pos), **extra)
        tmp_json.write_text(json.dumps({"simulator": args.model, "seed": args.seed,
                                        "config": meta}, indent=2, default=float))
    print(f"wrote {out} ({maps.shape[0]} biases, {maps.shape[1]} x {maps.shape[2]} px, "
          f"{len(pos)} impurities)")
    return 0


# -- train ----------------------------------------------------------------------------
@_with_threads
def _train(args: argparse.Namespace) -> int:
    from specinv.stm.detector import default_model_path
    from specinv.stm.train import TrainSettings, settings_variant, train_detector

    if args.output is not None:
        stem = Path(args.output).with_suffix("")
        check_outputs([("--output", stem.with_suffix(".pt")),
                       ("--output's metadata file", stem.with_suffix(".json")),
                       ("--checkpoint", args.checkpoint)], inputs=args.unlabeled or [])
    if args.default:
        from specinv.stm.train_default import train_default

        train_default(output=args.output, progress=not args.quiet)
        return 0
    if args.output is None:
        raise ParameterError("--output MODEL is required (or use --default)")
    if args.epochs < 1 or args.steps < 1:
        raise ParameterError("--epochs and --steps must be >= 1")
    if args.alpha < 0:
        raise ParameterError(f"--alpha must be >= 0, got {args.alpha}")
    unl = [load_maps(u, args.channel)[0] for u in (args.unlabeled or [])]
    s = settings_variant(TrainSettings(), kind=args.kind, alpha=args.alpha,
                         noise=not args.no_noise, epochs=args.epochs,
                         steps_per_epoch=args.steps, seed=args.seed,
                         friedel={"noise_eta": args.eta})
    det, hist = train_detector(s, unlabeled=unl or None, progress=not args.quiet,
                               checkpoint=args.checkpoint)
    det.metadata["unlabeled_files"] = list(args.unlabeled or [])
    path = det.save(args.output)
    print(f"wrote {path} (threshold {det.threshold:.3f}, "
          f"{hist['total_wall_time_s']:.0f} s); default model: {default_model_path()}.pt")
    return 0


# -- adapt ----------------------------------------------------------------------------
@_with_threads
def _adapt(args: argparse.Namespace) -> int:
    if any(Path(args.output).resolve() == Path(m).resolve() for m in args.maps):
        raise ParameterError(f"--output {args.output} names an input map; give a new path "
                             "stem for the adapted detector")
    stem = Path(args.output).with_suffix("")
    check_outputs([("--output", stem.with_suffix(".pt")),
                   ("--output's metadata file", stem.with_suffix(".json")),
                   ("--checkpoint", args.checkpoint)], inputs=args.maps)
    if args.epochs < 1 or args.steps < 1:
        raise ParameterError("--epochs and --steps must be >= 1")
    if not 0 <= args.alpha < 1e3:
        raise ParameterError(f"--alpha must lie in [0, 1e3), got {args.alpha}")
    maps = [load_maps(m, args.channel)[0] for m in args.maps]
    from specinv.stm.adapt import adapt_detector
    from specinv.stm.detector import Detector, load_default
    from specinv.stm.tiling import validate_maps

    base = Detector.load(args.model) if args.model else load_default()
    for m, name in zip(maps, args.maps, strict=True):
        validate_maps(m, min_bias=base.min_bias, tile=base.tile, source=name)
    det, hist = adapt_detector(base, maps, epochs=args.epochs, steps=args.steps,
                               alpha=args.alpha, seed=args.seed, checkpoint=args.checkpoint,
                               progress=not args.quiet)
    det.metadata["unlabeled_files"] = list(args.maps)
    path = det.save(stem, recipe="specinv stm adapt")
    print(f"wrote {path} (adapted on {len(maps)} map(s), {hist['total_wall_time_s']:.0f} s)")
    return 0


# -- detect ---------------------------------------------------------------------------
def _threshold_arg(text: str) -> float | str:
    """``--threshold``: a number or ``auto``."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'auto', got {text!r}") from None


def _plot(path: str, maps: np.ndarray, pos: np.ndarray, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = maps - maps.mean(axis=(1, 2), keepdims=True)
    m = (m / (m.std(axis=(1, 2), keepdims=True) + 1e-12)).mean(axis=0)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.imshow(m, cmap="gray", origin="upper")
    if len(pos):
        ax.plot(pos[:, 1], pos[:, 0], "s", mfc="none", mec="r", ms=7)
    ax.set_title(title)
    ax.set_xlabel("col (px)")
    ax.set_ylabel("row (px)")
    fig.savefig(path, dpi=120, bbox_inches="tight", format="png")
    plt.close(fig)


@_with_threads
def _detect(args: argparse.Namespace) -> int:
    from specinv.io.table import write_table

    table_outputs(args.output, args.plot, inputs=list(args.input))
    if args.classical and args.no_confirm:
        raise ParameterError("--no-confirm applies to the network (its sites below the "
                             "threshold confirmed by the matched filter); drop --classical "
                             "or --no-confirm")
    if args.threshold == "auto":
        if args.classical:
            raise ParameterError("--threshold auto needs the network (the matched filter's "
                                 "threshold comes from the map's own peaks): drop --classical "
                                 "or give a number")
    elif args.threshold is not None and not (np.isfinite(args.threshold)
                                             and (args.classical or args.threshold > 0)):
        raise ParameterError(f"--threshold must be finite (and > 0 for a network: a score "
                             f"threshold <= 0 accepts every local maximum), got {args.threshold}")
    maps, bias = load_stack(args.input, args.channel)
    source = args.input[0] if len(args.input) == 1 else f"{args.input[0]} (+{len(args.input) - 1})"
    if args.kf_per_px is not None:
        lo = 2 * np.pi / max(maps.shape[1:])
        if not lo <= args.kf_per_px <= np.pi:
            raise ParameterError(f"--kf-per-px must lie in [{lo:.3g}, π] rad/pixel (at least "
                                 "one Friedel wavelength across the map, at most the Nyquist "
                                 f"limit), got {args.kf_per_px:g}")
    from specinv.io.report import report_verdict
    from specinv.stm.detector import Detector, load_default  # torch: after the input checks
    from specinv.stm.verdict import detect_checked

    if args.classical:
        det = Detector.classical(threshold=args.threshold)
    else:
        det = Detector.load(args.model) if args.model else load_default()
    t0 = time.perf_counter()
    if args.no_confirm:
        det.confirm = False
    res = detect_checked(det, maps, kf_per_px=args.kf_per_px, threshold=args.threshold,
                         source=source)
    seconds = time.perf_counter() - t0
    assert res.check is not None
    meta = {"input": args.input, "n_bias": int(maps.shape[0]), "shape": list(maps.shape[1:]),
            "bias_mV": [float(bias.min()), float(bias.max())],
            "model": "classical" if args.classical else (args.model or "default"),
            "parameters": {"kf_per_px": args.kf_per_px, "threshold": args.threshold,
                           "confirm": det.confirm,
                           "channel": args.channel, "threads": args.threads},
            "detection": res.info, "seconds": seconds, "n_detections": len(res.positions),
            "check": res.check.to_dict()}
    title = f"{len(res.positions)} impurities ({res.check.verdict})"
    extra = [(args.plot, lambda tmp: _plot(tmp, maps, res.positions, title))] if args.plot else []
    write_table(args.output, {"row": res.positions[:, 0], "col": res.positions[:, 1],
                              "score": res.scores}, meta, fmt="%.6g", extra=extra)
    print(f"{len(res.positions)} impurities -> {args.output} ({seconds:.2f} s)")
    return report_verdict(res.check, args)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``stm simulate | train | adapt | detect`` to the ``specinv`` subcommands.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The ``specinv`` subcommands.
    """
    p = sub.add_parser("stm", help="impurity detection in multi-bias STM maps",
                       description=__doc__)
    ss = p.add_subparsers(dest="stm_command", metavar="ACTION", required=True)

    s = ss.add_parser("simulate", help="simulate a multi-bias map with known impurities")
    s.add_argument("--model", choices=("tmatrix", "friedel"), default="tmatrix",
                   help="T-matrix 2DEG (Au(111)) or the Friedel training formula "
                        "(default: %(default)s)")
    s.add_argument("--output", required=True, help="output .npz (maps, bias_mV, positions)")
    s.add_argument("--size", type=int, default=80, help="map side in pixels (default %(default)s)")
    s.add_argument("--n-impurities", type=int, default=20,
                   help="impurities per map (default %(default)s)")
    s.add_argument("--pixel-size", type=float, default=375 / 80,
                   help="tmatrix: Å per pixel (default %(default)s)")
    s.add_argument("--bias-min", type=float, default=-230.0,
                   help="tmatrix: lowest bias in mV (default %(default)s)")
    s.add_argument("--bias-max", type=float, default=20.0,
                   help="tmatrix: highest bias in mV (default %(default)s)")
    s.add_argument("--bias-step", type=float, default=2.0,
                   help="tmatrix: bias step in mV (default %(default)s)")
    s.add_argument("--n-bias", type=int, default=16,
                   help="friedel: number of maps (default %(default)s)")
    s.add_argument("--kf", type=float, default=0.75,
                   help="friedel: k_F0 in rad/pixel (default %(default)s)")
    s.add_argument("--eta", type=float, default=0.8,
                   help="friedel: white-noise width, relative to the maps scaled to [-1, 1] "
                        "(default %(default)s)")
    s.add_argument("--seed", type=int, default=0, help="seed (default %(default)s)")
    s.set_defaults(func=_simulate)

    t = ss.add_parser("train", help="train a detector on simulated Friedel maps")
    t.add_argument("--output",
                   help="model path stem, writes .pt and .json (default: none; required "
                        "unless --default)")
    t.add_argument("--default", action="store_true",
                   help="train the shipped default model with its recorded recipe (an "
                        "ensemble of two networks, trained in parallel processes)")
    t.add_argument("--unlabeled", nargs="+", metavar="MAPS",
                   help="unlabeled maps (.npz/.3ds) for the confidence regularizer "
                        "(default: none)")
    t.add_argument("--alpha", type=float, default=0.03,
                   help="confidence regularizer weight, dimensionless (default %(default)s)")
    t.add_argument("--no-noise", action="store_true", help="disable noise augmentation")
    t.add_argument("--eta", type=float, default=0.8,
                   help="noise augmentation width, relative to the maps scaled to [-1, 1] "
                        "(default %(default)s)")
    t.add_argument("--kind", choices=("attention", "cnn"), default="attention",
                   help="network: attention detector or plain CNN (default: %(default)s)")
    t.add_argument("--epochs", type=int, default=10, help="epochs (default %(default)s)")
    t.add_argument("--steps", type=int, default=100, help="steps per epoch (default %(default)s)")
    t.add_argument("--seed", type=int, default=0, help="seed (default %(default)s)")
    t.add_argument("--channel", help=".3ds: dI/dV channel name (default: the lock-in channel)")
    t.add_argument("--checkpoint", help="checkpoint file (resume if it exists; default: none)")
    t.add_argument("--threads", type=int, default=1, help="torch CPU threads (default %(default)s)")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=_train)

    _register_adapt(ss)

    _register_detect(ss)


def _register_detect(ss: argparse._SubParsersAction) -> None:
    """Add ``stm detect`` to the ``stm`` actions."""
    d = ss.add_parser("detect", help="detect impurities in a .3ds or .npz map stack")
    d.add_argument("input", nargs="+",
                   help=".npz (maps (n_bias,H,W), bias_mV), a Nanonis .3ds grid, or Nanonis "
                        ".sxm scans of one area (one file per bias, bias from the header)")
    d.add_argument("--output", required=True, help="CSV with header row,col,score (+ .json)")
    d.add_argument("--plot",
                   help="PNG of the bias-averaged map with detections (default: no figure)")
    d.add_argument("--model", help="model path stem (default: shipped model)")
    d.add_argument("--classical", action="store_true", help="use the matched-filter baseline")
    d.add_argument("--channel",
                   help=".3ds/.sxm: dI/dV channel (default: first lock-in channel)")
    d.add_argument("--kf-per-px", type=float,
                   help="k_F in rad/pixel (default: from the Fourier ring)")
    d.add_argument("--threshold", type=_threshold_arg,
                   help="score threshold (network: a dimensionless logit, default the "
                        "model's validated one; lower sites are kept only when confirmed, "
                        "see --no-confirm; 'auto': chosen on T-matrix maps simulated "
                        "at run time with this input's size, bias count and k_F, cached per "
                        "format; with --classical, log energy, default: median + 3 robust std "
                        "of the map's own peak scores)")
    d.add_argument("--no-confirm", action="store_true",
                   help="network: keep only the sites at or above the threshold (default: "
                        "also sites above median + 4.5 robust std of the map's own network "
                        "peaks that a matched-filter peak confirms within 1.5 px and that "
                        "lie 3.5 px or more from a stronger site, and matched-filter sites "
                        "above median + 2.5 robust std of its peaks with no network maximum "
                        "within 2 px that a local fit of the network's sites needs: mean "
                        "delta chi^2 per bias >= 24)")
    d.add_argument("--threads", type=int, default=1, help="torch CPU threads (default %(default)s)")
    add_verdict_argument(d)
    d.set_defaults(func=_detect)


def _register_adapt(ss: argparse._SubParsersAction) -> None:
    """Add ``stm adapt`` to the ``stm`` actions."""
    a = ss.add_parser("adapt", help="adapt a detector to your own unlabeled maps "
                                     "(confidence regularizer; resumable)")
    a.add_argument("maps", nargs="+", metavar="MAPS",
                   help="unlabeled map stacks (.npz with maps, bias_mV; or Nanonis .3ds)")
    a.add_argument("--output", required=True, help="adapted model path stem (.pt + .json)")
    a.add_argument("--model", help="detector to start from (default: the shipped model)")
    a.add_argument("--epochs", type=int, default=5, help="epochs (default 5)")
    a.add_argument("--steps", type=int, default=100, help="steps per epoch (default 100)")
    a.add_argument("--alpha", type=float, default=0.03,
                   help="confidence regularizer weight, dimensionless (default 0.03)")
    a.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    a.add_argument("--channel", help=".3ds: dI/dV channel (default: first lock-in channel)")
    a.add_argument("--checkpoint",
                   help="checkpoint file, written every epoch; an existing one resumes "
                        "(default: none)")
    a.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    a.add_argument("--quiet", action="store_true", help="no progress bar")
    a.set_defaults(func=_adapt)

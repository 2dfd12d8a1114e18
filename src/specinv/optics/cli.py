"""``specinv optics``: optical scattering rate 1/τ(ω) → electron-boson glue I²χ(Ω).

Subcommands: ``invert`` (any registered method; learned ones use the shipped
weights; reads 1/τ(ω), or σ/ε/n through the extended Drude analysis),
``drude`` (σ, ε or n → 1/τ(ω), m*/m(ω)), ``kk`` (reflectivity → σ by
Kramers–Kronig), ``simulate`` (1/τ of a model glue through the Shulga kernel)
and ``train`` (train rrim/fcn/cnn weights on a generated data set).
Default meshes: glue on Ω = 4…400 meV (100 cells), T = 100 K; see
``specinv.optics.setup``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from specinv.core.errors import InputError, ParameterError
from specinv.core.units import CM1_PER_MEV
from specinv.io.limits import check_array, check_count, check_solver_options
from specinv.io.options import parse_options, positive_float
from specinv.io.output import check_output_dir, check_outputs, table_outputs
from specinv.io.report import add_verdict_argument, report_verdict
from specinv.optics.cli_frontend import add_source_arguments, register_frontend
from specinv.optics.optical_io import UNITS, read_scattering_rate

__all__ = ["read_scattering_rate", "register"]

LEARNED = ("rrim", "fcn", "cnn")
#: the data's highest ω must reach this fraction of the glue window (else: a unit mix-up)
MIN_DATA_REACH = 0.25
#: ... and stay below this multiple of it
MAX_DATA_REACH = 20.0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``optics invert | drude | kk | simulate | train`` to the ``specinv`` subcommands.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The ``specinv`` subcommands.
    """
    parser = sub.add_parser("optics", help="optical scattering rate -> electron-boson glue",
                            description=__doc__)
    osub = parser.add_subparsers(dest="optics_command", metavar="SUBCOMMAND", required=True)

    p = osub.add_parser("invert", help="glue function I²χ(Ω) from 1/τ(ω)")
    p.add_argument("input", metavar="INPUT",
                   help="text/CSV table, columns ω and 1/τ(ω) (the output of optics drude "
                        "as it is), or ω, σ₁, σ₂ (the output of optics kk; see --from)")
    p.add_argument("--temperature", type=float, required=True, help="temperature in K")
    p.add_argument("--method", default="rrim",
                   help="rrim, fcn, cnn, maxent, tikhonov, nnrs, allen, ... (default: %(default)s)")
    p.add_argument("--unit", choices=tuple(UNITS), default=None,
                   help="unit of ω (and of 1/τ, --sigma, --plasma-frequency, "
                        "--sum-rule-cutoff) (default: the header's omega_UNIT, else meV)")
    add_source_arguments(p)
    p.add_argument("--sigma", type=positive_float, default=None,
                   help="absolute error of 1/τ in --unit (default: estimated)")
    p.add_argument("--omega-max", type=positive_float, default=None, metavar="W",
                   help="invert only the data at ω ≤ W, in --unit, e.g. below the interband "
                        "onset (default: all the data)")
    p.add_argument("--option", action="append", metavar="KEY=VALUE",
                   help="solver option, repeatable: weights=MODEL.pt (your own trained model), "
                        "verify=false (raw network ensemble), band=bootstrap (a measured error "
                        "band), alpha_rule=... (default: none, the method's defaults)")
    p.add_argument("--glue-max", type=positive_float, default=400.0,
                   help="top of the glue mesh of classical methods, in meV (default 400)")
    p.add_argument("--n-glue", type=int, default=100,
                   help="glue mesh cells, points glue_max/n … glue_max (classical; default 100)")
    p.add_argument("--output", required=True, metavar="OUT.csv",
                   help="CSV output omega_meV,glue[,glue_std] (+ OUT.json)")
    p.add_argument("--plot", default=None, metavar="FIG.png",
                   help="also draw data, fit, glue and residuals (default: no figure)")
    add_verdict_argument(p)
    p.set_defaults(func=_invert)
    register_frontend(osub)

    p = osub.add_parser("simulate", help="1/τ(ω) of a model glue function")
    p.add_argument("--glue", choices=("mixture", "square", "triangle", "trapezoid",
                                      "broad_gaussian"), default="mixture",
                   help="glue family: the training prior's mixtures or the seed's test shapes "
                        "(default: %(default)s)")
    p.add_argument("--index", type=int, default=0, help="sample of the family (default 0)")
    p.add_argument("--temperature", type=positive_float, default=100.0, help="in K (default 100)")
    p.add_argument("--noise", type=float, default=0.0, help="relative σ (× max 1/τ; default 0)")
    p.add_argument("--unit", choices=("meV", "cm-1"), default="meV",
                   help="unit of both output columns (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="noise seed (default %(default)s)")
    p.add_argument("--output", required=True, metavar="F.csv",
                   help="CSV output: ω and 1/τ(ω) (+ F.json with the glue)")
    p.set_defaults(func=_simulate)
    _register_train(osub)


def _register_train(osub: argparse._SubParsersAction) -> None:
    """Add ``optics train``."""
    p = osub.add_parser("train", help="train rrim/fcn/cnn weights on generated data")
    p.add_argument("--model", choices=LEARNED, default="rrim",
                   help="network: recurrent inference machine, FCN or CNN (default: "
                        "%(default)s)")
    p.add_argument("--n", type=int, default=1000,
                   help="data set size N (0.8/0.1/0.1 split; default %(default)s)")
    p.add_argument("--noise", type=float, default=1e-3,
                   help="relative noise σ of the training set (× max 1/τ); the rRIM's "
                        "Landweber h = max(σ, 1e-8), so train at the noise of your spectra "
                        "(default 1e-3)")
    p.add_argument("--noise-levels", type=float, nargs="+", default=None, metavar="S",
                   help="mixed noise: each sample's σ drawn from these levels, for a "
                        "noise-conditioned rRIM (σ relative, enters as an input; replaces "
                        "--noise; default: none)")
    p.add_argument("--temperatures", type=positive_float, nargs="+", default=[100.0],
                   metavar="K",
                   help="training temperatures in K (several: temperature-range model; "
                        "default %(default)s)")
    p.add_argument("--scale-equivariant", action="store_true",
                   help="train on spectra divided by max 1/τ / 300 meV (glues alike): the "
                        "model is exactly scale-equivariant (default: off)")
    p.add_argument("--epochs", type=int, default=60, help="training epochs (default %(default)s)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the data and the weights (default %(default)s)")
    p.add_argument("--cache-dir", required=True, help="where data sets are cached")
    p.add_argument("--checkpoint", default=None,
                   help="checkpoint file (resumes if present; default: none)")
    p.add_argument("--output", required=True, metavar="MODEL.pt",
                   help="weights file (+ MODEL.json with the recipe); use it with "
                        "'optics invert --option weights=MODEL.pt'")
    p.set_defaults(func=_train)


def _invert(args: argparse.Namespace) -> int:
    from specinv.core.mesh import Mesh
    from specinv.core.problem import Problem
    from specinv.io.table import write_table
    from specinv.kernels.shulga import ShulgaKernel
    from specinv.optics.cli_frontend import scattering_rate_input
    from specinv.optics.setup import MAXENT_OPTIONS, OpticsSetup
    from specinv.solvers.base import get_solver

    table_outputs(args.output, args.plot, inputs=[args.input])
    if not 0 < args.temperature < 1e4:
        raise ParameterError(f"--temperature must lie in (0, 1e4) K, got {args.temperature}")
    check_count("--n-glue", args.n_glue, minimum=10)
    options = parse_options(args.option)
    w, g, source = scattering_rate_input(args)
    w, g = _crop(w, g, args.omega_max, source, args.input)
    check_solver_options(options, get_solver(args.method).defaults)
    check_array("--n-glue", args.n_glue, (w.size, args.n_glue), what="kernel")
    if args.method == "maxent":
        options = {**MAXENT_OPTIONS, **options}
    solver = get_solver(args.method, **options)
    if args.method in LEARNED:
        mesh = solver.load_models()[0].setup.mesh()
    else:
        setup = OpticsSetup()
        if not args.glue_max > setup.glue_min + 10:
            raise ParameterError(f"--glue-max must exceed {setup.glue_min + 10:g} meV")
        # n cells of width d = glue_max/n tiling [d/2, glue_max + d/2] (the default
        # 400 meV / 100 is the models' mesh); the first edge stays above Ω = 0
        mesh = Mesh.uniform(args.glue_max / args.n_glue, args.glue_max, args.n_glue)
    _check_reach(w, float(mesh.points[-1]), args.input, source["input_unit"])
    unit = source["input_unit"]
    sigma = None if args.sigma is None else args.sigma * UNITS[unit]
    kernel = ShulgaKernel(w, mesh, temperature=args.temperature)
    problem = Problem(kernel, g, sigma=sigma, name=args.input)
    result = solver.solve(problem)
    cols = {"omega_meV": result.omega, "glue": result.spectrum}
    if result.spectrum_std is not None:
        cols["glue_std"] = result.spectrum_std
    if result.spectrum_band95 is not None:
        cols["glue_band95"] = result.spectrum_band95
    meta = {"command": "optics invert", "input": str(Path(args.input)), "input_unit": unit,
            "input_source": source,
            "temperature_K": args.temperature, "kernel": kernel.describe(), **result.metadata()}
    title = f"{Path(args.input).name}: {args.method}, T = {args.temperature:g} K"
    extra = [(args.plot, lambda tmp: _plot(tmp, w, g, result, title))] if args.plot else []
    write_table(args.output, cols, meta, extra=extra)
    used = result.hyperparameters.get("method_used")
    how = f" ({used}: {result.hyperparameters['fallback_reason']})" if (
        used and "fallback_reason" in result.hyperparameters) else f" ({used})" if used else ""
    print(f"wrote {args.output}: {args.method}{how}, χ²/N = {result.chi2_reduced:.3g} "
          f"({result.wall_time_s:.3f} s)")
    return report_verdict(result.check, args)


def _check_reach(w: np.ndarray, glue_max: float, path: str, unit: str) -> None:
    """Refuse data whose frequency range contradicts the unit (cm-1 vs meV mix-up)."""
    top = float(w[-1])
    other = "meV" if unit != "meV" else "cm-1"
    if top < MIN_DATA_REACH * glue_max:
        raise InputError(f"omega reaches only {top:.3g} meV (read as {unit}), less than "
                         f"{MIN_DATA_REACH:g} of the glue window up to {glue_max:g} meV: is "
                         f"the file in {other} (--unit {other})? Otherwise lower --glue-max",
                         path)
    if top > MAX_DATA_REACH * glue_max:
        raise InputError(f"omega reaches {top:.3g} meV (read as {unit}), "
                         f"{MAX_DATA_REACH:g}× the glue window up to {glue_max:g} meV: is "
                         f"the file in {other} (--unit {other})? Otherwise crop it with "
                         "--omega-max", path)


def _crop(w: np.ndarray, g: np.ndarray, omega_max: float | None, source: dict,
          path: str) -> tuple[np.ndarray, np.ndarray]:
    """The data at ω ≤ ``--omega-max`` (given in the input unit); all when None."""
    if omega_max is None:
        return w, g
    top = omega_max * UNITS[source["input_unit"]]
    keep = w <= top
    if keep.sum() < 5:
        raise ParameterError(f"--omega-max {omega_max:g} {source['input_unit']} leaves "
                             f"{int(keep.sum())} rows of {path}; at least 5 are needed")
    source["omega_max_meV"] = top
    return w[keep], g[keep]


def _plot(path: str, w: np.ndarray, g: np.ndarray, result: object, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(10, 5))
    grid = fig.add_gridspec(2, 2, height_ratios=(3, 1))
    ax = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[:, 1])]
    ax[0].plot(w, g, "k.", ms=3, label="data")
    ax[0].plot(w, result.fitted, "C3-", label="reconstruction")
    ax[0].set(ylabel="1/τ(ω) (meV)")
    ax[0].legend()
    result.check.plot_residuals(fig.add_subplot(grid[1, 0], sharex=ax[0]), w,
                                xlabel="ω (meV)")
    ax[1].plot(result.omega, result.spectrum, "C3-")
    if result.spectrum_band95 is not None:
        ax[1].fill_between(result.omega, result.spectrum - result.spectrum_band95,
                           result.spectrum + result.spectrum_band95, color="C3", alpha=0.15)
    if result.spectrum_std is not None:
        ax[1].fill_between(result.omega, result.spectrum - result.spectrum_std,
                           result.spectrum + result.spectrum_std, color="C3", alpha=0.3)
    ax[1].set(xlabel="Ω (meV)", ylabel="I²χ(Ω)", title=title)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def _simulate(args: argparse.Namespace) -> int:
    from specinv.io.table import write_table
    from specinv.optics.dataset import add_noise
    from specinv.optics.glue import gaussian_mixtures, ood_sets
    from specinv.optics.setup import OpticsSetup

    table_outputs(args.output)
    if not 0 <= args.noise < 1e3:
        raise ParameterError(f"--noise must lie in [0, 1e3), got {args.noise}")
    if not args.temperature < 1e4:
        raise ParameterError(f"--temperature must be < 1e4 K, got {args.temperature}")
    if not 0 <= args.index < 1000:
        raise ParameterError(f"--index must lie in 0..999, got {args.index}")
    setup = OpticsSetup(temperature=args.temperature)
    om = setup.mesh().points
    if args.glue == "mixture":
        x = gaussian_mixtures(om, args.index + 1, np.random.default_rng([args.seed, 1]))
    else:
        x = ood_sets(om)[args.glue]
    if not 0 <= args.index < len(x):
        raise ParameterError(f"--index must be in 0..{len(x) - 1} for --glue {args.glue}")
    glue = x[args.index]
    y = add_noise(setup.kernel().forward(glue)[None], args.noise,
                  np.random.default_rng([args.seed, 2]))[0]
    f = CM1_PER_MEV if args.unit == "cm-1" else 1.0
    unit = "cm-1" if args.unit == "cm-1" else "meV"
    write_table(args.output, {f"omega_{unit}": setup.omega() * f, f"inv_tau_{unit}": y * f},
                {"command": "optics simulate", "glue": args.glue, "index": args.index,
                 "temperature_K": args.temperature, "noise": args.noise, "seed": args.seed,
                 "glue_omega_meV": om.tolist(), "glue_true": glue.tolist(),
                 "setup": setup.to_dict()})
    print(f"wrote {args.output} ({y.size} points)")
    return 0


def _train(args: argparse.Namespace) -> int:
    from specinv.optics.dataset import build_dataset
    from specinv.optics.train import ModelConfig, train_model

    table_outputs(args.output)  # MODEL.pt and MODEL.json
    check_outputs([("--checkpoint", args.checkpoint)], inputs=[args.output])
    check_output_dir("--cache-dir", args.cache_dir)
    check_count("--epochs", args.epochs)
    check_count("--n", args.n, minimum=10)
    levels = None if args.noise_levels is None else tuple(args.noise_levels)
    if levels is not None:
        if args.model != "rrim":
            raise ParameterError(f"--noise-levels trains a noise-conditioned rRIM; "
                                 f"--model {args.model} takes one --noise")
        if not all(np.isfinite(v) and 0.0 <= v < 1.0 for v in levels):
            raise ParameterError(f"--noise-levels must lie in [0, 1), got {list(levels)}")
    elif not 0.0 <= args.noise < 1.0:
        raise ParameterError(f"--noise must lie in [0, 1), got {args.noise}")
    temps = tuple(args.temperatures)
    ds = build_dataset(args.n, noise=0.0 if levels else args.noise, seed=args.seed,
                       temperatures=temps, cache_dir=args.cache_dir, noise_levels=levels)
    cfg = ModelConfig(kind=args.model, epochs=args.epochs, seed=args.seed,
                      temperature_input=len(set(temps)) > 1 and args.model == "rrim",
                      noise_input=levels is not None, scale_input=args.scale_equivariant)
    model = train_model(ds, cfg, checkpoint=args.checkpoint, progress=True)
    model.save(args.output)
    h = model.history
    print(f"wrote {args.output}: {args.model}, best val MSE {h['best']:.3g} at epoch "
          f"{h['best_epoch']} ({h['train_seconds']:.0f} s)")
    return 0

"""``specinv sts``: simulate and deconvolve tunneling spectra."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from specinv.core.errors import ParameterError
from specinv.io.limits import check_array, check_count, check_solver_options
from specinv.io.options import nonnegative_float, parse_options, temperature_kelvin
from specinv.io.output import table_outputs
from specinv.io.report import add_verdict_argument, report_verdict
from specinv.sts import cli_map

#: most bias points of a simulated curve (a 1 µV step over ±500 mV)
MAX_SIM_BIAS = 1_000_000


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``sts simulate | deconvolve | deconvolve-map`` to the ``specinv`` subcommands.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The ``specinv`` subcommands.
    """
    parser = sub.add_parser("sts", help="tunneling spectra: simulate, deconvolve",
                            description="Finite-temperature scanning tunneling spectroscopy.")
    ssub = parser.add_subparsers(dest="sts_command", metavar="SUBCOMMAND", required=True)

    p = ssub.add_parser("simulate", help="simulate a noisy dI/dV curve of a model DOS")
    p.add_argument("--dos", choices=("bcs", "dynes", "dwave", "twogap"), default="bcs",
                   help="model DOS: BCS, Dynes-broadened BCS, d-wave or two gaps "
                        "(default: %(default)s)")
    p.add_argument("--gap", type=float, required=True, help="gap Δ in meV")
    p.add_argument("--gap2", type=float, default=None,
                   help="second gap of --dos twogap in meV (default: none)")
    p.add_argument("--gamma", type=nonnegative_float, default=0.0,
                   help="Dynes Γ in meV (default %(default)s)")
    p.add_argument("--temperature", type=float, required=True, help="temperature in K")
    p.add_argument("--lockin-rms", type=nonnegative_float, default=0.0, metavar="MV",
                   help="lock-in modulation rms amplitude in mV (default %(default)s)")
    p.add_argument("--noise", type=nonnegative_float, default=0.0,
                   help="relative noise, σ = noise · max dI/dV (default %(default)s)")
    p.add_argument("--bias-range", type=float, nargs=2, default=None, metavar=("LO", "HI"),
                   help="bias window in mV (default ±4Δ)")
    p.add_argument("--n-bias", type=int, default=401,
                   help="bias points (default %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="noise seed (default %(default)s)")
    p.add_argument("--output", required=True, metavar="F.csv",
                   help="CSV output bias_mV,didv (+ F.json with the parameters)")
    p.set_defaults(func=_simulate)

    p = ssub.add_parser("deconvolve", help="remove thermal/lock-in broadening from dI/dV")
    p.add_argument("input", metavar="INPUT",
                   help="two-column text/CSV (bias mV, dI/dV) or Nanonis .dat")
    p.add_argument("--temperature", type=float, required=True,
                   help="measurement temperature, in K (or meV with --temperature-unit meV)")
    p.add_argument("--temperature-unit", choices=("K", "meV"), default="K",
                   help="unit of --temperature: K, or meV for k_B T (default %(default)s)")
    p.add_argument("--lockin-rms", type=nonnegative_float, default=0.0, metavar="MV",
                   help="lock-in modulation rms amplitude in mV (default %(default)s)")
    p.add_argument("--method", default="auto",
                   help="auto (MaxEnt, or Tikhonov where MaxEnt's residuals are structured "
                        "and Tikhonov's fit passes its check), tsvd, tikhonov, maxent, som, "
                        "nnrs, ... (default: %(default)s)")
    p.add_argument("--option", action="append", metavar="KEY=VALUE",
                   help="solver option, repeatable (e.g. alpha_rule=bryan; default: none, "
                        "the method's defaults)")
    p.add_argument("--channel", default=None, help="Nanonis signal channel (default: lock-in X)")
    p.add_argument("--bias-channel", default=None,
                   help="Nanonis bias channel (default: 'Bias calc (V)', else the first "
                        "channel naming bias)")
    p.add_argument("--n-energy", type=int, default=None,
                   help="energy mesh points (default: as many as bias points, at most 1201)")
    p.add_argument("--sigma", type=float, default=None,
                   help="absolute error bar of dI/dV, in the unit of the dI/dV column "
                        "(default: estimated from the data)")
    p.add_argument("--output", required=True, metavar="OUT.csv",
                   help="CSV output energy_meV,dos[,dos_std] (+ OUT.json)")
    p.add_argument("--plot", default=None, metavar="FIG.png",
                   help="also draw data, fit, DOS and residuals (default: no figure)")
    add_verdict_argument(p)
    p.set_defaults(func=_deconvolve)

    cli_map.register(ssub)


def _simulate(args: argparse.Namespace) -> int:
    from specinv.io.table import write_table
    from specinv.sts.simulate import simulate_didv

    table_outputs(args.output)
    if not 0 < args.gap < 1e4:
        raise ParameterError(f"--gap must lie in (0, 1e4) meV, got {args.gap}")
    temperature_kelvin(args.temperature, "K")
    check_count("--n-bias", args.n_bias, minimum=10)
    if args.n_bias > MAX_SIM_BIAS:
        raise ParameterError(f"--n-bias must be <= {MAX_SIM_BIAS}, got {args.n_bias}")
    lo, hi = args.bias_range if args.bias_range else (-4 * args.gap, 4 * args.gap)
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise ParameterError("--bias-range needs finite LO < HI")
    sim = simulate_didv(args.dos, np.linspace(lo, hi, args.n_bias), gap=args.gap,
                        temperature=args.temperature, gamma=args.gamma, gap2=args.gap2,
                        lockin_rms=args.lockin_rms, noise=args.noise, seed=args.seed)
    write_table(args.output, {"bias_mV": sim.bias, "didv": sim.didv},
                {"command": "sts simulate", **sim.parameters, "sigma": sim.sigma})
    print(f"wrote {args.output} ({sim.bias.size} points, σ = {sim.sigma:.3g})")
    return 0


def _deconvolve(args: argparse.Namespace) -> int:
    from specinv.io.spectrum import read_spectrum
    from specinv.sts.checks import check_spectrum

    table_outputs(args.output, args.plot, inputs=[args.input])
    temperature = temperature_kelvin(args.temperature, args.temperature_unit)
    if args.sigma is not None and not 0 < args.sigma < np.inf:
        raise ParameterError(f"--sigma must be finite and > 0, got {args.sigma}")
    if args.n_energy is not None:
        check_count("--n-energy", args.n_energy, minimum=10)
    options = parse_options(args.option)
    spec = read_spectrum(args.input, channel=args.channel, bias_channel=args.bias_channel)
    check_spectrum(spec.bias_mV, spec.didv, temperature, args.lockin_rms, spec.source)
    # the solver and workflow imports (scipy.signal, torch for learned solvers) come only now
    from specinv.io.table import write_table
    from specinv.solvers import get_solver
    from specinv.sts.workflow import MAX_DEFAULT_MESH, deconvolve, default_energy_mesh

    try:
        solver = get_solver("maxent" if args.method == "auto" else args.method)
    except ParameterError as err:  # the registry's list, plus this command's own choice
        raise ParameterError(str(err).replace("valid methods: ", "valid methods: auto, ")) \
            from None
    check_solver_options(options, solver.defaults)
    n_bias = spec.bias_mV.size
    check_array("the input's bias count", n_bias, (n_bias, min(n_bias, MAX_DEFAULT_MESH)),
                what="kernel")
    mesh = None
    if args.n_energy is not None:
        check_array("--n-energy", args.n_energy, (n_bias, args.n_energy), what="kernel")
        mesh = default_energy_mesh(spec.bias_mV, temperature, args.lockin_rms, args.n_energy)
    result, summary = deconvolve(
        spec.bias_mV, spec.didv, temperature=temperature, method=args.method,
        lockin_rms=args.lockin_rms, sigma=args.sigma, mesh=mesh, name=spec.source, **options)
    cols = {"energy_meV": result.omega, "dos": result.spectrum}
    if result.spectrum_std is not None:
        cols["dos_std"] = result.spectrum_std
    if result.spectrum_band95 is not None:
        cols["dos_band95"] = result.spectrum_band95
    meta = {"command": "sts deconvolve", "input": str(Path(args.input)), "input_info": spec.info,
            "temperature_K": temperature, "lockin_rms_mV": args.lockin_rms, **result.metadata(),
            "runtime_s": result.wall_time_s, **summary}
    extra = []
    if args.plot:
        from specinv.sts.plots import plot_deconvolution

        title = f"{Path(args.input).name}: {result.method}, T = {temperature:g} K"
        extra.append((args.plot, lambda tmp: plot_deconvolution(
            tmp, spec.bias_mV, spec.didv, result, title=title)))
    write_table(args.output, cols, meta, extra=extra)
    neg, pos = summary["peaks_meV"]
    peaks = (f"coherence peaks at {neg:.4g} and {pos:.4g} meV" if np.isfinite([neg, pos]).all()
             else "no coherence peak inside the window" if np.isnan([neg, pos]).all()
             else f"one coherence peak, at {neg if np.isfinite(neg) else pos:.4g} meV")
    if result.method != args.method:
        print(f"note: {result.hyperparameters['method_reason']}")
    print(f"wrote {args.output}: {result.method}, χ²/N = {result.chi2_reduced:.3g}, "
          f"{peaks} ({result.wall_time_s:.2f} s)")
    return report_verdict(result.check, args)

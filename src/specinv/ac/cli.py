"""``specinv ac continue``: analytic continuation of imaginary-time / Matsubara data."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from specinv.core.errors import ParameterError
from specinv.io.limits import check_array, check_count, check_solver_options
from specinv.io.options import parse_options, positive_float
from specinv.io.output import table_outputs
from specinv.io.report import add_verdict_argument, report_verdict

#: accepted range of β · ω_max: below, the window is narrower than the temperature
#: scale the data resolve; above, the kernel vanishes on almost the whole window
BETA_OMEGA_RANGE = (0.5, 1e5)
#: most real-frequency points
MAX_N_OMEGA = 100_000

AC_DEFAULTS = {"maxent": {"alpha_rule": "chi2curv"}}
"""Solver options used for continuation unless given with --option: α at the maximum
curvature of log χ² against log α (TRIQS/maxent's and OmegaMaxEnt's rule), chosen by
``specinv bench ac --suite actest`` over the noise levels 1e-2, 1e-4, 1e-6 and on the
exact-answer QMC cases (with the Gaussian default model: U = 0 L1 0.048 against the exact
DOS, posterior 0.085; Holstein 0.330, posterior 0.364). It does not depend on the scale of
the error bars (the posterior and historic rules do). ``alpha_rule=posterior`` reproduces
ALPS's SrVO3 α."""


#: default model of MaxEnt on fermionic kernels (see :mod:`specinv.ac.default_model`): on
#: ``bench ac --suite actest`` STD_FG it raised f from 8.80 / 18.08 / 19.47 (flat) to
#: 11.01 / 18.35 / 19.47 at σ = 1e-2 / 1e-4 / 1e-6 with the chi2curv α at γ = 0.2
AC_DEFAULT_MODEL = "gaussian"


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ac continue`` to the ``specinv`` subcommands.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The ``specinv`` subcommands.
    """
    from specinv.ac.continuation import KERNELS
    from specinv.ac.correlated import add_arguments as add_correlated_arguments
    from specinv.ac.kinds import add_kind_arguments

    parser = sub.add_parser("ac", help="analytic continuation of imaginary-time data",
                            description="Analytic continuation of QMC data to real frequency.")
    asub = parser.add_subparsers(dest="ac_command", metavar="SUBCOMMAND", required=True)
    p = asub.add_parser(
        "continue", help="continue G(τ), G(iω_n), χ or Λ(τ) to a real-frequency spectrum",
        description="INPUT columns: tau, value[, error] for τ kernels; omega_n, Re, Im[, error] "
                    "(or five columns: Re, Im, err_Re, err_Im or ALPS's Re, err_Re, Im, "
                    "err_Im) for Matsubara kernels. Fermionic data in the physical sign "
                    "(G(τ) <= 0); the opposite sign is detected, flipped and reported.")
    p.add_argument("input", metavar="INPUT",
                   help="text/CSV table (any separator, # comments, optional header): columns "
                        "tau, value[, error] for τ kernels; omega_n, Re, Im[, error] for "
                        "Matsubara kernels; .npz or HDF5 for --kind self-energy|matrix")
    p.add_argument("--kernel", default=None, choices=KERNELS,
                   help="what the data are: fermionic G or bosonic χ on the τ or Matsubara "
                        "axis, or the current correlator Λ(τ) (conductivity-tau); required for "
                        "--kind g, implied by the data for the other kinds (default: none)")
    p.add_argument("--beta", required=True, type=positive_float,
                   help="inverse temperature β, in the inverse of the data's energy unit (e.g. "
                        "1/eV)")
    p.add_argument("--method", default="maxent",
                   help="maxent, tikhonov, tsvd, som, nnrs, aaa (Matsubara data precise to "
                        "~1e-6 or better), nevanlinna (causal interpolation of near-exact "
                        "G(iω_n)), auto (by the data's precision: aaa for fermionic "
                        "Matsubara data precise to 1e-5 relative to max|G| whose answer "
                        "reproduces them, else maxent; prints and records method_used) "
                        "(default: %(default)s)")
    p.add_argument("--option", action="append", metavar="KEY=VALUE",
                   help="solver option, repeatable (e.g. alpha_rule=bryan; default: "
                        "alpha_rule=chi2curv for maxent, else the method's defaults)")
    p.add_argument("--omega-max", type=positive_float, default=None, metavar="W",
                   help="real-frequency window [-W, W] ([0, W] for even spectra), in the "
                        "data's energy unit; default: from the data's moments")
    p.add_argument("--n-omega", type=int, default=None, metavar="N",
                   help="real-frequency points (default 201, 151 on the half axis; "
                        "doubled, at most twice, the new points where the answer bends, "
                        "while the answer misses the data with chi2/N > 2 or is not "
                        "resolved by its mesh (interpolation error > 5 %%); a given N is "
                        "kept)")
    p.add_argument("--default-model", default=None, metavar="MODEL",
                   help="MaxEnt default model (fermionic kernels): flat (normalized to the "
                        "data's zeroth moment), gaussian (mean and width from the data's "
                        "first and second moments), two-pass (Gaussian of a first flat-model "
                        "answer's moments), smoothed-answer (the gaussian answer blurred by a "
                        "Gaussian of width 2pi/beta in the data's energy unit, then solved "
                        "again at its alpha) or a FILE with columns omega, D(omega) in the "
                        "data's energy unit (default: gaussian for maxent on fermionic "
                        "kernels, falling back to flat where the moments are unusable; "
                        "flat otherwise)")
    p.add_argument("--signed", action="store_true",
                   help="the spectrum may change sign, e.g. an off-diagonal element G_ab; "
                        "plus-minus MaxEnt (methods maxent, tikhonov, tsvd; flat default "
                        "model at the data's scale only; data taken in the sign given, never "
                        "flipped; window from each end of the data, widened while the magnitude of "
                        "A does not decay at its edge) (default: off, the spectrum is >= 0)")
    p.add_argument("--output", required=True, metavar="OUT.csv",
                   help="CSV output omega,spectrum[,spectrum_std] (+ OUT.json)")
    p.add_argument("--plot", default=None, metavar="FIG.png",
                   help="also draw data, fit, spectrum and residuals (default: no figure)")
    add_verdict_argument(p)
    add_kind_arguments(p)
    add_correlated_arguments(p)
    p.set_defaults(func=_continue)


def _continue(args: argparse.Namespace) -> int:
    from specinv.ac.continuation import is_fermionic, is_tau
    from specinv.ac.kinds import run_kind, uses_kind_path
    from specinv.io.qmc import read_matsubara_input, read_tau_input
    from specinv.io.table import write_table
    from specinv.solvers import get_solver

    table_outputs(args.output, args.plot, inputs=[args.input])
    _check_default_model(args)
    _check_window(args)
    options = {**AC_DEFAULTS.get(args.method, {}), **parse_options(args.option)}
    errors = _correlated(args, options)
    if args.method == "auto" and (args.option or uses_kind_path(args) or errors is not None):
        raise ParameterError("--method auto takes no --option, --covariance or --bins and "
                             "applies to --kind g (a Green's function in a text table); name "
                             "a method instead")
    if uses_kind_path(args):  # --kind self-energy|matrix, HDF5 input: specinv.ac.kinds
        _check_kind_path(args, errors)
        check_solver_options(options, get_solver(args.method).defaults)
        return run_kind(args, options)
    if args.kernel is None:
        raise ParameterError("--kernel is required with --kind g (the default)")
    model = args.default_model or (AC_DEFAULT_MODEL if args.method == "maxent"
                                   and is_fermionic(args.kernel) and not args.signed else "flat")
    if args.signed:  # refused before anything is read: specinv.ac.signed
        from specinv.ac.signed import check_signed

        options = check_signed(args.method, args.kernel, model, options)
    fermionic = is_fermionic(args.kernel) and not args.signed  # signed data: never flipped
    if is_tau(args.kernel):
        data = read_tau_input(args.input, beta=args.beta, fermionic=fermionic)
    else:
        data = read_matsubara_input(args.input, fermionic=fermionic)
    if args.method != "auto":
        check_solver_options(options, get_solver(args.method).defaults)
    if args.n_omega is not None:
        n_data = data.points.size * (1 if data.imag is None else 2)
        check_array("--n-omega", args.n_omega, (n_data, args.n_omega), what="kernel")
    if args.method == "auto":  # by the data's precision: specinv.ac.auto
        from specinv.ac.auto import continue_auto
        from specinv.ac.measured import note_inflated

        model = args.default_model or AC_DEFAULT_MODEL
        setup, result, chosen = continue_auto(
            data, args.kernel, args.beta, omega_max=args.omega_max, n_omega=args.n_omega,
            default_model=model, maxent_options=AC_DEFAULTS["maxent"])
        print(f"method: {chosen['method_used']} ({chosen['method_reason']})")
        note_inflated(setup, result)
    else:
        from specinv.ac.measured import continue_measured

        setup, result = continue_measured(data, args.kernel, args.beta, method=args.method,
                                          options=options, omega_max=args.omega_max,
                                          n_omega=args.n_omega, default_model=model,
                                          errors=errors, signed=args.signed)
        chosen = {"method_used": args.method}
    cols = {"omega": result.omega, "spectrum": result.spectrum}
    if result.spectrum_std is not None:
        cols["spectrum_std"] = result.spectrum_std
    if result.spectrum_band95 is not None:
        cols["spectrum_band95"] = result.spectrum_band95
    meta = {"command": "ac continue", "input": str(Path(args.input)), "beta": args.beta,
            "kernel_name": args.kernel, "spectrum": "sigma(omega)"
            if args.kernel == "conductivity-tau" else "A(omega)",
            **result.metadata(), **setup.metadata(), "chi2": result.chi2,
            "alpha": result.hyperparameters.get("alpha"), "runtime_s": result.wall_time_s,
            "default_model_option": model, "signed": args.signed, **chosen}
    extra = [(args.plot, lambda tmp: _plot(tmp, setup, result, args))] if args.plot else []
    write_table(args.output, cols, meta, extra=extra)
    for note in setup.notes:
        print(f"note: {note}")
    alpha = result.hyperparameters.get("alpha")
    extra = f", α = {alpha:.3g}" if alpha is not None else ""
    print(f"wrote {args.output}: {args.method}, {args.kernel}, χ²/N = {result.chi2_reduced:.3g}"
          f"{extra}, ω ∈ [{result.omega[0]:.3g}, {result.omega[-1]:.3g}] "
          f"({result.wall_time_s:.2f} s)")
    return report_verdict(result.check, args)


def _check_kind_path(args: argparse.Namespace, errors: object) -> None:
    """Refuse the options of --kind g (a Green's function in a text table) given with
    --kind self-energy|matrix."""
    if errors is not None:
        raise ParameterError("--covariance and --bins apply to --kind g (a Green's "
                             "function in a text table); leave them out for this input")
    if args.default_model is not None or args.signed:
        raise ParameterError(f"--{'signed' if args.signed else 'default-model'} applies to "
                             "--kind g (a Green's function in a text table); leave it out for "
                             "this input")


def _correlated(args: argparse.Namespace, options: dict):
    """Read --covariance / --bins; with bins the band is the jackknife unless --option
    band=... says otherwise (``options`` is updated)."""
    from specinv.ac.correlated import read_correlated

    errors = read_correlated(args)
    if errors is not None and errors.bins is not None:
        options.setdefault("band", "jackknife")
    return errors


def _check_default_model(args: argparse.Namespace) -> None:
    """Refuse a --default-model that is neither a model name nor an existing file, or that
    is given with a method other than maxent."""
    from specinv.ac.default_model import MODELS

    spec = args.default_model
    if spec is None:
        return
    if spec not in MODELS and not Path(spec).is_file():
        raise ParameterError(f"--default-model must be one of {', '.join(MODELS)} or an "
                             f"existing file with columns omega, D(omega); got {spec!r}")
    if spec != "flat" and args.method not in ("maxent", "auto"):
        raise ParameterError(f"--default-model {spec} applies to --method maxent only "
                             f"(got --method {args.method})")


def _check_window(args: argparse.Namespace) -> None:
    """Refuse a frequency mesh that is empty, huge, or on a scale unrelated to β."""
    if args.n_omega is not None:
        check_count("--n-omega", args.n_omega, minimum=10)
        if args.n_omega > MAX_N_OMEGA:
            raise ParameterError(f"--n-omega must be <= {MAX_N_OMEGA}, got {args.n_omega}")
    if args.omega_max is not None:
        lo, hi = BETA_OMEGA_RANGE
        x = args.beta * args.omega_max
        if not lo <= x <= hi:
            raise ParameterError(
                f"--omega-max {args.omega_max:g} with --beta {args.beta:g} gives beta*omega_max "
                f"= {x:.3g}, outside [{lo:g}, {hi:g}]: the window is "
                f"{'narrower than the temperature' if x < lo else 'far beyond what τ data resolve'}"
                "; are both in the same energy unit?")


def _plot(path: str, setup, result, args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = setup.problem.kernel
    fig = plt.figure(figsize=(10, 5))
    grid = fig.add_gridspec(2, 2, height_ratios=(3, 1))
    a0, a1 = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[:, 1])
    index = np.arange(k.shape[0])
    a0.errorbar(index, setup.problem.data, yerr=setup.problem.noise(), fmt=".",
                ms=2, label="data")
    a0.plot(index, result.fitted, "-", lw=1, label="fit")
    a0.legend()
    result.check.plot_residuals(fig.add_subplot(grid[1, 0], sharex=a0), index,
                                xlabel="data index (τ or [Re; Im] ω_n)")
    a1.plot(result.omega, result.spectrum, "-")
    if result.spectrum_band95 is not None:
        a1.fill_between(result.omega, result.spectrum - result.spectrum_band95,
                        result.spectrum + result.spectrum_band95, alpha=0.15)
    if result.spectrum_std is not None:
        a1.fill_between(result.omega, result.spectrum - result.spectrum_std,
                        result.spectrum + result.spectrum_std, alpha=0.3)
    a1.set_xlabel("ω")
    a1.set_ylabel("σ(ω)" if args.kernel == "conductivity-tau" else "A(ω)")
    a1.set_title(f"{args.method}, χ²/N = {result.chi2_reduced:.3g}")
    fig.tight_layout()
    fig.savefig(path, dpi=100, format="png")
    plt.close(fig)

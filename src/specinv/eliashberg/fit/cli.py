"""``specinv eliashberg from-didv``: α²F (and μ*) from a measured SIN conductance.

    specinv eliashberg from-didv DIDV.csv --temperature K --output A2F.csv
                                 [--lockin-rms mV] [--gap-edge meV] [--mu-star MU]
                                 [--plot FIG.png] [--allow-fail]
"""

from __future__ import annotations

import argparse

import numpy as np

from specinv.core.errors import InputError, ParameterError
from specinv.io.output import table_outputs
from specinv.io.report import add_verdict_argument, report_verdict

#: highest accepted temperature (K): the conductance must show a gap
MAX_TEMPERATURE_K = 100.0
#: highest accepted lock-in modulation (mV rms)
MAX_LOCKIN_MV = 5.0


def register_fit(esub: argparse._SubParsersAction) -> None:
    """Add ``from-didv`` to ``specinv eliashberg``.

    Parameters
    ----------
    esub : argparse._SubParsersAction
        The ``eliashberg`` actions.
    """
    p = esub.add_parser("from-didv", help="fit α²F and μ* to a normalized SIN conductance "
                                          "through the Eliashberg engine")
    p.add_argument("didv", metavar="DIDV.csv",
                   help="two columns: bias in mV (increasing, covering the coherence peak "
                        "and the phonon region up to Δ₀ + the highest phonon energy) and "
                        "dI/dV normalized to the normal state")
    p.add_argument("--temperature", type=float, required=True,
                   help="temperature of the measurement in K")
    p.add_argument("--output", required=True, metavar="A2F.csv",
                   help="omega_meV,a2f,a2f_std (+ A2F.json: λ, ω_log, ω̄₂, T_c, μ* with "
                        "errors, the fitted and measured conductance, residuals, verdict)")
    p.add_argument("--lockin-rms", type=float, default=0.0, metavar="mV",
                   help="lock-in rms modulation in mV (default 0)")
    p.add_argument("--gap-edge", type=float, default=None, metavar="meV",
                   help="measured gap edge Δ₀ in meV, fitted as a datum with σ = 0.01 meV "
                        "(default: the coherence peak of the data is matched instead)")
    p.add_argument("--mu-star", type=float, default=None,
                   help="fix the Coulomb pseudopotential μ* (dimensionless) at this value "
                        "(default: fitted in [0, 0.3])")
    p.add_argument("--plot", metavar="FIG.png",
                   help="also plot α²F with its band, the conductance fit and residuals "
                        "(default: no figure)")
    add_verdict_argument(p)
    p.set_defaults(func=run_from_didv)


def _read(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Bias (mV) and conductance columns of a table, checked."""
    from specinv.io.table import read_columns

    table, _ = read_columns(path, min_columns=2, names=("bias_mV", "didv"))
    bias, g = table[:, 0], table[:, 1]
    if bias.size < 20:
        raise InputError(f"need at least 20 bias points, found {bias.size}", path)
    if np.any(np.diff(bias) <= 0):
        raise InputError("the bias column must be strictly increasing", path)
    if not 0.2 < float(np.median(g)) < 5.0 or float(np.min(g)) < -0.5:
        raise InputError("dI/dV must be normalized to the normal state (median ~1, values "
                         f">= -0.5 within noise); found median {float(np.median(g)):.3g}, "
                         f"min {float(np.min(g)):.3g}", path)
    return bias, g


def run_from_didv(args: argparse.Namespace) -> int:
    """Run ``specinv eliashberg from-didv``.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options.

    Returns
    -------
    int
        0, or 3 when the fit fails its check (without ``--allow-fail``).
    """
    from specinv.eliashberg.fit.didv import fit_didv
    from specinv.io.table import write_table

    table_outputs(args.output, args.plot, inputs=[args.didv])
    if not 0 < args.temperature <= MAX_TEMPERATURE_K:
        raise ParameterError(f"--temperature must lie in (0, {MAX_TEMPERATURE_K:g}] K, got "
                             f"{args.temperature}")
    if not 0 <= args.lockin_rms <= MAX_LOCKIN_MV:
        raise ParameterError(f"--lockin-rms must lie in [0, {MAX_LOCKIN_MV:g}] mV, got "
                             f"{args.lockin_rms}")
    if args.mu_star is not None and not 0 <= args.mu_star <= 0.3:
        raise ParameterError(f"--mu-star must lie in [0, 0.3], got {args.mu_star}")
    bias, g = _read(args.didv)
    fit = fit_didv(bias, g, args.temperature, lockin_rms=args.lockin_rms,
                   gap_edge_meV=args.gap_edge, mu_star=args.mu_star)
    res = {"command": "eliashberg from-didv", "input": str(args.didv),
           "temperature_K": args.temperature, "lockin_rms_mV": args.lockin_rms,
           "gap_edge_option_meV": args.gap_edge, "mu_star_option": args.mu_star,
           **fit.figures, "mu_star": fit.mu_star, "mu_star_std": fit.mu_star_std,
           "fit": fit.summary(), "check": fit.check.to_dict(),
           "conductance": {"bias_mV": bias, "measured": g, "fitted": fit.fitted,
                           "residual": fit.fitted - g}}
    extra = []
    if args.plot:
        from specinv.eliashberg.fit.plots import plot_didv_fit

        extra.append((args.plot, lambda tmp: plot_didv_fit(tmp, fit, bias, g)))
    write_table(args.output, {"omega_meV": fit.omega, "a2f": fit.a2f, "a2f_std": fit.a2f_std},
                res, extra=extra)
    f = fit.figures
    print(f"λ = {f['lambda']:.3f} ± {f['lambda_std']:.3f}, ω_log = {f['omega_log_meV']:.2f} ± "
          f"{f['omega_log_meV_std']:.2f} meV, T_c = {f['tc_K']:.2f} ± {f['tc_K_std']:.2f} K, "
          f"μ* = {fit.mu_star:.3f} ± {fit.mu_star_std:.3f} ({fit.occam.n_evaluations} engine "
          f"solves, {fit.occam.wall_s:.0f} s); wrote {args.output}")
    return report_verdict(fit.check, args)

"""``specinv eliashberg``: T_c, real-axis solution, and training sets from α²F.

Usage::

    specinv eliashberg tc A2F --mu-star MU [--json]
    specinv eliashberg solve A2F --mu-star MU --temperature K --output OUT.csv [--plot FIG.png]
    specinv eliashberg dataset --n N --output DIR [--workers W] [--scheduler ADDR]
    specinv eliashberg train --data DIR --output MODEL_DIR [--latent D] [--ensemble K]
    specinv eliashberg autoencoder --data DIR --output DIR [--latent 1 2 4 ...]
    specinv eliashberg invert GAP.csv --output A2F.csv [--plot FIG.png] [--model M.npz ...]
                              [--refine] [--mu-star MU]
    specinv eliashberg from-didv DIDV.csv --temperature K --output A2F.csv [--lockin-rms mV]
                                 [--gap-edge meV] [--mu-star MU] [--plot FIG.png]

A2F files: two columns (Ω in meV, α²F), or ``--unit THz`` for EPW-style files
with ``--column`` choosing the α²F column (1 = first after the energy).
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from specinv.core.errors import ParameterError
from specinv.eliashberg.engine.seed import SEED_SETUP
from specinv.io.limits import check_array, check_count
from specinv.io.output import check_output_dir, table_outputs

#: largest accepted Coulomb cutoff, in units of the highest phonon energy
MAX_CUTOFF_FACTOR = 1000.0
#: --n-matsubara may exceed the count the cutoff needs at T by at most this factor
MAX_MATSUBARA_FACTOR = 10
#: arrays of M x M floats the Matsubara setup holds at once (λ±, index tables)
MATSUBARA_ARRAYS = 5
#: arrays of (real-axis points x phonon bins) the real-axis iteration holds at once
REAL_AXIS_ARRAYS = 6


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("a2f", metavar="A2F", help="α²F file (Ω, α²F columns)")
    p.add_argument("--mu-star", type=float, required=True,
                   help="Coulomb pseudopotential μ*, dimensionless (e.g. 0.1)")
    p.add_argument("--unit", default=None, choices=["meV", "THz", "eV"],
                   help="unit of the energy column (default: the unit the file's header "
                        "names, e.g. EPW's '# E (THz)', else meV)")
    p.add_argument("--column", type=int, default=1,
                   help="α²F column to use, 1 = first after the energy (default 1)")
    p.add_argument("--cutoff", type=float, default=None,
                   help="Matsubara/Coulomb cutoff ω_c in meV (default 10 × highest phonon)")
    p.add_argument("--no-rescale-mu", action="store_true",
                   help="use μ* as given instead of rescaling it to the cutoff")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``eliashberg`` actions to the ``specinv`` subcommands.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The ``specinv`` subcommands.
    """
    parser = sub.add_parser("eliashberg", help="Migdal-Eliashberg solver, T_c, data sets",
                            description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    esub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    p = esub.add_parser("tc", help="critical temperature, λ, ω_log, ω̄₂, Allen–Dynes T_c")
    _common(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=run_tc)

    p = esub.add_parser("solve", help="Matsubara solution and real-axis Δ(ω), Z(ω), DOS")
    _common(p)
    p.add_argument("--temperature", type=float, required=True, help="temperature in K")
    p.add_argument("--output", required=True, metavar="OUT.csv", help="CSV output (+ OUT.json)")
    p.add_argument("--plot", metavar="FIG.png",
                   help="also plot Re/Im Δ(ω) and the DOS (default: no figure)")
    p.add_argument("--method", choices=["realaxis", "pade"], default="realaxis",
                   help="real-axis iteration (exact) or Padé continuation (default: %(default)s)")
    p.add_argument("--omega-max", type=float, default=35.0,
                   help="highest ω in meV (default %(default)s)")
    p.add_argument("--d-omega", type=float, default=0.05,
                   help="real-axis spacing in meV (default %(default)s)")
    p.add_argument("--n-matsubara", type=int, default=None,
                   help="positive Matsubara points (default: every frequency below the "
                        "cutoff, at least 16)")
    p.add_argument("--digits", type=int, default=None, metavar="D",
                   help="with --method pade: solve the Matsubara equations to D decimal "
                        "digits (e.g. 100; ~0.4 s in all) and continue them in that precision, "
                        "the median of 5 approximants; double-precision input smooths "
                        "phonon structure by ~1.5 %% of max|Re Δ| (default: double "
                        "precision)")
    p.set_defaults(func=run_solve)

    p = esub.add_parser("dataset", help="training set of random α²F and Δ(ω) (seed 002)")
    p.add_argument("--n", type=int, required=True, help="number of α²F samples to try")
    p.add_argument("--output", required=True, metavar="DIR", help="output directory")
    p.add_argument("--workers", type=int, default=None, help="local processes (default: cores)")
    p.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="Dask scheduler address, e.g. tcp://10.0.0.1:8786 (default: none, "
                        "local processes)")
    p.add_argument("--kind", choices=["gbm", "gaussian"], default="gbm",
                   help="α²F generator: geometric Brownian motion or Gaussian mixtures "
                        "(default: %(default)s)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the α²F draws (default %(default)s)")
    p.add_argument("--shard-size", type=int, default=100,
                   help="samples per shard file (default %(default)s)")
    p.add_argument("--temperature", type=float, default=SEED_SETUP.temperature_K,
                   help="K (default: the seed's, %(default)s)")
    p.add_argument("--mu-star", type=float, default=SEED_SETUP.mu_star,
                   help="μ*, dimensionless (default: the seed's, %(default)s)")
    p.add_argument("--n-matsubara", type=int, default=SEED_SETUP.n_matsubara,
                   help="M (default: the seed's, %(default)s)")
    p.add_argument("--lambda-range", type=float, nargs=2, default=(0.8, 2.5),
                   metavar=("LO", "HI"),
                   help="coupling λ (dimensionless) drawn uniformly in [LO, HI] "
                        "(default: %(default)s)")
    p.add_argument("--no-tc", action="store_true", help="skip the linearized T_c per sample")
    p.add_argument("--continuation", choices=["pade", "realaxis"], default="pade",
                   help="Δ(ω) by Padé with the seed's consistency filter (seed) or by the "
                        "exact real-axis iteration (default: %(default)s)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run_dataset)

    from specinv.eliashberg.gap2a2f.cli import register_learning

    register_learning(esub)

    from specinv.eliashberg.fit.cli import register_fit

    register_fit(esub)


def _load(args: argparse.Namespace):
    from specinv.eliashberg.engine.io import read_a2f, resolve_unit

    if not np.isfinite(args.mu_star) or args.mu_star < 0:
        raise ParameterError(f"--mu-star must be >= 0, got {args.mu_star}")
    if args.cutoff is not None and not args.cutoff > 0:
        raise ParameterError(f"--cutoff must be > 0 meV, got {args.cutoff}")
    args.unit = resolve_unit(args.a2f, args.unit)
    spec = read_a2f(args.a2f, unit=args.unit, column=args.column)
    top = spec.omega_max
    if args.cutoff is not None and args.cutoff < top:
        raise ParameterError(f"--cutoff {args.cutoff:g} meV is below the highest phonon energy "
                             f"{top:.4g} meV of {args.a2f}: the Matsubara sums would cut through "
                             f"the α²F (default: 10 × {top:.4g} meV). Is the cutoff in another "
                             "unit?")
    if args.cutoff is not None and args.cutoff > MAX_CUTOFF_FACTOR * top:
        raise ParameterError(f"--cutoff {args.cutoff:g} meV exceeds {MAX_CUTOFF_FACTOR:g} × the "
                             f"highest phonon energy {top:.4g} meV of {args.a2f}")
    return spec


def _check_solve_size(spec, args: argparse.Namespace) -> None:
    """Refuse Matsubara counts and real-axis meshes beyond the memory limit, before setup."""
    from specinv.eliashberg.engine.pairing import default_n_matsubara

    cutoff = 10.0 * spec.omega_max if args.cutoff is None else args.cutoff
    needed = default_n_matsubara(spec, args.temperature, cutoff)
    if args.n_matsubara is None:
        check_array("--temperature", f"{args.temperature:g} K (M = {needed} Matsubara "
                    f"frequencies below the cutoff {cutoff:.4g} meV)", (needed, needed),
                    itemsize=8 * MATSUBARA_ARRAYS, what="Matsubara kernel set")
        m = needed
    else:
        m = check_count("--n-matsubara", args.n_matsubara, minimum=2)
        if m > MAX_MATSUBARA_FACTOR * needed:
            raise ParameterError(f"--n-matsubara {m} is more than {MAX_MATSUBARA_FACTOR} × the "
                                 f"{needed} frequencies below the cutoff {cutoff:.4g} meV at "
                                 f"{args.temperature:g} K")
        check_array("--n-matsubara", m, (m, m), itemsize=8 * MATSUBARA_ARRAYS,
                    what="Matsubara kernel set")
    n_out = int(np.ceil(args.omega_max / args.d_omega))
    bins = int(np.ceil(spec.omega_max / args.d_omega)) + 1
    check_array("--d-omega", f"{args.d_omega:g} meV", (n_out + bins, max(bins, m)),
                itemsize=8 * REAL_AXIS_ARRAYS, what="real-axis array set")


def run_tc(args: argparse.Namespace) -> int:
    from specinv.eliashberg.engine.tc import critical_temperature

    spec = _load(args)
    res = critical_temperature(spec, args.mu_star, cutoff=args.cutoff,
                               rescale_mu=not args.no_rescale_mu).to_dict()
    res["input_unit"] = args.unit
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print(f"T_c = {res['tc_K']:.4f} K   (Allen-Dynes {res['allen_dynes_tc_K']:.4f} K)")
        print(f"lambda = {res['lambda']:.4f}   omega_log = {res['omega_log_meV']:.4f} meV   "
              f"omega_2 = {res['omega2_meV']:.4f} meV")
        print(f"mu* = {res['mu_star']} (effective {res['mu_star_eff']:.4f} at cutoff "
              f"{res['cutoff_meV']:.4g} meV); energies read in {args.unit}")
    return 0


def run_solve(args: argparse.Namespace) -> int:
    from specinv.eliashberg.engine.a2f import moments
    from specinv.eliashberg.engine.matsubara import solve_matsubara
    from specinv.eliashberg.engine.msc import real_axis_iteration
    from specinv.eliashberg.engine.realaxis import continue_pade
    from specinv.eliashberg.engine.tc import critical_temperature
    from specinv.io.table import write_table

    table_outputs(args.output, args.plot, inputs=[args.a2f])
    if not np.isfinite(args.temperature) or args.temperature <= 0:
        raise ParameterError(f"--temperature must be > 0 K, got {args.temperature}")
    if not 0 < args.omega_max < 1e4 or not 0 < args.d_omega < args.omega_max:
        raise ParameterError(f"need 0 < --d-omega < --omega-max < 1e4 meV, got "
                             f"{args.d_omega:g} and {args.omega_max:g}")
    if args.digits is not None:
        from specinv.eliashberg.engine.digits import MAX_DPS

        if args.method != "pade":
            raise ParameterError("--digits applies to --method pade (the real-axis iteration "
                                 "is exact in double precision)")
        if not 20 <= args.digits <= MAX_DPS:
            raise ParameterError(f"--digits must be between 20 and {MAX_DPS}, got {args.digits}")
    spec = _load(args)
    _check_solve_size(spec, args)
    rescale = not args.no_rescale_mu
    sol = solve_matsubara(spec, args.temperature, args.mu_star, cutoff=args.cutoff,
                          rescale_mu=rescale, n_matsubara=args.n_matsubara, dps=args.digits)
    if not sol.report.converged:
        print("specinv: warning: Matsubara iteration did not converge", file=sys.stderr)
    if args.method == "pade":
        omega = (np.arange(int(np.ceil(args.omega_max / args.d_omega))) + 0.5) * args.d_omega
        ra = continue_pade(sol, omega, precision="extended" if args.digits is None else "mp",
                           n_approximants=1 if args.digits is None else 5)
    else:
        ra = real_axis_iteration(sol, spec, omega_max=args.omega_max, d_omega=args.d_omega)
    tc = critical_temperature(spec, args.mu_star, cutoff=args.cutoff, rescale_mu=rescale)
    meta = {"command": "eliashberg solve", "input": str(args.a2f), "unit": args.unit,
            "column": args.column, "delta0_meV": ra.gap_edge() if sol.is_superconducting else 0.0,
            "tc_K": tc.tc_K, "lambda": tc.lambda_, "allen_dynes_tc_K": tc.allen_dynes_tc_K,
            "moments": moments(spec), "superconducting": sol.is_superconducting,
            "matsubara": {**sol.parameters, "convergence": sol.convergence(),
                          "delta_0_meV": float(sol.delta[0]), "z_0": float(sol.z[0])},
            "real_axis": {"method": ra.method, **ra.info}}
    columns = {"omega_meV": ra.omega, "re_delta_meV": ra.delta.real,
               "im_delta_meV": ra.delta.imag, "re_z": ra.z.real, "im_z": ra.z.imag,
               "dos": ra.dos()}
    extra = [(args.plot, lambda tmp: _plot(tmp, ra, meta))] if args.plot else []
    write_table(args.output, columns, meta, extra=extra)
    print(f"Delta0 = {meta['delta0_meV']:.4f} meV, T_c = {tc.tc_K:.3f} K, "
          f"lambda = {tc.lambda_:.4f}; wrote {args.output}")
    return 0


def _plot(path: str, ra, meta: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    ax[0].plot(ra.omega, ra.delta.real, label="Re Δ")
    ax[0].plot(ra.omega, ra.delta.imag, label="Im Δ")
    ax[0].set_xlabel("ω (meV)")
    ax[0].set_ylabel("Δ (meV)")
    ax[0].legend()
    ax[1].plot(ra.omega, ra.dos())
    ax[1].set_xlabel("ω (meV)")
    ax[1].set_ylabel("N(ω)/N_F")
    how = "real-axis iteration" if ra.method != "pade" else (
        "Padé" + (f", {ra.info['digits']} digits" if ra.info.get("digits") else ""))
    fig.suptitle(f"Δ0 = {meta['delta0_meV']:.3f} meV, T_c = {meta['tc_K']:.2f} K ({how})")
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=110)
    plt.close(fig)


def run_dataset(args: argparse.Namespace) -> int:
    from specinv.eliashberg.engine.dataset import DatasetConfig, build_dataset

    check_output_dir("--output", args.output)
    check_count("--n", args.n)
    check_count("--shard-size", args.shard_size)
    check_count("--n-matsubara", args.n_matsubara, minimum=2)
    check_array("--n-matsubara", args.n_matsubara, (args.n_matsubara, args.n_matsubara),
                itemsize=8 * MATSUBARA_ARRAYS, what="Matsubara kernel set")
    if not 0 < args.temperature < 1e3:
        raise ParameterError(f"--temperature must lie in (0, 1e3) K, got {args.temperature}")
    lo, hi = args.lambda_range
    if not 0 < lo <= hi < 100:
        raise ParameterError(f"--lambda-range needs 0 < LO <= HI < 100, got {lo} {hi}")
    cfg = DatasetConfig(n=args.n, seed=args.seed, kind=args.kind, shard_size=args.shard_size,
                        temperature_K=args.temperature, mu_star=args.mu_star,
                        n_matsubara=args.n_matsubara, lambda_min=lo, lambda_max=hi,
                        with_tc=not args.no_tc, continuation=args.continuation)
    if args.workers is not None and args.workers < 1:
        raise ParameterError(f"--workers must be >= 1, got {args.workers}")
    m = build_dataset(cfg, args.output, workers=args.workers, scheduler=args.scheduler,
                      progress=not args.no_progress)
    print(f"{m['samples_kept']} of {m['samples_tried']} samples kept in "
          f"{len(m['shards'])} shard(s) under {args.output}")
    return 0

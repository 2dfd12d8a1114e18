"""``specinv bench DOMAIN``: reproducible benchmarks writing JSON and figures.

Each benchmark module exposes ``add_arguments(parser)`` and ``run(args) -> int``;
``--output DIR`` and ``--quick`` are added here for all of them.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

from specinv.io.output import check_output_dir

#: domain -> (module, help)
BENCHMARKS: dict[str, tuple[str, str]] = {
    "sts": ("specinv.sts.bench", "STS deconvolution, seed 000 setting (all methods)"),
    "eliashberg": ("specinv.eliashberg.bench", "Eliashberg engine validations and speed"),
    "gap2a2f": ("specinv.eliashberg.gap2a2f.bench",
                "gap function -> Eliashberg function (seed 002)"),
    "optics": ("specinv.optics.bench", "optical scattering rate -> glue (seed 001)"),
    "optics-verified": ("specinv.optics.bench_verified",
                        "shipped rRIM, verified through the Shulga kernel, on unseen glues"),
    "conductivity": ("specinv.ac.conductivity.bench", "imaginary time -> conductivity (seed 003)"),
    "ac": ("specinv.ac.bench", "analytic continuation of real QMC data vs peers"),
    "stm": ("specinv.stm.bench", "impurity detection in STM maps (seed 004)"),
    "calibration": ("specinv.cli.bench_calibration",
                    "coverage of the reported error bands in every domain"),
}


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``bench DOMAIN`` (one sub-parser per benchmark module) to ``sub``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The ``specinv`` subcommands.
    """
    parser = sub.add_parser("bench", help="benchmarks that write JSON and figures",
                            description=__doc__)
    bsub = parser.add_subparsers(dest="domain", metavar="DOMAIN", required=True)
    for name, (module, help_) in BENCHMARKS.items():
        p = bsub.add_parser(name, help=help_)
        p.add_argument("--output", default=f"bench_{name}", metavar="DIR",
                       help="output directory for JSON and figures (default: %(default)s)")
        p.add_argument("--quick", action="store_true",
                       help="smaller, faster version of the benchmark")
        mod = importlib.import_module(module)
        mod.add_arguments(p)
        p.set_defaults(func=_checked(mod.run))


def _checked(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """``run`` preceded by the output-directory check (before any benchmark work)."""

    def wrapped(args: argparse.Namespace) -> int:
        check_output_dir("--output", args.output)
        return run(args)

    return wrapped

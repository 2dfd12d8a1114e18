"""The ``specinv`` command: one subcommand per domain plus ``bench`` and ``demo``.

Each command module exposes ``register(subparsers)``; it adds its parser and
sets ``func`` (called with the parsed namespace, returns an exit code). Modules
are imported only when the command line names them, so ``specinv --help``
stays fast and a domain's heavy imports (torch) are paid only when used.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from typing import NoReturn

from specinv.core.errors import SpecinvError

#: subcommand name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("specinv.cli.demo", "simulate a BCS spectrum at 2.5 K and deconvolve it"),
    "sts": ("specinv.sts.cli", "tunneling spectra: simulate, deconvolve, deconvolve maps"),
    "eliashberg": ("specinv.eliashberg.cli", "Migdal-Eliashberg solver, T_c, data sets"),
    "optics": ("specinv.optics.cli", "optical scattering rate -> electron-boson glue"),
    "ac": ("specinv.ac.cli", "analytic continuation of imaginary-time data"),
    "conductivity": ("specinv.ac.conductivity.cli", "imaginary-time currents -> conductivity"),
    "stm": ("specinv.stm.cli", "impurity detection in multi-bias STM maps"),
    "bench": ("specinv.cli.bench", "benchmarks that write JSON and figures"),
}


class _OneLineParser(argparse.ArgumentParser):
    """Argument parser whose usage errors are one line, like every other error."""

    def error(self, message: str) -> NoReturn:
        """Print ``specinv: error: PROG: MESSAGE`` and exit with code 2.

        Parameters
        ----------
        message : str
            argparse's description of the usage error.
        """
        self.exit(2, f"specinv: error: {self.prog}: {message}\n")


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """Build the argument parser; only ``selected`` gets its full sub-parser.

    Parameters
    ----------
    selected : str, optional
        Command whose module is imported and whose sub-parser is built
        (``"all"``: every command, for tools that walk the whole tree).

    Returns
    -------
    argparse.ArgumentParser
        The ``specinv`` parser.
    """
    parser = _OneLineParser(
        prog="specinv",
        description="Recover hidden spectra from condensed-matter spectroscopy.",
    )
    from specinv import __version__

    parser.add_argument("--version", action="version", version=f"specinv {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_) in COMMANDS.items():
        if selected in (name, "all"):
            importlib.import_module(module).register(sub)
        else:
            sub.add_parser(name, help=help_, add_help=False)
    return parser


def _show_warning(message: Warning | str, category: type[Warning], filename: str,
                  lineno: int, file: object = None, line: str | None = None) -> None:
    """Warnings of a command as one line on stderr, without a source location."""
    print(f"specinv: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Process exit code: 0 success, 2 bad input or usage, 130 interrupted,
        141 closed pipe.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    selected = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(selected if selected in COMMANDS else None)
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0 if not argv else 2
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _show_warning
            return int(args.func(args) or 0)
    except SpecinvError as exc:
        print(f"specinv: error: {exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print("specinv: error: out of memory; reduce the size parameters (mesh points, "
              "map size, Matsubara frequencies)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("specinv: interrupted; no partial output was written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # stdout closed early (e.g. piped into head): stop quietly, as shell tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

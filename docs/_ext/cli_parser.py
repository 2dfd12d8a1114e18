"""The complete ``specinv`` argument parser, for sphinx-argparse.

:func:`specinv.cli.main.build_parser` builds a command's sub-parser only when the
command line names it (so ``specinv --help`` stays fast); the reference needs all.
"""

from __future__ import annotations

import argparse

from specinv.cli.main import build_parser


def parser() -> argparse.ArgumentParser:
    """Every command and subcommand of ``specinv``.

    Returns
    -------
    argparse.ArgumentParser
        ``build_parser("all")``.
    """
    return build_parser("all")

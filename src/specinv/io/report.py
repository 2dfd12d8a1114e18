"""How a command reports the physics check of its answer: one verdict line, one exit code.

Every command that returns an inverted spectrum prints ``verdict ok|warn|fail: ...``
after writing its output. A ``fail`` (the answer does not reproduce the data at the
noise level) exits with :data:`~specinv.core.check.EXIT_FAIL` (3) — the output is
still written, and its JSON records the whole check — unless ``--allow-fail`` is
given. Exit code 2 stays reserved for user mistakes.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from specinv.core.check import Check


def add_verdict_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--allow-fail`` to a command that reports a verdict.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser.
    """
    parser.add_argument(
        "--allow-fail", action="store_true",
        help="exit 0 even when the answer fails its physics check (exit code 3 otherwise); "
             "the verdict is printed and recorded in the JSON either way")


def report_verdict(check: Check, args: argparse.Namespace, *, what: str = "") -> int:
    """Print the verdict line and return the command's exit code.

    Parameters
    ----------
    check : Check
        The answer's physics check.
    args : argparse.Namespace
        Parsed arguments (``allow_fail`` read when present).
    what : str
        Prefix naming the answer (e.g. the output file), optional.

    Returns
    -------
    int
        0, or :data:`~specinv.core.check.EXIT_FAIL` for a failed check without
        ``--allow-fail``.
    """
    from specinv.core.check import EXIT_FAIL

    line = f"{what}: {check.summary()}" if what else check.summary()
    if not check.failed:
        print(line)
        return 0
    print(f"specinv: {line}", file=sys.stderr)
    if args.allow_fail:
        return 0
    print("specinv: the output was written and marked (JSON 'check'); do not trust it. "
          "Pass --allow-fail to exit 0 anyway.", file=sys.stderr)
    return EXIT_FAIL

"""Sphinx extension: ``|x|`` in a docstring is an absolute value, not a substitution.

The docstrings write physics in plain text (``max |Re Δ|``, ``|r − r_w|``), which
reStructuredText would read as substitution references and report as undefined. This
hook escapes every ``|`` outside inline literals, math roles, literal blocks and
tables before the docstring is parsed, so the text renders as written.
"""

from __future__ import annotations

import re
from typing import Any

from sphinx.application import Sphinx

_PROTECTED = re.compile(r"(``.+?``|:math:`[^`]*`|`[^`]*`_?)")
_BAR = re.compile(r"(?<!\\)\|")


def escape_line(line: str) -> str:
    """Escape the bars of one line outside its inline literals and roles.

    Parameters
    ----------
    line : str
        One docstring line.

    Returns
    -------
    str
        The line with every unprotected ``|`` written ``\\|``.
    """
    parts = _PROTECTED.split(line)
    parts[::2] = [_BAR.sub(r"\\|", p) for p in parts[::2]]
    return "".join(parts)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def escape_bars(lines: list[str]) -> None:
    """Escape the bars of a docstring in place (literal blocks and tables kept).

    Parameters
    ----------
    lines : list of str
        The docstring's lines, as autodoc passes them; modified in place.
    """
    literal_indent: int | None = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if literal_indent is not None:
            if stripped and _indent(line) <= literal_indent:
                literal_indent = None
            else:
                continue
        if stripped.startswith(("+", ">>>")) or (stripped.startswith("|")
                                                 and stripped.endswith("|")):
            continue
        lines[i] = escape_line(line)
        if stripped.endswith("::"):
            literal_indent = _indent(line)


def _process(app: Sphinx, what: str, name: str, obj: Any, options: Any,
             lines: list[str]) -> None:
    escape_bars(lines)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the docstring hook.

    Parameters
    ----------
    app : sphinx.application.Sphinx
        The Sphinx application.

    Returns
    -------
    dict
        Extension metadata (parallel-safe).
    """
    app.connect("autodoc-process-docstring", _process)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

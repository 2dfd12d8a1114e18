"""Every option of every ``specinv`` command says what it is, its unit and its default.

The options come from walking the argparse tree of
:func:`specinv.cli.main.build_parser`, so an option added later is checked by
construction. The rules (each can fail; :func:`test_rules_flag_bad_help` shows it):

1. every option and positional (except ``-h`` and ``--version``) has help text;
2. an option that takes a value and is not required states its default: the rendered help
   contains the word "default" and, where the default is a value (not ``None``), that value
   (through ``%(default)s`` or written out; numbers compare as numbers, so ``1e-3`` shows
   ``0.001``);
3. a numeric option whose name (dest or metavar) names a physical quantity (see
   :data:`PHYSICAL`; counts ``n_*`` are not quantities) names a unit in its help (see
   :data:`UNITS`): K, meV, mV, cm-1, eV, THz, Å, s, pixels, "relative", "dimensionless", ...;
4. a positional input file names its format (a file suffix, "columns" or "header").
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator

import pytest

from specinv.cli.main import build_parser

#: Words that, as a part of an option's dest or metavar, make it a physical quantity.
PHYSICAL = (
    "temperature", "energy", "bias", "lockin", "gap", "gamma", "omega", "frequency", "noise",
    "sigma", "window", "beta", "cutoff", "kf", "eta", "pixel", "glue", "mu_star", "time",
    "threshold", "lambda", "epsilon", "alpha", "range",
)

#: Unit words accepted in the help of a physical option (matched as whole words).
UNITS = (
    "K", "meV", "mV", "eV", "cm-1", "THz", "Å", "s", "px", "pixel", "pixels", "rad/pixel",
    "relative", "dimensionless", "1/meV", "1/eV", "unit",
)

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_UNIT = re.compile(r"(?<![\w/])(?:" + "|".join(re.escape(u) for u in UNITS) + r")(?![\w-])")
_FORMAT = re.compile(r"\.(?:csv|dat|npz|3ds|h5|jld2|txt)\b|column|header", re.IGNORECASE)
_SKIPPED = (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)


def _options(parser: argparse.ArgumentParser,
             path: tuple[str, ...] = ()) -> Iterator[tuple[str, argparse.Action]]:
    """``("specinv sts deconvolve --temperature", action)`` for every option of the tree."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(sub, (*path, name))
        elif not isinstance(action, _SKIPPED):
            flag = "/".join(action.option_strings) or action.dest
            yield " ".join(("specinv", *path, flag)), action


def _rendered(action: argparse.Action) -> str:
    """The help text as ``--help`` prints it (``%(default)s`` etc. filled in)."""
    params = {**vars(action), "prog": "specinv"}
    if params.get("choices") is not None:
        params["choices"] = ", ".join(map(str, params["choices"]))
    return (action.help or "") % params


def _shows(text: str, value: object) -> bool:
    """Whether ``text`` shows ``value`` (numbers compared as numbers, sequences element-wise)."""
    if isinstance(value, (list, tuple)):
        return all(_shows(text, v) for v in value)
    if isinstance(value, bool):
        return True
    if isinstance(value, (int, float)):
        return any(float(tok) == float(value) for tok in _NUMBER.findall(text))
    return str(value) in text


def _takes_value(action: argparse.Action) -> bool:
    return action.nargs != 0


def _is_physical(action: argparse.Action) -> bool:
    if action.type is None or action.choices is not None or action.dest.startswith("n_"):
        return False  # a name, a file or a count
    metavar = action.metavar if isinstance(action.metavar, str) else ""
    name = f"{action.dest}_{metavar}".lower()
    return any(word in name.split("_") or word in name for word in PHYSICAL)


def problems(action: argparse.Action) -> list[str]:
    """What the help of one option lacks, as short messages (empty: nothing).

    Parameters
    ----------
    action : argparse.Action
        One option or positional of a parser.

    Returns
    -------
    list of str
        One message per broken rule of the module docstring.
    """
    text = _rendered(action)
    if not text.strip():
        return ["no help text"]
    out = []
    positional = not action.option_strings
    if positional and action.dest in ("input", "a2f", "gap") and not _FORMAT.search(text):
        out.append("input file without its format")
    if _takes_value(action) and not positional and not action.required:
        if "default" not in text.lower():
            out.append("default not stated")
        elif action.default is not None and not _shows(text, action.default):
            out.append(f"default {action.default!r} not shown")
    if _takes_value(action) and _is_physical(action) and not _UNIT.search(text):
        out.append("physical quantity without a unit")
    return out


ALL_OPTIONS = list(_options(build_parser("all")))


@pytest.mark.parametrize(("name", "action"), ALL_OPTIONS, ids=[n for n, _ in ALL_OPTIONS])
def test_option_help_states_unit_and_default(name: str, action: argparse.Action) -> None:
    assert not problems(action), f"{name}: {'; '.join(problems(action))} (help: {action.help!r})"


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_descriptions_are_printed_as_written() -> None:
    """argparse %-formats help strings but not descriptions: "%%" there shows as "%%"."""
    bad = [p.prog for p in _parsers(build_parser("all"))
           if "%%" in (p.description or "") + (p.epilog or "")]
    assert not bad, f"'%%' in the description of: {', '.join(bad)}"


def test_tree_is_walked() -> None:
    """The walk reaches the leaves (a broken walk would pass every option trivially)."""
    names = {name for name, _ in ALL_OPTIONS}
    assert "specinv sts deconvolve --temperature" in names
    assert "specinv ac continue input" in names
    assert len(names) > 100


def test_rules_flag_bad_help() -> None:
    p = argparse.ArgumentParser()
    bad = {
        "no help text": p.add_argument("--seed", type=int, default=0),
        "default not stated": p.add_argument("--n-bias", type=int, default=401, help="points"),
        "default 401 not shown": p.add_argument("--n", type=int, default=401,
                                                help="points (default 40)"),
        "physical quantity without a unit": p.add_argument(
            "--temperature", type=float, required=True, help="the temperature"),
        "input file without its format": p.add_argument("input", help="the data"),
    }
    for message, action in bad.items():
        assert message in problems(action)
    good = [
        p.add_argument("--noise", type=float, default=1e-3,
                       help="relative noise (default %(default)s)"),
        p.add_argument("--gap", type=float, default=1.5, help="gap in meV (default 1.5)"),
        p.add_argument("--omega-max", type=float, default=None,
                       help="window in meV (default: from the data)"),
        p.add_argument("--quick", action="store_true", help="a shorter run"),
        p.add_argument("data", help="two columns (τ, G) as text or .csv"),
    ]
    for action in good:
        assert problems(action) == []

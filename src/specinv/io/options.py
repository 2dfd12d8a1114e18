"""Command-line option parsing shared by every domain's CLI module (argparse types)."""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.units import KB_MEV_PER_K


def parse_options(items: list[str] | None) -> dict[str, Any]:
    """Turn ``["key=value", ...]`` into a dict; values parsed as JSON when possible.

    Parameters
    ----------
    items : list of str or None
        ``--option`` arguments.

    Returns
    -------
    dict
        Key to value (JSON-decoded, else the string).

    Raises
    ------
    ParameterError
        An item without ``=``.
    """
    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise ParameterError(f"--option expects KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def check_options(owner: str, accepted: dict[str, Any], options: dict[str, Any]) -> None:
    """Refuse options not in ``accepted`` and non-boolean values of its boolean ones.

    Parameters
    ----------
    owner : str
        Who takes the options, for the message (e.g. ``"solver 'maxent'"``).
    accepted : dict
        Every accepted option with its default; a ``bool`` default makes it a flag.
    options : dict
        The given options (e.g. from :func:`parse_options`: ``--option x=maybe`` is the
        string ``"maybe"``, refused for a flag; ``true``/``false`` are booleans).

    Raises
    ------
    ParameterError
        An unknown option (listing the valid ones), or a flag that is not true/false.
    """
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ParameterError(f"{owner} got unknown option(s) {', '.join(unknown)}; "
                             f"valid options: {', '.join(sorted(accepted))}")
    for key, value in options.items():
        if isinstance(accepted[key], bool) and not isinstance(value, bool | np.bool_):
            raise ParameterError(f"{owner}: option {key} must be true or false, got {value!r}")


def temperature_kelvin(value: float, unit: str) -> float:
    """Temperature in K from a value in K or in meV (k_B T); must be > 0.

    Parameters
    ----------
    value : float
        The temperature, > 0.
    unit : {"K", "meV"}
        Its unit.

    Returns
    -------
    float
        Temperature (K).
    """
    if not value > 0:
        raise ParameterError(f"--temperature must be > 0, got {value}")
    return value if unit == "K" else value / KB_MEV_PER_K


def positive_float(text: str) -> float:
    """argparse type: a float > 0.

    Parameters
    ----------
    text : str
        Command-line value.

    Returns
    -------
    float
        The parsed value.
    """
    v = float(text)
    if not v > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text}")
    return v


def nonnegative_float(text: str) -> float:
    """argparse type: a float >= 0.

    Parameters
    ----------
    text : str
        Command-line value.

    Returns
    -------
    float
        The parsed value.
    """
    v = float(text)
    if not v >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text}")
    return v

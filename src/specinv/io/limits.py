"""Resource guard: size and resolution parameters checked before anything is allocated.

Every command turns its size parameters (mesh points, Matsubara frequencies,
real-axis spacing, α-grid length, ...) into the memory the largest array they
imply needs and refuses, naming the parameter and the limit, anything above
:data:`MAX_ARRAY_BYTES`: 2 GiB for one array, far above every real use
(the largest default kernel is below 10 MiB) and small enough to fail in a
second instead of swapping for minutes.
"""

from __future__ import annotations

import math
from typing import Any

from specinv.core.errors import ParameterError

#: largest single array a command may allocate, bytes
MAX_ARRAY_BYTES = 2 * 1024**3
#: an integer solver option may be at most this multiple of its default
MAX_OPTION_FACTOR = 100


def human_bytes(n: float) -> str:
    """``n`` bytes as a short string (``"2.2 TiB"``).

    Parameters
    ----------
    n : float
        Byte count.

    Returns
    -------
    str
        Three significant digits and a binary unit.
    """
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} PiB"  # pragma: no cover - loop always returns


def check_count(name: str, value: Any, *, minimum: int = 1) -> int:
    """An integer parameter that must be at least ``minimum``.

    Parameters
    ----------
    name : str
        Option name for messages (``"--n-energy"``).
    value : int
        Given value.
    minimum : int
        Smallest accepted value.

    Returns
    -------
    int
        The value as an ``int``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value) or value != int(value):
        raise ParameterError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ParameterError(f"{name} must be >= {minimum}, got {int(value)}")
    return int(value)


def check_array(name: str, value: Any, shape: tuple[float, ...], *, itemsize: int = 8,
                what: str = "array") -> None:
    """Refuse a parameter whose largest implied array exceeds :data:`MAX_ARRAY_BYTES`.

    Parameters
    ----------
    name : str
        Parameter named in the message (``"--n-energy"``).
    value : object
        Its value as given.
    shape : tuple of float
        Shape of the largest array the parameter implies.
    itemsize : int
        Bytes per element (8 float64, 16 complex128).
    what : str
        What that array is (``"kernel"``), for the message.

    Raises
    ------
    ParameterError
        ``--n-energy 1000000000 implies a 401 × 1000000000 kernel of 2.92 TiB;
        the limit is 2 GiB``.
    """
    nbytes = float(itemsize)
    for s in shape:
        nbytes *= float(s)
    if nbytes > MAX_ARRAY_BYTES:
        dims = " × ".join(f"{int(s)}" for s in shape)
        raise ParameterError(f"{name} {value} implies a {dims} {what} of {human_bytes(nbytes)}; "
                             f"the limit is {human_bytes(MAX_ARRAY_BYTES)}")


def check_solver_options(options: dict[str, Any], defaults: dict[str, Any]) -> None:
    """Refuse integer solver options far beyond their default (time and memory guard).

    An option whose default is an integer (``n_alpha``, ``steps``, ...; not ``seed``)
    must be an integer between 0 and :data:`MAX_OPTION_FACTOR` × its default.

    Parameters
    ----------
    options : dict
        ``--option`` values as parsed.
    defaults : dict
        The solver's defaults.

    Raises
    ------
    ParameterError
        Naming the option and the limit.
    """
    for key, value in options.items():
        default = defaults.get(key)
        if key == "seed" or isinstance(default, bool) or not isinstance(default, int):
            continue
        n = check_count(f"--option {key}", value, minimum=0)
        limit = MAX_OPTION_FACTOR * max(default, 1)
        if n > limit:
            raise ParameterError(f"--option {key}={value} is beyond the limit {limit} "
                                 f"({MAX_OPTION_FACTOR} × the default {default})")

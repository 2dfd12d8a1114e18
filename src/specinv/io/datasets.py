"""Where the third-party reference data live (benchmarks, real-data tests, examples).

The data are never shipped with the package: their licences differ and they are
large. :func:`data_root` looks, in order, at the ``SPECINV_DATA`` environment
variable and at ``shared/data`` beside a source checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

#: environment variable naming the data folder
ENV = "SPECINV_DATA"


def data_root() -> Path | None:
    """The third-party data folder, or None when it is not available.

    Returns
    -------
    Path or None
        ``$SPECINV_DATA`` if set (even if missing, so a wrong setting is not silently
        replaced), else ``<checkout>/../shared/data`` when that folder exists.
    """
    env = os.environ.get(ENV)
    if env:
        return Path(env).expanduser()
    beside = Path(__file__).resolve().parents[4] / "shared" / "data"
    return beside if beside.is_dir() else None

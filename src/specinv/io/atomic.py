"""Write files all-or-nothing: a temporary sibling renamed into place."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success.

    If the body raises (including ``KeyboardInterrupt``) the temporary file is
    removed and ``path`` is untouched, so an interrupted run never leaves a
    half-written output.

    Parameters
    ----------
    path : str or os.PathLike
        Final file (its directory is created).
    suffix : str, optional
        Suffix of the temporary file (default: that of ``path``, so writers that
        pick a format from the name behave the same).

    Yields
    ------
    Path
        The temporary file to write.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=suffix or target.suffix, dir=target.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()

"""Write files all-or-nothing: temporary siblings renamed into place together.

Temporary files get the mode an ordinary ``open`` would give (``0666`` less
the umask), not the ``0600`` of :func:`tempfile.mkstemp`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path


def _umask_mode() -> int:
    """``0o666`` less the process umask (read without changing it for long)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _missing_dirs(directory: Path) -> list[Path]:
    """Directories from ``directory`` upwards that do not exist yet (deepest first)."""
    missing = []
    d = directory
    while not d.exists() and d != d.parent:
        missing.append(d)
        d = d.parent
    return missing


@contextlib.contextmanager
def atomic_outputs(paths: Sequence[str | os.PathLike],
                   suffixes: Sequence[str | None] | None = None) -> Iterator[list[Path]]:
    """Yield temporary paths next to ``paths``; rename all of them into place on success.

    Parameters
    ----------
    paths : sequence of path-like
        Final output files (distinct). Missing parent directories are created.
    suffixes : sequence of str or None, optional
        Suffix of each temporary file (default: its target's), e.g. ``".npz"`` so
        that ``numpy.savez`` does not append one.

    Yields
    ------
    list of Path
        One temporary path per output, same directory and suffix.

    If the body raises (including ``KeyboardInterrupt``) every temporary file
    and every directory created here is removed and no target is touched, so a
    failed or interrupted run never leaves a partial output.
    """
    targets = [Path(p) for p in paths]
    created: list[Path] = []
    tmps: list[Path] = []
    mode = _umask_mode()
    try:
        for target, suffix in zip(targets, suffixes or [None] * len(targets), strict=True):
            new = _missing_dirs(target.parent)
            target.parent.mkdir(parents=True, exist_ok=True)
            created.extend(new)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or target.suffix,
                                       dir=target.parent)
            os.close(fd)
            tmps.append(Path(tmp))
        yield list(tmps)
        for tmp, target in zip(tmps, targets, strict=True):
            os.chmod(tmp, mode)
            os.replace(tmp, target)
    finally:
        for tmp in tmps:
            if tmp.exists():
                tmp.unlink()
        for d in created:
            with contextlib.suppress(OSError):
                d.rmdir()


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
    with atomic_outputs([path], [suffix]) as (tmp,):
        yield tmp

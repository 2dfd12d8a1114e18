"""The one thread limit for numerical work: torch's pool and every BLAS/OpenMP pool."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import threadpool_limits


@contextmanager
def compute_threads(threads: int | None) -> Iterator[None]:
    """Limit torch and BLAS to ``threads`` threads inside the block, then restore both.

    The networks and the solvers' linear systems are small: on a few shared cores one
    thread is several times faster than a multithreaded BLAS fighting other jobs.
    Library code limits threads only through this context, so a caller's thread
    settings are never left changed.

    Parameters
    ----------
    threads : int or None
        Thread count inside the block; ``None`` (or 0) leaves everything unchanged.
        torch's count is set only when torch is already imported (a process that never
        loaded torch has no torch pool to limit, and need not pay for importing it).

    Yields
    ------
    None
        Control to the block, with the limits in force.
    """
    if not threads:
        yield
        return
    torch = sys.modules.get("torch")
    old = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(int(threads))
    try:
        with threadpool_limits(int(threads)):
            yield
    finally:
        if torch is not None:
            torch.set_num_threads(old)

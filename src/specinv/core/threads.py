"""Thread limits for small numerical jobs on shared machines."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def compute_threads(threads: int | None) -> Iterator[None]:
    """Limit torch and BLAS to ``threads`` threads inside the block (``None``: unchanged).

    The networks are small: on a few shared cores one thread is several times faster
    than a multithreaded BLAS fighting other jobs (a 1201 × 1201 SVD: 1 s instead of 12–24 s).
    """
    if not threads:
        yield
        return
    import torch
    from threadpoolctl import threadpool_limits

    old = torch.get_num_threads()
    torch.set_num_threads(int(threads))
    try:
        with threadpool_limits(int(threads)):
            yield
    finally:
        torch.set_num_threads(old)

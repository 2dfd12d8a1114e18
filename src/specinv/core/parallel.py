"""Run independent chunks of work on local processes or a Dask cluster.

One mechanism for every embarrassingly parallel job in the toolkit (Eliashberg
training sets, large spectroscopic maps): the caller splits the work into
picklable chunks and a module-level function; :func:`map_chunks` yields
``(index, result)`` as chunks finish, so callers can write each result to
disk immediately (resumable) and show progress.

- ``workers=1`` and no scheduler: in-process, in order (debuggable).
- ``workers>1``: a local :class:`~concurrent.futures.ProcessPoolExecutor`.
- ``scheduler="tcp://host:port"`` (or a ``distributed.Client``): Dask.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from specinv.core.errors import ParameterError


def default_workers() -> int:
    """Usable CPU count of this process (at least 1).

    Returns
    -------
    int
        Cores this process may run on (its affinity mask where the OS has one).
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def map_chunks(
    func: Callable[[Any], Any],
    chunks: Sequence[Any],
    *,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool = False,
    desc: str = "chunks",
) -> Iterator[tuple[int, Any]]:
    """Apply ``func`` to every chunk; yield ``(index, result)`` in completion order.

    Parameters
    ----------
    func : callable
        Module-level (picklable) function of one chunk.
    chunks : sequence
        Picklable arguments, one per task.
    workers : int, optional
        Local processes (default: all usable cores). Ignored with a scheduler.
    scheduler : str or distributed.Client, optional
        Dask scheduler address such as ``"tcp://10.0.0.1:8786"``, or a client.
    progress : bool
        Show a tqdm progress bar on stderr.
    desc : str
        Progress-bar label.

    Yields
    ------
    (int, object)
        Chunk index and ``func(chunks[index])``.
    """
    from tqdm.auto import tqdm

    n = len(chunks)
    bar = tqdm(total=n, desc=desc, disable=not progress, unit="chunk")
    try:
        if scheduler is not None:
            yield from _dask(func, chunks, scheduler, bar)
            return
        workers = default_workers() if workers is None else int(workers)
        if workers < 1:
            raise ParameterError(f"workers must be >= 1, got {workers}")
        if workers == 1 or n <= 1:
            for i, chunk in enumerate(chunks):
                yield i, func(chunk)
                bar.update()
            return
        with ProcessPoolExecutor(max_workers=min(workers, n)) as pool:
            futures = {pool.submit(func, c): i for i, c in enumerate(chunks)}
            try:
                for fut in as_completed(futures):
                    yield futures[fut], fut.result()
                    bar.update()
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
    finally:
        bar.close()


def _dask(func: Callable[[Any], Any], chunks: Sequence[Any], scheduler: Any,
          bar: Any) -> Iterator[tuple[int, Any]]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:  # pragma: no cover - depends on the environment
        raise ParameterError(
            "a Dask scheduler was given but 'distributed' is not installed; "
            "pip install 'specinv[dask]'") from None
    own = not isinstance(scheduler, Client)
    try:
        client = Client(scheduler, timeout="10s") if own else scheduler
    except OSError as exc:
        raise ParameterError(f"cannot reach Dask scheduler {scheduler!r}: {exc}") from None
    try:
        futures = client.map(func, list(chunks), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in dask_completed(futures):
            yield index[fut.key], fut.result()
            bar.update()
    finally:
        if own:
            client.close()

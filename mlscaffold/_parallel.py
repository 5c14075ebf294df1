"""A process pool that builds one worker per process: used by the fleet and validate."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

__all__ = ["resolve_jobs", "run_parallel"]

T = TypeVar("T")
R = TypeVar("R")


def resolve_jobs(jobs: int) -> int:
    """``jobs``, with 0 meaning every core this process may use."""
    if jobs > 0:
        return jobs
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


_WORKER: Callable[[Any], Any] | None = None


def _init_worker(factory: Callable[[], Callable[[Any], Any]]) -> None:
    global _WORKER
    _WORKER = factory()


def _call_worker(item: Any) -> Any:
    assert _WORKER is not None  # set by _init_worker  # noqa: S101
    return _WORKER(item)


def run_parallel(
    factory: Callable[[], Callable[[T], R]],
    items: Sequence[T],
    *,
    jobs: int = 1,
) -> Iterator[R]:
    """Apply a worker built by ``factory`` to ``items``; yield results as they come.

    ``factory`` runs once per process (so compiled skeletons and schema validators
    are built once per core, not once per item) and must be picklable, as must
    items and results. With ``jobs`` 1 everything runs in this process; results
    then come in order, otherwise in completion order. Memory stays bounded: each
    process holds one item at a time and only the results travel back.
    """
    jobs = min(resolve_jobs(jobs), max(1, len(items)))
    if jobs == 1:
        work = factory()
        for item in items:
            yield work(item)
        return
    # spawn: no fork of a possibly threaded parent, same behaviour on every OS.
    context = multiprocessing.get_context("spawn")
    chunk = max(1, min(8, len(items) // (jobs * 16)))
    with context.Pool(jobs, initializer=_init_worker, initargs=(factory,)) as pool:
        yield from pool.imap_unordered(_call_worker, items, chunksize=chunk)

"""Parsing a big line-oriented file on every core while one process writes the store.

A bulk import is CPU-bound in two places: parsing each line into a record, and writing
the rows. Worker processes take the first, plus the part of writing that depends on
nothing but the record (its keys, displayed columns and JSON: see
:func:`paperradar.identity.works.prepare`), and hand the writer plain tuples, which cross
the process boundary cheaply. Items come back in file order, so checkpoints and resuming
work exactly as with the plain parser.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from paperradar.identity.works import prepare
from paperradar.records import Item, Problem, Record, UnreadableInput, WorkRecord
from paperradar.sources.base import Format, iter_lines

CHUNK_LINES = 500
IN_FLIGHT = 16  # chunks queued per worker: enough to keep it busy while the writer commits a batch
PARALLEL_MIN_BYTES = 32 << 20  # below this, starting the workers costs more than they save


def default_workers(fmt: Format, path: Path) -> int:
    """One worker per other core for a big file of a line-oriented format, else none."""
    if fmt.parse_line is None or path.stat().st_size < PARALLEL_MIN_BYTES:
        return 0
    return max(1, (os.cpu_count() or 1) - 1)


def parse_in_workers(fmt: Format, path: Path, start: int, workers: int) -> Iterator[Item]:
    """The items of ``fmt.parse(path, start)``, parsed and prepared by ``workers`` processes.

    At most :data:`IN_FLIGHT` chunks per worker are read ahead, so memory stays flat on any file
    size. Workers are spawned, not forked: the importing process runs threads (the keyword
    indexer), and they import ``__main__``, which must therefore be import-safe. They die with
    the importing process, however it ends (:func:`_start_worker`); the pool submits, and so
    starts them, from the thread iterating these items, which outlives it.
    """
    if fmt.parse_line is None:
        raise ValueError(f"{fmt.name} is not a line-oriented format")
    context = multiprocessing.get_context("spawn")
    last = start - 1  # the last line handed on: where a failed run stopped
    pending: deque[Future[list[_Wire]]] = deque()

    def hand_on() -> Iterator[Item]:
        nonlocal last
        for location, position, source, record, problem in pending.popleft().result():
            last = position
            yield Item(location, position, source, record, problem)

    try:
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),)
        ) as pool:
            chunk: list[tuple[int, bytes]] = []
            for numbered in iter_lines(path, start):
                chunk.append(numbered)
                if len(chunk) == CHUNK_LINES:
                    pending.append(pool.submit(_parse_chunk, fmt.name, chunk))
                    chunk = []
                    if len(pending) >= IN_FLIGHT * workers:
                        yield from hand_on()
            if chunk:
                pending.append(pool.submit(_parse_chunk, fmt.name, chunk))
            while pending:
                yield from hand_on()
    except BrokenProcessPool as exc:  # a worker was killed (out of memory, by hand)
        where = f"after line {last}" if last > 0 else "at the start"
        raise UnreadableInput(
            f"{path}: a parse worker stopped abruptly {where}; what was read before is stored: "
            "run the same import again to resume (--workers 0 parses in one process)"
        ) from exc


PR_SET_PDEATHSIG = 1  # linux/prctl.h: the signal a process gets when its parent thread ends


def _start_worker(parent: int) -> None:
    """Set up a worker of the importing process ``parent``, which passes its own pid: a worker
    must not outlive it, however it ends (SIGKILL included), or it would wait for work forever.

    On Linux the kernel kills the worker with its parent (``PR_SET_PDEATHSIG``); elsewhere, and
    as a fallback, a thread watches for the parent to change. Either only holds from the moment
    it is set up, and a worker takes a while to start (it imports ``__main__``): a parent gone
    by then is seen at once, since the worker's parent is no longer the pid it was given.
    """
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):  # no prctl in this libc: the thread does it
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before: this worker belongs to no one
        os._exit(1)
    gc.set_threshold(200_000, 50, 1000)  # as ingest does: records hold no cycles
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """Exit as soon as the parent is gone (its orphans are handed to another process)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


_Wire = tuple[str, int, str, Record | None, Problem | None]
"""An item as it crosses from a worker: a plain tuple pickles several times faster than the dataclass."""


def _parse_chunk(format_name: str, lines: list[tuple[int, bytes]]) -> list[_Wire]:
    """In a worker: parse each line, and reduce each work record to its prepared rows."""
    from paperradar.sources import format_by_name

    parse_line = format_by_name(format_name).parse_line
    assert parse_line is not None
    wire: list[_Wire] = []
    for lineno, line in lines:
        item = parse_line(lineno, line)
        record = prepare(item.source, item.record) if isinstance(item.record, WorkRecord) else item.record
        wire.append((item.location, item.position, item.source, record, item.problem))
    return wire

"""Importing files into the store, and looking at what the imports left there: ``paperradar import``,
``stats``, ``show``, ``quarantine`` and the store of ``paperradar demo``.

An import reads files and folders (recursively) in any supported format, one after the other,
with the keyword index following every committed batch; a file that cannot be read is a result
like the others (with its reason), so one bad file does not stop the rest. How it goes is told
through plain callables (:class:`ImportWatch`); what it did is an :class:`ImportReport`.

One import runs into a store at a time (:mod:`paperradar.store.locks`): a second one waits for
the first to end, saying so, or is refused with :class:`ImportRunning`.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformdirs import user_data_path

from paperradar.ingest import BATCH_SIZE, FileResult, ProgressCallback, expand, import_file
from paperradar.services.context import AppContext
from paperradar.services.errors import ServiceError
from paperradar.store import queries
from paperradar.store.database import describe, is_demo_store, mark_demo_store
from paperradar.store.locks import import_lock


class NothingToImport(ServiceError):
    """The paths named no file."""


class ImportRunning(ServiceError):
    """Another import is running into the same store, and this one was told not to wait."""

    status = 409


LOCK_POLL = 0.5  # seconds between two tries at the import lock of a store another import holds


class NotADemo(ServiceError):
    """The demo's path holds a database that is not a demo: it is never overwritten."""


def _ignore(*_args: object) -> None:
    """No one is watching."""


@dataclass(frozen=True)
class ImportWatch:
    """What an import tells as it goes: that it waits for another import into the same store
    (a sentence saying which), a file starts (with its size, if it exists), its progress after
    each batch (path, bytes done, bytes in all, records), its result when it ends."""

    waiting: Callable[[str], None] = _ignore
    started: Callable[[Path, int | None], None] = _ignore
    progress: ProgressCallback = _ignore
    finished: Callable[[FileResult], None] = _ignore


@dataclass(frozen=True)
class ImportReport:
    """Each file's result, in the order imported."""

    files: list[FileResult]

    @property
    def read_anything(self) -> bool:
        """False when no file could be read (unreadable, or every record quarantined)."""
        return any(result.read_anything for result in self.files)

    @property
    def unreadable(self) -> int:
        return sum(1 for result in self.files if not result.ok)

    @property
    def total(self) -> FileResult:
        """The counts of the files that could be read, added up."""
        total = FileResult(Path("total"))
        for result in self.files:
            if result.ok:
                total.counts.add(result.counts)
        return total


class Importer:
    """Imports files into one store; re-running is safe and an interrupted import resumes."""

    def __init__(self, context: AppContext, watch: ImportWatch | None = None) -> None:
        self.context = context
        self.watch = watch or ImportWatch()

    def run(
        self,
        paths: Iterable[Path],
        *,
        format_name: str | None = None,
        batch_size: int = BATCH_SIZE,
        workers: int | None = None,
        as_of: dt.datetime | None = None,
        cites: str | None = None,
        wait: bool = True,
    ) -> ImportReport:
        """Import every file of ``paths`` (folders recursively), detected or as ``format_name``.

        ``batch_size`` records commit together with their checkpoint; ``workers`` parse a big
        JSON-lines file beside the writer; ``as_of`` dates the statements of records that do not
        say; ``cites`` names the paper of Semantic Scholar references or citations pages. While
        another import runs into the store, this one waits for it, or with ``wait=False``
        raises :class:`ImportRunning`.
        """
        paths = list(paths)
        files = list(expand(paths))
        if not files:
            raise NothingToImport(f"nothing to import: {', '.join(map(str, paths))} not found or empty")
        with self._alone(wait):
            return ImportReport(self._files(files, format_name, batch_size, workers, as_of, cites))

    @contextmanager
    def _alone(self, wait: bool) -> Iterator[None]:
        """Hold the store's import lock for the block, waiting for another import to end (in
        short sleeps, so Ctrl-C stops the wait) or refusing at once when not to ``wait``."""
        lock = import_lock(self.context.engine)
        try:
            if not lock.try_acquire():
                holder = lock.holder()
                running = "another import is running into this store" + (f" ({holder})" if holder else "")
                if not wait:
                    raise ImportRunning(f"{running}; run this import again when it has finished")
                self.watch.waiting(f"{running}; waiting for it to finish… (Ctrl-C to stop waiting)")
                while not lock.try_acquire():
                    time.sleep(LOCK_POLL)
            yield
        finally:
            lock.release()

    def _files(
        self,
        files: list[Path],
        format_name: str | None,
        batch_size: int,
        workers: int | None,
        as_of: dt.datetime | None,
        cites: str | None,
    ) -> list[FileResult]:
        """Import ``files`` one by one, the keyword index following the batches they commit."""
        engine, results = self.context.engine, []
        lexical = self.context.lexical
        follower = lexical.try_follow(engine)  # None: another command is writing the keyword index
        try:
            for path in files:
                self.watch.started(path, path.stat().st_size if path.exists() else None)
                result = import_file(
                    engine,
                    path,
                    format_name,
                    progress=self.watch.progress,
                    batch_size=batch_size,
                    after_batch=follower.step if follower is not None else None,
                    workers=workers,
                    as_of=as_of,
                    cites=cites,
                )
                results.append(result)
                self.watch.finished(result)
        finally:
            if follower is not None:
                follower.close()
        if follower is None:  # the index's writer brings it up to date; so does this, if free by now
            lexical.catch_up(engine)
        return results

    def mark_demo(self) -> None:
        """Flag the store as a disposable demo, which :func:`clear_demo` may later wipe."""
        mark_demo_store(self.context.engine)


def clear_demo(path: Path | None = None) -> Path:
    """Where the demo database goes (default: ``demo.db`` in the user data folder), emptied of an
    earlier demo and its indexes; a database there that is not a demo is :class:`NotADemo`."""
    target = (path or user_data_path("paperradar", appauthor=False) / "demo.db").expanduser().resolve()
    if target.exists() and not is_demo_store(target):
        raise NotADemo(f"{target} exists and is not a demo database; choose another --path")
    for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(Path(f"{target}.index"), ignore_errors=True)
    return target


class Corpus:
    """What one store holds, as imports and syncs left it."""

    def __init__(self, context: AppContext) -> None:
        self.context = context

    @property
    def name(self) -> str:
        """The store's URL as a user may see it (no password)."""
        return describe(self.context.engine)

    def stats(self) -> dict[str, Any]:
        """Counts of works, authors, ids, citations, code links and community data, by source."""
        with self.context.reading() as conn:
            return queries.stats(conn)

    def not_stored(self, limit: int = 50, only: str | None = None) -> list[dict[str, Any]]:
        """What imports did not store, newest first: records that could not be read (quarantined)
        and records read but not kept (skipped); ``only`` one of the two."""
        with self.context.reading() as conn:
            return queries.quarantined(conn, limit, only)

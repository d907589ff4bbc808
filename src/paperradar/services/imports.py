"""Importing files into the store, and looking at what the imports left there: ``paperradar import``,
``stats``, ``show``, ``quarantine`` and the store of ``paperradar demo``.

An import reads files and folders (recursively) in any supported format, one after the other,
with the keyword index following every committed batch; a file that cannot be read is a result
like the others (with its reason), so one bad file does not stop the rest. How it goes is told
through plain callables (:class:`ImportWatch`); what it did is an :class:`ImportReport`.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformdirs import user_data_path

from paperradar.ingest import BATCH_SIZE, FileResult, ProgressCallback, expand, import_file
from paperradar.services.context import AppContext
from paperradar.services.errors import ServiceError
from paperradar.store import queries
from paperradar.store.database import describe, is_demo_store, mark_demo_store


class NothingToImport(ServiceError):
    """The paths named no file."""


class NotADemo(ServiceError):
    """The demo's path holds a database that is not a demo: it is never overwritten."""


def _ignore(*_args: object) -> None:
    """No one is watching."""


@dataclass(frozen=True)
class ImportWatch:
    """What an import tells as it goes: a file starts (with its size, if it exists), its progress
    after each batch (path, bytes done, bytes in all, records), its result when it ends."""

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
    ) -> ImportReport:
        """Import every file of ``paths`` (folders recursively), detected or as ``format_name``.

        ``batch_size`` records commit together with their checkpoint; ``workers`` parse a big
        JSON-lines file beside the writer; ``as_of`` dates the statements of records that do not
        say; ``cites`` names the paper of Semantic Scholar references or citations pages.
        """
        paths = list(paths)
        files = list(expand(paths))
        if not files:
            raise NothingToImport(f"nothing to import: {', '.join(map(str, paths))} not found or empty")
        engine, results = self.context.engine, []
        follower = self.context.lexical.follow(engine)
        try:
            for path in files:
                self.watch.started(path, path.stat().st_size if path.exists() else None)
                result = import_file(
                    engine,
                    path,
                    format_name,
                    progress=self.watch.progress,
                    batch_size=batch_size,
                    after_batch=follower.step,
                    workers=workers,
                    as_of=as_of,
                    cites=cites,
                )
                results.append(result)
                self.watch.finished(result)
        finally:
            follower.close()
        return ImportReport(results)

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

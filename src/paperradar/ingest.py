"""Importing files: format detection, batching, checkpoints, quarantine and progress.

An import streams a file's items through the parser, and commits them in batches. The
checkpoint (the position of the last committed item) is written in the *same*
transaction as the batch, so a run killed at any instant resumes exactly where the
database stopped, and ends with the same content as an uninterrupted run. Re-importing
a finished file re-reads it and changes nothing (every write is an idempotent upsert).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from paperradar.records import SEMANTIC_SCHOLAR, Item, UnreadableInput
from paperradar.sources import detect, format_by_name, recorded, semantic_scholar
from paperradar.sources.base import Format, Parser, bytes_read, load_json_document
from paperradar.sources.parallel import default_workers, parse_in_workers
from paperradar.store import runs
from paperradar.store.database import writing
from paperradar.store.runs import Checkpoint as Checkpoint
from paperradar.store.writer import BatchWriter, Changes, Counts, FileContext

BATCH_SIZE = 2000
FINGERPRINT_BYTES = 1 << 20

ProgressCallback = Callable[[Path, int, int | None, int], None]
"""``progress(path, bytes_done, bytes_total, items_done)``, called after each batch."""


@dataclass
class FileResult:
    path: Path
    format: str | None = None
    counts: Counts = field(default_factory=Counts)
    items: int = 0
    resumed_from: int | None = None
    error: str | None = None  # the whole file could not be read: why

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def read_anything(self) -> bool:
        """False when the file could not be read, or every record in it was quarantined."""
        return self.ok and not (self.items and self.counts.quarantined == self.items)


def expand(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given; folders recursively (sorted, hidden files and READMEs left out)."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not child.name.startswith(".") and child.suffix.lower() != ".md":
                    yield child
        else:
            yield path


def fingerprint(path: Path) -> str:
    """Content fingerprint (size + first and last MiB): the same file under another name or
    mtime is the same import; a changed file is a new one."""
    size = path.stat().st_size
    digest = hashlib.blake2b(str(size).encode(), digest_size=16)
    with path.open("rb") as fh:
        digest.update(fh.read(FINGERPRINT_BYTES))
        if size > 2 * FINGERPRINT_BYTES:
            fh.seek(-FINGERPRINT_BYTES, os.SEEK_END)
            digest.update(fh.read())
    return digest.hexdigest()


@contextlib.contextmanager
def _bulk_gc() -> Iterator[None]:
    """Millions of short-lived records make the cyclic GC run constantly for nothing (records
    hold no cycles); collect rarely while importing, as before afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(200_000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def import_file(
    engine: Engine,
    path: Path,
    format_name: str | None = None,
    progress: ProgressCallback | None = None,
    batch_size: int = BATCH_SIZE,
    after_batch: Callable[[Changes], None] | None = None,
    workers: int | None = None,
    *,
    as_of: dt.datetime | None = None,
    cites: str | None = None,
) -> FileResult:
    """Import one file. Never raises for bad content: the result says what happened.

    A big JSON-lines file is parsed by ``workers`` processes (default: one per other core,
    see :mod:`paperradar.sources.parallel`; 0 parses in this process). ``as_of`` is when the
    file's statements were true, for records that do not say (default: now). ``cites`` names
    the paper of a Semantic Scholar references or citations page (``arXiv:…``, ``DOI:…``, a
    paperId…), whose edges the page alone cannot place. A recorded answer (an HTTP cache file of
    :mod:`paperradar.sync.http`) is imported as its body, dated and placed by its header.
    """
    try:
        with recorded.unpacked(path) as answer:
            if answer is not None:
                as_of = answer.retrieved  # the answer says when it was true; as_of is for files that do not
            result = _import(
                engine, path, answer, format_name, progress, batch_size, after_batch, workers, as_of, cites
            )
    except UnreadableInput as exc:  # a damaged recorded answer
        result = FileResult(path, error=str(exc))
    return result


def _parser(fmt: Format, body: Path, answer: recorded.Recorded | None, cites: str | None) -> Parser:
    """The parse function, told the paper of a Semantic Scholar references or citations page when
    ``--cites`` or the recorded request URL names it. Raises UnreadableInput for a misplaced ``--cites``."""
    paper_id = cites
    is_s2 = fmt.source == SEMANTIC_SCHOLAR
    if cites is not None:
        kind = semantic_scholar.citation_page(load_json_document(body)) if is_s2 else None
        if kind is None:
            what = "a Semantic Scholar answer of another kind" if is_s2 else f"{fmt.name}: {fmt.description}"
            raise UnreadableInput(
                f"--cites {cites} applies only to Semantic Scholar references or citations pages "
                f"(/paper/ID/references, /paper/ID/citations); this file is {what}"
            )
    elif answer is not None and is_s2:
        paper_id = semantic_scholar.page_paper_in_url(answer.url)
    if paper_id is None:
        return fmt.parse
    try:
        semantic_scholar.page_paper(paper_id)
    except ValueError as exc:
        raise UnreadableInput(str(exc)) from exc
    return functools.partial(semantic_scholar.parse, paper_id=paper_id)


def _shown(message: str, path: Path, answer: recorded.Recorded | None) -> str:
    """A message as the user knows the file (a recorded answer's body is read from a temporary file)."""
    return message.replace(str(answer.body), str(path)) if answer is not None else message


def _import(
    engine: Engine,
    path: Path,
    answer: recorded.Recorded | None,
    format_name: str | None,
    progress: ProgressCallback | None,
    batch_size: int,
    after_batch: Callable[[Changes], None] | None,
    workers: int | None,
    as_of: dt.datetime | None,
    cites: str | None,
) -> FileResult:
    result = FileResult(path)
    body = answer.body if answer is not None else path  # what the parsers read
    try:
        fmt: Format = format_by_name(format_name) if format_name else detect(body)
        result.format = fmt.name
        parse = _parser(fmt, body, answer, cites)
    except UnreadableInput as exc:
        result.error = _shown(str(exc), path, answer)
        return result
    key = fingerprint(path)
    checkpoint_key = f"import:{key}"
    previous, run_id = start_run(engine, "import", str(path), fmt.name, checkpoint_key)
    start = 0
    if previous is not None and not previous.done:
        start = previous.position + 1
        result.resumed_from = previous.position
    ctx = FileContext(source=fmt.source, file=str(path), file_key=key, run_id=run_id, as_of=as_of)
    batches = _Batches(
        engine, run_id, ctx, checkpoint_key, result, body, progress, after_batch, batch_size, start - 1
    )
    if workers is None:
        workers = default_workers(fmt, body)
    parallel = workers > 0 and fmt.parse_line is not None and parse is fmt.parse
    items = parse_in_workers(fmt, body, start, workers) if parallel else parse(body, start)
    batches.read(items, start, lambda message: _shown(message, path, answer))
    if answer is not None and result.ok:
        result.counts.notes.insert(0, answer.described)
    finish_run(engine, run_id, result)
    return result


@dataclass
class _Batches:
    """One file's items committed in batches, each with the checkpoint of its last position."""

    engine: Engine
    run_id: int
    ctx: FileContext
    checkpoint_key: str
    result: FileResult
    body: Path  # what the parser reads (for progress in bytes)
    progress: ProgressCallback | None
    after_batch: Callable[[Changes], None] | None
    batch_size: int
    committed: int  # the position of the last item committed
    batch: list[Item] = field(default_factory=list)
    weight: int = 0  # items in the batch, with the works they embed
    total: int = field(init=False)  # bytes to read

    def __post_init__(self) -> None:
        self.total = self.body.stat().st_size

    def read(self, items: Iterable[Item], start: int, shown: Callable[[str], str]) -> None:
        """Commit every item from position ``start`` on. A file unreadable half-way keeps what was
        read and notes why it stopped; an interruption records the run as it stands, and raises."""
        result = self.result
        with _bulk_gc():
            try:
                for item in items:
                    if item.position >= start:
                        self.add(item)
                self.commit(done=True)
            except UnreadableInput as exc:
                if result.items == 0 and not self.batch:
                    result.error = shown(str(exc))
                else:  # part of the file was read: keep it, report the rest
                    self.commit(done=False)
                    result.counts.notes.append(shown(str(exc)))
            except BaseException as exc:  # Ctrl-C or a bug: what was committed stays, and resumes
                status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
                finish_run(self.engine, self.run_id, result, status)
                raise

    def add(self, item: Item) -> None:
        # A batch ends between positions only: the checkpoint says a position is done, so
        # all its items (a paper and its thousand embedded citations) go in one transaction.
        if self.weight >= self.batch_size and item.position != self.batch[-1].position:
            self.commit(done=False)
        self.batch.append(item)
        self.weight += 1 + len(getattr(item.record, "works", ()))

    def commit(self, done: bool) -> None:
        result, batch = self.result, self.batch
        self.committed = batch[-1].position if batch else self.committed
        checkpoint = Checkpoint(self.checkpoint_key, max(self.committed, 0), done)
        writer = write_batch(self.engine, batch, self.ctx, checkpoint)
        if writer is not None:
            result.counts.add(writer.counts)
        result.items += len(batch)
        self.batch, self.weight = [], 0
        if self.after_batch is not None and writer is not None:
            self.after_batch(writer.changes)
        if self.progress is not None:
            done_bytes = bytes_read(self.body) or (self.total if done else 0)
            self.progress(self.result.path, done_bytes, self.total, result.items)


def start_run(
    engine: Engine, kind: str, target: str, format_name: str | None, checkpoint_key: str
) -> tuple[Checkpoint | None, int]:
    """Record a new run; returns the checkpoint a previous run left (if any) and the run id.

    A previous run that never finished is marked ``interrupted``: this one resumes it.
    """
    with writing(engine) as conn:
        return runs.start_run(conn, kind, target, format_name, checkpoint_key)


def write_batch(
    engine: Engine, items: list[Item], ctx: FileContext, checkpoint: Checkpoint
) -> BatchWriter | None:
    """Write ``items`` and ``checkpoint`` in one transaction: a killed run resumes exactly after it."""
    writer = None
    with writing(engine) as conn:
        if items:
            writer = BatchWriter(conn, ctx)
            writer.write(items)
        runs.save_checkpoint(conn, checkpoint, ctx.run_id)
    return writer


def finish_run(engine: Engine, run_id: int, result: FileResult, status: str | None = None) -> None:
    """Record how a run ended, with the counts and notes (or the error) of its result."""
    counts = {**result.counts.as_dict(), "items": result.items}
    message = result.error or "; ".join(result.counts.notes) or None
    with writing(engine) as conn:
        runs.finish_run(conn, run_id, status or ("failed" if result.error else "done"), counts, message)

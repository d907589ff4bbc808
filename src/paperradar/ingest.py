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
from typing import Any

import orjson
from sqlalchemy import Engine, insert, select, update

from paperradar.records import SEMANTIC_SCHOLAR, Item, UnreadableInput
from paperradar.sources import detect, format_by_name, recorded, semantic_scholar
from paperradar.sources.base import Format, Parser, bytes_read, load_json_document
from paperradar.sources.parallel import default_workers, parse_in_workers
from paperradar.store import schema as t
from paperradar.store.database import writing
from paperradar.store.sql import upsert
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


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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

    def shown(message: str) -> str:  # a recorded answer's body is read from a temporary file
        return message.replace(str(body), str(path)) if answer is not None else message

    try:
        fmt: Format = format_by_name(format_name) if format_name else detect(body)
        result.format = fmt.name
        parse = _parser(fmt, body, answer, cites)
    except UnreadableInput as exc:
        result.error = shown(str(exc))
        return result
    key = fingerprint(path)
    checkpoint_key = f"import:{key}"
    previous, run_id = start_run(engine, "import", str(path), fmt.name, checkpoint_key)
    start = 0
    if previous is not None and not previous.done:
        start = previous.position + 1
        result.resumed_from = previous.position
    ctx = FileContext(source=fmt.source, file=str(path), file_key=key, run_id=run_id, as_of=as_of)
    total = body.stat().st_size
    batch: list[Item] = []
    weight = 0
    committed = start - 1  # the position of the last item committed

    def commit(done: bool) -> None:
        nonlocal batch, weight, committed
        committed = batch[-1].position if batch else committed
        writer = write_batch(engine, batch, ctx, Checkpoint(checkpoint_key, max(committed, 0), done))
        if writer is not None:
            result.counts.add(writer.counts)
        result.items += len(batch)
        batch, weight = [], 0
        if after_batch is not None and writer is not None:
            after_batch(writer.changes)
        if progress is not None:
            progress(path, bytes_read(body) or (total if done else 0), total, result.items)

    if workers is None:
        workers = default_workers(fmt, body)
    parallel = workers > 0 and fmt.parse_line is not None and parse is fmt.parse
    items = parse_in_workers(fmt, body, start, workers) if parallel else parse(body, start)
    with _bulk_gc():
        try:
            for item in items:
                if item.position < start:
                    continue
                # A batch ends between positions only: the checkpoint says a position is done, so
                # all its items (a paper and its thousand embedded citations) go in one transaction.
                if weight >= batch_size and item.position != batch[-1].position:
                    commit(done=False)
                batch.append(item)
                weight += 1 + len(getattr(item.record, "works", ()))
            commit(done=True)
        except UnreadableInput as exc:
            if result.items == 0 and not batch:
                result.error = shown(str(exc))
            else:  # part of the file was read: keep it, report the rest
                commit(done=False)
                result.counts.notes.append(shown(str(exc)))
        except BaseException as exc:  # Ctrl-C or a bug: what was committed stays, and resumes
            finish_run(
                engine, run_id, result, "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
            )
            raise
    if answer is not None and result.ok:
        result.counts.notes.insert(0, answer.described)
    finish_run(engine, run_id, result)
    return result


@dataclass(frozen=True)
class Checkpoint:
    """Where a run stands: saved in the same transaction as the batch it follows."""

    key: str  # "import:<file fingerprint>", "sync:arxiv_oai:cs", …
    position: int  # last committed item position (a line, a record, a page)
    done: bool
    state: dict[str, Any] | None = None  # what a resumed run needs besides the position (tokens…)


def start_run(
    engine: Engine, kind: str, target: str, format_name: str | None, checkpoint_key: str
) -> tuple[Checkpoint | None, int]:
    """Record a new run; returns the checkpoint a previous run left (if any) and the run id.

    A previous run that never finished is marked ``interrupted``: this one resumes it.
    """
    cp = t.checkpoints
    with writing(engine) as conn:
        previous = conn.execute(
            select(cp.c.position, cp.c.done, cp.c.run_id, cp.c.state).where(cp.c.key == checkpoint_key)
        ).first()
        if previous is not None and not previous.done:
            conn.execute(
                update(t.ingest_runs)
                .where(t.ingest_runs.c.id == previous.run_id, t.ingest_runs.c.status == "running")
                .values(status="interrupted")
            )
        run_id = conn.execute(
            insert(t.ingest_runs)
            .values(kind=kind, target=target, format=format_name, started_at=_now(), status="running")
            .returning(t.ingest_runs.c.id)
        ).scalar_one()
    if previous is None:
        return None, int(run_id)
    state = orjson.loads(previous.state) if previous.state else None
    return Checkpoint(checkpoint_key, previous.position, previous.done, state), int(run_id)


def write_batch(
    engine: Engine, items: list[Item], ctx: FileContext, checkpoint: Checkpoint
) -> BatchWriter | None:
    """Write ``items`` and ``checkpoint`` in one transaction: a killed run resumes exactly after it."""
    writer = None
    with writing(engine) as conn:
        if items:
            writer = BatchWriter(conn, ctx)
            writer.write(items)
        row = {
            "key": checkpoint.key,
            "position": checkpoint.position,
            "done": checkpoint.done,
            "state": orjson.dumps(checkpoint.state).decode() if checkpoint.state is not None else None,
            "run_id": ctx.run_id,
            "updated_at": _now(),
        }
        upsert(conn, t.checkpoints, [row], ["key"])
    return writer


def finish_run(engine: Engine, run_id: int, result: FileResult, status: str | None = None) -> None:
    with writing(engine) as conn:
        conn.execute(
            update(t.ingest_runs)
            .where(t.ingest_runs.c.id == run_id)
            .values(
                finished_at=_now(),
                status=status or ("failed" if result.error else "done"),
                counts=orjson.dumps({**result.counts.as_dict(), "items": result.items}).decode(),
                message=result.error or "; ".join(result.counts.notes) or None,
            )
        )

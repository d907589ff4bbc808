"""The keyword (BM25) index: a tantivy index kept beside the database, derived and rebuildable.

The store stays the single source of truth on either backend; this index follows it by
*store revision*: every batch the writer commits bumps ``meta.revision`` and stamps the
works it touched, and :func:`catch_up` indexes every work with a newer revision than the
index has seen. Killing a process at any point therefore leaves, at worst, an index that
is behind, and the next import, ``paperradar index`` or search call brings it up to date.
"""

from __future__ import annotations

import hashlib
import json
import queue
import shutil
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import tantivy
from platformdirs import user_data_path
from sqlalchemy import Connection, Engine, select

from paperradar.store import schema as t
from paperradar.store.sql import chunks
from paperradar.store.writer import Changes

STATE_FILE = "paperradar-state.json"
WRITER_HEAP = 256 * 1024 * 1024
FETCH = 5000  # works read from the store per round trip while indexing


def index_dir(engine: Engine) -> Path:
    """``<db file>.index/lexical`` for SQLite; a folder per server URL in the data dir otherwise."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(f"{url.database}.index") / "lexical"
    digest = hashlib.sha1(url.render_as_string(hide_password=True).encode()).hexdigest()[:12]
    return user_data_path("paperradar", appauthor=False) / "indexes" / digest / "lexical"


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    builder.add_text_field("title", stored=False, tokenizer_name="en_stem")
    builder.add_text_field("abstract", stored=False, tokenizer_name="en_stem")
    builder.add_text_field("authors", stored=False, tokenizer_name="default")
    builder.add_text_field("category", stored=False, tokenizer_name="raw")
    builder.add_integer_field("year", stored=False, indexed=True, fast=True)
    return builder.build()


@dataclass
class IndexState:
    revision: int = 0  # store revision fully indexed
    max_id: int = 0  # largest work id indexed: newer ids need no delete before add


class LexicalIndex:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(_schema(), path=str(path), reuse=True)

    # ------------------------------------------------------------------ state
    def state(self) -> IndexState:
        file = self.path / STATE_FILE
        if not file.exists():
            return IndexState()
        return IndexState(**json.loads(file.read_text()))

    def save_state(self, state: IndexState) -> None:
        tmp = self.path / (STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(state.__dict__))
        tmp.replace(self.path / STATE_FILE)

    # ------------------------------------------------------------------ writing
    def follow(self, engine: Engine) -> Follower:
        return Follower(self, engine)

    def catch_up(self, engine: Engine) -> int:
        """Index every work changed since the last catch-up; returns how many were (re)indexed.

        When another process (an import) is writing the index, it is the one bringing it up
        to date: nothing is done here, and searches see what is indexed so far.
        """
        if store_revision(engine) <= self.state().revision:
            return 0
        try:
            follower = self.follow(engine)
        except ValueError as exc:  # tantivy: "Failed to acquire Lockfile: LockBusy"
            if "LockBusy" in str(exc):
                return 0
            raise
        return follower.close()

    def rebuild(self, engine: Engine) -> int:
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True)
        self.index = tantivy.Index(_schema(), path=str(self.path), reuse=False)
        return self.catch_up(engine)

    # ------------------------------------------------------------------ reading
    def search(self, query: str, limit: int = 20) -> list[tuple[int, float]]:
        """``(work id, BM25 score)`` best first. Plain words are ANDed; fields work as ``title:word``."""
        self.index.reload()
        parsed, _errors = self.index.parse_query_lenient(
            query,
            ["title", "abstract", "authors"],
            field_boosts={"title": 2.0, "authors": 1.5},
            conjunction_by_default=True,
        )
        searcher = self.index.searcher()
        hits = searcher.search(parsed, limit).hits
        return [(int(searcher.doc(address)["id"][0]), float(score)) for score, address in hits]


class Follower:
    """Feeds works to one open tantivy writer, in a background thread, as an import commits them.

    Each committed batch hands over what it changed (:class:`~paperradar.store.writer.Changes`),
    so the index is built from memory beside the import; tantivy releases the GIL while it
    indexes. Whenever a batch is missing (another process wrote, or a batch came without its
    changes), the follower reads what it lacks from the store by revision instead. Commits
    happen every ``commit_every`` seconds and at :meth:`close`; the saved state only ever
    claims what a commit made durable.
    """

    def __init__(self, index: LexicalIndex, engine: Engine, commit_every: float = 60.0) -> None:
        self.index, self.engine, self.commit_every = index, engine, commit_every
        state = index.state()
        self.writer = index.index.writer(WRITER_HEAP, 1)
        self.seen, self.max_id = state.revision, state.max_id
        self.count = 0
        self.last_commit = time.monotonic()
        self._queue: queue.Queue[Changes | object | None] = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="lexical-index", daemon=True)
        self._thread.start()

    def step(self, changes: Changes | None = None) -> None:
        """Index a committed batch's changes (or, with none, whatever the store has that is new)."""
        if self._error is not None:
            raise RuntimeError("the keyword indexer failed") from self._error
        self._queue.put(changes)

    def close(self) -> int:
        """Index what is left, commit, and return how many works were (re)indexed."""
        self._queue.put(_STOP)
        self._thread.join()
        if self._error is not None:
            raise RuntimeError("the keyword indexer failed") from self._error
        self._catch_up()
        self._commit()
        self.writer.wait_merging_threads()
        return self.count

    def _run(self) -> None:
        try:
            while (changes := self._queue.get()) is not _STOP:
                if isinstance(changes, Changes) and changes.revision == self.seen + 1:
                    self._add(changes.works, changes.dropped)
                    self.seen = changes.revision
                else:
                    self._catch_up()
                if time.monotonic() - self.last_commit > self.commit_every:
                    self._commit()
        except BaseException as exc:  # reported to the importing thread at its next step
            self._error = exc

    def _add(
        self, works: Iterable[tuple[int, str, str, str | None, int | None, str]], dropped: list[int]
    ) -> None:
        for work_id, title, abstract, category, year, names in works:
            if work_id <= self.max_id:
                self.writer.delete_documents_by_term("id", work_id)
            doc = tantivy.Document(id=work_id, title=title, abstract=abstract, authors=names)
            if category:
                doc.add_text("category", category)
            if year:
                doc.add_integer("year", year)
            self.writer.add_document(doc)
            self.count += 1
            self.max_id = max(self.max_id, work_id)
        for work_id in dropped:  # works that a merge folded into another
            self.writer.delete_documents_by_term("id", work_id)

    def _catch_up(self) -> None:
        head = store_revision(self.engine)
        if head <= self.seen:
            return
        with self.engine.connect() as conn:
            merged = select(t.work_merges.c.dropped_id).where(t.work_merges.c.revision > self.seen)
            self._add(_changed_works(conn, self.seen), list(conn.execute(merged).scalars()))
        self.seen = head

    def _commit(self) -> None:
        self.writer.commit()
        self.index.save_state(IndexState(revision=self.seen, max_id=self.max_id))
        self.last_commit = time.monotonic()


_STOP = object()


def store_revision(engine: Engine) -> int:
    """The store's revision: bumped by every committed batch (see store.writer)."""
    with engine.connect() as conn:
        return int(conn.execute(select(t.meta.c.value).where(t.meta.c.key == "revision")).scalar() or 0)


def _changed_works(
    conn: Connection, since: int
) -> Iterator[tuple[int, str, str, str | None, int | None, str]]:
    """Works with a newer revision than ``since``, with their author names, paged by id."""
    last = 0
    while True:
        rows = conn.execute(
            select(
                t.works.c.id, t.works.c.title, t.works.c.abstract, t.works.c.primary_category, t.works.c.year
            )
            .where(t.works.c.revision > since, t.works.c.id > last)
            .order_by(t.works.c.id)
            .limit(FETCH)
        ).all()
        if not rows:
            return
        last = rows[-1][0]
        names: dict[int, list[str]] = defaultdict(list)
        for chunk in chunks([row[0] for row in rows]):
            stmt = (
                select(t.authorships.c.work_id, t.authorships.c.name)
                .where(t.authorships.c.work_id.in_(chunk))
                .order_by(t.authorships.c.work_id, t.authorships.c.position)
            )
            for work_id, name in conn.execute(stmt):
                names[work_id].append(name)
        for work_id, title, abstract, category, year in rows:
            yield work_id, title or "", abstract or "", category, year, " ; ".join(names.get(work_id, ()))


def count_documents(path: Path) -> int:
    index = tantivy.Index.open(str(path))
    index.reload()
    return int(index.searcher().num_docs)

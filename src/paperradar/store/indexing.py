"""What the derived indexes read from the store, and the embeddings they are built from.

The keyword index and the tf-idf matrix follow the store's revision (``meta.revision``); the
vector index follows the ``embeddings`` table by batch number (``meta.embedding_batch``). Every
read here pages by id (or by batch and id), so a corpus of millions of works is never held at
once; the search and analysis layers turn the rows into index entries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Engine, and_, bindparam, func, or_, select, update

from paperradar.store import schema as t
from paperradar.store.sql import chunks, meta_number, set_meta_number, upsert
from paperradar.store.writer import IndexedWork

REVISION_KEY = "revision"
BATCH_KEY = "embedding_batch"

Pending = tuple[int, str | None, str | None, int, str | None, str | None]
"""(work id, title, abstract, revision, model of its stored vector, hash of its embedded text)."""


def store_revision(conn: Connection) -> int:
    """The store's revision: bumped by every committed batch (see store.writer)."""
    return meta_number(conn, REVISION_KEY)


def count_works(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(t.works)).scalar() or 0)


# ---------------------------------------------------------------------- works by revision
def changed_works(conn: Connection, since: int, page: int) -> Iterator[IndexedWork]:
    """Works with a newer revision than ``since``, with their author names, ``page`` at a time by id."""
    w = t.works.c
    columns = (w.id, w.title, w.abstract, w.categories, w.primary_category, w.year, w.has_code, w.published)
    last = 0
    while True:
        rows = conn.execute(
            select(*columns).where(w.revision > since, w.id > last).order_by(w.id).limit(page)
        ).all()
        if not rows:
            return
        last = rows[-1][0]
        names = _author_names(conn, [row[0] for row in rows])
        for work_id, title, abstract, categories, primary, year, has_code, published in rows:
            authors = " ; ".join(names.get(work_id, ()))
            cats = categories or primary or ""
            yield IndexedWork(
                work_id, title or "", abstract or "", authors, cats, year, bool(has_code), published
            )


def _author_names(conn: Connection, work_ids: list[int]) -> dict[int, list[str]]:
    """Each work's author names in authorship order."""
    names: dict[int, list[str]] = defaultdict(list)
    a = t.authorships.c
    for chunk in chunks(work_ids):
        stmt = select(a.work_id, a.name).where(a.work_id.in_(chunk)).order_by(a.work_id, a.position)
        for work_id, name in conn.execute(stmt):
            names[work_id].append(name)
    return names


def merged_since(conn: Connection, revision: int) -> list[int]:
    """Works folded into another by a merge after ``revision``."""
    merges = t.work_merges.c
    return list(conn.execute(select(merges.dropped_id).where(merges.revision > revision)).scalars())


def work_texts(
    engine: Engine, since: int, upto: int | None, step: int, page: int
) -> Iterator[list[tuple[int, str | None, str | None]]]:
    """Pages of ``(id, title, abstract)`` of works with a revision in ``(since, upto]`` (``upto``
    None: no bound), by id; with ``step`` > 1 only every ``step``-th id (a sample)."""
    w = t.works.c
    last = 0
    with engine.connect() as conn:
        while True:
            stmt = select(w.id, w.title, w.abstract).where(w.revision > since, w.id > last)
            if upto is not None:
                stmt = stmt.where(w.revision <= upto)
            if step > 1:
                stmt = stmt.where(w.id % step == 0)
            rows = conn.execute(stmt.order_by(w.id).limit(page)).all()
            if not rows:
                return
            last = rows[-1][0]
            yield [(row[0], row[1], row[2]) for row in rows]


# ---------------------------------------------------------------------- embeddings
def _pending_filter(model: str) -> ColumnElement[bool]:
    e = t.embeddings.c
    return or_(e.work_id.is_(None), e.model != model, t.works.c.revision > e.revision)


def count_pending(conn: Connection, model: str) -> int:
    """Works whose vector is missing, of another model, or older than the work."""
    joined = t.works.outerjoin(t.embeddings, t.embeddings.c.work_id == t.works.c.id)
    stmt = select(func.count()).select_from(joined).where(_pending_filter(model))
    return int(conn.execute(stmt).scalar() or 0)


def pending(conn: Connection, model: str, after: int, limit: int) -> list[Pending]:
    """Up to ``limit`` works past id ``after`` that need a look (see :func:`count_pending`), by id."""
    joined = t.works.outerjoin(t.embeddings, t.embeddings.c.work_id == t.works.c.id)
    w, e = t.works.c, t.embeddings.c
    stmt = (
        select(w.id, w.title, w.abstract, w.revision, e.model, e.text_hash)
        .select_from(joined)
        .where(and_(w.id > after, _pending_filter(model)))
        .order_by(w.id)
        .limit(limit)
    )
    return [(row[0], row[1], row[2], row[3], row[4], row[5]) for row in conn.execute(stmt)]


@dataclass(frozen=True)
class Embedded:
    """A work's vector to store (``vector`` empty: the work has no text to embed)."""

    work_id: int
    text_hash: str
    vector: bytes
    revision: int


def write_embeddings(
    conn: Connection,
    model: str,
    embedded_at: dt.datetime,
    vectors: Sequence[Embedded],
    unchanged: Sequence[tuple[int, int]],
) -> int:
    """One chunk of the embedding job, under the next batch number (returned): the ``vectors``,
    and the new revision of the ``unchanged`` works (work id, revision) whose text did not change."""
    batch = next_embedding_batch(conn)
    rows = [
        {
            "work_id": v.work_id,
            "model": model,
            "text_hash": v.text_hash,
            "vector": v.vector,
            "revision": v.revision,
            "batch": batch,
            "embedded_at": embedded_at,
        }
        for v in vectors
    ]
    if rows:
        upsert(conn, t.embeddings, rows, ["work_id"])
    if unchanged:
        stmt = (
            update(t.embeddings)
            .where(t.embeddings.c.work_id == bindparam("_id"))
            .values(revision=bindparam("_revision"))
        )
        conn.execute(stmt, [{"_id": work_id, "_revision": revision} for work_id, revision in unchanged])
    return batch


def next_embedding_batch(conn: Connection) -> int:
    """Take the next embedding batch number (in ``conn``'s write transaction)."""
    value = embedding_batch(conn) + 1
    set_meta_number(conn, BATCH_KEY, value)
    return value


def embedding_batch(conn: Connection) -> int:
    """The newest committed embedding batch (0: nothing embedded yet)."""
    return meta_number(conn, BATCH_KEY)


def embedding_pages(
    engine: Engine, model: str, after: int, upto: int, page: int
) -> Iterator[list[tuple[int, bytes]]]:
    """Pages of ``(work id, vector)`` of ``model`` in batches ``(after, upto]``, in (batch, work id)
    order; a vector is empty for a work with no text to embed."""
    e = t.embeddings.c
    last = (after, 2**31 - 1)  # keyset (batch, work id): start after every row of batch ``after``
    with engine.connect() as conn:
        while True:
            stmt = (
                select(e.batch, e.work_id, e.vector)
                .where(e.model == model, e.batch <= upto)
                .where((e.batch > last[0]) | ((e.batch == last[0]) & (e.work_id > last[1])))
                .order_by(e.batch, e.work_id)
                .limit(page)
            )
            rows = conn.execute(stmt).all()
            if not rows:
                return
            last = (rows[-1][0], rows[-1][1])
            yield [(row[1], row[2]) for row in rows]

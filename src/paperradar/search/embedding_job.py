"""Embedding the corpus: incremental, resumable, one committed chunk at a time.

A work needs a vector when it has none, when its vector came from another model, or when
it changed since (its revision is newer) *and* its text did too: a merge that only added a
DOI costs no model call. Each chunk of vectors commits in one transaction with the next
``embedding_batch`` number, which the vector index follows; a killed run loses at most the
chunk in flight and the next run carries on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from sqlalchemy import ColumnElement, Connection, Engine, and_, bindparam, func, or_, select, update

from paperradar.search.embeddings import Embedder, text_hash, work_text
from paperradar.store import schema as t
from paperradar.store.database import writing
from paperradar.store.sql import upsert

CHUNK = 256  # works embedded per commit: a few seconds of model time
SCAN = 4096  # works read per round trip while looking for pending ones
BATCH_KEY = "embedding_batch"


@dataclass
class EmbedResult:
    embedded: int = 0  # model calls
    unchanged: int = 0  # text unchanged since the last vector: only its revision moved on
    empty: int = 0  # nothing to embed (no title, no abstract)


def _pending_filter(model: str) -> ColumnElement[bool]:
    e = t.embeddings.c
    return or_(e.work_id.is_(None), e.model != model, t.works.c.revision > e.revision)


def count_pending(engine: Engine, model: str) -> int:
    joined = t.works.outerjoin(t.embeddings, t.embeddings.c.work_id == t.works.c.id)
    with engine.connect() as conn:
        stmt = select(func.count()).select_from(joined).where(_pending_filter(model))
        return int(conn.execute(stmt).scalar() or 0)


_Pending = tuple[int, str | None, str | None, int, str | None, str | None]
"""(work id, title, abstract, revision, model of its stored vector, hash of its embedded text)."""


def _pending(conn: Connection, model: str, after: int) -> list[_Pending]:
    joined = t.works.outerjoin(t.embeddings, t.embeddings.c.work_id == t.works.c.id)
    w, e = t.works.c, t.embeddings.c
    stmt = (
        select(w.id, w.title, w.abstract, w.revision, e.model, e.text_hash)
        .select_from(joined)
        .where(and_(w.id > after, _pending_filter(model)))
        .order_by(w.id)
        .limit(SCAN)
    )
    return [(row[0], row[1], row[2], row[3], row[4], row[5]) for row in conn.execute(stmt)]


def _chunks(engine: Engine, model: str) -> Iterator[list[_Pending]]:
    after = 0
    while True:
        with engine.connect() as conn:
            rows = _pending(conn, model, after)
        if not rows:
            return
        after = rows[-1][0]
        for start in range(0, len(rows), CHUNK):
            yield rows[start : start + CHUNK]


def embed_pending(
    engine: Engine,
    embedder: Embedder,
    progress: Callable[[int], None] | None = None,
    limit: int | None = None,
) -> EmbedResult:
    """Embed every work that needs it (look at most ``limit``); ``progress(n)`` as works are done."""
    model = embedder.name
    result = EmbedResult()
    done = 0
    for rows in _chunks(engine, model):
        if limit is not None:
            rows = rows[: limit - done]
            if not rows:
                break
        done += len(rows)
        now = dt.datetime.now(dt.UTC)
        texts = [work_text(title, abstract) for _, title, abstract, *_ in rows]
        hashes = [text_hash(text) for text in texts]
        to_embed = [
            i
            for i, (row, text, digest) in enumerate(zip(rows, texts, hashes, strict=True))
            if text and not (row[4] == model and row[5] == digest)
        ]
        vectors = embedder.embed([texts[i] for i in to_embed]) if to_embed else np.zeros((0, 1))
        fresh = dict(zip(to_embed, vectors.astype("<f2"), strict=True))
        with writing(engine) as conn:
            batch = _next_batch(conn)
            full, touch = [], []
            for i, (work_id, _, _, revision, _, _) in enumerate(rows):
                if i in fresh or not texts[i]:
                    full.append(
                        {
                            "work_id": work_id,
                            "model": model,
                            "text_hash": hashes[i],
                            "vector": fresh[i].tobytes() if i in fresh else b"",
                            "revision": revision,
                            "batch": batch,
                            "embedded_at": now,
                        }
                    )
                else:
                    touch.append({"work_id": work_id, "revision": revision})
            if full:
                upsert(conn, t.embeddings, full, ["work_id"])
            if touch:
                _touch(conn, touch)
        result.embedded += len(fresh)
        result.empty += sum(1 for text in texts if not text)
        result.unchanged += len(touch)
        if progress:
            progress(len(rows))
    return result


def _touch(conn: Connection, rows: list[dict[str, int]]) -> None:
    stmt = (
        update(t.embeddings)
        .where(t.embeddings.c.work_id == bindparam("_id"))
        .values(revision=bindparam("_revision"))
    )
    conn.execute(stmt, [{"_id": r["work_id"], "_revision": r["revision"]} for r in rows])


def _next_batch(conn: Connection) -> int:
    current = conn.execute(select(t.meta.c.value).where(t.meta.c.key == BATCH_KEY)).scalar()
    value = int(current or 0) + 1
    upsert(conn, t.meta, [{"key": BATCH_KEY, "value": str(value)}], ["key"])
    return value


def embedding_batch(engine: Engine) -> int:
    """The newest committed embedding batch (0: nothing embedded yet)."""
    with engine.connect() as conn:
        return int(conn.execute(select(t.meta.c.value).where(t.meta.c.key == BATCH_KEY)).scalar() or 0)

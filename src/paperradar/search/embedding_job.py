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
from sqlalchemy import Engine

from paperradar.search.embeddings import Embedder, text_hash, work_text
from paperradar.store import indexing
from paperradar.store.database import writing
from paperradar.store.indexing import BATCH_KEY as BATCH_KEY
from paperradar.store.indexing import Embedded, Pending

CHUNK = 256  # works embedded per commit: a few seconds of model time
SCAN = 4096  # works read per round trip while looking for pending ones


@dataclass
class EmbedResult:
    embedded: int = 0  # model calls
    unchanged: int = 0  # text unchanged since the last vector: only its revision moved on
    empty: int = 0  # nothing to embed (no title, no abstract)


def count_pending(engine: Engine, model: str) -> int:
    """Works that need a vector of ``model`` (missing, of another model, or older than the work)."""
    with engine.connect() as conn:
        return indexing.count_pending(conn, model)


def _chunks(engine: Engine, model: str) -> Iterator[list[Pending]]:
    after = 0
    while True:
        with engine.connect() as conn:
            rows = indexing.pending(conn, model, after, SCAN)
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
        _embed_chunk(engine, embedder, rows, result)
        if progress:
            progress(len(rows))
    return result


def _embed_chunk(engine: Engine, embedder: Embedder, rows: list[Pending], result: EmbedResult) -> None:
    """Embed one chunk and commit it: the model is called only for works whose text changed."""
    model = embedder.name
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
    full: list[Embedded] = []
    touch: list[tuple[int, int]] = []
    for i, (work_id, _, _, revision, _, _) in enumerate(rows):
        if i in fresh or not texts[i]:
            vector = fresh[i].tobytes() if i in fresh else b""
            full.append(Embedded(work_id, hashes[i], vector, revision))
        else:
            touch.append((work_id, revision))
    with writing(engine) as conn:
        indexing.write_embeddings(conn, model, now, full, touch)
    result.embedded += len(fresh)
    result.empty += sum(1 for text in texts if not text)
    result.unchanged += len(touch)


def embedding_batch(engine: Engine) -> int:
    """The newest committed embedding batch (0: nothing embedded yet)."""
    with engine.connect() as conn:
        return indexing.embedding_batch(conn)

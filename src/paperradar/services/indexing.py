"""Bringing the derived indexes up to date with the store: what ``paperradar index`` does.

The store is the single source of truth; the keyword index, the embeddings of the works, the
vector index over them and the tf-idf matrix of the recommendations follow it and can be rebuilt
from it at any time. Embedding is slow, so it is incremental and resumable: a run stopped (Ctrl-C)
keeps what it committed and the next one carries on. One run at a time per database: a second
one finds the first keeping the indexes current and leaves it to it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from filelock import FileLock, Timeout

from paperradar.search.atlas import atlas_of
from paperradar.search.embedding_job import EmbedResult, count_pending, embed_pending
from paperradar.services.context import AppContext

Stage = Literal["keyword index", "embedding", "embedding model", "vector index"]
"""A part of a pass: the keyword index; embedding the works (within it, loading the model); the
vector index."""
Ended = Literal["done", "busy", "stopped"]
"""How a run ended: as asked; not started, another run keeps the indexes; stopped by Ctrl-C."""


@dataclass
class IndexRound:
    """What one pass did, filled in stage by stage."""

    rebuild: bool  # the indexes were thrown away and built anew
    keyword: int = 0  # works (re)indexed by keywords
    model: str = ""  # the embedding model (when embedding was asked for)
    pending: int = 0  # works this pass set out to embed
    embedded: EmbedResult | None = None
    added: int = 0  # vectors added to the vector index
    vectors: int = 0  # vectors in it, in all
    placed: int = 0  # works given coordinates on the map of the corpus


def _ignore(*_args: object) -> None:
    """No one is watching."""


@dataclass(frozen=True)
class IndexWatch:
    """What a run tells as it goes: a stage begins (with how many items, if known), items of
    it are done, it ends (with the pass so far)."""

    began: Callable[[Stage, int | None], None] = _ignore
    advanced: Callable[[int], None] = _ignore
    ended: Callable[[Stage, IndexRound], None] = _ignore


class Indexer:
    """The derived indexes of one store."""

    def __init__(self, context: AppContext, watch: IndexWatch | None = None) -> None:
        self.context = context
        self.watch = watch or IndexWatch()

    def run(
        self,
        *,
        rebuild: bool = False,
        embed: bool = True,
        limit: int | None = None,
        follow: bool = False,
        every: float = 60,
    ) -> Ended:
        """One pass (``rebuild``: anew; ``embed``: the embeddings and vector index too, at most
        ``limit`` works embedded), or with ``follow`` one every ``every`` seconds until Ctrl-C."""
        searcher = self.context.searcher
        lock = FileLock(str(searcher.vectors.path) + ".lock")
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return "busy"
        try:
            while True:
                self.once(rebuild=rebuild, embed=embed, limit=limit)
                if not follow:
                    return "done"
                rebuild = False
                time.sleep(every)
        except KeyboardInterrupt:
            return "stopped"
        finally:
            lock.release()

    def once(self, *, rebuild: bool = False, embed: bool = True, limit: int | None = None) -> IndexRound:
        """One pass over the keyword index, then (with ``embed``) the embeddings and the vector index."""
        done = IndexRound(rebuild)
        self._keywords(done)
        if embed:
            self._embeddings(done, limit)
            self._vectors(done)
            vectors = self.context.searcher.vectors
            done.placed = atlas_of(vectors).catch_up(vectors, refit=done.rebuild)
        return done

    def terms(self) -> int:
        """Bring the recommendations' tf-idf matrix up to date; how many works were added to it."""
        return self.context.terms.catch_up(self.context.engine)

    def _keywords(self, done: IndexRound) -> None:
        engine, lexical = self.context.engine, self.context.searcher.lexical
        self.watch.began("keyword index", None)
        done.keyword = lexical.rebuild(engine) if done.rebuild else lexical.catch_up(engine)
        self.watch.ended("keyword index", done)

    def _embeddings(self, done: IndexRound, limit: int | None) -> None:
        engine, embedder = self.context.engine, self.context.searcher.embedder
        done.model = embedder.name
        pending = count_pending(engine, embedder.name)
        done.pending = pending if limit is None else min(pending, limit)
        if not done.pending:
            return
        self.watch.began("embedding", done.pending)
        self.watch.began("embedding model", None)
        embedder.embed(["warm up"])
        self.watch.ended("embedding model", done)
        done.embedded = embed_pending(engine, embedder, self.watch.advanced, limit)
        self.watch.ended("embedding", done)

    def _vectors(self, done: IndexRound) -> None:
        engine, vectors = self.context.engine, self.context.searcher.vectors
        self.watch.began("vector index", None)
        if done.rebuild:
            done.added = vectors.rebuild(engine, done.model, self.watch.advanced)
        else:
            done.added = vectors.catch_up(engine, done.model, self.watch.advanced)
        done.vectors = len(vectors)
        self.watch.ended("vector index", done)

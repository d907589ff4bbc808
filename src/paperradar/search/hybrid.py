"""Hybrid search: keyword (BM25) and meaning (embeddings) rankings fused by reciprocal rank.

Lexical search wins where the words match, dense search where they differ; reciprocal rank
fusion (score = Σ 1 / (k + rank), k = 60) needs no score calibration between the two. An
exact arXiv id, DOI or title is pinned first. Filters (``cat: year: has:code au: ti:``) hold
for both rankings: the dense side searches exactly among the works that pass them when they
are few, and filters its nearest neighbours otherwise.

Semantic search fills in as the corpus is embedded: works without a vector yet are still
found by their words, and the result says how much of the corpus the dense side covers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from sqlalchemy import Engine

from paperradar import records as r
from paperradar.identity import works as work_identity
from paperradar.search import query as q
from paperradar.search.embeddings import Embedder
from paperradar.search.lexical import LexicalIndex, index_dir
from paperradar.search.vectors import VectorIndex
from paperradar.store import queries
from paperradar.store import search as store_search

RRF_K = 60
DEPTH = 100  # how deep each ranking goes before fusion
FILTERED_EXACT = 5_000  # filtered dense search is exact among at most this many works (~3 ms)
# Below this cosine a MiniLM neighbour shares no topic with the query (unrelated abstracts score
# 0.0-0.15): such works are not offered as matches, so gibberish finds nothing rather than noise.
DENSE_FLOOR = 0.2

Mode = Literal["hybrid", "lexical", "semantic"]


@dataclass
class Hit:
    work_id: int
    score: float
    lexical_rank: int | None = None
    dense_rank: int | None = None
    similarity: float | None = None
    pinned: str | None = None  # "arXiv id", "DOI", "title"


@dataclass
class SearchResult:
    hits: list[Hit]
    mode: Mode
    notes: list[str] = field(default_factory=list)


def vector_dir(engine: Engine) -> VectorIndex:
    return VectorIndex(index_dir(engine).parent / "vectors")


class Searcher:
    """Search, related papers and similar authors over one store and its derived indexes."""

    def __init__(self, engine: Engine, embedder: Embedder | None = None) -> None:
        self.engine = engine
        self.lexical = LexicalIndex(index_dir(engine))
        self.vectors = vector_dir(engine)
        self._embedder = embedder

    @cached_property
    def embedder(self) -> Embedder:
        return self._embedder or Embedder()

    def semantic_ready(self) -> bool:
        """Vectors of the current model exist (the model is loaded only when they do)."""
        return len(self.vectors) > 0 and self.vectors.state.model == self.embedder.name

    # ------------------------------------------------------------------ search
    def search(self, text: str, limit: int = 10, mode: Mode = "hybrid") -> SearchResult:
        parsed = q.parse(text)
        result = SearchResult([], mode, list(parsed.notes))
        if parsed.is_empty:
            result.notes.append("the query is empty: type some words, or a filter such as cat:cs.LG")
            return result
        pin = self._pin(parsed)
        if pin and pin[1] == "id":  # the query names one paper: that is the answer
            result.hits = [Hit(pin[0], 1.0, pinned="id")]
            return result
        depth = max(DEPTH, limit)
        dense: list[tuple[int, float]] = []
        if mode != "lexical" and parsed.free_text:
            if self.semantic_ready():
                dense = self._dense(parsed, depth)
            else:
                result.notes.append(
                    "semantic search is not ready (run `paperradar index`): ranked by keywords only"
                )
                result.mode = "lexical"
        lexical = self.lexical.search(parsed, depth) if result.mode != "semantic" else []
        hits = fuse(lexical, dense)
        if pin:
            hits = [Hit(pin[0], 1.0, pinned=pin[1]), *(h for h in hits if h.work_id != pin[0])]
        result.hits = hits[:limit]
        return result

    def _dense(self, parsed: q.SearchQuery, depth: int) -> list[tuple[int, float]]:
        return [(w, s) for w, s in self._nearest(parsed, depth) if s >= DENSE_FLOOR]

    def _nearest(self, parsed: q.SearchQuery, depth: int) -> list[tuple[int, float]]:
        vector = self.embedder.embed_query(parsed.free_text)
        if not parsed.has_filters:
            return self.vectors.search(vector, depth)
        allowed = self.lexical.matching(parsed, FILTERED_EXACT)
        if allowed is not None:
            return self.vectors.search(vector, depth, within=allowed)
        nearest = self.vectors.search(vector, depth * 5)
        passing = set(self.lexical.matching(parsed, len(nearest), within=[w for w, _ in nearest]) or ())
        return [(w, s) for w, s in nearest if w in passing][:depth]

    def _pin(self, parsed: q.SearchQuery) -> tuple[int, str] | None:
        """The work the whole query names exactly: by arXiv id or DOI, else by its exact title."""
        text = parsed.raw.strip()
        if not text or parsed.has_filters or len(text) > 500:
            return None
        with self.engine.connect() as conn:
            if " " not in text and (work_id := queries.resolve_work(conn, text)) is not None:
                return work_id, "id"
            key = work_identity.title_key(r.WorkRecord(ids={}, title=text.strip('"')))
            if key is None:
                return None
            found = store_search.works_with_id(conn, work_identity.TITLE_SCHEME, key)
        return (int(found[0]), "title") if found else None

    # ------------------------------------------------------------------ related
    def related(self, work_id: int, limit: int = 10, mode: Mode = "hybrid") -> SearchResult:
        """Papers like this one: nearest neighbours of its stored vector (no model call) fused with
        the works sharing its most telling words; by words alone while it has no vector yet."""
        result = SearchResult([], mode)
        with self.engine.connect() as conn:
            title, abstract = store_search.title_and_abstract(conn, work_id)
        depth = max(DEPTH, limit + 1)
        dense: list[tuple[int, float]] = []
        if mode != "lexical":
            vector = self.vectors.vector_of(work_id)
            if vector is not None and self.vectors.state.model == self.embedder.name:
                found = self.vectors.search(vector, depth + 1, paper=True)
                dense = [(w, s) for w, s in found if w != work_id]
            else:
                result.notes.append("this work has no vector yet (run `paperradar index`): related by words")
                result.mode = "lexical"
        lexical: list[tuple[int, float]] = []
        if result.mode != "semantic":
            lexical = [(w, s) for w, s in self.lexical.like(title or "", abstract or "", depth + 1)]
            lexical = [(w, s) for w, s in lexical if w != work_id]
        result.hits = fuse(lexical, dense)[:limit]
        return result


def fuse(*rankings: list[tuple[int, float]], k: int = RRF_K) -> list[Hit]:
    """Reciprocal rank fusion of a lexical and a dense ranking (either may be empty)."""
    hits: dict[int, Hit] = {}
    for which, ranking in zip(("lexical", "dense"), rankings, strict=False):
        for rank, (work_id, score) in enumerate(ranking, start=1):
            hit = hits.setdefault(work_id, Hit(work_id, 0.0))
            hit.score += 1.0 / (k + rank)
            if which == "lexical":
                hit.lexical_rank = rank
            else:
                hit.dense_rank, hit.similarity = rank, score
    return sorted(hits.values(), key=lambda h: (-h.score, h.work_id))

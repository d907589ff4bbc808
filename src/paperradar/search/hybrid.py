"""Hybrid search: keyword (BM25) and meaning (embeddings) rankings fused by reciprocal rank.

Lexical search wins where the words match, dense search where they differ; reciprocal rank
fusion (score = Σ weight / (k + rank), k = 60) needs no score calibration between the two. A
work found by meaning alone must pass a :class:`DenseFloor` and counts half in the fusion, so it
follows the works that have the query's words rather than crowding them out. An exact arXiv id,
DOI or title is pinned first; a misspelt word gets a "did you mean" (:mod:`.spelling`).
Filters (``cat: year: has:code au: ti:``) hold for both rankings: the dense side searches
exactly among the works that pass them when they are few, and filters its nearest neighbours
otherwise.

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
from paperradar.search.spelling import Speller
from paperradar.search.vectors import VectorIndex
from paperradar.store import queries
from paperradar.store import search as store_search

RRF_K = 60
DEPTH = 100  # how deep each ranking goes before fusion
FILTERED_EXACT = 5_000  # filtered dense search is exact among at most this many works (~3 ms)
# A typed query sits about 0.3 from almost any abstract ("speculative decoding" from Dijkstra's
# essays; unrelated abstracts to each other 0.0-0.15): below this cosine a work that shares no
# word with the query is not offered, so gibberish finds nothing rather than noise.
DENSE_FLOOR = 0.36


@dataclass(frozen=True)
class DenseFloor:
    """How a work found by meaning alone (no word of the query in it) earns its place.

    It must be ``absolute`` close to the query, and ``margin`` closer than the query's
    ``crowd``-th nearest work (when there are that many), which is how close anything is to it:
    a query that sits near everything needs more. ``relative`` would also ask for a share of
    the best similarity. In the fusion the dense ranking counts ``weight`` times the keyword
    ranking's, so at 0.5 a work found by meaning alone follows the works found by the query's
    words (up to the 60th) and fills in after them. Works the keyword side found are never cut.
    The defaults come from ``python bench/relevance.py --topics`` (bench/README.md): on 30 topic
    queries of the demo corpus they keep nDCG@10 and cut the works off topic in the top 10 by a
    third.
    """

    absolute: float = DENSE_FLOOR  # never below this cosine
    relative: float = 0.0  # at least this share of the best similarity
    margin: float = 0.1  # at least this much above the crowd
    crowd: int = DEPTH
    weight: float = 0.5  # of the dense ranking in the fusion (the keyword ranking's is 1)

    def cut(self, nearest: list[tuple[int, float]]) -> float:
        """The similarity a work found by meaning alone needs, given the query's nearest works."""
        if not nearest:
            return self.absolute
        cut = max(self.absolute, self.relative * nearest[0][1])
        if len(nearest) >= self.crowd:
            cut = max(cut, nearest[self.crowd - 1][1] + self.margin)
        return cut


Mode = Literal["hybrid", "lexical", "semantic"]
FoundBy = Literal["exact", "both", "keywords", "meaning"]


@dataclass
class Hit:
    work_id: int
    score: float
    lexical_rank: int | None = None
    dense_rank: int | None = None
    similarity: float | None = None
    pinned: str | None = None  # "arXiv id", "DOI", "title"

    @property
    def found_by(self) -> FoundBy:
        """Which ranking found the work: its words, its meaning, both, or the query named it."""
        if self.pinned:
            return "exact"
        if self.lexical_rank and self.dense_rank:
            return "both"
        return "keywords" if self.lexical_rank else "meaning"

    def ranks(self) -> str:
        """Its rank in each ranking that found it: ``words #1 · meaning #3``, or ``exact title``."""
        if self.pinned:
            return f"exact {self.pinned}"
        parts = [f"words #{self.lexical_rank}"] if self.lexical_rank else []
        return " · ".join([*parts, f"meaning #{self.dense_rank}"] if self.dense_rank else parts)


@dataclass
class SearchResult:
    hits: list[Hit]
    mode: Mode
    notes: list[str] = field(default_factory=list)
    did_you_mean: str | None = None  # the query with its misspelt words corrected


def vector_dir(engine: Engine) -> VectorIndex:
    return VectorIndex(index_dir(engine).parent / "vectors")


class Searcher:
    """Search, related papers and similar authors over one store and its derived indexes."""

    def __init__(
        self, engine: Engine, embedder: Embedder | None = None, floor: DenseFloor | None = None
    ) -> None:
        self.engine = engine
        self.lexical = LexicalIndex(index_dir(engine))
        self.vectors = vector_dir(engine)
        self._embedder = embedder
        self.floor = floor or DenseFloor()

    @cached_property
    def embedder(self) -> Embedder:
        return self._embedder or Embedder()

    @cached_property
    def speller(self) -> Speller:
        return Speller(self.lexical)

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
        nearest: list[tuple[int, float]] = []
        if mode != "lexical" and parsed.free_text:
            if self.semantic_ready():
                nearest = self._nearest(parsed, depth)
            else:
                result.notes.append(
                    "semantic search is not ready (run `paperradar index`): ranked by keywords only"
                )
                result.mode = "lexical"
        lexical = self.lexical.search(parsed, depth) if result.mode != "semantic" else []
        dense = [(w, s) for w, s in nearest if s >= self.floor.absolute]
        cut = self.floor.cut(nearest)  # what a work found by meaning alone needs
        fused = fuse(lexical, dense, weight=self.floor.weight)
        hits = [h for h in fused if h.lexical_rank or (h.similarity or 0.0) >= cut]
        result.did_you_mean = self.speller.suggest(text) if parsed.has_terms else None
        if pin:
            hits = [Hit(pin[0], 1.0, pinned=pin[1]), *(h for h in hits if h.work_id != pin[0])]
        result.hits = hits[:limit]
        return result

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


def fuse(
    lexical: list[tuple[int, float]], dense: list[tuple[int, float]], k: int = RRF_K, weight: float = 1.0
) -> list[Hit]:
    """Reciprocal rank fusion of a lexical and a dense ranking (either may be empty), the dense
    one counting ``weight`` times as much as the lexical one."""
    hits: dict[int, Hit] = {}
    for which, ranking, counts in (("lexical", lexical, 1.0), ("dense", dense, weight)):
        for rank, (work_id, score) in enumerate(ranking, start=1):
            hit = hits.setdefault(work_id, Hit(work_id, 0.0))
            hit.score += counts / (k + rank)
            if which == "lexical":
                hit.lexical_rank = rank
            else:
                hit.dense_rank, hit.similarity = rank, score
    return sorted(hits.values(), key=lambda h: (-h.score, h.work_id))

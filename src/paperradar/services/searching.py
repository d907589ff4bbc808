"""Search as the reader asks for it: a query, papers like a paper, authors like an author.

One use case for the command line, the pages, the JSON API and the search feeds, over the
context's :class:`~paperradar.search.hybrid.Searcher`. A search first brings the keyword index
up to date with the store (it follows the store's revision), so a work imported a moment ago is
found; related papers and similar authors read the stored vectors only. The command line gets
short rows with each ranking's rank, the web app cards, a page of them and the facets of the
whole list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from paperradar.analysis.cards import Card, cards
from paperradar.search import facets
from paperradar.search.hybrid import Mode, Searcher, SearchResult
from paperradar.search.similar_authors import SimilarAuthor, similar_authors
from paperradar.services.context import AppContext
from paperradar.services.errors import NotFound
from paperradar.store import queries


@dataclass(frozen=True)
class Found:
    """A ranked list: each hit's work in short (``queries.work_summaries``) with its score and
    ranks; the hits whose work was merged away since it was indexed are left out."""

    mode: Mode  # the mode used: "lexical" when semantic search was asked for but is not ready
    notes: list[str]
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class Related:
    title: str | None  # the paper's title
    found: Found


@dataclass(frozen=True)
class ResultPage:
    """One page of cards out of the top ``facets.DEPTH`` results, and the facets of all of those."""

    cards: list[Card]
    notes: list[str]
    facets: facets.Facets


@dataclass(frozen=True)
class AuthorsLike:
    matches: list[dict[str, Any]]  # the authors the name may mean, most prolific first
    similar: list[SimilarAuthor] | None  # like the first of them; None: no vectors yet
    closest: dict[int, str | None]  # the title of each similar author's closest work, by work id

    @property
    def author(self) -> dict[str, Any]:
        return self.matches[0]


class Search:
    """Search, related papers and similar authors over one store."""

    def __init__(self, context: AppContext) -> None:
        self.context = context

    def _caught_up(self) -> Searcher:
        searcher = self.context.searcher
        searcher.lexical.catch_up(self.context.engine)
        return searcher

    # ------------------------------------------------------------------ search
    def search(self, query: str, limit: int = 10, mode: Mode = "hybrid") -> Found:
        """Keywords and meaning fused (or one of them), with the filters of the query language."""
        return self._found(self._caught_up().search(query, limit, mode))

    def page(self, query: str, offset: int, limit: int) -> ResultPage:
        """One page of the top ``facets.DEPTH`` results, and the facets of all of those."""
        result = self._caught_up().search(query, facets.DEPTH + 1)  # one more tells whether it is cut
        hits = [h.work_id for h in result.hits[: facets.DEPTH]]
        wanted = hits[offset : offset + limit]
        with self.context.reading() as conn:
            counted = facets.count(conn, hits, complete=len(result.hits) <= facets.DEPTH)
            shown = cards(conn, wanted, dt.date.today())
        return ResultPage([shown[w] for w in wanted if w in shown], result.notes, counted)

    def feed(self, query: str, limit: int) -> list[Card]:
        """The first ``limit`` results as cards, for the search's feed."""
        hits = self._caught_up().search(query, limit).hits
        with self.context.reading() as conn:
            shown = cards(conn, [h.work_id for h in hits], dt.date.today())
        return [c for h in hits if (c := shown.get(h.work_id))]

    # ------------------------------------------------------------------ related papers
    def related(self, ident: str, limit: int = 10, mode: Mode = "hybrid") -> Related:
        """Papers like the one an arXiv id, DOI or internal id names."""
        with self.context.reading() as conn:
            work_id = queries.resolve_work(conn, ident)
            summary = queries.work_summaries(conn, [work_id]).get(work_id, {}) if work_id else {}
        if work_id is None:
            raise NotFound(f"no work {ident!r} in the store (try an arXiv id, a DOI or `paperradar search`)")
        return Related(summary.get("title"), self._found(self.context.searcher.related(work_id, limit, mode)))

    def _found(self, result: SearchResult) -> Found:
        with self.context.reading() as conn:
            summaries = queries.work_summaries(conn, [h.work_id for h in result.hits])
        rows = [
            {
                **summaries[hit.work_id],
                "score": round(hit.score, 5),
                "lexical_rank": hit.lexical_rank,
                "dense_rank": hit.dense_rank,
                "similarity": None if hit.similarity is None else round(hit.similarity, 4),
                "pinned": hit.pinned,
            }
            for hit in result.hits
            if hit.work_id in summaries  # merged into another work since it was indexed
        ]
        return Found(result.mode, result.notes, rows)

    # ------------------------------------------------------------------ similar authors
    def similar_to(self, author_id: int, limit: int = 8) -> list[SimilarAuthor] | None:
        """People whose papers are closest in meaning; None before `paperradar index` ran."""
        searcher = self.context.searcher
        if not searcher.semantic_ready():
            return None
        return similar_authors(self.context.engine, searcher.vectors, author_id, limit)

    def authors_like(self, name: str, limit: int = 10) -> AuthorsLike:
        """The authors a name may mean, and the authors most like the most prolific of them."""
        with self.context.reading() as conn:
            matches = queries.find_authors(conn, name)
        if not matches:
            raise NotFound(f"no author matches {name!r}")
        found = self.similar_to(matches[0]["id"], limit)
        if found is None:
            return AuthorsLike(matches, None, {})
        with self.context.reading() as conn:
            titles = queries.work_summaries(conn, [a.closest_work for a in found])
        closest = {a.closest_work: titles.get(a.closest_work, {}).get("title") for a in found}
        return AuthorsLike(matches, found, closest)

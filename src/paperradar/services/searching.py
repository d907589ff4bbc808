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
from typing import Any, Literal

from sqlalchemy import Connection

from paperradar.analysis.cards import Card, cards
from paperradar.analysis.facts import load_works
from paperradar.search import facets
from paperradar.search.explain import Explainer, WhyEmpty
from paperradar.search.hybrid import FoundBy, Hit, Mode, Searcher, SearchResult
from paperradar.search.similar_authors import SimilarAuthor, similar_authors
from paperradar.services.context import AppContext
from paperradar.services.errors import NotFound
from paperradar.sources import arxiv_categories
from paperradar.store import queries
from paperradar.text import plural

Sort = Literal["relevance", "newest", "cited"]
SORTS: dict[Sort, str] = {"relevance": "Relevance", "newest": "Newest", "cited": "Most cited"}
FOUND_BY: dict[FoundBy, str] = {
    "exact": "Named exactly",
    "both": "Found by keywords and meaning",
    "keywords": "Found by keywords",
    "meaning": "Found by meaning alone",
}
# arXiv's spelling of each category, archive and legacy code, by the keyword index's lower case.
_CATEGORY_CASE = {
    code.lower(): code
    for code in (
        *arxiv_categories.CATEGORIES,
        *arxiv_categories.LEGACY_CATEGORIES,
        *arxiv_categories.ARCHIVES,
    )
}


def sort_named(name: str) -> Sort | None:
    """The sort order a request names, or None when there is none of that name."""
    return next((sort for sort in SORTS if sort == name), None)


def category_label(code: str) -> str:
    """``cs.lg`` (as the keyword index keeps it) → ``cs.LG``."""
    return _CATEGORY_CASE.get(code.lower(), code)


@dataclass(frozen=True)
class HowFound:
    """Which ranking found a result, its rank in each, and its citations (when the store knows)."""

    found_by: FoundBy
    lexical_rank: int | None
    dense_rank: int | None
    similarity: float | None
    citations: int | None
    label: str  # "Found by keywords and meaning · words #1 · meaning #3"

    @classmethod
    def of(cls, hit: Hit, citations: int | None) -> HowFound:
        label = f"{FOUND_BY[hit.found_by]} · {hit.ranks()}"
        if hit.found_by == "meaning" and hit.similarity is not None:
            label += f", similarity {hit.similarity:.2f}"
        if citations is not None:
            label += f" · {plural(citations, 'citation')}"
        sim = None if hit.similarity is None else round(hit.similarity, 4)
        return cls(hit.found_by, hit.lexical_rank, hit.dense_rank, sim, citations, label)


@dataclass(frozen=True)
class Found:
    """A ranked list: each hit's work in short (``queries.work_summaries``) with its score and
    ranks; the hits whose work was merged away since it was indexed are left out."""

    mode: Mode  # the mode used: "lexical" when semantic search was asked for but is not ready
    notes: list[str]
    rows: list[dict[str, Any]]
    did_you_mean: str | None = None
    why_empty: WhyEmpty | None = None  # when nothing was found: why, and the nearest query that finds


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
    found: dict[int, HowFound]  # how each card's work was found, by work id
    sort: Sort
    did_you_mean: str | None
    why_empty: WhyEmpty | None  # when nothing was found: why, and the nearest query that finds


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
    def search(self, query: str, limit: int = 10, mode: Mode = "hybrid", sort: Sort = "relevance") -> Found:
        """Keywords and meaning fused (or one of them), with the filters of the query language;
        sorted otherwise than by relevance, the top ``facets.DEPTH`` results are sorted, then cut."""
        searcher = self._caught_up()
        result = searcher.search(query, limit if sort == "relevance" else max(limit, facets.DEPTH), mode)
        with self.context.reading() as conn:
            ordered, citations = self._sorted(conn, result.hits, sort)
        result.hits = ordered[:limit]
        why = None if result.hits else self._why_empty(searcher, query, result.did_you_mean)
        return self._found(result, citations, why)

    def page(self, query: str, offset: int, limit: int, sort: Sort = "relevance") -> ResultPage:
        """One page of the top ``facets.DEPTH`` results in the order asked for, and the facets of all of
        those; when there are none, why, and the nearest query that finds some."""
        searcher = self._caught_up()
        result = searcher.search(query, facets.DEPTH + 1)  # one more tells whether it is cut
        hits = result.hits[: facets.DEPTH]
        with self.context.reading() as conn:
            counted = facets.count(conn, [h.work_id for h in hits], complete=len(result.hits) <= facets.DEPTH)
            ordered, citations = self._sorted(conn, hits, sort)
            wanted = ordered[offset : offset + limit]
            if sort != "cited":
                citations = _citations(conn, [h.work_id for h in wanted])
            shown = cards(conn, [h.work_id for h in wanted], dt.date.today())
        return ResultPage(
            cards=[shown[h.work_id] for h in wanted if h.work_id in shown],
            notes=result.notes,
            facets=counted,
            found={h.work_id: HowFound.of(h, citations.get(h.work_id)) for h in wanted},
            sort=sort,
            did_you_mean=result.did_you_mean,
            why_empty=None if hits else self._why_empty(searcher, query, result.did_you_mean),
        )

    @staticmethod
    def _sorted(conn: Connection, hits: list[Hit], sort: Sort) -> tuple[list[Hit], dict[int, int]]:
        """The hits newest or most cited first, and the citation counts read for it, by work id.

        Those the query's words found come before those found by meaning alone: sorted by date
        or citations, a loose match would otherwise climb over the papers that say the words.
        Ties, and works whose date or count is unknown, stay in their order of relevance."""
        if sort == "relevance" or not hits:
            return hits, {}
        ids = [h.work_id for h in hits]
        citations: dict[int, int] = {}
        value: dict[int, int] = {}  # the larger, the earlier
        if sort == "cited":
            citations = value = _citations(conn, ids)
        else:
            for work_id, row in queries.work_summaries(conn, ids).items():
                day = row["published"] or (dt.date(row["year"], 1, 1) if row["year"] else None)
                if day is not None:
                    value[work_id] = dt.date.fromisoformat(str(day)[:10]).toordinal()
        ordered = sorted(hits, key=lambda h: (h.found_by == "meaning", -value.get(h.work_id, -1)))
        return ordered, citations

    def _why_empty(self, searcher: Searcher, query: str, did_you_mean: str | None) -> WhyEmpty:
        return Explainer(searcher, facets.DEPTH, category_label).explain(query, did_you_mean)

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

    def _found(
        self, result: SearchResult, citations: dict[int, int] | None = None, why: WhyEmpty | None = None
    ) -> Found:
        ids = [h.work_id for h in result.hits]
        with self.context.reading() as conn:
            summaries = queries.work_summaries(conn, ids)
            citations = citations or _citations(conn, ids)
        rows = [
            {
                **summaries[hit.work_id],
                "score": round(hit.score, 5),
                "found_by": hit.found_by,
                "lexical_rank": hit.lexical_rank,
                "dense_rank": hit.dense_rank,
                "similarity": None if hit.similarity is None else round(hit.similarity, 4),
                "pinned": hit.pinned,
                "citations": citations.get(hit.work_id),
            }
            for hit in result.hits
            if hit.work_id in summaries  # merged into another work since it was indexed
        ]
        return Found(result.mode, result.notes, rows, result.did_you_mean, why)

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


def _citations(conn: Connection, work_ids: list[int]) -> dict[int, int]:
    """The citation count each work shows (its freshest source's), for those the store has one of."""
    if not work_ids:
        return {}
    facts = load_works(conn, work_ids, dt.date.today())
    return {work_id: fact.citations for work_id, fact in facts.citations.items()}

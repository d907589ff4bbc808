"""The metric inputs as arrays, per work and per author–work pair, from what the store holds.

Which citation count a work has: the freshest source's (the latest ``as_of``; ties by source
precedence). Its per-year citations: OpenAlex-style ``counts_by_year`` from the freshest source
that gives them, else the years of the citing works in the corpus (years without a citation
count as 0 up to the data's as-of year; later years are unknown, not 0). Community upvotes: the
largest count any community source reports (the seed listings copy Hugging Face's, so adding
them would count votes twice). The rows come from :mod:`paperradar.store.works`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain

import numpy as np
from sqlalchemy.engine import Connection

from paperradar.analysis.metrics import RECENT_YEARS, Authorships, WorkArrays
from paperradar.identity import works as work_identity
from paperradar.store import works as stored
from paperradar.store.works import UNKNOWN_DAY as UNKNOWN_DAY
from paperradar.store.works import OneAuthor as OneAuthor
from paperradar.store.works import Selection as Selection
from paperradar.store.works import citing_years as citing_years


@dataclass
class CitationFact:
    """Where one work's citation figures come from."""

    source: str
    citations: int
    as_of: str  # UTC, ISO to the second ("2026-12-01 11:22:33"): compared as text, shown as its date
    per_year: dict[int, int] = field(default_factory=dict)
    per_year_from: str | None = None  # a source name, or "citing works" (in the corpus)
    per_year_as_of: str | None = None  # as ``as_of``: the year the series is complete to

    def last_year(self, today: dt.date) -> int:
        """The last year the per-year series covers: its as-of year (a snapshot knows nothing of
        the years after it), never after today."""
        known = int(self.per_year_as_of[:4]) if self.per_year_as_of else today.year
        return min(known, today.year)


@dataclass
class WorkFacts:
    """Arrays for :func:`paperradar.analysis.metrics.compute`, plus where each number came from."""

    ids: np.ndarray  # sorted work ids; index = position
    arrays: WorkArrays
    categories: list[str]  # category code → name
    citations: dict[int, CitationFact]  # work id → its chosen citation fact
    n_authors: np.ndarray  # 0: unknown

    def index(self, work_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        return np.searchsorted(self.ids, np.asarray(work_ids, dtype=np.int64))


def recent_years(last: dt.date | int) -> range:
    """The citations-per-year window: the five years up to ``last`` (a year, or a day's year)."""
    year = last if isinstance(last, int) else last.year
    return range(year - RECENT_YEARS + 1, year + 1)


def _choose_citations(conn: Connection, work_ids: Selection) -> dict[int, CitationFact]:
    best: dict[int, CitationFact] = {}
    per_year: dict[int, tuple[str, str, dict[str, int]]] = {}
    for work_id, source, citations, by_year, as_of in stored.citation_rows(conn, work_ids):
        held = best.get(work_id)
        if held is None or (as_of, -work_identity.rank(source)) > (
            held.as_of,
            -work_identity.rank(held.source),
        ):
            best[work_id] = CitationFact(source, citations, as_of)
        if by_year is not None:
            seen = per_year.get(work_id)
            if seen is None or as_of > seen[0]:
                per_year[work_id] = (as_of, source, by_year)
    for work_id, (as_of, source, years) in per_year.items():
        if work_id in best:
            held = best[work_id]
            held.per_year = {int(y): int(n) for y, n in years.items()}
            held.per_year_from, held.per_year_as_of = source, as_of
    missing = [w for w, fact in best.items() if not fact.per_year]
    for work_id, counted in citing_years(conn, missing if work_ids is not None else None).items():
        held = best.get(work_id)
        if held is not None and not held.per_year:
            held.per_year, held.per_year_from = counted, "citing works"  # as of today: the corpus is live
    return best


def load_works(conn: Connection, work_ids: Selection, today: dt.date) -> WorkFacts:
    """The metric inputs of the given works."""
    columns = stored.work_columns(conn, work_ids)
    ids = columns.ids
    n = len(ids)
    names: dict[str, int] = {}
    category = np.fromiter(
        (names.setdefault(c, len(names)) if c else -1 for c in columns.category), dtype=np.int64, count=n
    )
    facts = _choose_citations(conn, work_ids)
    citations = np.full(n, np.nan)
    recent = np.full(n, np.nan)
    if facts:
        found = np.fromiter(facts, dtype=np.int64, count=len(facts))
        at = np.searchsorted(ids, found)
        citations[at] = [f.citations for f in facts.values()]
        recent[at] = [
            sum(f.per_year.get(y, 0) for y in recent_years(f.last_year(today))) if f.per_year else np.nan
            for f in facts.values()
        ]
    upvotes = np.zeros(n)
    novelty = np.full(n, np.nan)
    for target, got in (
        (upvotes, stored.max_upvotes(conn, work_ids)),
        (novelty, stored.novelty_percentiles(conn, work_ids)),
    ):
        if got:
            target[np.searchsorted(ids, [g[0] for g in got])] = [g[1] for g in got]
    arrays = WorkArrays(citations, recent, category, columns.day, columns.has_code, upvotes, novelty)
    return WorkFacts(ids, arrays, list(names), facts, columns.n_authors)


@dataclass
class AuthorWorks:
    """The (author, work, position) rows of a set of authors: authorships, and the works their
    author records claim (position 0: unknown)."""

    author: np.ndarray
    work: np.ndarray
    position: np.ndarray

    @cached_property
    def author_ids(self) -> np.ndarray:
        """Author index → author id (sorted)."""
        return np.unique(self.author)

    @cached_property
    def work_ids(self) -> list[int]:
        return np.unique(self.work).tolist()  # type: ignore[no-any-return]

    def authorships(self, facts: WorkFacts) -> Authorships:
        """Each (author, work) once, flagged when the author is first or last on it.

        Last: the last position of a work whose whole author list is known (a captured card that
        stops at "et al." has no known last author, n_authors is unknown).
        """
        at = facts.index(self.work)
        edge = (self.position == 1) | ((self.position > 0) & (self.position == facts.n_authors[at]))
        authors = np.searchsorted(self.author_ids, self.author)
        order = np.lexsort((at, authors))
        authors, at, edge = authors[order], at[order], edge[order]
        first = np.r_[True, (authors[1:] != authors[:-1]) | (at[1:] != at[:-1])]
        starts = np.flatnonzero(first)
        merged_edge = np.maximum.reduceat(edge, starts) if len(starts) else edge[:0]
        return Authorships(
            authors[starts].astype(np.int64), at[starts].astype(np.int64), merged_edge.astype(bool)
        )


def load_author_works(conn: Connection, author_ids: Selection) -> AuthorWorks:
    """Every (author, work) on the authors' profiles: authorships and claims by author records."""
    rows = stored.author_work_rows(conn, author_ids)
    table = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=3 * len(rows)).reshape(-1, 3)
    return AuthorWorks(table[:, 0], table[:, 1], table[:, 2])

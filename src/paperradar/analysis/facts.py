"""Loading what the metrics need from the store, as arrays: per work and per author–work pair.

Which citation count a work has: the freshest source's (the latest ``as_of``; ties by source
precedence). Its per-year citations: OpenAlex-style ``counts_by_year`` from the freshest source
that gives them, else the years of the citing works in the corpus (years without a citation
count as 0 up to the data's as-of year; later years are unknown, not 0). Community upvotes: the
largest count any community source reports (the seed listings copy Hugging Face's, so adding
them would count votes twice).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain
from typing import Any

import numpy as np
import orjson
from sqlalchemy import Connection, Dialect, Select, bindparam, func, literal, select, union

from paperradar.analysis.metrics import RECENT_YEARS, Authorships, WorkArrays
from paperradar.identity import works as work_identity
from paperradar.store import schema as t
from paperradar.store.sql import chunks, raw_rows

UNKNOWN_DAY = np.iinfo(np.int64).min


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


@dataclass(frozen=True)
class OneAuthor:
    """The works on one author's profile (as :func:`works_of`): a profile's selection. Its queries
    are built and compiled once per dialect, since a profile page runs them for every visit."""

    author_id: int


Selection = Sequence[int] | Select[Any] | OneAuthor | None
"""Which rows: a list of ids (asked for in chunks), a subquery of ids (one query), one author's
works (one query, compiled once) or ``None`` (all)."""


def _parts(selection: Sequence[int] | Select[Any] | None) -> Iterable[Sequence[int] | Select[Any] | None]:
    if selection is None or isinstance(selection, Select):
        return [selection]
    return chunks(list(selection))


_Prepared = tuple[str, tuple[str, ...] | None, dict[str, Any]]
_PREPARED: dict[tuple[type[Dialect], str, str], _Prepared] = {}


def _prepared(conn: Connection, name: str, build: Callable[[], Select[Any]]) -> _Prepared:
    """``build()``'s SQL for ``conn``'s dialect (compiled on first use), the order of its
    positional parameters (``None``: named) and the values of its constants."""
    key = (type(conn.dialect), conn.dialect.paramstyle, name)
    found = _PREPARED.get(key)
    if found is None:
        compiled = build().compile(dialect=conn.dialect)
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        found = _PREPARED[key] = (str(compiled), order, dict(compiled.construct_params({"author_id": 0})))
    return found


def _author_rows(
    conn: Connection, name: str, build: Callable[[], Select[Any]], author_id: int
) -> list[tuple[Any, ...]]:
    """Like :func:`raw_rows` (plain tuples from the driver's cursor, values as the driver gives
    them) for a statement whose only variable is the bound ``author_id``, without compiling it
    again for every call."""
    sql, order, constants = _prepared(conn, name, build)
    values = {**constants, "author_id": author_id}
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, tuple(values[k] for k in order) if order is not None else values)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _rows(conn: Connection, name: str, stmt: Select[Any], column: Any, selection: Selection) -> list[Any]:
    """The raw rows of ``stmt`` restricted to ``selection`` (on ``column``): one author's with the
    statement compiled once, else through :func:`raw_rows`, part by part."""
    if isinstance(selection, OneAuthor):
        return _author_rows(conn, name, lambda: _restrict(stmt, column, works_of()), selection.author_id)
    rows: list[Any] = []
    for part in _parts(selection):
        rows.extend(raw_rows(conn, _restrict(stmt, column, part)))
    return rows


def _restrict(stmt: Select[Any], column: Any, part: Sequence[int] | Select[Any] | None) -> Select[Any]:
    return stmt if part is None else stmt.where(column.in_(part))


def _choose_citations(conn: Connection, work_ids: Selection) -> dict[int, CitationFact]:
    cc = t.citation_counts.c
    best: dict[int, CitationFact] = {}
    per_year: dict[int, tuple[str, str, str]] = {}
    stmt = select(cc.work_id, cc.source, cc.citations, cc.counts_by_year, cc.as_of).where(
        cc.citations.is_not(None)
    )
    for work_id, source, citations, by_year, stamp in _rows(conn, "citations", stmt, cc.work_id, work_ids):
        as_of = str(stamp)[:19]  # SQLite gives text, PostgreSQL a datetime: one ordering for both
        held = best.get(work_id)
        if held is None or (as_of, -work_identity.rank(source)) > (
            held.as_of,
            -work_identity.rank(held.source),
        ):
            best[work_id] = CitationFact(source, int(citations), as_of)
        if by_year:
            seen = per_year.get(work_id)
            if seen is None or as_of > seen[0]:
                per_year[work_id] = (as_of, source, by_year)
    for work_id, (as_of, source, text) in per_year.items():
        if work_id in best:
            held = best[work_id]
            held.per_year = {int(y): int(n) for y, n in orjson.loads(text).items()}
            held.per_year_from, held.per_year_as_of = source, as_of
    missing = [w for w, fact in best.items() if not fact.per_year]
    for work_id, years in citing_years(conn, missing if work_ids is not None else None).items():
        held = best.get(work_id)
        if held is not None and not held.per_year:
            held.per_year, held.per_year_from = years, "citing works"  # as of today: the corpus is live
    return best


_ANY_EDGE = select(t.citation_edges.c.citing_id).limit(1)


def citing_years(conn: Connection, work_ids: Sequence[int] | Select[Any] | None) -> dict[int, dict[int, int]]:
    """cited work → {year of the citing work: how many}, over citation edges within the corpus."""
    edges, ids, citing = t.citation_edges, t.work_ids, t.works
    result: dict[int, dict[int, int]] = defaultdict(dict)
    if not conn.execute(_ANY_EDGE).first():
        return result  # no edges at all: skip the join
    stmt = (
        select(ids.c.work_id, citing.c.year, func.count(func.distinct(edges.c.citing_id)))
        .select_from(
            edges.join(
                ids, (ids.c.scheme == edges.c.cited_scheme) & (ids.c.value == edges.c.cited_value)
            ).join(citing, citing.c.id == edges.c.citing_id)
        )
        .where(citing.c.year.is_not(None))
        .group_by(ids.c.work_id, citing.c.year)
    )
    for part in _parts(work_ids):
        for work_id, year, n in conn.execute(_restrict(stmt, ids.c.work_id, part)):
            result[work_id][int(year)] = int(n)
    return result


def _days(values: list[Any]) -> np.ndarray:
    """Dates (``date`` objects, or ISO text as SQLite returns them uncoerced) → days since 1970."""
    as_dates = np.array([str(v)[:10] if v is not None else "NaT" for v in values], dtype="datetime64[D]")
    days = as_dates.astype(np.int64)
    days[np.isnat(as_dates)] = UNKNOWN_DAY
    return days


def load_works(conn: Connection, work_ids: Selection, today: dt.date) -> WorkFacts:
    """The metric inputs of the given works."""
    w = t.works.c
    stmt = select(
        w.id, w.primary_category, w.published, w.has_code, w.n_authors
    )  # raw: dates as numpy parses
    rows = _rows(conn, "works", stmt, w.id, work_ids)
    rows.sort(key=lambda row: row[0])
    n = len(rows)
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=n)
    names: dict[str, int] = {}
    category = np.fromiter(
        (names.setdefault(row[1], len(names)) if row[1] else -1 for row in rows), dtype=np.int64, count=n
    )
    day = _days([row[2] for row in rows])
    has_code = np.fromiter((bool(row[3]) for row in rows), dtype=np.bool_, count=n)
    n_authors = np.fromiter((row[4] or 0 for row in rows), dtype=np.int64, count=n)
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
    cm, nv = t.community.c, t.work_novelty.c
    votes = select(cm.work_id, func.max(cm.upvotes)).where(cm.upvotes.is_not(None)).group_by(cm.work_id)
    scores = select(nv.work_id, nv.percentile).where(nv.percentile.is_not(None))
    for target, stmt_, column, name in (
        (upvotes, votes, cm.work_id, "upvotes"),
        (novelty, scores, nv.work_id, "novelty"),
    ):
        got = _rows(conn, name, stmt_, column, work_ids)
        if got:
            target[np.searchsorted(ids, [g[0] for g in got])] = [g[1] for g in got]
    arrays = WorkArrays(citations, recent, category, day, has_code, upvotes, novelty)
    return WorkFacts(ids, arrays, list(names), facts, n_authors)


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
    a, c = t.authorships.c, t.author_works.c
    signed = select(a.author_id, a.work_id, a.position)
    claimed = select(c.author_id, c.work_id, literal(0))
    rows: list[Any] = []
    if isinstance(author_ids, OneAuthor):
        author = author_ids.author_id
        rows.extend(
            _author_rows(conn, "signed", lambda: signed.where(a.author_id == bindparam("author_id")), author)
        )
        rows.extend(
            _author_rows(
                conn, "claimed", lambda: claimed.where(c.author_id == bindparam("author_id")), author
            )
        )
    else:
        for part in _parts(author_ids):
            rows.extend(raw_rows(conn, _restrict(signed, a.author_id, part)))
            rows.extend(raw_rows(conn, _restrict(claimed, c.author_id, part)))
    table = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=3 * len(rows)).reshape(-1, 3)
    return AuthorWorks(table[:, 0], table[:, 1], table[:, 2])


def works_of(author_id: int | None = None) -> Select[Any]:
    """The ids of the works on one author's profile, as a subquery (``None``: of the author bound
    as ``author_id`` when it runs)."""
    author: Any = bindparam("author_id") if author_id is None else author_id
    return (
        union(
            select(t.authorships.c.work_id).where(t.authorships.c.author_id == author),
            select(t.author_works.c.work_id).where(t.author_works.c.author_id == author),
        )
        .subquery()
        .select()
    )

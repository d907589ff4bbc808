"""Loading what the metrics need from the store, as arrays: per work and per author–work pair.

Which citation count a work has: the freshest source's (the latest ``as_of``; ties by source
precedence). Its per-year citations: OpenAlex-style ``counts_by_year`` from the freshest source
that gives them, else the years of the citing works in the corpus (years without a citation
count as 0). Community upvotes: the largest count any community source reports (the seed
listings copy Hugging Face's, so adding them would count votes twice).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import orjson
from sqlalchemy import Connection, func, select

from paperradar.analysis.metrics import RECENT_YEARS, Authorships, WorkArrays
from paperradar.identity import works as work_identity
from paperradar.store import schema as t
from paperradar.store.sql import chunks

UNKNOWN_DAY = np.iinfo(np.int64).min
_EPOCH = dt.date(1970, 1, 1)


@dataclass
class CitationFact:
    """Where one work's citation figures come from."""

    source: str
    citations: int
    as_of: dt.datetime
    per_year: dict[int, int] = field(default_factory=dict)
    per_year_from: str | None = None  # a source name, or "citing works" (in the corpus)


@dataclass
class WorkFacts:
    """Arrays for :func:`paperradar.analysis.metrics.compute`, plus where each number came from."""

    ids: np.ndarray  # sorted work ids; index = position
    arrays: WorkArrays
    categories: list[str]  # category code → name
    citations: dict[int, CitationFact]  # work id → its chosen citation fact

    def index(self, work_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        return np.searchsorted(self.ids, np.asarray(work_ids, dtype=np.int64))


def recent_years(today: dt.date) -> range:
    return range(today.year - RECENT_YEARS + 1, today.year + 1)


def _in_chunks(column: object, work_ids: Sequence[int] | None) -> Iterable[Sequence[int] | None]:
    return [None] if work_ids is None else chunks(list(work_ids))


def _choose_citations(conn: Connection, work_ids: Sequence[int] | None) -> dict[int, CitationFact]:
    cc = t.citation_counts.c
    best: dict[int, CitationFact] = {}
    per_year: dict[int, tuple[dt.datetime, str, dict[int, int]]] = {}
    for chunk in _in_chunks(cc.work_id, work_ids):
        stmt = select(cc.work_id, cc.source, cc.citations, cc.counts_by_year, cc.as_of).where(
            cc.citations.is_not(None)
        )
        if chunk is not None:
            stmt = stmt.where(cc.work_id.in_(chunk))
        for work_id, source, citations, by_year, as_of in conn.execute(stmt):
            fact = CitationFact(source, int(citations), as_of)
            held = best.get(work_id)
            if held is None or (as_of, -work_identity.rank(source)) > (
                held.as_of,
                -work_identity.rank(held.source),
            ):
                best[work_id] = fact
            if by_year:
                seen = per_year.get(work_id)
                if seen is None or as_of > seen[0]:
                    per_year[work_id] = (
                        as_of,
                        source,
                        {int(y): int(n) for y, n in orjson.loads(by_year).items()},
                    )
    for work_id, (_, source, years) in per_year.items():
        if work_id in best:
            best[work_id].per_year, best[work_id].per_year_from = years, source
    missing = [w for w, fact in best.items() if not fact.per_year]
    for work_id, years in citing_years(conn, missing if work_ids is not None else None).items():
        held = best.get(work_id)
        if held is not None and not held.per_year:
            held.per_year, held.per_year_from = years, "citing works"
    return best


def citing_years(conn: Connection, work_ids: Sequence[int] | None) -> dict[int, dict[int, int]]:
    """cited work → {year of the citing work: how many}, over citation edges within the corpus."""
    edges, ids, citing = t.citation_edges, t.work_ids, t.works
    result: dict[int, dict[int, int]] = defaultdict(dict)
    for chunk in _in_chunks(ids.c.work_id, work_ids):
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
        if chunk is not None:
            stmt = stmt.where(ids.c.work_id.in_(chunk))
        for work_id, year, n in conn.execute(stmt):
            result[work_id][int(year)] = int(n)
    return result


def load_works(conn: Connection, work_ids: Sequence[int] | None, today: dt.date) -> WorkFacts:
    """The metric inputs of the given works (``None``: every work)."""
    w = t.works.c
    rows: list[tuple[int, str | None, dt.date | None, bool]] = []
    for chunk in _in_chunks(w.id, work_ids):
        stmt = select(w.id, w.primary_category, w.published, w.has_code)
        if chunk is not None:
            stmt = stmt.where(w.id.in_(chunk))
        rows.extend(tuple(row) for row in conn.execute(stmt))
    rows.sort(key=lambda row: row[0])
    n = len(rows)
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=n)
    names: dict[str, int] = {}
    category = np.fromiter(
        (names.setdefault(row[1], len(names)) if row[1] else -1 for row in rows), dtype=np.int64, count=n
    )
    day = np.fromiter(
        ((row[2] - _EPOCH).days if row[2] else UNKNOWN_DAY for row in rows), dtype=np.int64, count=n
    )
    has_code = np.fromiter((bool(row[3]) for row in rows), dtype=np.bool_, count=n)
    facts = _choose_citations(conn, work_ids)
    citations = np.full(n, np.nan)
    recent = np.full(n, np.nan)
    window = recent_years(today)
    if facts:
        found = np.fromiter(facts, dtype=np.int64, count=len(facts))
        at = np.searchsorted(ids, found)
        citations[at] = [f.citations for f in facts.values()]
        recent[at] = [
            sum(f.per_year.get(y, 0) for y in window) if f.per_year else np.nan for f in facts.values()
        ]
    upvotes = np.zeros(n)
    novelty = np.full(n, np.nan)
    cm, nv = t.community.c, t.work_novelty.c
    for chunk in _in_chunks(cm.work_id, work_ids):
        votes = select(cm.work_id, func.max(cm.upvotes)).where(cm.upvotes.is_not(None)).group_by(cm.work_id)
        scores = select(nv.work_id, nv.percentile).where(nv.percentile.is_not(None))
        if chunk is not None:
            votes, scores = votes.where(cm.work_id.in_(chunk)), scores.where(nv.work_id.in_(chunk))
        for target, stmt in ((upvotes, votes), (novelty, scores)):
            got = conn.execute(stmt).all()
            if got:
                target[np.searchsorted(ids, [g[0] for g in got])] = [g[1] for g in got]
    arrays = WorkArrays(citations, recent, category, day, has_code, upvotes, novelty)
    return WorkFacts(ids, arrays, list(names), facts)


@dataclass
class AuthorWorks:
    """Author–work pairs for a set of authors, with author ids and positions."""

    author_ids: np.ndarray  # author index → author id
    work_ids: list[int]  # every work involved, for load_works
    pairs_author: np.ndarray
    pairs_work: np.ndarray  # work ids (turned into indexes against a WorkFacts)
    first_or_last: np.ndarray

    def authorships(self, facts: WorkFacts) -> Authorships:
        return Authorships(self.pairs_author, facts.index(self.pairs_work), self.first_or_last)


def load_author_works(conn: Connection, author_ids: Sequence[int] | None) -> AuthorWorks:
    """Every (author, work) on the authors' profiles: authorships and claims by author records.

    First or last author: position 1, or the last position of a work whose whole author list is
    known (a captured card that stops at "et al." has no known last author).
    """
    a, wk = t.authorships.c, t.works.c
    seen: dict[tuple[int, int], bool] = {}
    for chunk in _in_chunks(a.author_id, author_ids):
        stmt = select(a.author_id, a.work_id, a.position, wk.n_authors).join(t.works, wk.id == a.work_id)
        claims = select(t.author_works.c.author_id, t.author_works.c.work_id)
        if chunk is not None:
            stmt = stmt.where(a.author_id.in_(chunk))
            claims = claims.where(t.author_works.c.author_id.in_(chunk))
        for author_id, work_id, position, n_authors in conn.execute(stmt):
            edge = position == 1 or position == n_authors
            seen[(author_id, work_id)] = seen.get((author_id, work_id), False) or edge
        for author_id, work_id in conn.execute(claims):
            seen.setdefault((author_id, work_id), False)
    keys = sorted(seen)
    authors = np.fromiter((k[0] for k in keys), dtype=np.int64, count=len(keys))
    unique, index = np.unique(authors, return_inverse=True)
    work = np.fromiter((k[1] for k in keys), dtype=np.int64, count=len(keys))
    edge = np.fromiter((seen[k] for k in keys), dtype=np.bool_, count=len(keys))
    return AuthorWorks(unique, sorted(set(work.tolist())), index.astype(np.int64), work, edge)

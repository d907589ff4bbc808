"""Reads for a researcher's profile: who the author is, what sources report about them, their
affiliations, ids, positions, co-authors and the novelty of their works.

A profile page runs these on every visit, and building a statement costs more than running it
on one author's rows, so the statements are built once; ``author_id`` and ``ids`` are bound per
call.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import BindParameter, Connection, Select, and_, bindparam, func, select

from paperradar.store import schema as t
from paperradar.store.author_variants import MAX_TEAM
from paperradar.store.sql import utc
from paperradar.store.works import works_of

_A, _RP, _AU = t.authorships.c, t.author_reports.c, t.authors.c
_AUTHOR_ID: BindParameter[int] = bindparam("author_id")
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)


# ----------------------------------------------------------------------------- the person
@dataclass(frozen=True)
class Author:
    id: int
    name: str
    merged_into: int | None  # the person this id was merged into


_AUTHOR = select(_AU.id, _AU.name, _AU.merged_into).where(_AU.id == _AUTHOR_ID)
_MERGED = select(_AU.id).where(_AU.merged_into == _AUTHOR_ID)


def author(conn: Connection, author_id: int) -> Author | None:
    """The author with that id (merged ones too), or ``None``."""
    row = conn.execute(_AUTHOR, {"author_id": author_id}).first()
    return None if row is None else Author(row.id, row.name, row.merged_into)


def merged_from(conn: Connection, author_id: int) -> list[int]:
    """The ids merged into this author."""
    return list(conn.execute(_MERGED, {"author_id": author_id}).scalars())


_NAMES = (
    select(_A.name).where(_A.author_id == _AUTHOR_ID).group_by(_A.name).order_by(func.count().desc(), _A.name)
)


def names(conn: Connection, author_id: int) -> list[str]:
    """The author's names as written on their works, most frequent first."""
    return list(conn.execute(_NAMES, {"author_id": author_id}).scalars())


_IDS_OF = (
    select(t.author_ids.c.scheme, t.author_ids.c.value)
    .where(t.author_ids.c.author_id == _AUTHOR_ID)
    .order_by(t.author_ids.c.scheme, t.author_ids.c.value)
)


def external_ids(conn: Connection, author_id: int) -> dict[str, list[str]]:
    """scheme → the author's ids in it (ORCID, OpenAlex, …), in order."""
    ids: dict[str, list[str]] = {}
    for scheme, value in conn.execute(_IDS_OF, {"author_id": author_id}):
        ids.setdefault(scheme, []).append(value)
    return ids


_MAIN_CATEGORIES = select(t.author_metrics.c.author_id, t.author_metrics.c.main_category).where(
    t.author_metrics.c.author_id.in_(_IDS)
)


def main_categories(conn: Connection, author_ids: list[int]) -> dict[int, str | None]:
    """author → main category, as the last ``metrics refresh`` stored it."""
    return {author: category for author, category in conn.execute(_MAIN_CATEGORIES, {"ids": author_ids})}


# ----------------------------------------------------------------------------- affiliations
_SIGNED_AFFILIATIONS = select(_A.author_id, _A.affiliations).where(
    _A.author_id.in_(_IDS), _A.affiliations.is_not(None)
)
_REPORTED_AFFILIATIONS = select(_RP.author_id, _RP.affiliations).where(
    _RP.author_id.in_(_IDS), _RP.affiliations.is_not(None)
)


@dataclass(frozen=True)
class Affiliations:
    """Affiliation lists of some authors: as written on each of their works, and as reported."""

    signed: list[tuple[int, list[str]]]  # (author, affiliations on one work)
    reported: list[tuple[int, list[str]]]  # (author, affiliations one source reports)


def affiliations(conn: Connection, author_ids: list[int]) -> Affiliations:
    """The affiliation lists the works and the sources give for the authors."""
    ids = {"ids": author_ids}
    return Affiliations(
        [(author_id, orjson.loads(text)) for author_id, text in conn.execute(_SIGNED_AFFILIATIONS, ids)],
        [(author_id, orjson.loads(text)) for author_id, text in conn.execute(_REPORTED_AFFILIATIONS, ids)],
    )


# ----------------------------------------------------------------------------- reported figures
@dataclass(frozen=True)
class Report:
    """The figures one source reports for an author (``None``: not stated)."""

    source: str
    h_index: int | None
    i10_index: int | None
    works_count: int | None
    citation_count: int | None
    counts_by_year: dict[str, int] | None  # year (as text) → citations
    seen_at: dt.datetime  # when paperradar read it, as stored
    dates: dict[str, str]  # figure → when it was true (ISO), where the source says

    def as_of(self, figure: str) -> dt.datetime | None:
        """When ``figure`` was true: the source's own date for it, else when it was read."""
        return utc(self.dates.get(figure)) or utc(self.seen_at)


_REPORTED = (
    select(
        _RP.source,
        _RP.h_index,
        _RP.i10_index,
        _RP.works_count,
        _RP.citation_count,
        _RP.counts_by_year,
        _RP.seen_at,
        _RP.as_of,
    )
    .where((_RP.author_id == _AUTHOR_ID) | _RP.author_id.in_(_MERGED))
    .order_by(_RP.source)
)


def reports(conn: Connection, author_id: int) -> list[Report]:
    """What the sources report for the author and for the ids merged into them, by source."""
    return [
        Report(
            row.source,
            row.h_index,
            row.i10_index,
            row.works_count,
            row.citation_count,
            orjson.loads(row.counts_by_year) if row.counts_by_year else None,
            row.seen_at,
            orjson.loads(row.as_of) if row.as_of else {},
        )
        for row in conn.execute(_REPORTED, {"author_id": author_id})
    ]


# ----------------------------------------------------------------------------- works
_POSITIONS = select(_A.work_id, func.min(_A.position)).where(_A.author_id == _AUTHOR_ID).group_by(_A.work_id)


def positions(conn: Connection, author_id: int) -> dict[int, int]:
    """work → the author's (first) position in its author list."""
    return {work: position for work, position in conn.execute(_POSITIONS, {"author_id": author_id})}


_CLAIMERS = select(t.author_works.c.source).where(t.author_works.c.author_id == _AUTHOR_ID).distinct()


def claimers(conn: Connection, author_id: int) -> list[str]:
    """The sources whose author records list works of the author."""
    return list(conn.execute(_CLAIMERS, {"author_id": author_id}).scalars())


@dataclass(frozen=True)
class NoveltyRow:
    """A work's stored novelty score."""

    work_id: int
    novelty: float | None  # None: no earlier work in its window
    percentile: float | None
    neighbours: int
    category: str | None
    month: str | None
    graded_among: int | None


_NV = t.work_novelty.c
_NOVELTY_OF_AUTHOR = select(
    _NV.work_id, _NV.novelty, _NV.percentile, _NV.neighbours, _NV.category, _NV.month, _NV.graded_among
).where(_NV.work_id.in_(works_of()))


def novelty_rows(conn: Connection, author_id: int) -> list[NoveltyRow]:
    """The novelty scores of the works on the author's profile."""
    return [NoveltyRow(*row) for row in conn.execute(_NOVELTY_OF_AUTHOR, {"author_id": author_id})]


# ----------------------------------------------------------------------------- co-authors
def _coauthors_stmt(limit: int) -> Select[Any]:
    mine, theirs = t.authorships.alias(), t.authorships.alias()
    shared = func.count(func.distinct(theirs.c.work_id)).label("shared")
    return (
        select(theirs.c.author_id, t.authors.c.name, shared)
        .select_from(mine)
        .join(
            t.works, and_(t.works.c.id == mine.c.work_id, func.coalesce(t.works.c.n_authors, 0) <= MAX_TEAM)
        )
        .join(theirs, (theirs.c.work_id == mine.c.work_id) & (theirs.c.author_id != _AUTHOR_ID))
        .join(t.authors, t.authors.c.id == theirs.c.author_id)
        .where(mine.c.author_id == _AUTHOR_ID)
        .group_by(theirs.c.author_id, t.authors.c.name)
        .order_by(shared.desc(), t.authors.c.name)
        .limit(limit)
    )


_COAUTHORS = {20: _coauthors_stmt(20)}


def coauthors(conn: Connection, author_id: int, limit: int = 20) -> list[tuple[int, str, int]]:
    """(co-author, name, works shared), the most frequent first, on works of up to
    :data:`MAX_TEAM` authors (everyone on a 3,000-author collaboration paper is not a co-author in
    the sense a reader means)."""
    stmt = _COAUTHORS.get(limit)
    if stmt is None:
        stmt = _COAUTHORS[limit] = _coauthors_stmt(limit)
    return [(a, name, n) for a, name, n in conn.execute(stmt, {"author_id": author_id})]

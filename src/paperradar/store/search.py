"""Reads behind search, related papers, facets and recommendations: works by one of their ids,
their titles and texts, and how a list of results divides by category, year and code.

The rankings themselves come from the derived indexes (``search/``); these are the few facts
they look up in the store around a ranking.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, func, select

from paperradar.store import schema as t
from paperradar.store.sql import chunks


def works_with_id(conn: Connection, scheme: str, value: str) -> list[int]:
    """The works that hold the id ``scheme:value`` (a title key may be held by several)."""
    wi = t.work_ids.c
    return list(conn.execute(select(wi.work_id).where(wi.scheme == scheme, wi.value == value)).scalars())


def title_and_abstract(conn: Connection, work_id: int) -> tuple[str | None, str | None]:
    """A work's title and abstract (raises ``NoResultFound`` for a work not in the store)."""
    w = t.works.c
    row = conn.execute(select(w.title, w.abstract).where(w.id == work_id)).one()
    return row.title, row.abstract


def titles(conn: Connection, work_ids: Iterable[int]) -> dict[int, str]:
    """The titles of these works, by id (empty for a work without one)."""
    ids = set(work_ids)
    if not ids:
        return {}
    w = t.works.c
    return {int(i): title or "" for i, title in conn.execute(select(w.id, w.title).where(w.id.in_(ids)))}


FacetRow = tuple[str | None, int | None, bool | None, int]
"""(primary category, year, has code, how many works)."""


def facet_rows(conn: Connection, work_ids: Sequence[int]) -> list[FacetRow]:
    """How these works divide by primary category, year and code: one grouped query per chunk of
    ids, so a combination may come once per chunk (ids no longer in the store are not counted)."""
    w = t.works.c
    found: list[FacetRow] = []
    for chunk in chunks(work_ids):
        stmt = (
            select(w.primary_category, w.year, w.has_code, func.count())
            .where(w.id.in_(chunk))
            .group_by(w.primary_category, w.year, w.has_code)
        )
        found += [(category, year, has_code, int(n)) for category, year, has_code, n in conn.execute(stmt)]
    return found

"""Which works and authors to ask the enrichment services about next.

A service can look a work up only by some of its ids (Semantic Scholar by arXiv id, DOI or its
own paperId; OpenAlex by DOI or its own id), and an author only by its id there. These reads
pick the works and authors that have such an id, optionally only those the service has not
reported on yet, in id order, so that an enrichment run resumes by the last id it covered.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Connection, and_, exists, func, or_, select

from paperradar.identity.ids import orcid
from paperradar.store import schema as t
from paperradar.store.sql import chunks

_OPENALEX_PREFIX = "https://openalex.org/"


def _author_condition(author: str) -> ColumnElement[bool]:
    """Works with an authorship whose name contains ``author``, or whose author has it as an id."""
    a, ai = t.authorships, t.author_ids
    value = author.strip()
    keys = [("s2", value), ("openalex", value.removeprefix(_OPENALEX_PREFIX).upper())]
    if person := orcid(value):
        keys.append(("orcid", person))
    by_id = select(ai.c.author_id).where(or_(*(and_(ai.c.scheme == s, ai.c.value == v) for s, v in keys)))
    return exists().where(
        a.c.work_id == t.works.c.id,
        or_(func.lower(a.c.name).contains(value.lower(), autoescape=True), a.c.author_id.in_(by_id)),
    )


def works_to_enrich(
    conn: Connection,
    source: str,
    schemes: Sequence[str],
    *,
    missing_only: bool,
    author: str | None,
    limit: int | None,
) -> list[tuple[int, dict[str, list[str]]]]:
    """Works with an id of one of ``schemes``, in work id order, with those ids by scheme.

    ``missing_only`` leaves out works that already have citation counts from ``source``;
    ``author`` keeps works with an author whose name contains it (case-insensitive) or whose
    S2 / OpenAlex id or ORCID it is.
    """
    wid, wi, cc = t.works.c.id, t.work_ids, t.citation_counts
    conditions: list[ColumnElement[bool]] = [exists().where(wi.c.work_id == wid, wi.c.scheme.in_(schemes))]
    if missing_only:
        conditions.append(~exists().where(cc.c.work_id == wid, cc.c.source == source))
    if author is not None and author.strip():
        conditions.append(_author_condition(author))
    query = select(wid).where(*conditions).order_by(wid)
    if limit is not None:
        query = query.limit(limit)
    work_ids = list(conn.execute(query).scalars())
    found: dict[int, dict[str, list[str]]] = {w: {} for w in work_ids}
    for chunk in chunks(work_ids):
        rows = conn.execute(
            select(wi.c.work_id, wi.c.scheme, wi.c.value).where(
                wi.c.work_id.in_(chunk), wi.c.scheme.in_(schemes)
            )
        )
        for work_id, scheme, value in rows:
            found[work_id].setdefault(scheme, []).append(value)
    return [(w, found[w]) for w in work_ids]


def authors_to_enrich(
    conn: Connection, source: str, scheme: str, *, missing_only: bool, limit: int | None
) -> list[tuple[int, dict[str, str]]]:
    """(author id, {scheme: id}) of authors with an id of ``scheme``, by author id; with
    ``missing_only``, those ``source`` has not reported an h-index for yet."""
    ids = t.author_ids
    stmt = select(ids.c.author_id, ids.c.value).where(ids.c.scheme == scheme)
    if missing_only:  # a report without an h-index (an author named in a paper list) is not one
        reports = t.author_reports
        reported = select(reports.c.author_id).where(
            reports.c.source == source, reports.c.h_index.is_not(None)
        )
        stmt = stmt.where(ids.c.author_id.not_in(reported))
    stmt = stmt.order_by(ids.c.author_id, ids.c.value)
    chosen: dict[int, dict[str, str]] = {}
    for author_id, value in conn.execute(stmt):
        chosen.setdefault(author_id, {scheme: value})  # one id per person is enough to ask by
        if limit is not None and len(chosen) >= limit:
            break
    return list(chosen.items())

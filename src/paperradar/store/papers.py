"""Reads for a paper's page beyond :func:`paperradar.store.queries.work_detail`: its references and
the works citing it (from the citation edges every source gave), who submitted it here, and the
organisations it is listed or filed under."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, Subquery, func, select

from paperradar.store import schema as t

PAGED = ("hf:", "local:")  # the organisation keys /orgs/{handle} finds (community.organisation_id)


def reference_rows(conn: Connection, work_id: int) -> list[tuple[str, str, int | None, int | None]]:
    """(cited scheme, cited value, the cited work when it is stored, its year) of every reference
    the work's sources list; one reference may come once per source and id."""
    e, ids, w = t.citation_edges.c, t.work_ids.c, t.works.c
    stmt = (
        select(e.cited_scheme, e.cited_value, ids.work_id, w.year)
        .select_from(
            t.citation_edges.outerjoin(
                t.work_ids, (ids.scheme == e.cited_scheme) & (ids.value == e.cited_value)
            ).outerjoin(t.works, w.id == ids.work_id)
        )
        .where(e.citing_id == work_id)
    )
    return [(scheme, value, cited, year) for scheme, value, cited, year in conn.execute(stmt)]


def _citing(work_id: int) -> Subquery:
    """The distinct works whose references name the work by any of its ids."""
    e, ids = t.citation_edges.c, t.work_ids.c
    return (
        select(e.citing_id)
        .select_from(
            t.citation_edges.join(t.work_ids, (ids.scheme == e.cited_scheme) & (ids.value == e.cited_value))
        )
        .where(ids.work_id == work_id)
        .distinct()
        .subquery("citing")
    )


def citing_count(conn: Connection, work_id: int) -> int:
    """How many stored works cite the work."""
    return int(conn.execute(select(func.count()).select_from(_citing(work_id))).scalar_one())


def citing_works(conn: Connection, work_id: int, offset: int, limit: int) -> list[int]:
    """``limit`` of the works citing the work from ``offset``, newest first (by year, then day:
    some sources give only the year)."""
    w, citing = t.works.c, _citing(work_id)
    page = (
        select(w.id)
        .join(citing, citing.c.citing_id == w.id)
        .order_by(w.year.desc().nulls_last(), w.published.desc().nulls_last(), w.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(conn.execute(page).scalars())


def submission(conn: Connection, work_id: int) -> tuple[str, dt.date] | None:
    """(who, for which day) of the work's submission to the local feed, if anyone submitted it."""
    s = t.submissions.c
    found = conn.execute(select(s.submitter, s.day).where(s.work_id == work_id)).first()
    return (found.submitter, found.day) if found else None


def organisations_of(conn: Connection, work_id: int) -> list[tuple[str, str, str]]:
    """(handle, name, source) of the organisations with a page here (Hugging Face's and local ones)
    that a source lists the work under or members filed it under ("local"); who filed it is left
    out, as on the organisation's page to outsiders."""
    org, cm, wo = t.organisations.c, t.community.c, t.work_organisations.c
    listed = (
        select(org.key, org.name, cm.source)
        .join(t.community, cm.organisation_id == org.id)
        .where(cm.work_id == work_id)
    )
    filed = (
        select(org.key, org.name, org.source)
        .join(t.work_organisations, wo.organisation_id == org.id)
        .where(wo.work_id == work_id)
    )
    found: dict[str, tuple[str, str, str]] = {}
    for key, name, source in [*conn.execute(listed), *conn.execute(filed)]:
        if key.startswith(PAGED):
            found.setdefault(key, (key.split(":", 1)[-1], name, source))
    return sorted(found.values(), key=lambda o: (o[2] != "local", o[1].casefold()))

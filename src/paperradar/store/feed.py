"""Reads for the daily feed, trending and organisation pages: features, submissions, arXiv
announcements, community signals (upvotes, local votes, organisations) and members."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, and_, func, select

from paperradar import records as r
from paperradar.store import schema as t


# ----------------------------------------------------------------------------- the days' papers
def featured(conn: Connection, first: dt.date, last: dt.date) -> list[tuple[int, dt.date, str, str | None]]:
    """(work, day, source, submitter) of the papers community sources featured on the days
    ``first``–``last``, earliest day first."""
    cm = t.community.c
    stmt = select(cm.work_id, cm.featured_day, cm.source, cm.submitter).where(
        cm.featured_day >= first, cm.featured_day <= last
    )
    return [(w, day, source, by) for w, day, source, by in conn.execute(stmt.order_by(cm.featured_day))]


def submitted(conn: Connection, first: dt.date, last: dt.date) -> list[tuple[int, dt.date, str]]:
    """(work, day, submitter) of the local submissions for the days ``first``–``last``."""
    sub = t.submissions.c
    stmt = select(sub.work_id, sub.day, sub.submitter).where(sub.day >= first, sub.day <= last)
    return [(w, day, by) for w, day, by in conn.execute(stmt)]


def arxiv_works(conn: Connection, first: dt.date, last: dt.date) -> list[tuple[int, dt.date, Any]]:
    """(work, published, when its first version was submitted or ``None``) of the works with an
    arXiv id published on the days ``first``–``last``."""
    w, v = t.works.c, t.work_versions.c
    stmt = (
        select(w.id, w.published, v.date)
        .outerjoin(t.work_versions, and_(v.work_id == w.id, v.version == "v1"))
        .where(w.arxiv_id.is_not(None), w.published >= first, w.published <= last)
    )
    return [(work, published, v1) for work, published, v1 in conn.execute(stmt)]


# ----------------------------------------------------------------------------- community signals
def community_rows(
    conn: Connection, work_ids: list[int]
) -> list[tuple[int, str, int | None, str | None, str | None]]:
    """(work, source, upvotes, organisation key, organisation name) of the works' community rows."""
    cm, org = t.community.c, t.organisations.c
    stmt = (
        select(cm.work_id, cm.source, cm.upvotes, org.key, org.name)
        .outerjoin(t.organisations, org.id == cm.organisation_id)
        .where(cm.work_id.in_(work_ids))
    )
    return [(w, source, upvotes, key, name) for w, source, upvotes, key, name in conn.execute(stmt)]


def local_votes(conn: Connection, work_ids: list[int]) -> dict[int, int]:
    """work → how many local votes it has (works without any are left out)."""
    v = t.votes.c
    counted = select(v.work_id, func.count()).where(v.work_id.in_(work_ids)).group_by(v.work_id)
    return {work_id: n for work_id, n in conn.execute(counted)}


def hf_upvotes_featured(conn: Connection, first: dt.date, last: dt.date) -> list[tuple[int, dt.date, int]]:
    """(work, featured day, upvotes) of the papers Hugging Face featured with upvotes on the days
    ``first``–``last``."""
    cm = t.community.c
    stmt = select(cm.work_id, cm.featured_day, cm.upvotes).where(
        cm.source == r.HUGGINGFACE,
        cm.upvotes > 0,
        cm.featured_day >= first,
        cm.featured_day <= last,
    )
    return [(w, day, upvotes) for w, day, upvotes in conn.execute(stmt)]


def local_votes_cast(
    conn: Connection, since: dt.datetime, until: dt.datetime
) -> list[tuple[int, dt.datetime]]:
    """(work, when, in UTC) of each local vote cast from ``since`` to ``until``."""
    v = t.votes.c
    stmt = select(v.work_id, v.voted_at).where(v.voted_at >= since, v.voted_at <= until)
    return [(work_id, at if at.tzinfo else at.replace(tzinfo=dt.UTC)) for work_id, at in conn.execute(stmt)]


# ----------------------------------------------------------------------------- organisations
def organisation(conn: Connection, org_id: int) -> tuple[str, str, str]:
    """(key, name, source) of the organisation; raises when there is none."""
    org = t.organisations.c
    key, name, source = conn.execute(select(org.key, org.name, org.source).where(org.id == org_id)).one()
    return key, name, source


def listed_works(conn: Connection, org_id: int) -> list[tuple[int, dt.date | None, str, dt.date | None]]:
    """(work, featured day, source, published) of the works a source lists under the organisation."""
    cm, w = t.community.c, t.works.c
    listed = select(cm.work_id, cm.featured_day, cm.source, w.published).join(t.works, w.id == cm.work_id)
    return [
        (work, day, source, published)
        for work, day, source, published in conn.execute(listed.where(cm.organisation_id == org_id))
    ]


def tagged_works(conn: Connection, org_id: int) -> list[tuple[int, str, dt.date | None]]:
    """(work, tagged by, published) of the works members tagged with the organisation."""
    wo, w = t.work_organisations.c, t.works.c
    tagged = select(wo.work_id, wo.tagged_by, w.published).join(t.works, w.id == wo.work_id)
    return [
        (work, by, published)
        for work, by, published in conn.execute(tagged.where(wo.organisation_id == org_id))
    ]


def members(conn: Connection, org_id: int) -> list[tuple[str, str]]:
    """(user, role) of the organisation's members, by role and name."""
    m = t.organisation_members.c
    stmt = select(m.member, m.role).where(m.organisation_id == org_id).order_by(m.role, m.member)
    return [(user, role) for user, role in conn.execute(stmt)]

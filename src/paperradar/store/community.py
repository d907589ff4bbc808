"""Local community actions: upvotes (one per user and paper) and submissions to a day's feed.

Both are single-row statements keyed so that repeating them is harmless: a second vote by the
same user is ignored by the primary key, whatever the concurrency, and undoing a vote that does
not exist does nothing. Hugging Face's own upvote counts are never touched: they are another
source (``community``), and what a reader sees is theirs plus ours.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, Subquery, delete, func, insert, literal, or_, select, union
from sqlalchemy.exc import IntegrityError

from paperradar.store import schema as t
from paperradar.store.sql import insert_rows


def upvote(conn: Connection, work_id: int, voter: str, at: dt.datetime | None = None) -> bool:
    """Vote for a work; ``False`` when this user had already voted for it."""
    try:
        with conn.begin_nested():  # the key decides, even between two processes voting at once
            conn.execute(
                insert(t.votes).values(work_id=work_id, voter=voter, voted_at=at or dt.datetime.now(dt.UTC))
            )
    except IntegrityError:
        return False
    return True


def undo_upvote(conn: Connection, work_id: int, voter: str) -> bool:
    """Take a vote back; ``False`` when there was none."""
    done = conn.execute(delete(t.votes).where(t.votes.c.work_id == work_id, t.votes.c.voter == voter))
    return bool(done.rowcount)


def local_votes(conn: Connection, work_id: int) -> int:
    return int(conn.execute(select(func.count()).where(t.votes.c.work_id == work_id)).scalar_one())


def voted_among(conn: Connection, voter: str, work_ids: list[int]) -> set[int]:
    """Which of these works the user has upvoted."""
    if not work_ids:
        return set()
    v = t.votes.c
    return set(conn.execute(select(v.work_id).where(v.voter == voter, v.work_id.in_(work_ids))).scalars())


def submit(conn: Connection, work_id: int, submitter: str, day: dt.date) -> tuple[str, dt.date]:
    """Put a work on a day's feed; returns who submitted it first, and for which day."""
    row = {"work_id": work_id, "submitter": submitter, "day": day, "submitted_at": dt.datetime.now(dt.UTC)}
    insert_rows(conn, t.submissions, [row], "ignore", ["work_id"])
    first = conn.execute(
        select(t.submissions.c.submitter, t.submissions.c.day).where(t.submissions.c.work_id == work_id)
    ).one()
    return first.submitter, first.day


# ------------------------------------------------------------------------------ organisations
class OrganisationError(ValueError):
    """An organisation operation that cannot be done (unknown handle, taken handle…)."""


PAGED = ("local", "hf")  # the organisations with a page: their key's prefix, first wins a shared handle


def _precedence(key: str, handle: str, org_id: int) -> tuple[int, bool, int]:
    prefix, own = key.split(":", 1)
    return PAGED.index(prefix), own != handle, org_id


def organisation_id(conn: Connection, handle: str) -> int | None:
    """A local organisation (``local:<handle>``), else a Hugging Face one (``hf:<handle>``). Handles
    ignore case (``coherelabs`` is ``CohereLabs``); the exact spelling wins when two differ only so."""
    org = t.organisations.c
    keys = [func.lower(org.key) == func.lower(literal(f"{prefix}:{handle}")) for prefix in PAGED]
    found = conn.execute(select(org.id, org.key).where(or_(*keys))).all()
    if not found:
        return None
    best = min(found, key=lambda row: _precedence(row.key, handle, row.id))
    return int(best.id)


def create_organisation(conn: Connection, handle: str, name: str, admin: str) -> int:
    if not handle or not handle.replace("-", "").replace("_", "").isalnum():
        raise OrganisationError(f"{handle!r} is not a handle: letters, digits, - and _ only")
    if organisation_id(conn, handle) is not None:
        raise OrganisationError(f"there is already an organisation {handle!r}")
    now = dt.datetime.now(dt.UTC)
    org_id = conn.execute(
        insert(t.organisations)
        .values(
            key=f"local:{handle}", name=name, short_name=handle, kind="local", source="local", seen_at=now
        )
        .returning(t.organisations.c.id)
    ).scalar_one()
    add_member(conn, org_id, admin, "admin")
    return int(org_id)


def _member_counts() -> Subquery:
    m = t.organisation_members.c
    return select(m.organisation_id, func.count().label("n")).group_by(m.organisation_id).subquery("members")


def organisations(conn: Connection) -> list[tuple[str, str, str, int]]:
    """Every organisation as (handle, name, source, members), local ones first."""
    org, members = t.organisations.c, _member_counts()
    rows = conn.execute(
        select(org.key, org.name, org.source, func.coalesce(members.c.n, 0))
        .outerjoin(members, members.c.organisation_id == org.id)
        .order_by(org.source != "local", org.name)
    )
    return [(key.split(":", 1)[-1], name, source, int(n)) for key, name, source, n in rows]


def organisation_directory(conn: Connection) -> list[tuple[str, str, str, int, int]]:
    """(handle, name, source, members, papers) of every organisation with a page, by name. A paper
    counts once, listed under it by a source or tagged by a member; a Hugging Face organisation
    whose handle a local one took (which wins the page) is left out."""
    org, cm, wo, members = t.organisations.c, t.community.c, t.work_organisations.c, _member_counts()
    placed = union(
        select(cm.organisation_id, cm.work_id).where(cm.organisation_id.is_not(None)),
        select(wo.organisation_id, wo.work_id),
    ).subquery("placed")
    papers = (
        select(placed.c.organisation_id, func.count().label("n"))
        .group_by(placed.c.organisation_id)
        .subquery("papers")
    )
    rows = conn.execute(
        select(org.key, org.name, org.source, func.coalesce(members.c.n, 0), func.coalesce(papers.c.n, 0))
        .outerjoin(members, members.c.organisation_id == org.id)
        .outerjoin(papers, papers.c.organisation_id == org.id)
        .where(or_(*(org.key.startswith(f"{prefix}:") for prefix in PAGED)))
        .order_by(func.lower(org.name), org.key)
    )
    found = [(key.split(":", 1), name, source, int(n), int(p)) for key, name, source, n, p in rows]
    local = {handle.lower() for (prefix, handle), *_ in found if prefix == "local"}
    return [
        (handle, name, source, n, p)
        for (prefix, handle), name, source, n, p in found
        if prefix == "local" or handle.lower() not in local
    ]


def memberships(conn: Connection, member: str) -> list[tuple[str, str]]:
    """The local organisations a user belongs to, as (handle, name)."""
    org, m = t.organisations.c, t.organisation_members.c
    rows = conn.execute(
        select(org.key, org.name)
        .join(t.organisation_members, m.organisation_id == org.id)
        .where(m.member == member)
        .order_by(org.name)
    )
    return [(key.split(":", 1)[-1], name) for key, name in rows]


def add_member(conn: Connection, org_id: int, member: str, role: str = "member") -> bool:
    row = {"organisation_id": org_id, "member": member, "role": role, "joined_at": dt.datetime.now(dt.UTC)}
    try:
        with conn.begin_nested():
            conn.execute(insert(t.organisation_members).values(**row))
    except IntegrityError:
        return False
    return True


def tag(conn: Connection, org_id: int, work_id: int, member: str) -> bool:
    """Tag a paper to an organisation; only its members may."""
    m = t.organisation_members.c
    if conn.execute(select(m.member).where(m.organisation_id == org_id, m.member == member)).first() is None:
        raise OrganisationError(f"{member} is not a member of this organisation")
    row = {
        "work_id": work_id,
        "organisation_id": org_id,
        "tagged_by": member,
        "tagged_at": dt.datetime.now(dt.UTC),
    }
    try:
        with conn.begin_nested():
            conn.execute(insert(t.work_organisations).values(**row))
    except IntegrityError:
        return False
    return True

"""A user's library: the papers they saved (tags, notes and reading status build on this)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.exc import IntegrityError

from paperradar.store import schema as t


def save(conn: Connection, owner: str, work_id: int) -> bool:
    """Save a paper; ``False`` when it was already saved (saving twice keeps the first date).
    Saving takes back a "not for me"."""
    undo_dislike(conn, owner, work_id)
    try:
        with conn.begin_nested():  # the key decides, even between two requests at once
            conn.execute(
                insert(t.library).values(owner=owner, work_id=work_id, saved_at=dt.datetime.now(dt.UTC))
            )
    except IntegrityError:
        return False
    return True


def unsave(conn: Connection, owner: str, work_id: int) -> bool:
    done = conn.execute(delete(t.library).where(t.library.c.owner == owner, t.library.c.work_id == work_id))
    return bool(done.rowcount)


def is_saved(conn: Connection, owner: str, work_id: int) -> bool:
    return bool(saved_among(conn, owner, [work_id]))


def saved_among(conn: Connection, owner: str, work_ids: Iterable[int]) -> set[int]:
    """Which of these works the user saved (to mark them on a page of cards)."""
    ids = list(work_ids)
    if not ids:
        return set()
    lib = t.library.c
    return set(conn.execute(select(lib.work_id).where(lib.owner == owner, lib.work_id.in_(ids))).scalars())


def saved(conn: Connection, owner: str) -> list[tuple[int, dt.datetime]]:
    """The user's saved papers, most recently saved first."""
    lib = t.library.c
    rows = conn.execute(
        select(lib.work_id, lib.saved_at).where(lib.owner == owner).order_by(lib.saved_at.desc())
    )
    return [(r.work_id, r.saved_at) for r in rows]


# ------------------------------------------------------------------------------ "not for me"
def dislike(conn: Connection, owner: str, work_id: int) -> bool:
    """Mark a paper as not for this user (a negative for recommendations); unsaves it."""
    unsave(conn, owner, work_id)
    try:
        with conn.begin_nested():
            conn.execute(
                insert(t.dislikes).values(owner=owner, work_id=work_id, disliked_at=dt.datetime.now(dt.UTC))
            )
    except IntegrityError:
        return False
    return True


def undo_dislike(conn: Connection, owner: str, work_id: int) -> bool:
    done = conn.execute(
        delete(t.dislikes).where(t.dislikes.c.owner == owner, t.dislikes.c.work_id == work_id)
    )
    return bool(done.rowcount)


def disliked(conn: Connection, owner: str) -> list[int]:
    d = t.dislikes.c
    return list(
        conn.execute(select(d.work_id).where(d.owner == owner).order_by(d.disliked_at.desc())).scalars()
    )

"""Local community actions: upvotes (one per user and paper) and submissions to a day's feed.

Both are single-row statements keyed so that repeating them is harmless: a second vote by the
same user is ignored by the primary key, whatever the concurrency, and undoing a vote that does
not exist does nothing. Hugging Face's own upvote counts are never touched: they are another
source (``community``), and what a reader sees is theirs plus ours.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, delete, func, insert, select
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


def submit(conn: Connection, work_id: int, submitter: str, day: dt.date) -> tuple[str, dt.date]:
    """Put a work on a day's feed; returns who submitted it first, and for which day."""
    row = {"work_id": work_id, "submitter": submitter, "day": day, "submitted_at": dt.datetime.now(dt.UTC)}
    insert_rows(conn, t.submissions, [row], "ignore", ["work_id"])
    first = conn.execute(
        select(t.submissions.c.submitter, t.submissions.c.day).where(t.submissions.c.work_id == work_id)
    ).one()
    return first.submitter, first.day

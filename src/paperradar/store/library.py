"""A user's library: saved papers with tags, a note and reading status; and "not for me" marks.

Saves and dislikes are what a user's recommendations learn from (positives and negatives).
An imported library entry that shares its title with several works is told apart by their years.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from paperradar.store import schema as t


def save(conn: Connection, owner: str, work_id: int, origin: str = "saved") -> bool:
    """Save a paper; ``False`` when it was already saved (saving twice keeps the first date).
    Saving takes back a "not for me"."""
    undo_dislike(conn, owner, work_id)
    try:
        with conn.begin_nested():  # the key decides, even between two requests at once
            conn.execute(
                insert(t.library).values(
                    owner=owner, work_id=work_id, saved_at=dt.datetime.now(dt.UTC), origin=origin
                )
            )
    except IntegrityError:
        return False
    return True


def unsave(conn: Connection, owner: str, work_id: int) -> bool:
    """Remove a paper from the library, with its tags and note."""
    lt = t.library_tags.c
    conn.execute(delete(t.library_tags).where(lt.owner == owner, lt.work_id == work_id))
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


def is_disliked(conn: Connection, owner: str, work_id: int) -> bool:
    d = t.dislikes.c
    return conn.execute(select(d.work_id).where(d.owner == owner, d.work_id == work_id)).first() is not None


def disliked(conn: Connection, owner: str) -> list[int]:
    d = t.dislikes.c
    return list(
        conn.execute(select(d.work_id).where(d.owner == owner).order_by(d.disliked_at.desc())).scalars()
    )


# ------------------------------------------------------------------------------ tags, notes, reading
@dataclass
class LibraryItem:
    work_id: int
    saved_at: dt.datetime
    note: str | None
    read_at: dt.datetime | None
    origin: str
    tags: list[str] = field(default_factory=list)


def clean_tag(tag: str) -> str:
    """Tags are trimmed, lower-case, single-spaced; an empty or over-long one is refused."""
    cleaned = " ".join(tag.split()).casefold()
    if not cleaned or len(cleaned) > 100:
        raise LibraryError(f"{tag!r} is not a tag: 1 to 100 characters")
    return cleaned


class LibraryError(ValueError):
    """A library change that cannot be made, with the reason."""


def _saved_row(conn: Connection, owner: str, work_id: int) -> None:
    if not is_saved(conn, owner, work_id):
        save(conn, owner, work_id)  # tagging, noting or reading a paper keeps it


def tag(
    conn: Connection, owner: str, work_id: int, add: Iterable[str] = (), remove: Iterable[str] = ()
) -> list[str]:
    """Add and remove tags (saving the paper if needed); returns the paper's tags."""
    added, removed = [clean_tag(x) for x in add], [clean_tag(x) for x in remove]
    _saved_row(conn, owner, work_id)
    lt = t.library_tags.c
    for name in added:
        try:
            with conn.begin_nested():
                conn.execute(insert(t.library_tags).values(owner=owner, work_id=work_id, tag=name))
        except IntegrityError:
            pass  # already tagged
    if removed:
        conn.execute(
            delete(t.library_tags).where(lt.owner == owner, lt.work_id == work_id, lt.tag.in_(removed))
        )
    return sorted(conn.execute(select(lt.tag).where(lt.owner == owner, lt.work_id == work_id)).scalars())


def set_note(conn: Connection, owner: str, work_id: int, note: str | None) -> None:
    _saved_row(conn, owner, work_id)
    lib = t.library.c
    conn.execute(
        update(t.library)
        .where(lib.owner == owner, lib.work_id == work_id)
        .values(note=(note or "").strip() or None)
    )


def mark_read(conn: Connection, owner: str, work_id: int, read: bool = True) -> None:
    _saved_row(conn, owner, work_id)
    lib = t.library.c
    conn.execute(
        update(t.library)
        .where(lib.owner == owner, lib.work_id == work_id)
        .values(read_at=dt.datetime.now(dt.UTC) if read else None)
    )


def items(
    conn: Connection,
    owner: str,
    *,
    tag: str | None = None,
    unread: bool | None = None,
    work_id: int | None = None,
) -> list[LibraryItem]:
    """The user's library, most recently saved first, optionally one tag, only (un)read papers,
    or one paper."""
    lib, lt = t.library.c, t.library_tags.c
    stmt = select(lib.work_id, lib.saved_at, lib.note, lib.read_at, lib.origin).where(lib.owner == owner)
    tags_of = select(lt.work_id, lt.tag).where(lt.owner == owner)
    if work_id is not None:
        stmt, tags_of = stmt.where(lib.work_id == work_id), tags_of.where(lt.work_id == work_id)
    if tag is not None:
        tagged = select(lt.work_id).where(lt.owner == owner, lt.tag == clean_tag(tag))
        stmt = stmt.where(lib.work_id.in_(tagged))
    if unread is not None:
        stmt = stmt.where(lib.read_at.is_(None) if unread else lib.read_at.is_not(None))
    found = [
        LibraryItem(*row) for row in conn.execute(stmt.order_by(lib.saved_at.desc(), lib.work_id.desc()))
    ]
    tags: dict[int, list[str]] = {}
    for tagged_id, name in conn.execute(tags_of.order_by(lt.tag)):
        tags.setdefault(tagged_id, []).append(name)
    for item in found:
        item.tags = tags.get(item.work_id, [])
    return found


def item(conn: Connection, owner: str, work_id: int) -> LibraryItem | None:
    """One saved paper of the user, or ``None``."""
    found = items(conn, owner, work_id=work_id)
    return found[0] if found else None


def tag_counts(conn: Connection, owner: str) -> list[tuple[str, int]]:
    lt = t.library_tags.c
    rows = conn.execute(
        select(lt.tag, func.count())
        .where(lt.owner == owner)
        .group_by(lt.tag)
        .order_by(func.count().desc(), lt.tag)
    )
    return [(name, int(n)) for name, n in rows]


# ------------------------------------------------------------------------------ matching imported entries
def work_years(conn: Connection, work_ids: list[int]) -> list[tuple[int, int | None]]:
    """``(work id, year)`` of these works, to tell apart works that share a title."""
    w = t.works.c
    return [
        (int(work_id), year) for work_id, year in conn.execute(select(w.id, w.year).where(w.id.in_(work_ids)))
    ]

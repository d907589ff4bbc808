"""A user's author-identity decisions: merge two authors into one person, or split works off one.

Automatic matching (:mod:`paperradar.identity.authors`) gets most people right; these two
operations fix the rest, and they stick:

* **merge** moves everything of author B (ids, reports, authorships, claims) to A and leaves B's
  row with ``merged_into = A``, so B's old id, B's name and B's external ids all lead to A in
  look-ups and in every later import;
* **split** moves the chosen works to another (new or given) author and *pins* them: on those
  works, that family name is that person, whatever a later import or author record says.

Both are logged in ``author_overrides`` and mark the authors' metrics stale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import orjson
from sqlalchemy import Connection, Integer, bindparam, delete, exists, insert, select, update

from paperradar.identity.ids import family_name
from paperradar.store import schema as t
from paperradar.store.sql import upsert


class OverrideError(ValueError):
    """The requested merge or split cannot be done (unknown author, work not theirs…)."""


def person(conn: Connection, author_id: int) -> int | None:
    """The author an id stands for now (following a merge), or ``None`` when there is no such author."""
    row = conn.execute(
        select(t.authors.c.id, t.authors.c.merged_into).where(t.authors.c.id == author_id)
    ).first()
    if row is None:
        return None
    return int(row.merged_into or row.id)


def _existing(conn: Connection, author_id: int) -> int:
    found = person(conn, author_id)
    if found is None:
        raise OverrideError(f"no author with id {author_id}")
    return found


def _stale(conn: Connection, *author_ids: int) -> None:
    conn.execute(delete(t.author_metrics).where(t.author_metrics.c.author_id.in_(author_ids)))


def merge(conn: Connection, keep: int, drop: int, action: str = "merge") -> int:
    """Make ``drop`` the same person as ``keep``; returns the kept id."""
    keep, drop = _existing(conn, keep), _existing(conn, drop)
    if keep == drop:
        raise OverrideError(f"authors {keep} and {drop} are already one person")
    merge_many(conn, [(keep, drop)], action)
    return keep


def merge_many(conn: Connection, pairs: Sequence[tuple[int, int]], action: str = "merge") -> None:
    """Merge each ``(keep, drop)`` pair of current authors, set-wise (one statement per table).

    ``action`` is logged: ``merge`` for a user's decision, ``variant`` for
    :mod:`paperradar.store.author_variants`. A drop must not be another pair's keep.
    """
    if not pairs:
        return
    params = [{"keep": keep, "drop": drop} for keep, drop in pairs]
    _stale(conn, *{a for pair in pairs for a in pair})
    keep_id, drop_id = bindparam("keep", type_=Integer()), bindparam("drop", type_=Integer())
    for table in t.AUTHOR_CHILD_TABLES:
        if table is t.author_metrics:
            continue
        stmt = update(table).where(table.c.author_id == drop_id).values(author_id=keep_id)
        if table.c.author_id.primary_key:  # keep's own row wins; drop's stays on the merged row
            others = [c for c in table.primary_key.columns if c.name != "author_id"]
            alias = table.alias()
            stmt = stmt.where(
                ~exists().where(alias.c.author_id == keep_id, *[alias.c[c.name] == c for c in others])
            )
        conn.execute(stmt, params)
    people = t.authors.c
    for target in (people.id, people.merged_into):  # two statements: each can use its index
        conn.execute(update(t.authors).where(target == drop_id).values(merged_into=keep_id), params)
    now = dt.datetime.now(dt.UTC)
    rows = [
        {"action": action, "author_id": k, "other_id": d, "works": None, "created_at": now} for k, d in pairs
    ]
    conn.execute(insert(t.author_overrides), rows)


def works_of(conn: Connection, author_id: int) -> set[int]:
    """Works on the author's profile: their authorships and the works their records claim."""
    shipped = select(t.authorships.c.work_id).where(t.authorships.c.author_id == author_id)
    claimed = select(t.author_works.c.work_id).where(t.author_works.c.author_id == author_id)
    return set(conn.execute(shipped).scalars()) | set(conn.execute(claimed).scalars())


def split(conn: Connection, author_id: int, work_ids: Sequence[int], into: int | None = None) -> int:
    """Move ``work_ids`` from the author to ``into`` (a new author of the same name when ``None``)."""
    author_id = _existing(conn, author_id)
    theirs = works_of(conn, author_id)
    missing = sorted(set(work_ids) - theirs)
    if missing:
        raise OverrideError(f"work(s) {', '.join(map(str, missing))} are not on author {author_id}'s profile")
    if not work_ids:
        raise OverrideError("name at least one work to split off")
    if set(work_ids) == theirs and into is None:
        raise OverrideError("that is every work of the author: nothing would be left to split from")
    name, key = conn.execute(
        select(t.authors.c.name, t.authors.c.name_key).where(t.authors.c.id == author_id)
    ).one()
    now = dt.datetime.now(dt.UTC)
    if into is None:
        target = conn.execute(
            insert(t.authors).values(name=name, name_key=key, created_at=now).returning(t.authors.c.id)
        ).scalar_one()
    else:
        target = _existing(conn, into)
        if target == author_id:
            raise OverrideError("cannot split works off an author onto the same author")
    _stale(conn, author_id, target)
    moved = sorted(set(work_ids))
    written = conn.execute(
        select(t.authorships.c.work_id, t.authorships.c.name).where(
            t.authorships.c.author_id == author_id, t.authorships.c.work_id.in_(moved)
        )
    ).all()
    pins = {(work_id, family_name(written_name)) for work_id, written_name in written}
    pins |= {(work_id, family_name(name)) for work_id in moved}  # claimed works: the author's own name
    upsert(
        conn,
        t.author_pins,
        [{"work_id": w, "family": f, "author_id": target, "created_at": now} for w, f in sorted(pins)],
        ["work_id", "family"],
    )
    conn.execute(
        update(t.authorships)
        .where(t.authorships.c.author_id == author_id, t.authorships.c.work_id.in_(moved))
        .values(author_id=target)
    )
    claims = t.author_works
    alias = claims.alias()
    clash = exists().where(
        alias.c.author_id == target, alias.c.work_id == claims.c.work_id, alias.c.source == claims.c.source
    )
    conn.execute(
        update(claims)
        .where(claims.c.author_id == author_id, claims.c.work_id.in_(moved), ~clash)
        .values(author_id=target)
    )
    conn.execute(delete(claims).where(claims.c.author_id == author_id, claims.c.work_id.in_(moved)))
    _log(conn, "split", author_id, target, moved)
    return int(target)


def _log(conn: Connection, action: str, author_id: int, other_id: int, works: list[int]) -> None:
    conn.execute(
        insert(t.author_overrides).values(
            action=action,
            author_id=author_id,
            other_id=other_id,
            works=orjson.dumps(works).decode() if works else None,
            created_at=dt.datetime.now(dt.UTC),
        )
    )

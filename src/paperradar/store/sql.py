"""Small SQL helpers shared by every writer, portable across SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Table, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

CHUNK = 900  # bound parameters per IN (...) list: safe on every SQLite build and PostgreSQL


def dialect_insert(conn: Connection, table: Table) -> Any:
    """The dialect's INSERT, which offers ``on_conflict_do_nothing/do_update`` on both backends."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def upsert(conn: Connection, table: Table, rows: list[dict[str, Any]], keys: list[str]) -> None:
    """Insert rows, replacing the non-key columns of rows that already exist."""
    if not rows:
        return
    # The same key twice in one statement is an error on PostgreSQL: the last one wins.
    unique = list({tuple(row[k] for k in keys): row for row in rows}.values())
    stmt = dialect_insert(conn, table)
    columns = [c for c in unique[0] if c not in keys]
    if columns:
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in columns})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=keys)
    conn.execute(stmt, unique)


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def allocate_ids(conn: Connection, table: Table, count: int, retired: Any = None) -> list[int]:
    """Reserve ``count`` fresh primary keys, so that rows can be bulk-inserted with their ids
    known up front (``INSERT … RETURNING`` is row-at-a-time on SQLite).

    SQLite: the writer holds the write lock from ``BEGIN IMMEDIATE``, so max + 1 is safe;
    ``retired`` (a column of ids no longer in ``table``) keeps merged-away ids from coming back.
    PostgreSQL: the table's sequence.
    """
    if count == 0:
        return []
    if conn.dialect.name == "postgresql":
        seq = f"pg_get_serial_sequence('{table.name}', 'id')"
        rows = conn.execute(text(f"SELECT nextval({seq}) FROM generate_series(1, :n)"), {"n": count})
        return [int(row[0]) for row in rows]
    top = int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())
    if retired is not None:
        top = max(top, int(conn.execute(select(func.coalesce(func.max(retired), 0))).scalar_one()))
    return list(range(top + 1, top + 1 + count))

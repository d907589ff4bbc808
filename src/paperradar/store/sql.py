"""Small SQL helpers shared by the writers and bulk readers, portable across SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any, Literal

from sqlalchemy import ClauseElement, Connection, Date, DateTime, Dialect, Table, func, select, text

CHUNK = 900  # bound parameters per IN (...) list: safe on every SQLite build and PostgreSQL
OnConflict = Literal["error", "ignore", "update"]
COPY_THRESHOLD = 50  # rows from which PostgreSQL gets them by COPY rather than INSERT
MAX_ROW_ID = 2**31 - 1  # internal ids are INTEGER columns: 32-bit on PostgreSQL


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


@lru_cache(maxsize=256)
def _insert_sql(
    dialect: Dialect, table: Table, columns: tuple[str, ...], on_conflict: OnConflict, target: tuple[str, ...]
) -> str:
    quote = dialect.identifier_preparer.quote
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    return (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(marker for _ in columns)})"
        + _conflict_clause(dialect, columns, on_conflict, target)
    )


def _conflict_clause(
    dialect: Dialect, columns: tuple[str, ...], on_conflict: OnConflict, target: tuple[str, ...]
) -> str:
    """`` ON CONFLICT …`` (the same syntax on SQLite and PostgreSQL), or nothing for ``error``."""
    if on_conflict == "error":
        return ""
    quote = dialect.identifier_preparer.quote
    clause = f" ON CONFLICT ({', '.join(quote(k) for k in target)})"
    rest = [c for c in columns if c not in target]
    if on_conflict == "ignore" or not rest:
        return clause + " DO NOTHING"
    return clause + " DO UPDATE SET " + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in rest)


def _sqlite_value(value: Any) -> Any:
    # The storage formats SQLAlchemy's SQLite types read back (see sqlalchemy.dialects.sqlite.DATETIME).
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(" ", "microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def insert_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    on_conflict: OnConflict = "error",
    keys: Sequence[str] | None = None,
) -> None:
    """Bulk INSERT of rows given as dicts (all with the same keys): see :func:`insert_tuples`."""
    if not rows:
        return
    columns = tuple(rows[0])
    values = itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    insert_tuples(conn, table, columns, [values(row) for row in rows], on_conflict, keys)


def insert_tuples(
    conn: Connection,
    table: Table,
    columns: tuple[str, ...],
    params: Sequence[tuple[Any, ...]],
    on_conflict: OnConflict = "error",
    keys: Sequence[str] | None = None,
) -> None:
    """Bulk INSERT straight through the driver's ``executemany``.

    This is the import's hot path: SQLAlchemy's per-parameter processing costs more than
    SQLite's own insert, so rows go to the driver as tuples. ``on_conflict`` targets the
    primary key (or the unique constraint on ``keys``): ``ignore`` keeps what is stored,
    ``update`` replaces the non-key columns. Duplicate keys within ``params`` keep the last.
    """
    if not params:
        return
    pk = tuple(keys) if keys else tuple(c.name for c in table.primary_key.columns)
    if on_conflict != "error" and all(k in columns for k in pk):
        # One statement may not touch the same row twice (PostgreSQL refuses): the last one wins.
        key_of = itemgetter(*(columns.index(k) for k in pk))
        params = list({key_of(row): row for row in params}.values())
    if conn.dialect.name == "postgresql" and len(params) >= COPY_THRESHOLD:
        _copy_rows(conn, table, columns, params, on_conflict, pk)
        return
    sql = _insert_sql(conn.dialect, table, columns, on_conflict, pk)
    if conn.dialect.name == "sqlite" and (dated := _date_columns(table, columns)):
        seen: dict[Any, Any] = {}  # most rows share one timestamp: convert it once

        def convert(value: Any) -> Any:
            if value not in seen:
                seen[value] = _sqlite_value(value)
            return seen[value]

        converted = []
        for row in params:
            fields = list(row)
            for i in dated:
                fields[i] = convert(fields[i])
            converted.append(tuple(fields))
        params = converted
    conn.exec_driver_sql(sql, params)


def _copy_rows(
    conn: Connection,
    table: Table,
    columns: tuple[str, ...],
    params: Sequence[tuple[Any, ...]],
    on_conflict: OnConflict,
    target: tuple[str, ...],
) -> None:
    """PostgreSQL: ``COPY`` is an order of magnitude faster than row-by-row INSERTs. Rows that
    may clash with stored ones go through a temporary staging table and one INSERT … SELECT
    with the same ON CONFLICT rule as :func:`insert_rows`."""
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    into = quote(table.name)
    if on_conflict != "error":
        into = quote(f"stage_{table.name}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {into} "
            f"(LIKE {quote(table.name)} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
    with cursor.copy(f"COPY {into} ({names}) FROM STDIN") as copy:
        for row in params:
            copy.write_row(row)
    if on_conflict != "error":
        conflict = _conflict_clause(conn.dialect, columns, on_conflict, target)
        cursor.execute(f"INSERT INTO {quote(table.name)} ({names}) SELECT {names} FROM {into}{conflict}")
        cursor.execute(f"TRUNCATE {into}")
    cursor.close()


@lru_cache(maxsize=256)
def _date_columns(table: Table, columns: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(i for i, c in enumerate(columns) if isinstance(table.c[c].type, Date | DateTime))


def upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> None:
    """Insert rows, replacing the non-key columns of rows that already exist."""
    insert_rows(conn, table, rows, "update", keys)


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


def raw_rows(conn: Connection, stmt: ClauseElement) -> list[tuple[Any, ...]]:
    """All rows of ``stmt`` as plain tuples from the driver's cursor, in ``conn``'s transaction.

    For bulk reads of millions of rows (metrics over a whole corpus), where building
    SQLAlchemy rows costs more than the query. Values come as the driver gives them (SQLite: dates
    as text), and bound values are inlined, so this is for numbers and ids, never user text.
    """
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def utc(value: dt.datetime | str | None) -> dt.datetime | None:
    """A stored time as an aware UTC datetime (SQLite hands back naive datetimes or text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def meta_number(conn: Connection, key: str) -> int:
    """A counter of the ``meta`` table (the store revision, the last embedding batch…); 0 if unset."""
    from paperradar.store import schema as t

    return int(conn.execute(select(t.meta.c.value).where(t.meta.c.key == key)).scalar() or 0)


def set_meta_number(conn: Connection, key: str, value: int) -> None:
    from paperradar.store import schema as t

    upsert(conn, t.meta, [{"key": key, "value": str(value)}], ["key"])

"""Opening a store: URL resolution, SQLite tuning, and Alembic migrations on open.

A new SQLite file is made readable by its owner only (it holds the app's signing key and the
password hashes); SQLite gives its ``-wal`` and ``-shm`` files the same mode.

Write transactions wait for the write lock (SQLite's, or PostgreSQL's row and table locks) for
:data:`LOCK_WAIT` seconds by default, as long as an import batch may hold it; a caller that must
answer soon (the web app) passes a shorter ``lock_timeout`` to :func:`writing`. A lock not had in
time is :class:`Busy`, whichever the database, and nothing was written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from platformdirs import user_data_path
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

MIGRATIONS = Path(__file__).parent / "migrations"
_WRITE = "paperradar_write"
_LOCK_TIMEOUT = "paperradar_lock_timeout"  # seconds this transaction waits for the write lock
ENV_DB = "PAPERRADAR_DB"
LOCK_WAIT = 30.0  # seconds a write waits for the lock unless told otherwise
RETRY_AFTER = 2  # seconds after which a write refused as Busy is worth trying again
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout ran out


class Busy(Exception):
    """The write lock (or another bounded resource, such as the password hashers) was not had in
    time; nothing was done, and the same request may succeed after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int = RETRY_AFTER) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def store_busy() -> Busy:
    """The refusal of a write that waited for the lock in vain."""
    return Busy(f"the store is busy with another write; try again in {RETRY_AFTER} s")


def is_lock_timeout(exc: DBAPIError) -> bool:
    """Whether the driver gave up waiting for a lock: SQLite's "database is locked" (its busy
    timeout ran out) or PostgreSQL's lock_not_available (its lock_timeout ran out)."""
    if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
        return True
    return "database is locked" in str(exc.orig) or "database table is locked" in str(exc.orig)


def default_url() -> str:
    """``$PAPERRADAR_DB``, else a SQLite file in the user data directory."""
    if url := os.environ.get(ENV_DB):
        return url
    path = user_data_path("paperradar", appauthor=False) / "paperradar.db"
    return f"sqlite:///{path}"


def normalise_url(url: str) -> str:
    """Accept a bare file path for SQLite and plain ``postgresql://`` for psycopg 3."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (the web app) run beside an import; NORMAL sync is safe in WAL mode.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(LOCK_WAIT * 1000)}")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB per reader; writers take more (see writing)
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.execute("PRAGMA mmap_size=1073741824")
    cursor.execute("PRAGMA wal_autocheckpoint=16384")  # checkpoint every 64 MiB, not every batch
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # Writers take the write lock at BEGIN, so they never fail half-way with "database is
    # locked"; readers begin deferred and, in WAL mode, never wait for a writer. A writer told to
    # wait less than LOCK_WAIT does so at BEGIN only, the one place it waits; the pooled
    # connection gets the usual timeout back whatever happens.
    options = conn.get_execution_options()
    if not options.get(_WRITE):
        conn.exec_driver_sql("BEGIN")
        return
    timeout = options.get(_LOCK_TIMEOUT)
    if timeout is None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        return
    conn.exec_driver_sql(f"PRAGMA busy_timeout={max(1, int(timeout * 1000))}")
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(LOCK_WAIT * 1000)}")


def create_private_file(path: Path) -> None:
    """Make ``path`` (and its folder) if it does not exist yet, with mode 0600: an empty file is an
    empty SQLite database, and SQLite creates the journal files with the database file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with suppress(FileExistsError):  # an existing store keeps the mode its owner gave it
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def create_store_engine(url: str | None = None) -> Engine:
    url = normalise_url(url or default_url())
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            create_private_file(Path(database))
        engine = create_engine(url, connect_args={"check_same_thread": False})
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (documented recipe).
        event.listen(engine, "connect", _tune_sqlite)

        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


@contextmanager
def writing(engine: Engine, lock_timeout: float | None = None) -> Iterator[Connection]:
    """A write transaction: committed on success, rolled back on error (``engine.begin()`` for
    writers; on SQLite it also takes the write lock up front). It waits at most ``lock_timeout``
    seconds (default :data:`LOCK_WAIT`) for a lock, then raises :class:`Busy`."""
    options: dict[str, object] = {_WRITE: True}
    if lock_timeout is not None:
        options[_LOCK_TIMEOUT] = lock_timeout
    try:
        with engine.connect().execution_options(**options) as conn, conn.begin():
            if conn.dialect.name == "sqlite":
                # A bulk import inserts at random places in large indexes (DOIs, title keys,
                # names): a big page cache keeps them in memory as the database outgrows it.
                conn.exec_driver_sql("PRAGMA cache_size=-1048576")  # 1 GiB
            elif lock_timeout is not None:  # PostgreSQL: for this transaction only
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {max(1, int(lock_timeout * 1000))}")
            yield conn
    except DBAPIError as exc:
        if is_lock_timeout(exc):
            raise store_busy() from exc
        raise


def concurrent_writers(engine: Engine) -> int:
    """How many write transactions may wait or run at once without taking the connections that
    readers need: SQLite lets one write at a time anyway; PostgreSQL as many as the pool's
    standing size, leaving its overflow to readers."""
    if engine.dialect.name == "sqlite":
        return 1
    size = getattr(engine.pool, "size", None)  # a QueuePool's; other pools keep no standing size
    return max(1, size()) if callable(size) else 5  # 5: SQLAlchemy's default pool size


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def needs_migration(engine: Engine) -> bool:
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current != head


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest revision (a no-op when it already is)."""
    if needs_migration(engine):
        command.upgrade(alembic_config(engine), "head")


def open_store(url: str | None = None) -> Engine:
    engine = create_store_engine(url)
    migrate(engine)
    return engine


def describe(engine: Engine) -> str:
    """The URL to show a user, with any password hidden."""
    return engine.url.render_as_string(hide_password=True)


def mark_demo_store(engine: Engine) -> None:
    """Flag a database as a disposable demo, which ``paperradar demo`` may rebuild."""
    from paperradar.store.schema import meta
    from paperradar.store.sql import upsert

    with writing(engine) as conn:
        upsert(conn, meta, [{"key": "demo", "value": "1"}], ["key"])


def is_demo_store(path: Path) -> bool:
    import sqlite3

    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'demo'").fetchone()
    except sqlite3.Error:
        return False
    return row is not None

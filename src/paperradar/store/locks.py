"""The store's import lock: one ``paperradar import`` at a time into a store.

Two imports at once would fight over the keyword index's single writer (tantivy refuses the
second with ``LockBusy``) and over the same checkpoints. So an import takes this lock first,
and a second one waits for it or stops (:mod:`paperradar.services.imports` decides).

The lock is the operating system's or the server's, never a row or a file's mere existence,
so a holder that dies, even by SIGKILL, releases it at once and no stale lock is left:

* SQLite: ``flock`` on ``<database file>.import.lock`` beside the store; the kernel drops it
  when the holder's file descriptor closes, as it does when the process ends. The holder
  writes its pid into the file, for the waiting one to name it.
* PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) held by a connection of its
  own for the whole import; the server drops it when that session ends, as it does when the
  client dies. The key is per schema, as a store is; the holder names itself in its session's
  ``application_name``, which the waiting one finds through ``pg_locks``.
* An in-memory SQLite store is seen by one process only: it needs no lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, text

LOCK_SUFFIX = ".import.lock"
_APPLICATION = "paperradar import"


@dataclass(frozen=True)
class Holder:
    """Who holds the lock, as far as it said: its process id and host."""

    pid: int
    host: str

    def __str__(self) -> str:
        return f"pid {self.pid}" if self.host == socket.gethostname() else f"pid {self.pid} on {self.host}"

    @staticmethod
    def me() -> Holder:
        return Holder(os.getpid(), socket.gethostname())

    @staticmethod
    def parse(said: str) -> Holder | None:
        """``"<pid> <host>"`` as :meth:`said` wrote it, or None (an empty or foreign text)."""
        pid, _, host = said.strip().partition(" ")
        return Holder(int(pid), host) if pid.isdigit() and host else None

    def said(self) -> str:
        return f"{self.pid} {self.host}"


class ImportLock(Protocol):
    """The store's import lock, taken without waiting; :func:`import_lock` gives the store's."""

    def try_acquire(self) -> bool:
        """Take the lock if it is free; True when this process now holds it."""

    def holder(self) -> Holder | None:
        """Who holds it now, when that can be told."""

    def release(self) -> None:
        """Let the lock go (when held) and free what trying took; safe to call more than once."""


def import_lock(engine: Engine) -> ImportLock:
    """The import lock of the store behind ``engine``."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return _AdvisoryLock(engine)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return _FileLock(Path(f"{url.database}{LOCK_SUFFIX}"))
    return _NoLock()


class _NoLock:
    """A store no other process can open."""

    def try_acquire(self) -> bool:
        return True

    def holder(self) -> Holder | None:
        return None

    def release(self) -> None:
        return None


class _FileLock:
    """``flock`` on a file beside a SQLite store (the file stays; only the lock comes and goes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def try_acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)  # not inherited by child processes
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, Holder.me().said().encode())
        self.fd = fd
        return True

    def holder(self) -> Holder | None:
        try:
            return Holder.parse(self.path.read_text(errors="replace"))
        except OSError:
            return None

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # the kernel drops the lock with the descriptor
            self.fd = None


class _AdvisoryLock:
    """A PostgreSQL session advisory lock, on a connection kept for as long as it is held."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.conn: Connection | None = None
        self._key: int | None = None

    def _connection(self) -> Connection:
        if self.conn is None:
            self.conn = self.engine.connect()
            schema = self.conn.execute(text("SELECT current_schema()")).scalar() or ""
            digest = hashlib.blake2b(f"{_APPLICATION} {schema}".encode(), digest_size=8).digest()
            self._key = int.from_bytes(digest, "big") >> 2  # 62 bits: both halves fit an oid and an int4
            self.conn.commit()
        return self.conn

    def try_acquire(self) -> bool:
        conn = self._connection()
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}).scalar())
        if got:  # name the holder for whoever waits (until this session ends: see release)
            name = f"{_APPLICATION} {Holder.me().said()}"
            conn.execute(text("SELECT set_config('application_name', :name, false)"), {"name": name})
        conn.commit()  # never idle in a transaction while the import runs
        return got

    def holder(self) -> Holder | None:
        conn = self._connection()
        key = self._key or 0
        said = conn.execute(
            text(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                "AND l.classid::bigint = :high AND l.objid::bigint = :low "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"high": key >> 32, "low": key & 0xFFFF_FFFF},
        ).scalar()
        conn.commit()
        return Holder.parse(said.removeprefix(_APPLICATION)) if isinstance(said, str) else None

    def release(self) -> None:
        """Close the session for good (not back to the pool): the lock and the name go with it."""
        if self.conn is not None:
            self.conn.invalidate()
            self.conn.close()
            self.conn = None

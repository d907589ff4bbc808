"""The app context: what every service works over, made once per process by the CLI or the web app.

It holds the store's engine, the configuration file (read once, lazily: a command that needs no
upstream never fails on a broken file) and the derived indexes beside the store. The
environment overrides (``PAPERRADAR_*_URL``, keys, the cache folder) are laid over the file at
each use, so they win over it as they do everywhere.

Writes: the CLI waits for the store's write lock as long as an import may hold it; the web app
opens its context with a ``lock_timeout`` of a few seconds, after which a write is refused with
:class:`~paperradar.services.errors.Busy` (503 and Retry-After) rather than hang. Its writers
take turns here before they take a connection (one at a time on SQLite, which writes one at a
time anyway), so that however many wait, readers still find connections in the pool.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

from sqlalchemy import Connection, Engine

from paperradar.config import Config, ConfigError, apply_env, config_path, load_config
from paperradar.search.hybrid import Searcher, vector_dir
from paperradar.search.lexical import LexicalIndex, index_dir
from paperradar.search.tfidf import TermMatrix, term_dir
from paperradar.search.vectors import VectorIndex
from paperradar.services.errors import busy_refused
from paperradar.store.database import concurrent_writers, open_store, store_busy, writing
from paperradar.sync import fetcher
from paperradar.sync.http import Fetcher


class AppContext:
    """One store, its configuration and its derived indexes.

    ``config_file``: the configuration to read (default: ``$PAPERRADAR_CONFIG`` or the user's).
    ``on_event``: where the HTTP clients report waits and retries (the CLI prints them).
    ``lock_timeout``: seconds a write waits for the write lock before it is refused as
    :class:`~paperradar.services.errors.Busy` (default: the store's long wait, for commands).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        config_file: Path | None = None,
        on_event: Callable[[str], None] | None = None,
        lock_timeout: float | None = None,
    ) -> None:
        self.engine = engine
        self.config_file = config_file
        self.on_event = on_event
        self.lock_timeout = lock_timeout
        self._writers = threading.BoundedSemaphore(concurrent_writers(engine))

    @classmethod
    def open(
        cls,
        db: str | Engine | None = None,
        *,
        on_event: Callable[[str], None] | None = None,
        lock_timeout: float | None = None,
    ) -> AppContext:
        """The context of a database URL or SQLite path (``None``: ``$PAPERRADAR_DB`` or the default)."""
        engine = db if isinstance(db, Engine) else open_store(db)
        return cls(engine, on_event=on_event, lock_timeout=lock_timeout)

    # ------------------------------------------------------------------ the store
    @contextmanager
    def reading(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back if it raises; refused with
        :class:`~paperradar.services.errors.Busy` when the lock is not had within ``lock_timeout``
        (the wait for a turn here and for the store's lock together)."""
        with busy_refused():
            if self.lock_timeout is None:  # a command: wait as long as an import may take
                with writing(self.engine) as conn:
                    yield conn
                return
            started = time.monotonic()
            if not self._writers.acquire(timeout=self.lock_timeout):
                raise store_busy()
            try:
                left = self.lock_timeout - (time.monotonic() - started)
                with writing(self.engine, max(left, 0.001)) as conn:
                    yield conn
            finally:
                self._writers.release()

    # ------------------------------------------------------------------ the configuration
    @cached_property
    def _file_config(self) -> Config | ConfigError:
        try:
            return load_config(self.config_file or config_path(), env={})
        except ConfigError as exc:
            return exc

    @property
    def config(self) -> Config:
        """The file's settings with the environment laid over; raises ConfigError if unusable."""
        file = self._file_config
        if isinstance(file, ConfigError):
            raise file
        return apply_env(file, os.environ)

    def fetcher(self, source: str) -> Fetcher:
        """The HTTP client of one upstream (rate limit, key, cache) as the configuration says."""
        return fetcher(self.config, source, self.on_event)

    # ------------------------------------------------------------------ derived indexes
    @cached_property
    def searcher(self) -> Searcher:
        return Searcher(self.engine)

    @property
    def lexical(self) -> LexicalIndex:
        return LexicalIndex(index_dir(self.engine))

    @property
    def vectors(self) -> VectorIndex:
        return vector_dir(self.engine)

    @property
    def terms(self) -> TermMatrix:
        return term_dir(self.engine)

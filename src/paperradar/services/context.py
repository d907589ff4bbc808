"""The app context: what every service works over, made once per process by the CLI or the web app.

It holds the store's engine, the configuration file (read once, lazily: a command that needs no
upstream never fails on a broken file) and the derived indexes beside the store. The
environment overrides (``PAPERRADAR_*_URL``, keys, the cache folder) are laid over the file at
each use, so they win over it as they do everywhere.
"""

from __future__ import annotations

import os
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
from paperradar.store.database import open_store, writing
from paperradar.sync import fetcher
from paperradar.sync.http import Fetcher


class AppContext:
    """One store, its configuration and its derived indexes.

    ``config_file``: the configuration to read (default: ``$PAPERRADAR_CONFIG`` or the user's).
    ``on_event``: where the HTTP clients report waits and retries (the CLI prints them).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        config_file: Path | None = None,
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        self.engine = engine
        self.config_file = config_file
        self.on_event = on_event

    @classmethod
    def open(
        cls, db: str | Engine | None = None, *, on_event: Callable[[str], None] | None = None
    ) -> AppContext:
        """The context of a database URL or SQLite path (``None``: ``$PAPERRADAR_DB`` or the default)."""
        return cls(db if isinstance(db, Engine) else open_store(db), on_event=on_event)

    # ------------------------------------------------------------------ the store
    @contextmanager
    def reading(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with writing(self.engine) as conn:
            yield conn

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

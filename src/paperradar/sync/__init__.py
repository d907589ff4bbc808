"""Live sync: fetch from the upstream services through one HTTP layer and write through the store.

Each module harvests one upstream incrementally and resumably; `paperradar sync` drives them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from paperradar.config import Config, require_key, user_agent
from paperradar.ingest import Checkpoint, FileResult, finish_run, start_run, write_batch
from paperradar.records import Item
from paperradar.store.writer import Changes, Counts, FileContext
from paperradar.sync.http import Fetcher

# How each service wants its key (the Fetcher keeps it out of every message, log and cache name).
KEY_HEADERS = {"semantic_scholar": "x-api-key"}
KEY_PARAMS = {"openalex": "api_key"}
KEY_REQUIRED = frozenset({"openalex"})  # OpenAlex answers keyless requests no more (2026)

CACHE_TTL = 3600.0
"""Seconds a cached answer is reused: a re-run within the hour costs the services nothing, while
answers that change (today's upvotes, the newest OAI records) are fetched afresh after that."""


def fetcher(config: Config, source: str, on_event: Callable[[str], None] | None = None) -> Fetcher:
    """The one HTTP client of ``source``, set up from the configuration (rate limit, key, cache).

    A service that needs a key and has none fails here, saying where to set it.
    """
    settings = config.sources[source]
    if source in KEY_REQUIRED:
        require_key(config, source)
    return Fetcher(
        source,
        settings.base_url,
        min_interval=settings.min_interval,
        timeout=settings.timeout,
        max_retries=settings.max_retries,
        user_agent=user_agent(config),
        api_key=settings.api_key if (source in KEY_HEADERS or source in KEY_PARAMS) else None,
        api_key_header=KEY_HEADERS.get(source),
        api_key_param=KEY_PARAMS.get(source),
        cache_dir=config.cache_dir,
        cache_ttl=CACHE_TTL,
        on_event=on_event,
    )


class SyncRun:
    """One run of a sync: its run record, its checkpoint, and the pages it writes.

    Use it as a context manager: a run that raises is recorded as ``failed`` (or ``interrupted``
    on Ctrl-C) with what it had written so far, which stays, and a later run resumes from
    :attr:`previous`. Every page is written with its checkpoint in one transaction.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        source: str,
        origin: str,
        checkpoint: str,
        target: str,
        format_name: str,
        after_batch: Callable[[Changes], None] | None = None,
    ) -> None:
        self.engine, self.source, self.origin, self.key = engine, source, origin, checkpoint
        self.after_batch = after_batch
        self.previous, self.run_id = start_run(engine, "sync", target, format_name, checkpoint)
        self.record = FileResult(Path(checkpoint))  # counts and items of this run

    @property
    def resumable(self) -> Checkpoint | None:
        """The checkpoint of an earlier run of the same key that did not finish."""
        return self.previous if self.previous is not None and not self.previous.done else None

    @property
    def counts(self) -> Counts:
        return self.record.counts

    def write(
        self, items: list[Item], body: bytes, url: str, position: int, done: bool, state: dict[str, Any]
    ) -> None:
        """Store one page's items with the checkpoint that says how to continue after it."""
        ctx = FileContext(
            source=self.source,
            file=url,
            file_key=f"{self.origin}:{hashlib.blake2b(body, digest_size=16).hexdigest()}",
            run_id=self.run_id,
            origin=self.origin,
        )
        writer = write_batch(self.engine, items, ctx, Checkpoint(self.key, position, done, state))
        self.record.items += len(items)
        if writer is not None:
            self.record.counts.add(writer.counts)
            if self.after_batch is not None:
                self.after_batch(writer.changes)

    def __enter__(self) -> SyncRun:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _tb: object) -> None:
        if error is None:
            finish_run(self.engine, self.run_id, self.record)
            return
        self.record.error = str(error)
        status = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
        finish_run(self.engine, self.run_id, self.record, status)

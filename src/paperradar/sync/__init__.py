"""Live sync: fetch from the upstream services through one HTTP layer and write through the store.

Each module harvests one upstream incrementally and resumably; `paperradar sync` drives them.
"""

from __future__ import annotations

from collections.abc import Callable

from paperradar.config import Config, user_agent
from paperradar.sources.http import Fetcher

CACHE_TTL = 3600.0
"""Seconds a cached answer is reused: a re-run within the hour costs the services nothing, while
answers that change (today's upvotes, the newest OAI records) are fetched afresh after that."""


def fetcher(config: Config, source: str, on_event: Callable[[str], None] | None = None) -> Fetcher:
    """The one HTTP client of ``source``, set up from the configuration (rate limit, key, cache)."""
    settings = config.sources[source]
    return Fetcher(
        source,
        settings.base_url,
        min_interval=settings.min_interval,
        timeout=settings.timeout,
        max_retries=settings.max_retries,
        user_agent=user_agent(config),
        cache_dir=config.cache_dir,
        cache_ttl=CACHE_TTL,
        on_event=on_event,
    )

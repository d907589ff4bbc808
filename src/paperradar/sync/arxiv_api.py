"""arXiv API queries: a search (``all:diffusion AND cat:cs.LG``) or a list of ids, page by page.

Quick look-ups between OAI harvests. Each page is written with the offset of the next one, so
a long query that stops resumes where it was; arXiv asks for one request every 3 s.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine

from paperradar.records import ARXIV_API
from paperradar.sources import arxiv_api
from paperradar.store import queries
from paperradar.store.writer import Changes, Counts
from paperradar.sync import SyncRun
from paperradar.sync.http import Fetcher

ORIGIN = "sync:arxiv_api"
PAGE_SIZE = 100  # arXiv's advice: pages of modest size, a few thousand results per query at most


@dataclass
class QueryResult:
    query: str
    entries: int = 0
    total: int | None = None  # what arXiv says the whole query has
    pages: int = 0
    counts: Counts = field(default_factory=Counts)
    resumed_at: int | None = None


def run_query(
    engine: Engine,
    fetcher: Fetcher,
    *,
    search: str | None = None,
    ids: Sequence[str] = (),
    max_results: int = 100,
    page_size: int = PAGE_SIZE,
    on_page: Callable[[int, int | None], None] | None = None,
    after_batch: Callable[[Changes], None] | None = None,
) -> QueryResult:
    """Fetch up to ``max_results`` entries of a search and/or an id list into the store."""
    if not search and not ids:
        raise ValueError("give a search query or arXiv ids")
    params = {"search_query": search} if search else {}
    if ids:
        params["id_list"] = ",".join(ids)
    label = search or ",".join(ids)
    key = "sync:arxiv_api:" + hashlib.blake2b(f"{label}|{max_results}".encode(), digest_size=8).hexdigest()
    result = QueryResult(label)
    with SyncRun(
        engine,
        source=ARXIV_API,
        origin=ORIGIN,
        checkpoint=key,
        target=f"arXiv API {label}",
        format_name="arxiv-api",
        after_batch=after_batch,
    ) as run:
        start = 0
        if (earlier := run.resumable) is not None and earlier.state:
            start = result.resumed_at = int(earlier.state.get("start", 0))
        while start < max_results:
            size = min(page_size, max_results - start)
            # arXiv answers a malformed query with HTTP 400 and an error feed that says why.
            response = fetcher.get("", {**params, "start": start, "max_results": size}, allow_status={400})
            items = list(arxiv_api.parse_response(response.content, f"arXiv API {label} (start {start})"))
            result.total = arxiv_api.total_results(response.content)
            start += len(items)  # arXiv may answer with fewer than asked for: continue after them
            done = not items or start >= max_results or (result.total is not None and start >= result.total)
            run.write(items, response.content, response.url, start, done, {"start": start})
            result.pages += 1
            result.entries += len(items)
            if on_page is not None:
                on_page(result.entries, result.total)
            if done:
                break
    result.counts = run.counts
    return result


def fetch_work(
    engine: Engine, fetcher: Fetcher, arxiv: str, after_batch: Callable[[Changes], None] | None = None
) -> int | None:
    """Fetch one paper by arXiv id into the store (for a submission of a paper the store lacks);
    its work id, or ``None`` when arXiv does not know it. Raises what the fetcher raises."""
    run_query(engine, fetcher, ids=[arxiv], max_results=1, after_batch=after_batch)
    with engine.connect() as conn:
        return queries.resolve_work(conn, arxiv)

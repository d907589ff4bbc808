"""Incremental arXiv OAI-PMH harvest: ListRecords for a set and a date window, page by page.

Each page is written together with the checkpoint that says how to ask for the next one (the
resumptionToken), in one transaction: a harvest stopped at any instant — Ctrl-C, SIGKILL, a
network error — resumes with the next page and loses or repeats nothing. When a harvest ends,
the checkpoint remembers the day it covered, and the next run starts from there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from paperradar.records import ARXIV_OAI, Item, Skipped, UnreadableInput, WorkRecord
from paperradar.sources import arxiv_oai
from paperradar.store.runs import Checkpoint
from paperradar.store.writer import Changes, Counts
from paperradar.sync import SyncRun
from paperradar.sync.http import Fetcher

ORIGIN = "sync:arxiv_oai"
DEFAULT_PREFIX = "arXivRaw"  # per-version dates and sizes; "arXiv" gives affiliations instead


@dataclass
class HarvestResult:
    set_spec: str
    window: tuple[str | None, str]  # (from, until) as OAI datestamps
    pages: int = 0  # fetched by this run
    records: int = 0  # fetched by this run
    counts: Counts = field(default_factory=Counts)
    resumed: bool = False
    restarted: bool = False  # the saved resumptionToken had expired
    complete_list_size: int | None = None


PageCallback = Callable[[int, int, int | None], None]
"""``on_page(pages done, records so far, completeListSize)``."""


def harvest(
    engine: Engine,
    fetcher: Fetcher,
    set_spec: str,
    *,
    from_date: dt.date | None = None,
    until: dt.date | None = None,
    metadata_prefix: str = DEFAULT_PREFIX,
    categories: Collection[str] = (),
    on_page: PageCallback | None = None,
    after_batch: Callable[[Changes], None] | None = None,
) -> HarvestResult:
    """Harvest ``set_spec`` (e.g. ``cs`` or ``physics:hep-th``) into the store.

    Without ``from_date`` the harvest starts where the last completed one ended (or from the
    beginning of the set); without ``until`` it ends today. An interrupted harvest of the same
    set is resumed first. With ``categories`` (e.g. ``cs.LG``), records in none of them are
    counted as skipped rather than stored.
    """
    key = f"sync:arxiv_oai:{set_spec}"
    with SyncRun(
        engine,
        source=ARXIV_OAI,
        origin=ORIGIN,
        checkpoint=key,
        target=f"arXiv OAI-PMH set {set_spec}",
        format_name="arxiv-oai",
        after_batch=after_batch,
    ) as run:
        earlier = run.resumable
        state: dict[str, Any] = dict(run.previous.state or {}) if run.previous else {}
        resuming = earlier is not None and bool(state.get("token"))
        window, page = _window(earlier, state, resuming, from_date, until)
        result = HarvestResult(set_spec, window, resumed=resuming)
        first = {
            "verb": "ListRecords",
            "metadataPrefix": metadata_prefix,
            "set": set_spec,
            "until": window[1],
        }
        if window[0]:
            first["from"] = window[0]
        params = {"verb": "ListRecords", "resumptionToken": state["token"]} if resuming else first
        _pages(run, fetcher, result, params, first, page, state, categories, on_page)
    result.counts = run.counts
    return result


def _window(
    earlier: Checkpoint | None,
    state: dict[str, Any],
    resuming: bool,
    from_date: dt.date | None,
    until: dt.date | None,
) -> tuple[tuple[str | None, str], int]:
    """The (from, until) window to harvest and the pages of it already written: an interrupted
    harvest's own; else from ``from_date`` or where the last completed harvest ended, to
    ``until`` or today."""
    if resuming:
        return (state.get("from"), str(state["until"])), earlier.position if earlier else 0
    start = from_date.isoformat() if from_date else state.get("harvested_until")
    return (start, (until or dt.datetime.now(dt.UTC).date()).isoformat()), 0


def _pages(
    run: SyncRun,
    fetcher: Fetcher,
    result: HarvestResult,
    params: dict[str, str],
    first: dict[str, str],
    page: int,
    state: dict[str, Any],
    categories: Collection[str],
    on_page: PageCallback | None,
) -> None:
    """Fetch and write page after page, each with the token that asks for the next, until the list
    ends; ``first`` asks for the window from its start, once, when a saved token has expired."""
    window = result.window
    while True:
        response = fetcher.get("", params)
        name = f"arXiv OAI-PMH {result.set_spec} page {page + 1}"
        try:
            items = [_followed(item, categories) for item in arxiv_oai.parse_response(response.content, name)]
            token, size, _cursor = arxiv_oai.resumption_token_of(response.content, name)
        except UnreadableInput as exc:
            if "badResumptionToken" in str(exc) and "resumptionToken" in params and not result.restarted:
                # Tokens expire after a while: harvest the same window again from its start, once.
                params, page, result.restarted = first, 0, True
                continue
            raise
        page += 1
        new_state = {
            "token": token,
            "from": window[0],
            "until": window[1],
            "harvested_until": window[1] if token is None else state.get("harvested_until"),
        }
        run.write(items, response.content, f"{response.url} ({name})", page, token is None, new_state)
        result.pages, result.records = result.pages + 1, result.records + len(items)
        result.complete_list_size = size or result.complete_list_size
        if on_page is not None:
            on_page(page, result.records, result.complete_list_size)
        if token is None:
            return
        params = {"verb": "ListRecords", "resumptionToken": token}


def _followed(item: Item, categories: Collection[str]) -> Item:
    """The item, or a skip when it is in none of the followed categories."""
    record = item.record
    if not categories or not isinstance(record, WorkRecord) or set(record.categories) & set(categories):
        return item
    reason = f"not in the followed categories ({', '.join(record.categories) or 'none given'})"
    return Item(item.location, item.position, item.source, record=Skipped(reason))

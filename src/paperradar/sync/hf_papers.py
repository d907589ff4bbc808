"""Hugging Face daily papers, day by day: featured day, upvotes, submitter, organisation, code.

Each day's answer is written together with the checkpoint naming that day, in one transaction.
A range interrupted half-way resumes after the last day it finished; syncing a day again later
refreshes its upvotes (the newer answer supersedes the older one, nothing is duplicated).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from paperradar.records import HUGGINGFACE
from paperradar.sources import hf_papers
from paperradar.store.writer import Changes, Counts
from paperradar.sync import SyncRun
from paperradar.sync.http import Fetcher

ORIGIN = "sync:huggingface"
CHECKPOINT = "sync:huggingface:daily"


@dataclass
class DailyResult:
    first: dt.date
    last: dt.date
    days: int = 0
    papers: int = 0
    counts: Counts = field(default_factory=Counts)
    resumed_after: dt.date | None = None


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def sync_days(
    engine: Engine,
    fetcher: Fetcher,
    first: dt.date,
    last: dt.date,
    *,
    on_day: Callable[[dt.date, int], None] | None = None,
    after_batch: Callable[[Changes], None] | None = None,
) -> DailyResult:
    """Fetch ``/daily_papers?date=D`` for every day from ``first`` to ``last`` into the store."""
    if last < first:
        raise ValueError(f"the range ends ({last}) before it starts ({first})")
    result = DailyResult(first, last)
    span = {"first": first.isoformat(), "last": last.isoformat()}
    with SyncRun(
        engine,
        source=HUGGINGFACE,
        origin=ORIGIN,
        checkpoint=CHECKPOINT,
        target=f"Hugging Face daily papers {first} → {last}",
        format_name="hf-daily",
        after_batch=after_batch,
    ) as run:
        days = days_between(first, last)
        earlier = run.resumable
        if earlier is not None and earlier.state and all(earlier.state.get(k) == v for k, v in span.items()):
            result.resumed_after = dt.date.fromisoformat(earlier.state["done_through"])
            days = [day for day in days if day > result.resumed_after]
        for day in days:
            response = fetcher.get("daily_papers", {"date": day.isoformat()})
            items = list(hf_papers.parse_response(response.content, f"Hugging Face daily papers {day}"))
            state = {**span, "done_through": day.isoformat()}
            run.write(items, response.content, response.url, result.days + 1, day == last, state)
            result.days += 1
            result.papers += len(items)
            if on_day is not None:
                on_day(day, len(items))
    result.counts = run.counts
    return result

"""Hugging Face daily papers, day by day: featured day, upvotes, submitter, organisation, code.

Each day's answer is written together with the checkpoint naming that day, in one transaction.
A range interrupted half-way resumes after the last day it finished; syncing a day again later
refreshes its upvotes (the newer answer supersedes the older one, nothing is duplicated).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from paperradar.ingest import Checkpoint, FileResult, finish_run, start_run, write_batch
from paperradar.records import HUGGINGFACE
from paperradar.sources import hf_papers
from paperradar.sources.http import Fetcher
from paperradar.store.writer import Changes, Counts, FileContext

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
    previous, run_id = start_run(
        engine, "sync", f"Hugging Face daily papers {first} → {last}", "hf-daily", CHECKPOINT
    )
    result = DailyResult(first, last)
    days = days_between(first, last)
    state = previous.state if previous is not None and not previous.done and previous.state else None
    if state and state.get("first") == first.isoformat() and state.get("last") == last.isoformat():
        done_through = dt.date.fromisoformat(state["done_through"])
        days = [day for day in days if day > done_through]
        result.resumed_after = done_through
    outcome = FileResult(Path(CHECKPOINT))  # the run's record: counts, error
    try:
        for day in days:
            response = fetcher.get("daily_papers", {"date": day.isoformat()})
            items = list(hf_papers.parse_response(response.content, f"Hugging Face daily papers {day}"))
            ctx = FileContext(
                source=HUGGINGFACE,
                file=f"{response.url}",
                file_key=f"{ORIGIN}:{hashlib.blake2b(response.content, digest_size=16).hexdigest()}",
                run_id=run_id,
                origin=ORIGIN,
            )
            state_now = {
                "first": first.isoformat(),
                "last": last.isoformat(),
                "done_through": day.isoformat(),
            }
            writer = write_batch(
                engine, items, ctx, Checkpoint(CHECKPOINT, result.days + 1, day == last, state_now)
            )
            if writer is not None:
                result.counts.add(writer.counts)
                if after_batch is not None:
                    after_batch(writer.changes)
            result.days += 1
            result.papers += len(items)
            if on_day is not None:
                on_day(day, len(items))
    except BaseException as exc:
        outcome.counts, outcome.error = result.counts, str(exc)
        finish_run(engine, run_id, outcome, "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed")
        raise
    outcome.counts, outcome.items = result.counts, result.papers
    finish_run(engine, run_id, outcome)
    return result

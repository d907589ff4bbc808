"""Syncing Hugging Face daily papers from a local server replaying the recorded 2026-06-12 answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from paperradar.cli import app
from paperradar.store import schema as t
from paperradar.sync.hf_papers import sync_days
from paperradar.sync.http import Fetcher, UpstreamError
from tests.conftest import FIXTURES
from tests.replay import Answer, replay_server

RECORDED = (FIXTURES / "huggingface" / "daily_papers.json").read_bytes()
DAY = dt.date(2026, 6, 12)


class Upstream:
    """Answers like the Hugging Face API: the recorded day, empty lists for other days."""

    def __init__(self) -> None:
        self.body = RECORDED
        self.failing: set[str] = set()

    def __call__(self, path: str, query: dict[str, str]) -> Answer:
        assert path == "/api/daily_papers"
        if query["date"] in self.failing:
            return 500, b"Internal Server Error", {}
        body = self.body if query["date"] == DAY.isoformat() else b"[]"
        return 200, body, {"Content-Type": "application/json"}


# The local server's API URL, what it answers, and what it was asked (path, query).
Server = tuple[str, Upstream, list[tuple[str, dict[str, str]]]]


@pytest.fixture
def hf() -> Iterator[Server]:
    upstream = Upstream()
    with replay_server(upstream) as (url, seen):
        yield f"{url}/api", upstream, seen


def _fetcher(url: str, max_retries: int = 5, cache_dir: Path | None = None) -> Fetcher:
    return Fetcher(
        "huggingface",
        url,
        min_interval=0.0,
        max_retries=max_retries,
        user_agent="paperradar-tests",
        sleep=lambda _s: None,
        cache_dir=cache_dir,
    )


def test_a_range_of_days_brings_the_featured_papers_with_their_upvotes(engine: Engine, hf: Server) -> None:
    url, _upstream, seen = hf
    result = sync_days(engine, _fetcher(url), DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=1))
    assert (result.days, result.papers, result.counts.new) == (3, 30, 30)
    assert [q["date"] for _, q in seen] == ["2026-06-11", "2026-06-12", "2026-06-13"]
    recorded = {item["paper"]["id"]: item["paper"]["upvotes"] for item in orjson.loads(RECORDED)}
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.work_ids.c.value, t.community.c.upvotes, t.community.c.featured_day)
            .join(t.community, t.community.c.work_id == t.work_ids.c.work_id)
            .where(t.work_ids.c.scheme == "arxiv")
        ).all()
    assert {arxiv: upvotes for arxiv, upvotes, _ in rows} == recorded
    assert {day for _, _, day in rows} == {DAY}


def test_syncing_a_day_again_refreshes_its_upvotes(engine: Engine, hf: Server) -> None:
    url, upstream, _seen = hf
    sync_days(engine, _fetcher(url), DAY, DAY)
    later = orjson.loads(RECORDED)
    later[0]["paper"]["upvotes"] += 7  # a day later the first paper has 7 more votes
    upstream.body = orjson.dumps(later)
    again = sync_days(engine, _fetcher(url, cache_dir=None), DAY, DAY)
    assert (again.counts.new, again.counts.updated, again.counts.unchanged) == (0, 1, 29)
    with engine.connect() as conn:
        votes = conn.execute(select(func.sum(t.community.c.upvotes))).scalar_one()
        rows = conn.execute(select(func.count()).select_from(t.community)).scalar_one()
    assert rows == 30  # refreshed, not duplicated
    assert votes == sum(item["paper"]["upvotes"] for item in later)


def test_an_interrupted_range_resumes_after_the_last_day_it_finished(engine: Engine, hf: Server) -> None:
    url, upstream, seen = hf
    first, last = DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=1)
    upstream.failing = {DAY.isoformat()}
    with pytest.raises(UpstreamError, match="Hugging Face"):
        sync_days(engine, _fetcher(url, max_retries=0), first, last)
    upstream.failing = set()
    seen.clear()
    result = sync_days(engine, _fetcher(url), first, last)
    assert result.resumed_after == first
    assert [q["date"] for _, q in seen] == ["2026-06-12", "2026-06-13"]
    assert result.counts.new == 30


def test_the_sync_hf_command(db_url: str, tmp_path: Path, hf: Server) -> None:
    url, _upstream, _seen = hf
    env = {
        "PAPERRADAR_CONFIG": str(tmp_path / "config.toml"),
        "PAPERRADAR_CACHE_DIR": str(tmp_path / "cache"),
        "PAPERRADAR_HUGGINGFACE_URL": url,
    }
    # Offline from arXiv: the categories step has its own tests (test_arxiv_categories.py).
    result = CliRunner().invoke(
        app, ["--db", db_url, "sync", "hf", "--date", "2026-06-12", "--no-categories"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "✓ Hugging Face 2026-06-12: 30 papers: 30 new" in result.output
    week = CliRunner().invoke(
        app,
        ["--db", db_url, "sync", "hf", "--from", "2026-06-10", "--until", "2026-06-12", "--no-categories"],
        env=env,
    )
    assert "✓ Hugging Face 2026-06-10 → 2026-06-12: 30 papers" in week.output

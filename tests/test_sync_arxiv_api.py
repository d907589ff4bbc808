"""arXiv API queries against a local server replaying the recorded answers (search pages, ids, errors)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from paperradar.cli import app
from paperradar.records import UnreadableInput
from paperradar.store.queries import resolve_work
from paperradar.sync.arxiv_api import run_query
from paperradar.sync.http import Fetcher
from tests.conftest import FIXTURES
from tests.replay import Answer, replay_server

API = FIXTURES / "arxiv_api"
PAGES = {
    "0": (API / "q_testing_s0_m10_bc5a6c384fe9.body.xml").read_bytes(),
    "10": (API / "q_testing_s10_m10_34e56e15aaac.body.xml").read_bytes(),
}
BY_ID = {
    "1707.08567": (API / "id_1707.08567_s0_m100_6a1afebfc6a3.body.xml").read_bytes(),
    "abc": (API / "id_abc_s0_m100_b79c8dcf6bc3.body.xml").read_bytes(),
}


def _answer(_path: str, query: dict[str, str]) -> Answer:
    if "id_list" in query:
        body = BY_ID[query["id_list"]]
        return (400 if query["id_list"] == "abc" else 200), body, {"Content-Type": "application/atom+xml"}
    assert query["search_query"] == "all:testing"
    return 200, PAGES[query["start"]], {"Content-Type": "application/atom+xml"}


# The local server's API URL and what it was asked (path, query).
Server = tuple[str, list[tuple[str, dict[str, str]]]]


@pytest.fixture
def api() -> Iterator[Server]:
    with replay_server(_answer) as (url, seen):
        yield f"{url}/api/query", seen


def _fetcher(url: str) -> Fetcher:
    return Fetcher("arxiv_api", url, min_interval=0.0, user_agent="paperradar-tests", sleep=lambda _s: None)


def test_a_search_is_fetched_page_by_page(engine: Engine, api: Server) -> None:
    url, seen = api
    result = run_query(engine, _fetcher(url), search="all:testing", max_results=20, page_size=10)
    assert (result.pages, result.entries, result.total) == (2, 20, 214881)
    assert result.counts.new == 20
    assert [(q["start"], q["max_results"]) for _, q in seen] == [("0", "10"), ("10", "10")]


def test_an_id_list_and_a_malformed_id(engine: Engine, api: Server) -> None:
    url, _seen = api
    result = run_query(engine, _fetcher(url), ids=["1707.08567"])
    assert result.entries == 1
    with engine.connect() as conn:
        assert resolve_work(conn, "1707.08567") is not None
    with pytest.raises(UnreadableInput, match="incorrect id format for abc"):
        run_query(engine, _fetcher(url), ids=["abc"])


def test_the_arxiv_query_command(db_url: str, tmp_path: Path, api: Server) -> None:
    url, _seen = api
    env = {
        "PAPERRADAR_CONFIG": str(tmp_path / "config.toml"),
        "PAPERRADAR_CACHE_DIR": str(tmp_path / "cache"),
        "PAPERRADAR_ARXIV_API_URL": url,
    }
    runner = CliRunner()
    ok = runner.invoke(app, ["--db", db_url, "sync", "arxiv-query", "all:testing", "--max", "20"], env=env)
    assert ok.exit_code == 0, ok.output
    assert "✓ arXiv API all:testing: 20 of 214,881 entries: 20 new" in ok.output
    bad = runner.invoke(app, ["--db", db_url, "sync", "arxiv-query", "--id", "abc"], env=env)
    assert bad.exit_code == 1 and "incorrect id format for abc" in bad.output

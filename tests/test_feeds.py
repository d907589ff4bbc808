"""RSS 2.0 and Atom feeds, read back with a feed parser: valid, complete, and text stays text."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest
from typer.testing import CliRunner

from paperradar.cli import app
from tests.conftest import FIXTURES

HOSTILE_TITLE = "<script>alert(1)</script> Sparse attention at $2.2 \\times$ speed & more"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., tuple[int, bytes]]:
    runner = CliRunner()
    folder = tmp_path_factory.mktemp("feeds")
    db = folder / "feeds.db"
    hostile = folder / "hostile.jsonl"
    hostile.write_text(
        json.dumps(
            {
                "id": "2606.99999",
                "authors": "Ada Lovelace",
                "title": HOSTILE_TITLE,
                "abstract": "We show <b>bold</b> claims with $\\alpha < \\beta$ and </description> tags.",
                "categories": "cs.LG",
                "versions": [{"version": "v1", "created": "Thu, 11 Jun 2026 10:00:00 GMT"}],
                "authors_parsed": [["Lovelace", "Ada", ""]],
            }
        )
        + "\n"
    )
    for path in (FIXTURES / "huggingface" / "daily_papers.json", FIXTURES / "seed_pages", hostile):
        assert runner.invoke(app, ["--db", str(db), "import", str(path)]).exit_code == 0

    def invoke(*args: str) -> tuple[int, bytes]:
        result = runner.invoke(app, ["--db", str(db), "feed", *args], catch_exceptions=False)
        return result.exit_code, result.stdout_bytes

    return invoke


@pytest.mark.parametrize(("form", "version"), [("rss", "rss20"), ("atom", "atom10")])
def test_the_daily_feed_is_valid_and_complete(
    run: Callable[..., tuple[int, bytes]], form: str, version: str
) -> None:
    code, document = run("daily", "2026-06-12", "--format", form)
    assert code == 0
    parsed = feedparser.parse(document)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == version
    assert parsed.feed.title == "Daily papers · Jun 12, 2026"
    assert parsed.feed.link == "http://127.0.0.1:8000/daily/2026-06-12"
    # The 30 featured papers, and the arXiv paper submitted on Thursday morning (Friday's list).
    assert sum("featured on Hugging Face" in e.summary for e in parsed.entries) == 30
    assert [e.title for e in parsed.entries if "announced on arXiv" in e.summary] == [HOSTILE_TITLE]
    first = parsed.entries[0]
    assert first.title.startswith("EvoArena") and first.link == "https://arxiv.org/abs/2606.13681"
    assert "▲ 118 · featured on Hugging Face" in first.summary
    ids = [e.id for e in parsed.entries]
    assert len(set(ids)) == 31  # every entry has its own stable id


@pytest.mark.parametrize("form", ["rss", "atom"])
def test_author_trending_and_search_feeds(run: Callable[..., tuple[int, bytes]], form: str) -> None:
    _, document = run("author", "Natalie Mackraz", "--format", form)
    parsed = feedparser.parse(document)
    assert not parsed.bozo and parsed.feed.title == "Papers by Natalie Mackraz" and len(parsed.entries) == 7
    _, document = run("search", "sparse attention", "--format", form)
    parsed = feedparser.parse(document)
    assert not parsed.bozo and parsed.feed.title == "Search: sparse attention"
    assert any(e.title == "MiniMax Sparse Attention" for e in parsed.entries)
    _, document = run("trending", "month", "--format", form)
    assert not feedparser.parse(document).bozo  # empty today (the recorded day is long past), still valid


@pytest.mark.parametrize("form", ["rss", "atom"])
def test_hostile_text_stays_text(run: Callable[..., tuple[int, bytes]], form: str, tmp_path: Path) -> None:
    code, document = run("search", "Lovelace sparse", "--format", form)
    assert code == 0
    assert b"<script>" not in document and b"<b>bold" not in document
    parsed = feedparser.parse(document)
    assert not parsed.bozo
    entry = next(e for e in parsed.entries if "alert" in e.title)
    assert entry.title == HOSTILE_TITLE  # read back exactly, as text


def test_bad_requests_say_why(run: Callable[..., tuple[int, bytes]]) -> None:
    runner = CliRunner()
    for args, message in (
        (["feed", "weekly"], "the feed kind is daily, trending, author, org or search"),
        (["feed", "daily", "--format", "json"], "--format must be rss or atom"),
        (["feed", "trending", "year"], "trending is over day, week or month"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and message in result.output
    assert "Example:" in runner.invoke(app, ["feed", "--help"]).output


@pytest.mark.parametrize("form", ["rss", "atom"])
def test_an_organisations_feed(run: Callable[..., tuple[int, bytes]], form: str) -> None:
    code, document = run("org", "CohereLabs", "--format", form)
    parsed = feedparser.parse(document)
    assert code == 0 and not parsed.bozo
    assert parsed.feed.title == "Papers of Cohere Labs"
    assert [e.title for e in parsed.entries] == ["Making, not Taking, the Best of N"]

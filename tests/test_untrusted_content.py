"""Imported text stays inert everywhere (issue 17): a ``javascript:`` code link is never a link, on the
web, in feeds or in a digest email; control characters and terminal escapes in a title neither break a
feed nor reach the terminal."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from typer.testing import CliRunner

from paperradar.analysis.cards import Card
from paperradar.cli import app as cli
from paperradar.digest.compose import Digest, DigestItem
from paperradar.digest.periods import DigestPeriod
from paperradar.digest.render import render
from paperradar.services.context import AppContext
from paperradar.services.feed import Feed
from paperradar.store.subscriptions import Subscription
from paperradar.text import printable, safe_url, xml_text
from paperradar.web.app import create_app

DAY = dt.date(2026, 6, 12)  # a Thursday-morning submission is on Friday's list
LINKED = "2606.99990"  # its code link is a javascript: URL
NOISY = "2606.99991"  # its title holds a terminal escape, a bell, NUL and other controls
EVIL = "javascript:alert(document.cookie)"
NOISY_TITLE = "Loud\x1b[31m red\x1b[0m title\x07 with\x00 nul\x0b and\x1b]0;pwned\x07 osc"


def _paper(arxiv: str, title: str, abstract: str) -> dict[str, object]:
    return {
        "id": arxiv,
        "authors": "Grace Hopper",
        "title": title,
        "abstract": abstract,
        "categories": "cs.LG",
        "versions": [{"version": "v1", "created": "Thu, 11 Jun 2026 10:00:00 GMT"}],
        "authors_parsed": [["Hopper", "Grace", ""]],
    }


@pytest.fixture(scope="module")
def db(demo_db: Path) -> Path:
    """The demo corpus plus two hostile papers: one with a ``javascript:`` code link, one noisy title."""
    snapshot = demo_db.parent / "untrusted.jsonl"
    papers = [
        _paper(LINKED, "Compilers for linked code", "We compile <script>alert(1)</script> & more."),
        _paper(NOISY, NOISY_TITLE, "First line\nsecond\x1b[2J line"),
    ]
    snapshot.write_text("".join(json.dumps(p) + "\n" for p in papers))
    links = demo_db.parent / "links.json"
    link = {
        "paper_url": "https://paperswithcode.com/paper/compilers-for-linked-code",
        "paper_title": "Compilers for linked code",
        "paper_arxiv_id": LINKED,
        "repo_url": EVIL,
        "is_official": True,
        "mentioned_in_paper": True,
        "mentioned_in_github": False,
        "framework": "none",
    }
    links.write_text(json.dumps([link]))
    for path in (snapshot, links):
        done = CliRunner().invoke(cli, ["--db", str(demo_db), "import", str(path)])
        assert done.exit_code == 0, done.output
    return demo_db


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(str(db)), base_url="http://127.0.0.1:8000") as test_client:
        yield test_client


def _card(db: Path, arxiv: str) -> Card:
    items = Feed(AppContext.open(str(db))).daily(DAY).items
    return next(i.card for i in items if i.card.arxiv_id == arxiv)


def test_the_helpers() -> None:
    assert safe_url("https://github.com/a/b") == "https://github.com/a/b"
    for bad in (EVIL, " JavaScript:x", "java\tscript:x", "data:text/html,x", "vbscript:x", "//evil", None):
        assert safe_url(bad) is None
    assert printable("a\x1b[31mb\x07c\x00d\ne\tf") == "abcd\ne f"
    assert printable("a\nb", newlines=False) == "a b"
    assert xml_text("a\x00b\x1bc\ufffed\te") == "abcd\te"


def test_a_javascript_code_link_is_text_on_the_web(client: TestClient) -> None:
    page = client.get(f"/papers/{LINKED}")
    assert page.status_code == 200
    assert 'href="javascript:' not in page.text.lower()
    assert EVIL in page.text  # shown, as text
    daily = client.get(f"/daily/{DAY}")
    assert daily.status_code == 200 and "Compilers for linked code" in daily.text
    assert 'href="javascript:' not in daily.text.lower()


@pytest.mark.parametrize("form", ["rss", "atom"])
def test_feeds_parse_and_hold_no_script_link(client: TestClient, form: str) -> None:
    answer = client.get(f"/daily/{DAY}/feed.{form}")
    assert answer.status_code == 200
    root = etree.fromstring(answer.content)  # raises when not well-formed XML
    assert b"javascript:" not in answer.content.lower()
    assert any("Compilers for linked code" in (t.text or "") for t in root.iter("{*}title", "title"))


def test_rss_descriptions_are_escaped_html(client: TestClient) -> None:
    root = etree.fromstring(client.get(f"/daily/{DAY}/feed.rss").content)
    item = next(i for i in root.iter("item") if i.findtext("title") == "Compilers for linked code")
    description = item.findtext("description") or ""
    # The description is HTML to a reader: the abstract's markup must arrive escaped, as text.
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in description
    assert "<script>" not in description


def test_control_characters_never_reach_the_terminal(db: Path) -> None:
    shown = CliRunner().invoke(cli, ["--db", str(db), "show", NOISY])
    assert shown.exit_code == 0, shown.output
    assert "\x1b" not in shown.output and "\x07" not in shown.output and "\x00" not in shown.output
    assert "Loud red title with nul and osc" in shown.output
    assert "First line second line" in shown.output
    daily = CliRunner().invoke(cli, ["--db", str(db), "daily", str(DAY), "-n", "0", "--abstracts"])
    assert daily.exit_code == 0 and "\x1b" not in daily.output and "Loud red title" in daily.output


@pytest.mark.parametrize("form", ["rss", "atom"])
def test_a_title_with_control_characters_does_not_break_feeds(client: TestClient, form: str) -> None:
    for path in (f"/daily/{DAY}/feed.{form}", f"/search/feed.{form}?q=Loud+red+title"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        root = etree.fromstring(answer.content)
        titles = [t.text or "" for t in root.iter("{*}title", "title")]
        assert any("Loud[31m red[0m title with nul and]0;pwned osc" in t for t in titles), path


@pytest.mark.parametrize("query", ["%00", "%00%01", "a%00b", "%1b%5B31m"])
@pytest.mark.parametrize("form", ["rss", "atom"])
def test_an_unusable_search_feed_query_is_no_server_error(client: TestClient, form: str, query: str) -> None:
    answer = client.get(f"/search/feed.{form}?q={query}")
    assert answer.status_code < 500
    if answer.status_code == 200:
        etree.fromstring(answer.content)


def test_the_digest_email_has_no_script_link(db: Path) -> None:
    sub = Subscription(1, "ada", "ada@example.org", "trending", "", "daily", dt.datetime(2026, 6, 1), None)
    period = DigestPeriod("daily", DAY.isoformat(), DAY, DAY)
    items = [DigestItem(_card(db, LINKED), "▲ 1"), DigestItem(_card(db, NOISY), "▲ 1")]
    digest = Digest(sub, period, "Trending", "Trending papers", items)
    mail = render(digest, base_url="http://127.0.0.1:8000", unsubscribe_url="http://127.0.0.1:8000/u/x")
    assert "Compilers for linked code" in mail.html and "Compilers for linked code" in mail.text
    assert "javascript:" not in mail.html.lower() and "javascript:" not in mail.text.lower()
    assert "Code" in mail.html  # the badge stays, without a link

"""Issue 18: the daily page pages through a day of more papers than one page holds (and its JSON
twin pages the same way), trending is one list — the page, the home page's box, its feed and the
API agree on the papers, their counts and the moment they are as of, and a new local vote does not
empty it — and organisations have a directory, with handles that ignore case.

Through the real app (TestClient) on a copy of the demo corpus, with 158 arXiv papers added to
the recorded Hugging Face day (Friday, Jun 12, 2026): 30 featured + 158 announced = 188 papers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from paperradar.cli import app as cli
from paperradar.ingest import import_file
from paperradar.services.community import Community
from paperradar.services.context import AppContext
from paperradar.services.errors import ServiceError
from paperradar.store import community as stored
from paperradar.store import queries
from paperradar.store.database import open_store, writing
from paperradar.web.app import create_app
from tests.conftest import FIXTURES
from tests.pages import LOCAL, csrf_of, shown_text

DAY = "2026-06-12"  # the recorded Hugging Face day of the demo corpus
ADDED = 158  # arXiv papers submitted Thursday morning: on Friday's list
MEMBERS = ("zephyrine", "quillon")  # the local organisation's members: never named in the directory


def arxiv_record(n: int) -> dict[str, object]:
    return {
        "id": f"2606.9{n:04d}",
        "authors": f"Pat Pager{n}",
        "title": f"Paging probe {n:03d}",
        "abstract": "A paper that makes the day longer than one page.",
        "categories": "cs.LG",
        "versions": [{"version": "v1", "created": "Thu, 11 Jun 2026 10:00:00 GMT"}],
        "authors_parsed": [[f"Pager{n}", "Pat", ""]],
    }


def long_day_corpus(db: Path) -> Path:
    """The demo corpus at ``db``, 158 more papers on its Hugging Face day, and a local organisation
    "lab" of two members who filed EvoArena under it."""
    added = db.parent / "more.jsonl"
    added.write_text("".join(json.dumps(arxiv_record(n)) + "\n" for n in range(ADDED)))
    assert CliRunner().invoke(cli, ["--db", str(db), "import", str(added)]).exit_code == 0
    engine = open_store(str(db))
    community = Community(AppContext(engine))
    community.create("lab", "The Lab", MEMBERS[0])
    community.add_member("lab", MEMBERS[1])
    assert community.tag("lab", "2606.13681", MEMBERS[1])
    engine.dispose()
    return db


@pytest.fixture(scope="module")
def corpus(demo_db: Path) -> Path:
    return long_day_corpus(demo_db)


@pytest.fixture(scope="module")
def client(corpus: Path) -> Iterator[TestClient]:
    with TestClient(create_app(str(corpus)), base_url=LOCAL) as test_client:
        yield test_client


def cards_of(html: str) -> list[tuple[str, int | None]]:
    """(title, ▲ count or None) of each paper card on a page, in order."""
    found = []
    for card in re.findall(r'<article class="card">(.*?)</article>', html, re.S):
        title = re.search(r"<h3><a [^>]*>(.*?)</a></h3>", card, re.S)
        count = re.search(r'<span class="n">(\d+)</span>', card)
        assert title, card
        found.append((unescape(title.group(1)), int(count.group(1)) if count else None))
    return found


def box_of(html: str) -> list[tuple[str, int]]:
    """(title, ▲ count) of each paper in the home page's trending box."""
    box = re.search(r'<section class="trending-box".*?</section>', html, re.S)
    assert box, "the home page has a trending box"
    items = re.findall(r'<li><a href="/papers/[^"]+">(.*?)</a> <small>▲ (\d+)', box.group(0), re.S)
    return [(unescape(title), int(n)) for title, n in items]


def feed_of(client: TestClient, path: str) -> list[tuple[str, int]]:
    parsed = feedparser.parse(client.get(path).content)
    assert not parsed.bozo
    return [(e.title, int(re.search(r"▲ (\d+)", e.summary).group(1))) for e in parsed.entries]  # type: ignore[union-attr]


def api_of(client: TestClient, path: str) -> tuple[str, list[tuple[str, int]]]:
    data = client.get(path).json()
    for item in data["items"]:
        assert item["upvotes"] == item["upvotes_huggingface"] + item["upvotes_local"]
    return data["as_of"], [(i["title"], i["upvotes"]) for i in data["items"]]


def trending_everywhere(client: TestClient) -> dict[str, list[tuple[str, int]]]:
    """The week's trending papers as the page, the home box, the feed and the API list them."""
    page = client.get("/trending")
    assert page.status_code == 200
    shown = [(title, n) for title, n in cards_of(page.text) if n is not None]
    as_of, api = api_of(client, "/api/v1/trending")
    when = re.search(r"as of (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", shown_text(page.text))
    assert when and as_of.replace("T", " ").startswith(when.group(1))  # one moment, said alike
    return {
        "page": shown,
        "box": box_of(client.get("/").text),
        "feed": feed_of(client, "/trending/feed.atom"),
        "api": api,
    }


def agree(lists: dict[str, list[tuple[str, int]]]) -> list[tuple[str, int]]:
    page = lists["page"]
    assert lists["api"] == lists["feed"] == page, lists
    assert lists["box"] == page[: len(lists["box"])] and len(lists["box"]) == 10
    return page


# ---------------------------------------------------------------------- trending
def vote_for(client: TestClient, title: str) -> None:
    """Upvote the paper titled ``title`` from the trending page, as the local user does."""
    page = client.get("/trending").text
    work = re.search(r'href="/papers/([^"]+)">' + re.escape(title), page)
    assert work, title
    voted = client.post(f"/papers/{work.group(1)}/vote", data={"csrf": csrf_of(page), "next": "/trending"})
    assert voted.status_code == 200


def test_one_new_local_vote_does_not_empty_trending(client: TestClient) -> None:
    before = [(t, n) for t, n in cards_of(client.get("/trending").text) if n is not None]
    assert len(before) == 29  # the day's papers Hugging Face upvoted (one of the 30 has none)
    title, count = before[-1]
    vote_for(client, title)
    after = [(t, n) for t, n in cards_of(client.get("/trending").text) if n is not None]
    assert len(after) == 29  # was 1: the new vote moved "as of" from the featured day to now
    assert (title, count + 1) in after  # one count for the paper: Hugging Face's + local
    assert [t for t, _ in after] == [t for t, _ in before]  # cast after the corpus's day: no rank change


def test_the_trending_page_home_box_feed_and_api_agree(client: TestClient) -> None:
    before = agree(trending_everywhere(client))
    title, count = before[-2]
    vote_for(client, title)
    after = agree(trending_everywhere(client))
    assert (title, count + 1) in after and len(after) == len(before) == 29
    daily = dict(cards_of(client.get(f"/daily/{DAY}").text))
    assert daily[title] == count + 1  # the same count as the daily page's card


def test_trending_says_what_it_is_as_of(client: TestClient) -> None:
    text = shown_text(client.get("/trending").text)
    assert "as of 2026-06-12 23:59 UTC" in text
    assert "the newest day Hugging Face featured papers in this corpus" in text
    data = client.get("/api/v1/trending").json()
    assert data["window"] == "week" and data["as_of"].startswith("2026-06-12T23:59")
    at = client.get("/api/v1/trending", params={"window": "day", "at": "2026-06-12T12:00:00Z"}).json()
    assert at["as_of"].startswith("2026-06-12T12:00") and at["items"][0]["title"].startswith("EvoArena")
    home = shown_text(client.get("/").text)
    assert "Trending this week" in home and "as of Jun 12, 2026 23:59 UTC" in home


# ---------------------------------------------------------------------- daily paging
def test_a_long_day_pages_and_the_json_twin_pages_alike(client: TestClient) -> None:
    first = client.get(f"/daily/{DAY}")
    text = shown_text(first.text)
    assert "papers 1–120 of 188" in text and len(cards_of(first.text)) == 120
    assert f'href="/daily/{DAY}?span=day&amp;page=2" rel="next"' in first.text
    second = client.get(f"/daily/{DAY}", params={"page": 2})
    assert "papers 121–188 of 188" in shown_text(second.text)
    assert f'href="/daily/{DAY}?span=day" rel="prev"' in second.text
    assert 'rel="next">Next page' not in second.text
    api = client.get(f"/api/v1/daily/{DAY}", params={"offset": 120}).json()
    assert (api["total"], api["offset"], api["limit"], api["page"], api["pages"]) == (188, 120, 120, 2, 2)
    assert [i["title"] for i in api["items"]] == [t for t, _ in cards_of(second.text)]
    assert api["next"] is None and api["previous"] == f"/api/v1/daily/{DAY}?span=day&offset=0&limit=120"
    by_offset = client.get(api["previous"]).json()
    assert [i["title"] for i in by_offset["items"]] == [t for t, _ in cards_of(first.text)]
    assert by_offset["next"] == f"/api/v1/daily/{DAY}?span=day&offset=120&limit=120"
    home = client.get("/")
    assert "papers 1–120 of 188" in shown_text(home.text)  # the home page is the same day's page 1


def test_a_page_past_the_last_says_which_is_last(client: TestClient) -> None:
    past = client.get(f"/daily/{DAY}", params={"page": 3})
    assert past.status_code == 404
    assert "no page 3: the 188 papers make 2 pages of 120; go to page 2" in shown_text(past.text)
    api = client.get(f"/api/v1/daily/{DAY}", params={"offset": 240}).json()
    assert api["items"] == [] and api["previous"] == f"/api/v1/daily/{DAY}?span=day&offset=120&limit=120"
    assert client.get(f"/daily/{DAY}", params={"page": 0}).status_code == 422
    empty = client.get("/daily/2026-01-03", params={"page": 1})
    assert empty.status_code == 200 and "No papers on this day." in empty.text


def test_the_span_shown_is_marked(client: TestClient) -> None:
    for span in ("day", "week", "month"):
        page = client.get(f"/daily/{DAY}", params={"span": span})
        current = re.findall(r'<a [^>]*aria-current="page"[^>]*>(\w+)</a>', page.text)
        assert current == [span], (span, current)
    home = client.get("/")
    assert re.findall(r'<a [^>]*aria-current="page"[^>]*>(\w+)</a>', home.text) == ["day"]


# ---------------------------------------------------------------------- organisations
def test_the_organisations_directory(client: TestClient) -> None:
    page = client.get("/orgs")
    assert page.status_code == 200
    text = shown_text(page.text)
    assert "Cohere Labs CohereLabs 1 paper" in text and "The Lab lab 1 paper 2 members" in text
    assert 'href="/orgs/CohereLabs"' in page.text and 'href="/orgs/lab"' in page.text
    data = client.get("/api/v1/orgs").json()
    rows = {o["handle"]: o for o in data["organisations"]}
    assert rows["lab"] == {
        "handle": "lab",
        "name": "The Lab",
        "source": "local",
        "papers": 1,
        "member_count": 2,
        "url": "/orgs/lab",
    }
    assert rows["CohereLabs"]["papers"] == 1 and rows["MIT"]["papers"] == 1
    assert data["total"] == len(data["organisations"]) == len(re.findall(r'<tr><th scope="row">', page.text))
    assert "I27837315" not in rows  # an OpenAlex institution, not an organisation with a page
    for name in MEMBERS:
        assert name not in page.text and name not in json.dumps(data)


def test_handles_ignore_case(client: TestClient, corpus: Path) -> None:
    canonical = client.get("/orgs/CohereLabs")
    for handle in ("coherelabs", "COHERELABS"):
        other = client.get(f"/orgs/{handle}")
        assert other.status_code == 200 and cards_of(other.text) == cards_of(canonical.text)
        assert client.get(f"/api/v1/orgs/{handle}").json()["handle"] == "CohereLabs"
        assert feedparser.parse(client.get(f"/orgs/{handle}/feed.atom").content).entries
    assert client.get("/api/v1/orgs/LAB").json()["name"] == "The Lab"
    engine = open_store(str(corpus))
    try:
        with pytest.raises(ServiceError, match="there is already an organisation 'Lab'"):
            Community(AppContext(engine)).create("Lab", "Another lab", "someone")
    finally:
        engine.dispose()


def test_organisation_badges_link_to_their_pages(client: TestClient) -> None:
    day = client.get(f"/daily/{DAY}").text
    card = next(c for c in re.findall(r'<article class="card">.*?</article>', day, re.S) if "EvoArena" in c)
    assert re.search(
        r'<a class="badge org" href="/orgs/MIT"[^>]*>Massachusetts Institute of Technology</a>', card
    )
    trending = client.get("/trending").text
    assert 'class="badge org" href="/orgs/MiniMaxAI"' in trending


def test_the_directory_counts_and_handles_ignore_case_on_both_backends(engine: Engine) -> None:
    import_file(engine, FIXTURES / "huggingface" / "daily_papers.json")
    with engine.connect() as conn:
        paper = queries.resolve_work(conn, "2606.00467")  # Hugging Face lists it under caltech
    assert paper is not None
    with writing(engine) as conn:
        lab = stored.create_organisation(conn, "Caltech-ML", "Caltech ML", "ada")
        assert stored.add_member(conn, lab, "bob") and stored.tag(conn, lab, paper, "bob")
        with pytest.raises(stored.OrganisationError, match="already an organisation 'caltech-ml'"):
            stored.create_organisation(conn, "caltech-ml", "Again", "eve")
    with engine.connect() as conn:
        caltech = stored.organisation_id(conn, "caltech")
        assert caltech is not None and stored.organisation_id(conn, "CalTech") == caltech
        assert stored.organisation_id(conn, "CALTECH-ml") == lab
        assert stored.organisation_id(conn, "caltech-") is None
        rows = {handle: rest for handle, *rest in stored.organisation_directory(conn)}
    assert rows["Caltech-ML"] == ["Caltech ML", "local", 2, 1]  # members, papers
    assert rows["caltech"] == ["California institute of technology", "huggingface", 0, 1]
    names = [str(name) for name, *_ in rows.values()]
    assert names == sorted(names, key=str.lower)  # a directory: by name

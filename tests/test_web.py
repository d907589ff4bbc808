"""The web app's pages and JSON API through the ASGI app, on the demo corpus."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from paperradar.cli import app as cli
from paperradar.web.app import create_app
from tests.pages import shown_text
from tests.replay import replay_server


@pytest.fixture(scope="module")
def client(demo_db: Path) -> Iterator[TestClient]:
    db = demo_db
    hostile = db.parent / "hostile.jsonl"
    hostile.write_text(
        json.dumps(
            {
                "id": "2606.99998",
                "authors": "Ada Lovelace",
                "title": "<script>alert('x')</script> Attention at $2.2 \\times$",
                "abstract": "An abstract with <img src=x onerror=alert(1)> and $\\alpha < \\beta$.",
                "categories": "cs.LG",
                "versions": [{"version": "v1", "created": "Thu, 11 Jun 2026 10:00:00 GMT"}],
                "authors_parsed": [["Lovelace", "Ada", ""]],
            }
        )
        + "\n"
    )
    assert CliRunner().invoke(cli, ["--db", str(db), "import", str(hostile)]).exit_code == 0
    with TestClient(create_app(str(db)), base_url="http://127.0.0.1:8000") as test_client:
        yield test_client


def test_the_home_page_shows_the_latest_day_and_trending(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Daily papers" in page.text and "Friday, Jun 12, 2026" in page.text
    assert "EvoArena: Tracking Memory Evolution" in page.text and "▲ 118" in shown_text(page.text)
    assert "Trending this week" in page.text
    assert "Get trending papers in your email inbox!" in page.text


def test_the_daily_api_pages_and_sums_upvotes(client: TestClient) -> None:
    data = client.get("/api/v1/daily/2026-06-12", params={"limit": 5}).json()
    assert (data["first"], data["last"]) == ("2026-06-12", "2026-06-12")
    assert data["total"] == 31 and len(data["items"]) == 5  # 30 featured + one arXiv announcement
    first = data["items"][0]
    assert first["upvotes"] == first["upvotes_huggingface"] + first["upvotes_local"] == 118
    rest = client.get("/api/v1/daily/2026-06-12", params={"offset": 5, "limit": 100}).json()["items"]
    assert len(rest) == 26
    assert client.get("/api/v1/daily/not-a-date").status_code == 422


def test_the_author_page_and_api_carry_the_provenance(client: TestClient) -> None:
    matches = client.get("/api/v1/authors", params={"q": "mackraz, natalie"}).json()["matches"]
    assert len(matches) == 1
    author = matches[0]["id"]
    profile = client.get(f"/api/v1/authors/{author}").json()
    assert profile["papers"]["value"] == 7 and profile["h_index"]["value"] is None
    assert profile["h_index"]["reported"][0]["problems"] == [
        "impossible: h-index 23 > 7 papers",
        "impossible: h-index 23² = 529 > 146 citations",
    ]
    page = client.get(f"/authors/{author}")
    assert page.status_code == 200
    assert "Natalie Mackraz" in page.text and "7 Papers" in page.text
    assert "impossible: h-index 23 &gt; 7 papers" in page.text  # escaped, shown
    assert "Andrew Szot, Max Schwarzer, Harsh Agrawal et al. · apple-ml, gatech" in shown_text(
        page.text
    ).replace(" ,", ",")


def test_user_text_is_escaped_everywhere(client: TestClient) -> None:
    page = client.get("/daily/2026-06-12")
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Attention at $2.2 \\times$" in page.text
    found = client.get("/search", params={"q": "Lovelace attention"})
    assert found.status_code == 200 and "<script>alert" not in found.text and "&lt;script&gt;" in found.text


def test_feeds_errors_and_the_openapi_schema(client: TestClient) -> None:
    atom = client.get("/daily/2026-06-12/feed.atom")
    parsed = feedparser.parse(atom.content)
    assert atom.status_code == 200 and not parsed.bozo and len(parsed.entries) == 31
    assert parsed.feed.link.endswith("/daily/2026-06-12")
    missing = client.get("/authors/999999999")
    assert (
        missing.status_code == 404
        and "no author 999999999" in missing.text
        and "Traceback" not in missing.text
    )
    assert client.get("/api/v1/authors/999999999").json() == {"error": "no author 999999999"}
    assert (
        client.get("/api/v1/papers/2606.00467")
        .json()["title"]
        .startswith("On the Limits of LLM Adaptability")
    )
    schema = client.get("/openapi.json").json()
    assert {"/api/v1/daily/{day}", "/api/v1/authors/{author_id}", "/api/v1/search"} <= set(schema["paths"])


def test_search_api(client: TestClient) -> None:
    data = client.get("/api/v1/search", params={"q": "sparse attention"}).json()
    assert any(r["title"] == "MiniMax Sparse Attention" for r in data["results"])


def test_the_paper_page_shows_every_source(client: TestClient) -> None:
    page = client.get("/papers/2606.00467")
    assert page.status_code == 200
    assert "On the Limits of LLM Adaptability" in page.text and "Identifiers" in page.text
    assert "Hugging Face · featured 2026-06-12" in page.text
    assert client.get("/papers/9999.99999").status_code == 404
    daily = client.get("/daily/2026-06-12").text
    assert 'href="/papers/2606.00467"' in daily  # every card leads to its paper page


def test_organisation_page_and_trending_api(client: TestClient) -> None:
    page = client.get("/orgs/CohereLabs")
    assert page.status_code == 200 and "Making, not Taking, the Best of N" in page.text
    org = client.get("/api/v1/orgs/CohereLabs").json()
    assert org["name"] == "Cohere Labs" and [p["title"] for p in org["papers"]] == [
        "Making, not Taking, the Best of N"
    ]
    assert client.get("/api/v1/orgs/nobody").status_code == 404
    hot = client.get("/api/v1/trending", params={"window": "day", "at": "2026-06-12T12:00:00Z"}).json()
    assert hot["items"][0]["title"].startswith("EvoArena") and hot["items"][0]["upvotes_huggingface"] == 118
    assert client.get("/api/v1/trending", params={"window": "year"}).status_code == 422


def test_week_and_month_views_with_navigation(client: TestClient) -> None:
    week = client.get("/daily/2026-06-14", params={"span": "week"})
    assert week.status_code == 200 and "Jun 8 – Jun 14, 2026" in week.text
    assert (
        'href="/daily/2026-06-07?span=week"' in week.text
        and 'href="/daily/2026-06-21?span=week"' in week.text
    )
    month = client.get("/api/v1/daily/2026-06-20", params={"span": "month", "limit": 1}).json()
    assert (month["first"], month["last"]) == ("2026-06-01", "2026-06-30") and month["total"] >= 31
    day = client.get("/daily/2026-06-12")
    assert 'href="/daily/2026-06-11?span=day"' in day.text and 'href="/daily/2026-06-13?span=day"' in day.text
    assert client.get("/daily/2026-06-12", params={"span": "year"}).status_code == 422


def test_the_metrics_page_explains_every_formula_and_profiles_link_to_it(client: TestClient) -> None:
    page = client.get("/metrics")
    assert page.status_code == 200
    for anchor in (
        "h-index",
        "i10",
        "per-year",
        "main-category",
        "paper-novelty",
        "novelty",
        "ai-score",
        "trending",
    ):
        assert f'id="{anchor}"' in page.text, anchor
    assert "100 × (0.30·h-index + 0.25·citations per year (last 5 years) + 0.20·Novelty %" in page.text
    author = client.get("/api/v1/authors", params={"q": "Natalie Mackraz"}).json()["matches"][0]["id"]
    assert 'href="/metrics#ai-score"' in client.get(f"/authors/{author}").text


def test_every_list_has_a_feed_a_reader_can_follow(client: TestClient) -> None:
    natalie = client.get("/authors", params={"q": "Natalie Mackraz"}, follow_redirects=False)
    assert natalie.status_code == 303  # one person by that name: straight to the profile
    author = natalie.headers["location"]
    profile = client.get(author).text
    assert f'href="{author}/feed.atom"' in profile
    expected = {
        f"{author}/feed.atom": ("Papers by Natalie Mackraz", 7),
        "/orgs/CohereLabs/feed.rss": ("Papers of Cohere Labs", None),
        "/search/feed.atom?q=sparse+attention": ("Search: sparse attention", None),
        "/trending/feed.rss?window=month": ("Trending papers · past month", None),
    }
    for path, (title, count) in expected.items():
        answer = client.get(path)
        parsed = feedparser.parse(answer.content)
        assert answer.status_code == 200 and not parsed.bozo, path
        assert parsed.feed.title == title
        assert parsed.feed.link.startswith("http://127.0.0.1:8000/")
        if count is not None:
            assert len(parsed.entries) == count
    searched = feedparser.parse(client.get("/search/feed.atom", params={"q": "sparse attention"}).content)
    assert "MiniMax Sparse Attention" in [e.title for e in searched.entries]
    assert client.get(f"{author}/feed.json").status_code == 404
    assert client.get("/orgs/no-such-org/feed.atom").status_code == 404


def test_similar_authors_wait_for_embeddings(client: TestClient) -> None:
    author = client.get("/authors", params={"q": "Natalie Mackraz"}, follow_redirects=False).headers[
        "location"
    ]
    assert "Similar authors appear once the corpus is embedded" in client.get(author).text
    answer = client.get(f"/api/v1{author}/similar")
    assert answer.status_code == 409 and "paperradar index" in answer.json()["error"]


def test_an_embedded_corpus_shows_related_papers_and_similar_authors(tmp_path: Path) -> None:
    db = str(tmp_path / "embedded.db")
    runner = CliRunner()
    hf = Path(__file__).parent / "fixtures" / "huggingface" / "daily_papers.json"
    for args in (["import", str(hf)], ["index"]):
        assert runner.invoke(cli, ["--db", db, *args]).exit_code == 0
    with TestClient(create_app(db), base_url="http://127.0.0.1:8000") as embedded:
        paper = embedded.get("/papers/2606.13392")
        assert "Related papers" in paper.text and paper.text.count('class="card"') >= 5
        first = embedded.get("/api/v1/daily/2026-06-12").json()["items"][0]
        author = embedded.get("/authors", params={"q": first["authors"][0]}, follow_redirects=False)
        profile = embedded.get(author.headers["location"])
        assert (
            f'href="{author.headers["location"]}/similar"' in profile.text
        )  # listed a click (or a script) away
        similar = embedded.get(f"/api/v1{author.headers['location']}/similar").json()["similar"]
        assert similar and all(0 < s["score"] <= 1 for s in similar)
        listed = shown_text(embedded.get(f"{author.headers['location']}/similar").text)
        assert similar[0]["name"] in listed and f"similarity {similar[0]['score']:.2f}" in listed


def test_submit_a_paper_from_the_web(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERRADAR_USER", "lin")
    today = dt.date.today().isoformat()
    token = re.search(r'name="csrf-token" content="(\w+)"', client.get("/").text).group(1)  # type: ignore[union-attr]
    done = client.post(
        "/submit", data={"csrf": token, "id": "https://arxiv.org/abs/2104.12255"}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == f"/papers/2104.12255?submitted={today}"
    landed = shown_text(client.get(done.headers["location"]).text)
    assert f"Submitted: this paper is on the feed of {today}" in landed
    page = shown_text(client.get(f"/daily/{today}").text)
    assert "submitted here by lin" in page

    recorded = (
        Path(__file__).parent / "fixtures" / "arxiv_api" / "id_1707.08567_s0_m100_6a1afebfc6a3.body.xml"
    ).read_bytes()
    with replay_server(lambda _path, query: (200, recorded, {"Content-Type": "application/atom+xml"})) as (
        url,
        seen,
    ):
        monkeypatch.setenv("PAPERRADAR_CONFIG", str(tmp_path / "config.toml"))
        monkeypatch.setenv("PAPERRADAR_CACHE_DIR", str(tmp_path / "cache"))
        monkeypatch.setenv("PAPERRADAR_ARXIV_API_URL", f"{url}/api/query")
        fetched = client.post(
            "/api/v1/submissions", json={"id": "1707.08567"}, headers={"X-CSRF-Token": token}
        )
        assert fetched.status_code == 200 and len(seen) == 1
        assert fetched.json()["submitter"] == "lin" and fetched.json()["day"] == today
        again = client.post("/api/v1/submissions", json={"id": "1707.08567"}, headers={"X-CSRF-Token": token})
        assert again.json()["submitter"] == "lin" and len(seen) == 1  # in the corpus now: not fetched again
    feed = client.get(f"/api/v1/daily/{today}").json()["items"]
    assert {"2104.12255", "1707.08567"} <= {i["arxiv_id"] for i in feed}
    unknown = client.post("/api/v1/submissions", json={"id": "not-an-id"}, headers={"X-CSRF-Token": token})
    assert unknown.status_code == 404 and "not an arXiv id" in unknown.json()["error"]
    empty = client.post("/submit", data={"csrf": token, "id": " "})
    assert empty.status_code == 400 and "give an arXiv id" in empty.text


def test_finding_an_author_counts_the_papers_their_profile_shows(client: TestClient) -> None:
    (match,) = client.get("/api/v1/authors", params={"q": "Natalie Mackraz"}).json()["matches"]
    profile = client.get(f"/api/v1/authors/{match['id']}").json()
    assert match["papers"] == profile["papers"]["value"] == 7  # 5 authorships + 2 works her records list

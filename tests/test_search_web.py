"""Search with filters, facets and pages, through the web app's ASGI app, as a user sees it.

The demo corpus has no embeddings (built with ``--no-embed``), so search ranks by keywords
only there and every count below can be checked exactly against the store.
"""

from __future__ import annotations

import html
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from paperradar.ingest import import_file
from paperradar.store import schema as t
from paperradar.web.app import create_app
from tests.conftest import FIXTURES
from tests.pages import LOCAL, shown_text


@pytest.fixture(scope="module")
def client(demo_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(str(demo_db)), base_url=LOCAL) as test_client:
        yield test_client


def search(client: TestClient, q: str, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def counts(values: list[dict[str, Any]]) -> dict[str, int]:
    return {v["label"]: v["count"] for v in values}


def years_in_store(demo_db: Path, work_ids: list[int]) -> Counter[int | None]:
    with sqlite3.connect(demo_db) as conn:
        marks = ",".join("?" * len(work_ids))
        rows = conn.execute(f"SELECT year FROM works WHERE id IN ({marks})", work_ids).fetchall()
    return Counter(year for (year,) in rows)


def paper_links(page: str) -> list[str]:
    """The papers a result page lists, in order."""
    return re.findall(r'<h3><a href="([^"]+)">', page)


def facet_link(page: str, label: str) -> str:
    found = re.search(r'<a href="([^"]+)" title="add [^"]+">' + re.escape(label) + "</a>", page)
    assert found, f"no facet link {label!r}"
    return html.unescape(found.group(1))


# ---------------------------------------------------------------------- facets
def test_facet_counts_are_the_counts_of_the_results(client: TestClient, demo_db: Path) -> None:
    data = search(client, "attention", limit=200)
    results, facets = data["results"], data["facets"]
    assert data["query"] == "attention" and data["total"] == len(results) == facets["counted"] > 30
    assert facets["complete"] is True and facets["depth"] == 200
    shown = Counter(r["category"] or "no category" for r in results)
    assert counts(facets["category"]) == dict(shown)
    assert counts(facets["code"]) == {
        "with code": sum(r["has_code"] for r in results),
        "without code": sum(not r["has_code"] for r in results),
    }
    stored = years_in_store(demo_db, [r["work_id"] for r in results])
    assert counts(facets["year"]) == {str(y) if y else "no year": n for y, n in stored.items()}
    assert [v["label"] for v in facets["year"] if v["term"]] == sorted(
        (str(y) for y in stored if y), reverse=True
    )  # newest first
    assert {v["term"] for v in facets["category"]} >= {"cat:gr-qc", "cat:hep-ph"}

    page = client.get("/search", params={"q": "attention"})
    read = shown_text(page.text)
    assert page.status_code == 200 and f"Results 1–30 of {len(results)}." in read
    assert f"Counted over all {len(results)} results." in read
    assert f"with code {counts(facets['code'])['with code']}" in read


def test_beyond_the_top_200_the_counts_say_so(client: TestClient) -> None:
    data = search(client, "year:2020..", limit=5)
    assert data["total"] == 200 and data["facets"]["counted"] == 200 and data["facets"]["complete"] is False
    assert sum(v["count"] for v in data["facets"]["year"]) == 200
    read = shown_text(client.get("/search", params={"q": "year:2020.."}).text)
    assert "Results 1–30 of 200, the top 200 of more" in read and "Counted over the top 200 results." in read


# ---------------------------------------------------------------------- filters
def test_a_facet_link_narrows_to_exactly_its_count(client: TestClient, demo_db: Path) -> None:
    everything = search(client, "attention", limit=200)
    year = next(v for v in everything["facets"]["year"] if v["term"] and v["count"] > 1)
    link = facet_link(client.get("/search", params={"q": "attention"}).text, year["label"])
    assert link == f"/search?q=attention+year%3A{year['label']}"

    narrowed = client.get(link)
    read = shown_text(narrowed.text)
    assert f"Results 1–{year['count']} of {year['count']}." in read
    # the box keeps the words, the year controls show the filter, the facet is marked as chosen
    assert 'id="search-q" name="q" type="search" value="attention"' in narrowed.text
    for control in ("from", "to"):
        assert re.search(
            f'<input id="search-{control}" name="{control}" [^>]*value="{year["label"]}"', narrowed.text
        )
    assert f'<strong aria-current="true">{year["label"]}</strong>' in narrowed.text

    api = search(client, f"attention {year['term']}", limit=200)
    assert api["total"] == year["count"] < everything["total"]
    assert years_in_store(demo_db, [r["work_id"] for r in api["results"]]) == {
        int(year["label"]): year["count"]
    }
    assert {r["work_id"] for r in api["results"]} < {r["work_id"] for r in everything["results"]}

    # a category link replaces the categories chosen: it narrows, where adding one would widen
    either = client.get("/search", params={"q": "attention cat:gr-qc,hep-ph"})
    assert "Results 1–4 of 4." in shown_text(either.text)
    link = facet_link(either.text, "hep-ph")
    assert link == "/search?q=attention+cat%3Ahep-ph"
    assert "Results 1–2 of 2." in shown_text(client.get(link).text)


def test_the_form_controls_filter_like_the_query_language(client: TestClient) -> None:
    typed = search(client, "attention has:code", limit=200)
    assert typed["total"] == 4 and all(r["has_code"] for r in typed["results"])
    ticked = client.get("/search", params={"q": "attention", "code": "1"})
    assert "Results 1–4 of 4." in shown_text(ticked.text)
    assert 'id="search-code" name="code" type="checkbox" value="1" checked' in ticked.text
    assert paper_links(ticked.text) == [f"/papers/{r['arxiv_id'] or r['work_id']}" for r in typed["results"]]

    ranged = client.get("/search", params={"q": "attention", "from": "2001", "to": "2004"})
    expected = search(client, "attention year:2001..2004", limit=200)
    assert 0 < expected["total"] < search(client, "attention")["total"]
    assert f"Results 1–{expected['total']} of {expected['total']}." in shown_text(ranged.text)

    in_category = search(client, "attention cat:gr-qc", limit=200)
    assert in_category["total"] == 2 and all(r["category"] == "gr-qc" for r in in_category["results"])
    chosen = client.get("/search", params={"q": "attention", "cat": "gr-qc"})
    assert "Results 1–2 of 2." in shown_text(chosen.text) and 'value="gr-qc"' in chosen.text
    cleared = client.get("/search", params={"q": "attention"})
    assert "Clear filters" not in cleared.text and "Clear filters" in chosen.text


# ---------------------------------------------------------------------- pages
def test_pages_step_through_the_results_without_overlap(client: TestClient) -> None:
    everything = [r["work_id"] for r in search(client, "attention", limit=200)["results"]]
    paged: list[int] = []
    for offset in range(0, len(everything) + 10, 10):
        data = search(client, "attention", offset=offset, limit=10)
        assert data["offset"] == offset and data["limit"] == 10 and data["total"] == len(everything)
        paged += [r["work_id"] for r in data["results"]]
    assert paged == everything and len(set(paged)) == len(paged)
    assert search(client, "attention", offset=500)["results"] == []

    first, second = (client.get("/search", params={"q": "attention", "page": n}) for n in (1, 2))
    titles = [paper_links(p.text) for p in (first, second)]
    assert (
        len(titles[0]) == 30
        and len(titles[1]) == len(everything) - 30
        and not set(titles[0]) & set(titles[1])
    )
    assert 'rel="next" href="/search?q=attention&amp;page=2"' in first.text and 'rel="prev"' not in first.text
    assert 'rel="prev" href="/search?q=attention"' in second.text and 'rel="next"' not in second.text
    assert f"Results 31–{len(everything)} of {len(everything)}." in shown_text(second.text)
    far = shown_text(client.get("/search", params={"q": "attention", "page": 9}).text)
    assert f"No results on page 9: there are {len(everything)}" in far


# ---------------------------------------------------------------------- bad input
def test_bad_input_gets_a_clear_message_not_a_traceback(client: TestClient) -> None:
    data = search(client, "attention year:abc")
    assert "ignored year:'abc': use year:2023, year:2023..2025 or year:2020.." in data["notes"]
    assert data["total"] == search(client, "attention")["total"]  # the rest of the query still counts
    page = client.get("/search", params={"q": "attention year:abc"})
    assert page.status_code == 200 and "ignored year:'abc'" in shown_text(page.text)

    long = "attention " * 300  # 3,000 characters
    data = search(client, long)
    assert "the query was cut to its first 2,000 characters" in data["notes"] and data["results"]
    page = client.get("/search", params={"q": long})
    assert page.status_code == 200 and "the query was cut to its first 2,000 characters" in shown_text(
        page.text
    )

    controls = client.get("/search", params={"q": "attention", "from": "abc", "page": "x"})
    read = shown_text(controls.text)
    assert controls.status_code == 200 and "ignored year from 'abc': a year has four digits" in read
    assert "ignored page 'x': showing the first page" in read and "Results 1–30 of" in read

    hostile = client.get("/search", params={"q": '"unbalanced cat: OR -" <b>x</b> year:'})
    assert hostile.status_code == 200 and "<b>x</b>" not in hostile.text
    assert "ignored 'year:': a filter needs a value" in shown_text(hostile.text)

    refused = client.get("/api/v1/search", params={"q": "attention", "limit": 0})
    assert refused.status_code == 422 and "limit" in refused.text
    for response in (page, controls, hostile, refused):
        assert "Traceback" not in response.text


# ---------------------------------------------------------------------- both backends
def test_facets_count_the_same_on_every_backend(engine: Engine) -> None:
    import_file(engine, FIXTURES / "arxiv_snapshot" / "arxiv-metadata-oai-snapshot.head200.jsonl")
    with TestClient(create_app(engine), base_url=LOCAL) as test_client:
        data = search(test_client, "cat:hep-ph", limit=200)
    with engine.connect() as conn:
        rows = conn.execute(select(t.works.c.id, t.works.c.categories, t.works.c.year)).all()
    matching = [row for row in rows if "hep-ph" in (row.categories or "").split()]
    assert data["facets"]["complete"] and data["total"] == len(matching) > 5
    assert {r["work_id"] for r in data["results"]} == {row.id for row in matching}
    assert counts(data["facets"]["year"]) == {str(y): n for y, n in Counter(r.year for r in matching).items()}
    assert sum(counts(data["facets"]["category"]).values()) == len(matching)
    assert "cat:hep-ph" in {v["term"] for v in data["facets"]["category"]}

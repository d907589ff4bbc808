"""The search page in a real browser (issue 18): the sort menu, "did you mean", an empty result that
says why, and which ranking found each paper, at desktop and phone widths.

A real uvicorn serves a store of ~380 real works embedded with the shipped model (the corpus of
``tests/test_search.py``), so the page ranks by keywords and by meaning as it does for a user.
Each journey keeps a screenshot in ``test-output/screenshots/search-*.png``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from paperradar.search.embeddings import Embedder
from paperradar.store.database import open_store
from tests.browsing import DESKTOP, PHONE, open_page, shot, sideways_overflow
from tests.live import LiveServer
from tests.test_search import CORPUS, build

WIDTHS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    db = tmp_path_factory.mktemp("browser-search") / "radar.db"
    engine = open_store(f"sqlite:///{db}")
    build(engine, Embedder(), CORPUS)
    engine.dispose()
    with LiveServer(db, local=True) as server:
        yield server


@pytest.fixture(params=WIDTHS)
def page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    with open_page(browser, request.param) as opened:
        yield opened


def width(page: Page) -> int:
    return (page.viewport_size or {"width": DESKTOP})["width"]


def fits(page: Page, name: str) -> None:
    """Nothing scrolls sideways on a phone; the screenshot is kept either way."""
    if width(page) == PHONE:
        assert sideways_overflow(page) == []
    shot(page, f"search-{name}-{width(page)}")


def titles(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("article.card h3").all_inner_texts()]


def api(page: Page, site: LiveServer, q: str, **params: str) -> dict[str, Any]:
    response = page.request.get(f"{site.url}/api/v1/search", params={"q": q, **params})
    assert response.ok, response.text()
    data: dict[str, Any] = response.json()
    return data


def test_the_sort_menu_changes_the_order(page: Page, site: LiveServer) -> None:
    page.goto(f"{site.url}/search?q=neural+networks")
    menu = page.get_by_role("navigation", name="Sort the results")
    expect(menu).to_contain_text("Sort by Relevance · Newest · Most cited")
    expect(menu.locator("[aria-current=true]")).to_have_text("Relevance")
    by_relevance = titles(page)
    assert len(by_relevance) == 30

    menu.get_by_role("link", name="Newest").click()
    expect(page).to_have_url(re.compile(r"sort=newest"))
    expect(menu.locator("[aria-current=true]")).to_have_text("Newest")
    newest = titles(page)
    expected = [r["title"] for r in api(page, site, "neural networks", sort="newest", limit="30")["results"]]
    assert newest == expected and newest != by_relevance
    expect(page.locator("article.card").first.locator(".meta")).to_contain_text("2022")

    menu.get_by_role("link", name="Most cited").click()
    expect(page).to_have_url(re.compile(r"sort=cited"))
    cited = api(page, site, "neural networks", sort="cited", limit="30")["results"]
    assert titles(page) == [r["title"] for r in cited]
    # The papers the words found, most cited first; those found by meaning alone after them.
    found_by = [r["found_by"] for r in cited]
    assert "meaning" not in found_by or set(found_by[found_by.index("meaning") :]) == {"meaning"}
    counts = [r["citations"] for r in cited if r["found_by"] != "meaning" and r["citations"] is not None]
    assert len(counts) >= 20 and counts == sorted(counts, reverse=True) and counts[0] > 10_000
    expect(page.locator("article.card .extra").first).to_contain_text(f"{counts[0]:,} citations")
    fits(page, "sorted")

    page.get_by_role("link", name="Next →").click()  # the next page keeps the order
    expect(page).to_have_url(re.compile(r"sort=cited.*page=2"))
    expect(menu.locator("[aria-current=true]")).to_have_text("Most cited")


def test_did_you_mean_leads_to_the_corrected_search(page: Page, site: LiveServer) -> None:
    page.goto(f"{site.url}/search?q=generativ+adversarial+netwrks")
    hint = page.locator(".did-you-mean")
    expect(hint).to_have_text("Did you mean generative adversarial networks?")
    fits(page, "did-you-mean")
    hint.get_by_role("link", name="generative adversarial networks").click()
    expect(page).to_have_url(re.compile(r"q=generative\+adversarial\+networks$"))
    expect(page.locator(".did-you-mean")).to_have_count(0)
    expect(page.locator("#search-q")).to_have_value("generative adversarial networks")
    expect(page.get_by_role("status")).to_contain_text("Results 1–")
    expect(
        page.locator("article.card .extra", has_text="Found by keywords and meaning").first
    ).to_be_visible()


def test_an_empty_result_says_why_and_links_the_nearest_search(page: Page, site: LiveServer) -> None:
    page.goto(f"{site.url}/search?q=quark&cat=cs.CL")
    expect(page.get_by_role("status")).to_have_text("No papers match.")
    why = page.get_by_role("region", name="Why nothing matches")
    expect(why).to_contain_text("No paper in this store has the category cs.CL; it has cs.AI")
    expect(why).to_contain_text("Nearest search that finds papers: quark (11 papers, without cat:cs.CL).")
    expect(page.locator("article.card")).to_have_count(0)
    fits(page, "empty")
    why.get_by_role("link", name="quark", exact=True).click()
    expect(page).to_have_url(re.compile(r"/search\?q=quark$"))
    expect(page.get_by_role("status")).to_have_text("Results 1–11 of 11.")


def test_each_result_says_which_ranking_found_it(page: Page, site: LiveServer) -> None:
    page.goto(f"{site.url}/search?q=dark+matter")
    labels = page.locator("article.card .extra").all_inner_texts()
    found = [r["found_by"] for r in api(page, site, "dark matter")["results"]]
    assert len(labels) == len(found) == 8
    words = {
        "both": "Found by keywords and meaning",
        "keywords": "Found by keywords",
        "meaning": "Found by meaning alone",
    }
    for label, how in zip(labels, found, strict=True):
        assert label.startswith(words[how] + " · "), (label, how)
    assert {"both", "keywords", "meaning"} <= set(found)
    expect(page.locator("article.card .extra").last).to_contain_text(
        re.compile(r"meaning #\d+, similarity 0\.\d\d")
    )
    fits(page, "ranking")

"""An author's profile in Chromium, at a desktop's width and a phone's: the figures as a row of big
numbers, their provenance behind a "details" toggle that opens without script, the ids linked to
their sites, sorting the cards by citations, and "Follow by email" landing on the digests form
filled in for the author. Nothing may scroll sideways on the phone; screenshots are kept.

The corpus is the demo's (Edsger Dijkstra from Semantic Scholar: 266 papers, a DBLP entry).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browsing import DESKTOP, PHONE, open_page, shot, sideways_overflow
from tests.live import LiveServer

WIDTHS = pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["desktop", "phone"])
FIGURES = ["h-index", "i10-index", "papers", "citations", "Novelty", "AI Score"]


@pytest.fixture(scope="module")
def site(demo_db: Path) -> Iterator[LiveServer]:
    with LiveServer(demo_db, local=True) as server:
        yield server


@pytest.fixture(scope="module")
def dijkstra(site: LiveServer) -> str:
    """The path of Dijkstra's profile."""
    found = httpx.get(f"{site.url}/api/v1/authors", params={"q": "Dijkstra"}).json()["matches"]
    return f"/authors/{found[0]['id']}"


def cited(page: Page) -> list[int]:
    """The citation counts on the cards, in the order they are shown."""
    shown = page.locator("article.card .meta .cites").all_inner_texts()
    expect(page.locator("article.card")).to_have_count(len(shown))  # one on every card
    return [int(text.split()[0].replace(",", "")) for text in shown]


@WIDTHS
def test_the_figures_row_and_the_details_toggle(
    browser: Browser, site: LiveServer, dijkstra: str, width: int
) -> None:
    with open_page(browser, width) as page:
        page.goto(site.url + dijkstra)
        expect(page.get_by_role("heading", level=1)).to_contain_text("E. Dijkstra")
        row = page.locator("dl.profile-figures .figure")
        expect(row.locator("dt")).to_have_text([re.compile(f"^{re.escape(f)}") for f in FIGURES])
        expect(row.nth(2).locator("dd")).to_have_text("266")
        tops = {round(box["y"]) for box in (row.nth(i).bounding_box() for i in range(3)) if box}
        assert len(tops) == 1, "the first figures sit side by side in one row"
        size = page.evaluate("() => getComputedStyle(document.querySelector('.profile-figures dd')).fontSize")
        assert float(size.removesuffix("px")) >= 24  # big numbers
        formula = page.get_by_text("The largest h such that h papers have at least h citations each")
        expect(formula).to_be_hidden()
        page.get_by_text("Details: sources, as-of dates and formulas").click()
        expect(formula).to_be_visible()
        expect(page.locator("details.provenance")).to_contain_text("As of 20")
        assert sideways_overflow(page) == []
        shot(page, f"profile-figures-{width}")


@WIDTHS
def test_ids_link_to_their_sites(browser: Browser, site: LiveServer, dijkstra: str, width: int) -> None:
    with open_page(browser, width) as page:
        page.goto(site.url + dijkstra)
        ids = page.locator(".profile-head .ids a")
        expect(ids.filter(has_text="Semantic Scholar")).to_have_attribute(
            "href", "https://www.semanticscholar.org/author/3234559"
        )
        expect(ids.filter(has_text="DBLP")).to_have_attribute(
            "href", "https://dblp.org/search?q=Edsger%20W.%20Dijkstra"
        )
        assert sideways_overflow(page) == []


@WIDTHS
def test_sorting_by_citations_reorders_the_cards(
    browser: Browser, site: LiveServer, dijkstra: str, width: int
) -> None:
    with open_page(browser, width) as page:
        page.goto(site.url + dijkstra)
        newest = cited(page)
        assert newest != sorted(newest, reverse=True)
        first_by_year = page.locator("article.card h3").first.inner_text()
        page.locator(".sorts").get_by_role("link", name="citations").click()
        expect(page).to_have_url(re.compile(r"\?sort=citations$"))
        most = cited(page)
        assert most == sorted(most, reverse=True) and most[0] == 23761
        expect(page.locator("article.card h3").first).not_to_have_text(first_by_year)
        page.get_by_role("link", name=re.compile("less cited")).click()
        expect(page).to_have_url(re.compile(r"\?page=2&sort=citations$"))
        assert cited(page)[0] <= most[-1]
        assert sideways_overflow(page) == []
        shot(page, f"profile-by-citations-{width}")


@WIDTHS
def test_follow_by_email_lands_on_a_filled_in_form(
    browser: Browser, site: LiveServer, dijkstra: str, width: int
) -> None:
    with open_page(browser, width) as page:
        page.goto(site.url + dijkstra)
        page.get_by_role("link", name="Follow by email").click()
        expect(page).to_have_url(re.compile(r"/digests\?kind=author&target=\d+$"))
        expect(page.locator("#kind")).to_have_value("author")
        expect(page.locator("#target")).to_have_value(dijkstra.rsplit("/", 1)[1])
        assert sideways_overflow(page) == []
        shot(page, f"profile-follow-by-email-{width}")

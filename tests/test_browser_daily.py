"""Issue 18 in Chromium, at a desktop's width and a phone's: a long day pages by its Previous and
Next links, the span shown is marked, the trending page, the home page's box, the trending feed and
the API list the same papers with the same counts (also after a vote cast from the page), and the
organisations' directory lists and links them, whatever the case of a handle. Nothing may scroll
sideways on the phone; screenshots are kept.

The corpus is :func:`tests.test_daily_trending.long_day_corpus`: the demo's, with 188 papers on
Friday, Jun 12, 2026, and a local organisation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browsing import DESKTOP, PHONE, open_page, shot, sideways_overflow
from tests.live import LiveServer
from tests.test_daily_trending import DAY, long_day_corpus

WIDTHS = pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["desktop", "phone"])


@pytest.fixture(scope="module")
def site(demo_db: Path) -> Iterator[LiveServer]:
    with LiveServer(long_day_corpus(demo_db), local=True) as server:
        yield server


def span_links(page: Page) -> dict[str, tuple[str | None, str]]:
    """Each span link's aria-current and background colour, as drawn."""
    found: dict[str, tuple[str | None, str]] = {}
    for link in page.locator(".spans a").all():
        colour = link.evaluate("e => getComputedStyle(e).backgroundColor")
        found[link.inner_text()] = (link.get_attribute("aria-current"), colour)
    return found


def marked(page: Page, span: str) -> None:
    """``span`` alone is the current one, and is drawn unlike the others."""
    links = span_links(page)
    assert [s for s, (current, _) in links.items() if current == "page"] == [span]
    assert len({colour for s, (_, colour) in links.items() if s != span} - {links[span][1]}) == 1


@WIDTHS
def test_a_long_day_pages_and_marks_its_span(browser: Browser, site: LiveServer, width: int) -> None:
    with open_page(browser, width) as page:
        page.goto(f"{site.url}/daily/{DAY}")
        expect(page.locator(".count")).to_contain_text("papers 1–120 of 188")
        expect(page.locator("article.card")).to_have_count(120)
        marked(page, "day")
        page.get_by_role("link", name="Next page →").click()
        expect(page).to_have_url(re.compile(rf"/daily/{DAY}\?span=day&page=2$"))
        expect(page.locator(".count")).to_contain_text("papers 121–188 of 188")
        expect(page.locator("article.card")).to_have_count(68)
        expect(page.get_by_role("link", name="Next page →")).to_have_count(0)
        expect(page.get_by_text("page 2 of 2")).to_be_visible()
        assert sideways_overflow(page) == []
        shot(page, f"daily-page2-{width}")
        page.get_by_role("link", name="← Previous page").click()
        expect(page.locator("article.card")).to_have_count(120)
        page.get_by_role("link", name="week", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Jun 6 – Jun 12, 2026")
        marked(page, "week")
        assert sideways_overflow(page) == []
        shot(page, f"daily-week-{width}")


def trending_everywhere(page: Page, url: str) -> dict[str, list[tuple[str, int]]]:
    """The week's trending papers as the page, the home box, the feed and the API show them."""
    page.goto(f"{url}/trending")
    cards = page.locator("article.card")
    shown = [(c.locator("h3").inner_text(), int(c.locator(".vote .n").inner_text())) for c in cards.all()]
    page.goto(url)
    box = [
        (li.locator("a").inner_text(), int(re.search(r"▲ (\d+)", li.inner_text()).group(1)))  # type: ignore[union-attr]
        for li in page.locator(".trending-box li").all()
    ]
    api = page.request.get(f"{url}/api/v1/trending").json()["items"]
    feed = feedparser.parse(page.request.get(f"{url}/trending/feed.atom").body())
    return {
        "page": shown,
        "box": box,
        "api": [(i["title"], i["upvotes"]) for i in api],
        "feed": [(e.title, int(re.search(r"▲ (\d+)", e.summary).group(1))) for e in feed.entries],  # type: ignore[union-attr]
    }


@WIDTHS
def test_trending_is_one_list_before_and_after_a_vote(browser: Browser, site: LiveServer, width: int) -> None:
    with open_page(browser, width) as page:
        lists = trending_everywhere(page, site.url)
        assert len(lists["page"]) == 29 and lists["api"] == lists["feed"] == lists["page"]
        assert lists["box"] == lists["page"][:10]
        title, count = lists["page"][5 if width == DESKTOP else 6]
        page.goto(f"{site.url}/trending")
        marked(page, "week")
        vote = page.get_by_role("button", name=f"Upvote: {title}")
        vote.click()
        expect(vote).to_have_text(f"▲ {count + 1}")
        page.reload()
        expect(page.locator("article.card")).to_have_count(29)  # one vote used to leave 1
        expect(vote).to_have_text(f"▲ {count + 1}")
        assert sideways_overflow(page) == []
        shot(page, f"daily-trending-{width}")
        after = trending_everywhere(page, site.url)
        assert after["api"] == after["feed"] == after["page"] and after["box"] == after["page"][:10]
        assert (title, count + 1) in after["page"]
        expect(page.locator(".trending-box")).to_contain_text("as of Jun 12, 2026 23:59 UTC")
        assert sideways_overflow(page) == []
        page.locator(".trending-box").scroll_into_view_if_needed()
        shot(page, f"daily-home-box-{width}")


@WIDTHS
def test_the_organisations_directory_lists_and_links(browser: Browser, site: LiveServer, width: int) -> None:
    with open_page(browser, width) as page:
        page.goto(f"{site.url}/orgs")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Organisations")
        total = page.request.get(f"{site.url}/api/v1/orgs").json()["total"]
        rows = page.locator("table.orgs tbody tr")
        expect(rows).to_have_count(total)
        expect(rows.filter(has_text="The Lab")).to_contain_text("2 members")
        assert "zephyrine" not in page.content() and "quillon" not in page.content()
        assert sideways_overflow(page) == []
        shot(page, f"daily-orgs-{width}")
        page.get_by_role("link", name="Cohere Labs").click()
        expect(page).to_have_url(re.compile(r"/orgs/CohereLabs$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Cohere Labs")
        expect(page.locator("article.card")).to_contain_text("Making, not Taking, the Best of N")
        page.goto(f"{site.url}/orgs/coherelabs")  # a handle in any case
        expect(page.get_by_role("heading", level=1)).to_contain_text("Cohere Labs")
        expect(page.locator("article.card")).to_contain_text("Making, not Taking, the Best of N")
        assert sideways_overflow(page) == []


@WIDTHS
def test_organisation_badges_lead_to_its_page(browser: Browser, site: LiveServer, width: int) -> None:
    with open_page(browser, width) as page:
        page.goto(site.url)
        evo = page.locator("article.card", has_text="EvoArena")
        evo.get_by_role("link", name="Massachusetts Institute of Technology").click()
        expect(page).to_have_url(re.compile(r"/orgs/MIT$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Massachusetts Institute of Technology")
        if width == DESKTOP:  # on a phone the menu folds behind its button (base.html)
            page.get_by_role("navigation", name="Main").get_by_role("link", name="Organisations").click()
            expect(page).to_have_url(re.compile(r"/orgs$"))
        assert sideways_overflow(page) == []

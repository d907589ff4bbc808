"""The main journeys in a real browser: Debian's Chromium, headless, driven by Playwright.

A real uvicorn server serves the demo corpus; each journey saves a screenshot under
``test-output/screenshots/`` and checks it shows a page rather than a blank one. Chromium is
found at ``$PAPERRADAR_CHROMIUM`` or ``/usr/bin/chromium`` (``.ci/run`` installs it); without it
these tests fail, so a CI run cannot pass them by skipping.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from typer.testing import CliRunner

from paperradar.cli import app as cli
from paperradar.store import accounts
from paperradar.store.database import open_store, writing
from tests.browsing import open_page, shot
from tests.live import LiveServer

HOSTILE_TITLE = "<script>alert('x')</script> Attention at $2.2 \\times$"


@pytest.fixture(scope="module")
def corpus(demo_db: Path) -> Path:
    """The demo corpus plus one paper whose title and abstract try to run script."""
    hostile = demo_db.parent / "hostile.jsonl"
    record = {
        "id": "2606.99998",
        "authors": "Ada Lovelace",
        "title": HOSTILE_TITLE,
        "abstract": "An abstract with <img src=x onerror=alert(1)> and $\\alpha < \\beta$.",
        "categories": "cs.LG",
        "versions": [{"version": "v1", "created": "Fri, 12 Jun 2026 10:00:00 GMT"}],
        "authors_parsed": [["Lovelace", "Ada", ""]],
    }
    hostile.write_text(json.dumps(record) + "\n")
    assert CliRunner().invoke(cli, ["--db", str(demo_db), "import", str(hostile)]).exit_code == 0
    return demo_db


@pytest.fixture(scope="module")
def site(corpus: Path) -> Iterator[LiveServer]:
    with LiveServer(corpus, local=True) as server:
        yield server


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with open_page(browser, 1200) as opened:
        yield opened


def test_the_demo_opens_on_the_latest_day(page: Page, site: LiveServer) -> None:
    page.goto(site.url)
    expect(page).to_have_title(re.compile(r"Daily papers · Jun 12, 2026"))
    expect(page.get_by_role("heading", name=re.compile("Daily papers"))).to_be_visible()
    listed = page.request.get(f"{site.url}/api/v1/daily/2026-06-12").json()["total"]
    assert listed >= 30  # the 30 Hugging Face featured, and what arXiv announced that day
    expect(page.locator("article.card")).to_have_count(listed)
    first = page.locator("article.card").first
    expect(first).to_contain_text("EvoArena")
    expect(first.get_by_role("button", name=re.compile("Upvote"))).to_have_text("▲ 118")
    expect(page.get_by_role("heading", name="Trending this week")).to_be_visible()
    shot(page, "home")


def test_days_weeks_and_months_are_one_click_apart(page: Page, site: LiveServer) -> None:
    page.goto(f"{site.url}/daily/2026-06-12")
    page.get_by_role("link", name="← previous day").click()
    expect(page).to_have_url(re.compile(r"/daily/2026-06-11"))
    page.get_by_role("link", name="week", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Jun 5 – Jun 11, 2026")
    page.get_by_role("link", name="month", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Jun 1 – Jun 30, 2026")
    expect(page.locator("article.card").first).to_be_visible()
    shot(page, "daily-month")


def test_a_paper_upvoted_and_saved_from_its_page(page: Page, site: LiveServer) -> None:
    page.goto(site.url)
    page.get_by_role("link", name=re.compile("^EvoArena")).first.click()
    expect(page).to_have_url(re.compile(r"/papers/2606\.13681$"))
    expect(page.get_by_role("heading", name="Identifiers")).to_be_visible()
    expect(page.get_by_text("118 Hugging Face upvotes + 0 local votes")).to_be_visible()
    vote = page.get_by_role("button", name=re.compile("^Upvote: EvoArena"))
    vote.click()
    expect(vote).to_have_text("▲ 119")  # the script updated the count in place
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(page).to_have_url(re.compile(r"/papers/2606\.13681$"))
    page.reload()
    expect(vote).to_have_text("▲ 119")  # and it was stored
    save = page.get_by_role("button", name=re.compile("^Save: EvoArena"))
    save.click()
    expect(save).to_have_text("Saved")
    shot(page, "paper")
    vote.click()
    expect(vote).to_have_text("▲ 118")  # undone

    page.get_by_role("link", name="Library").click()
    expect(page.locator("article.card")).to_have_count(1)
    expect(page.locator("article.card")).to_contain_text("EvoArena")
    page.get_by_label(re.compile("^Add tags to EvoArena")).fill("agents, to-read")
    page.get_by_role("button", name="Tag", exact=True).click()
    expect(page.get_by_role("link", name="to-read (1)")).to_be_visible()
    page.get_by_label(re.compile("^Note on EvoArena")).fill("for Friday")
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_label(re.compile("^Note on EvoArena"))).to_have_value("for Friday")
    shot(page, "library")
    page.get_by_role("button", name=re.compile("^Save: EvoArena")).click()
    expect(page.get_by_role("button", name=re.compile("^Save: EvoArena"))).to_have_text("Save")


def test_the_keyboard_alone_can_upvote(page: Page, site: LiveServer) -> None:
    page.goto(f"{site.url}/papers/2606.13392")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    button = page.get_by_role("button", name=re.compile("^Upvote: MiniMax"))
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_text("▲ 104")
    page.keyboard.press("Enter")
    expect(button).to_have_text("▲ 103")


def test_an_author_profile_from_a_byline(page: Page, site: LiveServer) -> None:
    page.goto(f"{site.url}/search?q=Natalie+Mackraz")
    page.get_by_role("link", name="Natalie Mackraz").first.click()
    expect(page).to_have_url(re.compile(r"/authors/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Natalie Mackraz")
    for label in ("h-index", "papers", "citations", "Novelty", "AI Score"):
        expect(page.locator(".figure dt", has_text=label).first).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Papers$"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Citations per year"))).to_be_visible()
    page.get_by_role("link", name="How the h-index is computed").click()
    expect(page).to_have_url(re.compile(r"/metrics#h-index$"))
    expect(page.locator("#h-index")).to_be_in_viewport()
    page.go_back()
    shot(page, "author")


def test_the_per_year_chart_is_drawn_by_the_chart_library(page: Page, site: LiveServer) -> None:
    page.goto(f"{site.url}/authors?q=Heather+Piwowar")  # OpenAlex gives her per-year counts
    if "/authors/" not in page.url:  # several people: take the first
        page.locator("ul.people a").first.click()
    canvas = page.locator("canvas[data-years]")
    expect(canvas).to_be_visible()
    drawn = page.evaluate(
        "() => { const c = document.querySelector('canvas[data-years]');"
        " const chart = Chart.getChart(c); return chart ? chart.data.datasets[0].data : null; }"
    )
    years = json.loads(canvas.get_attribute("data-counts") or "[]")
    assert drawn == years and sum(years) > 0
    shot(page, "author-chart")


def test_search_with_a_facet(page: Page, site: LiveServer) -> None:
    page.goto(site.url)
    page.get_by_role("searchbox", name="Search papers").fill("language models")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=language\+models"))
    cards = page.locator("article.card")
    expect(cards.first).to_be_visible()
    before = cards.count()
    shot(page, "search")
    page.locator(".facet a").first.click()
    expect(cards.first).to_be_visible()
    assert cards.count() <= before


def test_hostile_text_is_shown_as_text(page: Page, site: LiveServer) -> None:
    page.goto(f"{site.url}/papers/2606.99998")
    expect(page.get_by_role("heading", level=1)).to_have_text(HOSTILE_TITLE)
    expect(page.locator("img[src=x]")).to_have_count(0)
    shot(page, "hostile")


def test_the_layout_fits_a_phone_and_follows_dark_mode(browser: Browser, site: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, color_scheme="dark")
    phone = context.new_page()
    phone.goto(site.url)
    expect(phone.locator("article.card").first).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    background = phone.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(20, 20, 22)"
    shot(phone, "phone-dark")
    context.close()


# ------------------------------------------------------------------------------ accounts
@pytest.fixture(scope="module")
def lab(_demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A shared server: not bound to localhost as far as the app knows, with one account."""
    db = tmp_path_factory.mktemp("lab") / "lab.db"
    shutil.copyfile(_demo_template, db)
    with writing(open_store(str(db))) as conn:
        accounts.add_user(conn, "ada", "correct-horse-battery", admin=True)
    with LiveServer(db, local=False) as server:
        yield server


def test_log_in_vote_and_log_out_on_a_shared_server(page: Page, lab: LiveServer) -> None:
    page.goto(lab.url)
    page.get_by_role("button", name=re.compile("^Upvote: EvoArena")).click()
    expect(page).to_have_url(re.compile(r"/login\?next="))  # anonymous: asked to sign in first
    page.get_by_label("User name").fill("ada")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong name or password.")
    page.get_by_label("Password").fill("correct-horse-battery")
    shot(page, "login")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".who")).to_contain_text("ada")
    vote = page.get_by_role("button", name=re.compile("^Upvote: EvoArena"))
    vote.click()
    expect(vote).to_have_text("▲ 119")
    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    shot(page, "admin")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Upvote: EvoArena"))).to_have_text("▲ 119")

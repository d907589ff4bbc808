"""Every page of the app on a phone (390 px) and a desktop (1280 px), in Debian's Chromium: nothing
scrolls sideways, even with the longest names, titles, URLs, tags and addresses a store can hold;
on a phone the main menu folds behind a button that opens it (and without scripts the links show).

The store is the demo corpus plus a paper whose title, author, DOI and abstract hold unbroken
words hundreds of characters long, a library, digests, an organisation and two accounts; the
pages are seen signed in as the admin of a shared server (``LiveServer(local=False)``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect
from typer.testing import CliRunner

from paperradar.cli import app as cli
from tests.browsing import DESKTOP, PHONE, open_page, shot, sideways_overflow
from tests.live import LiveServer

LONG_ID = "2606.99990"
LONG_WORD = "Hyperparameter" + "optimisation" * 16  # one word of 206 letters
LONG_AUTHOR = "Adelheid Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaftschaferswessen"
LONG_URL = "https://github.com/an-organisation-with-a-long-name/" + "a-repository-" * 12
LONG_TAG = "to-read-before-the-reading-group-on-thursday-afternoon-in-room-4"  # 64 characters
LONG_EMAIL = "someone.with.a.rather.long.address.for.digests@department-of-informatics.example-university.org"
PASSWORD = "correct horse battery staple"
ORG = "lab"


def _paperradar(db: Path, *args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(cli, ["--db", str(db), *args], input=stdin, catch_exceptions=False)
    assert result.exit_code == 0, (args, result.output)
    return result.output


@pytest.fixture(scope="module")
def store(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo corpus with the longest things a reader, an admin or an upstream can put in it."""
    long_paper = tmp_path_factory.mktemp("long") / "long.jsonl"
    record = {
        "id": LONG_ID,
        "authors": f"{LONG_AUTHOR}, Ada Lovelace",
        "authors_parsed": [[LONG_AUTHOR.split()[1], "Adelheid", ""], ["Lovelace", "Ada", ""]],
        "title": f"{LONG_WORD}: a title with no place to break",
        "abstract": f"Code and data at {LONG_URL} and {LONG_WORD}.",
        "doi": "10.5555/" + "identifier-" * 12,
        "categories": "cs.LG",
        "versions": [{"version": "v1", "created": "Thu, 11 Jun 2026 10:00:00 GMT"}],
    }
    long_paper.write_text(json.dumps(record) + "\n")
    _paperradar(demo_db, "import", str(long_paper))
    user = ("--user", "lin")
    _paperradar(demo_db, "submit", LONG_ID, "--day", "2026-06-12", "--no-fetch", *user)
    _paperradar(demo_db, "upvote", LONG_ID, *user)
    _paperradar(demo_db, "library", "save", LONG_ID, "2606.13681", "--tag", LONG_TAG, *user)
    _paperradar(demo_db, "library", "note", LONG_ID, f"see {LONG_URL}", *user)
    _paperradar(demo_db, "digest", "subscribe", "search", LONG_WORD, "--email", LONG_EMAIL, *user)
    _paperradar(demo_db, "digest", "subscribe", "daily-trending", "--email", LONG_EMAIL, *user)
    _paperradar(demo_db, "org", "create", ORG, "--name", f"The {LONG_WORD} Laboratory", *user)
    _paperradar(demo_db, "org", "tag", ORG, LONG_ID, *user)
    _paperradar(
        demo_db, "user", "add", "lin", "--admin", "--email", LONG_EMAIL, "--password-stdin", stdin=PASSWORD
    )
    _paperradar(
        demo_db,
        "user",
        "add",
        "bob",
        "--email",
        "b" * 40 + "@example.org",
        "--password-stdin",
        stdin=PASSWORD,
    )
    _paperradar(demo_db, "org", "add-member", ORG, "bob")
    return demo_db


@pytest.fixture(scope="module")
def site(store: Path) -> Iterator[LiveServer]:
    with LiveServer(store, local=False) as server:
        yield server


@pytest.fixture(scope="module")
def signed_in(browser: Browser, site: LiveServer) -> dict[str, Any]:
    """The browser state of ``lin``, the admin, signed in through the form."""
    with open_page(browser, PHONE) as page:
        page.goto(f"{site.url}/login")
        page.get_by_label("User name").fill("lin")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        state: dict[str, Any] = page.context.storage_state()  # type: ignore[assignment]
    return state


def _path(site: LiveServer, name: str) -> str:
    """The page's path; the long-named author's pages are looked up by name."""
    if PAGES[name].startswith("/"):
        return PAGES[name]
    found = httpx.get(f"{site.url}/api/v1/authors", params={"q": LONG_AUTHOR}).json()["matches"]
    return "/".join(filter(None, ("/authors", str(found[0]["id"]), PAGES[name])))


PAGES = {  # name → path (or what follows the long-named author's); every page of the app
    "home": "/",
    "daily": "/daily/2026-06-12?span=week",
    "trending": "/trending?window=month",
    "search": f"/search?q={LONG_WORD}",
    "paper": f"/papers/{LONG_ID}",
    "author": "",
    "similar": "similar",
    "authors": "/authors?q=wang",
    "library": "/library",
    "for-you": "/for-you",
    "digests": "/digests",
    "admin": "/admin",
    "metrics": "/metrics",
    "orgs": "/orgs",
    "org": f"/orgs/{ORG}",
    "not-found": f"/papers/9999.{LONG_WORD[:5]}",
}


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_fits_the_screen(
    browser: Browser, site: LiveServer, signed_in: dict[str, Any], name: str, width: int
) -> None:
    with open_page(browser, width, storage_state=signed_in) as page:
        answer = page.goto(site.url + _path(site, name))
        assert answer is not None and answer.status == (404 if name == "not-found" else 200), name
        expect(page.get_by_role("heading", level=1).first).to_be_visible()
        assert sideways_overflow(page) == [], name
        menu = page.get_by_role("button", name="Menu")
        nav = page.get_by_role("navigation", name="Main")
        if width == PHONE:  # folded behind the button
            expect(menu).to_be_visible()
            expect(menu).to_have_attribute("aria-expanded", "false")
            expect(nav).to_be_hidden()
        else:  # in the header, no button
            expect(menu).to_be_hidden()
            expect(nav.get_by_role("link", name="Admin")).to_be_visible()
        shot(page, f"phone-{name}-{width}")


def test_the_long_things_are_there_and_wrap(
    browser: Browser, site: LiveServer, signed_in: dict[str, Any]
) -> None:
    with open_page(browser, PHONE, storage_state=signed_in) as page:
        page.goto(f"{site.url}/papers/{LONG_ID}")
        title = page.get_by_role("heading", level=1)
        expect(title).to_contain_text(LONG_WORD)
        box = title.bounding_box()
        assert box is not None and box["width"] <= PHONE and box["height"] > 60  # wrapped, not cut
        page.goto(f"{site.url}/library")
        expect(page.get_by_role("link", name=LONG_TAG).first).to_be_visible()
        page.goto(f"{site.url}/admin")
        expect(page.get_by_text(LONG_EMAIL)).to_be_visible()
        cell = page.locator('td[data-label="Last login"]').first  # the table folds into labelled rows
        assert cell.evaluate("c => getComputedStyle(c, '::before').content") == '"Last login: "'
        assert cell.evaluate("c => getComputedStyle(c).display") == "block"
        assert sideways_overflow(page) == []


def test_the_menu_opens_and_closes_on_a_phone(
    browser: Browser, site: LiveServer, signed_in: dict[str, Any]
) -> None:
    with open_page(browser, PHONE, storage_state=signed_in) as page:
        page.goto(f"{site.url}/trending")
        menu = page.get_by_role("button", name="Menu")
        nav = page.get_by_role("navigation", name="Main")
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        for link in ("Today", "Trending", "Library", "For you", "Digests", "Admin"):
            expect(nav.get_by_role("link", name=link)).to_be_visible()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        assert sideways_overflow(page) == []
        shot(page, "phone-menu-open-390")
        page.keyboard.press("Escape")  # closes, and the button has the focus back
        expect(nav).to_be_hidden()
        expect(menu).to_be_focused()
        page.keyboard.press("Enter")  # the keyboard opens it too
        expect(nav).to_be_visible()
        nav.get_by_role("link", name="Library").click()
        expect(page).to_have_url(re.compile(r"/library$"))
        expect(page.get_by_role("navigation", name="Main")).to_be_hidden()  # a new page starts folded


def test_without_scripts_the_links_show(
    browser: Browser, site: LiveServer, signed_in: dict[str, Any]
) -> None:
    with open_page(browser, PHONE, storage_state=signed_in, java_script_enabled=False) as page:
        page.goto(f"{site.url}/digests")
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()  # it would do nothing
        nav = page.get_by_role("navigation", name="Main")
        expect(nav).to_be_visible()
        assert sideways_overflow(page) == []
        shot(page, "phone-no-script-390")
        nav.get_by_role("link", name="Trending").click()
        expect(page).to_have_url(re.compile(r"/trending$"))


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_the_sign_in_page_fits(browser: Browser, site: LiveServer, width: int) -> None:
    with open_page(browser, width) as page:
        page.goto(f"{site.url}/login?next=/{LONG_WORD}")
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()
        assert sideways_overflow(page) == []
        if width == PHONE:
            page.get_by_role("button", name="Menu").click()
            expect(page.get_by_role("link", name="Log in")).to_be_visible()
        shot(page, f"phone-login-{width}")


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_the_first_run_page_fits(browser: Browser, tmp_path: Path, width: int) -> None:
    empty = tmp_path / "a folder with a rather long name for a first store" / "radar.db"
    empty.parent.mkdir()
    with LiveServer(empty, local=True) as fresh, open_page(browser, width) as page:
        page.goto(fresh.url)
        expect(page.get_by_role("heading", name="No papers here yet")).to_be_visible()
        expect(page.get_by_text("paperradar demo --no-serve")).to_be_visible()
        expect(page.get_by_text(f"paperradar --db '{empty}' import FILE...")).to_be_visible()
        assert sideways_overflow(page) == []
        shot(page, f"phone-first-run-{width}")

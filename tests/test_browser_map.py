"""The map page in Chromium: the points are drawn, the search highlights, a click opens the paper."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from paperradar.services.context import AppContext
from paperradar.services.library import Library
from paperradar.store import accounts
from paperradar.store.database import open_store
from tests.browsing import DESKTOP, PHONE, open_page, shot, sideways_overflow
from tests.conftest import Run
from tests.live import LiveServer
from tests.test_atlas import embed_synthetic

CHART = "Chart.getChart(document.getElementById('map'))"


@pytest.fixture(scope="module")
def server(demo_db: Path, demo_run: Run) -> Iterator[LiveServer]:
    """The demo, embedded (synthetic vectors) and placed by `paperradar index`, one paper saved."""
    engine = open_store(str(demo_db))
    first = embed_synthetic(engine)[0]
    code, out = demo_run("index")
    assert code == 0, out
    Library(AppContext(engine)).save(accounts.local_user(), [str(first)])
    engine.dispose()
    with LiveServer(demo_db, local=True) as live:
        yield live


def the_map(server: LiveServer) -> dict[str, Any]:
    with urllib.request.urlopen(f"{server.url}/api/v1/map") as answer:
        body: dict[str, Any] = json.load(answer)
    return body


def drawn(page: Page) -> int:
    """Points the chart drew (it fills ``data-points`` once it has its data)."""
    page.wait_for_selector("#map[data-points]")
    count: int = page.evaluate(f"{CHART}.data.datasets.slice(0, -1).reduce((n, d) => n + d.data.length, 0)")
    return count


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_the_map_draws_highlights_and_opens_a_paper(browser: Browser, server: LiveServer, width: int) -> None:
    body = the_map(server)
    total = len(body["points"])
    assert total > 100
    word = "learning"
    matching = sum(word in p["title"].lower() for p in body["points"])
    assert 0 < matching < total
    with open_page(browser, width) as page:
        page.goto(f"{server.url}/map")
        assert page.locator("h1").inner_text() == "Map of the corpus"
        assert drawn(page) == total
        saved = page.evaluate(f"{CHART}.data.datasets.at(-1).data.map(p => p.href)")
        assert len(saved) == 1  # the saved paper, ringed on top
        page.fill("#map-find", word)
        assert page.locator(".map-count").inner_text() == f"{matching:,} of {total:,} papers match"
        if width == PHONE:
            assert sideways_overflow(page) == []
        shot(page, f"map-search-{width}")
        point = page.evaluate(
            f"""() => {{ const c = {CHART}; const set = c.data.datasets.findIndex(d => !d.library);
                const el = c.getDatasetMeta(set).data[0]; return {{x: el.x, y: el.y}}; }}"""
        )
        box = page.locator("#map").bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
        page.wait_for_url(re.compile(r"/papers/"))
        href = page.url.removeprefix(server.url)
        opened = next(p for p in body["points"] if p["href"] == href)
        assert opened["title"][:40] in page.locator("h1").inner_text()


def test_the_map_is_in_the_menu(browser: Browser, server: LiveServer) -> None:
    with open_page(browser, DESKTOP) as page:
        page.goto(f"{server.url}/")
        page.get_by_role("link", name="Map", exact=True).click()
        page.wait_for_url(re.compile(r"/map$"))
        assert drawn(page) > 0

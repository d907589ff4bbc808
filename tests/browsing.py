"""What every browser test shares: Debian's Chromium under Playwright, a page that fails the test
on any script error or off-site request, screenshots kept as artifacts, the no-sideways-scroll check.

The ``browser`` fixture is every test's (``tests/conftest.py`` loads this module as a plugin);
``open_page``, ``shot`` and ``sideways_overflow`` are imported. Chromium is found at
``$PAPERRADAR_CHROMIUM`` or ``/usr/bin/chromium`` (``.ci/run`` installs it); without it the tests
fail, so a CI run cannot pass them by skipping.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = os.environ.get("PAPERRADAR_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"
DESKTOP, PHONE = 1280, 390  # the widths every page is checked at


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: apt-get install chromium (see .ci/run)"
    with sync_playwright() as pw:
        launched = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
        )
        yield launched
        launched.close()


@contextmanager
def open_page(browser: Browser, width: int = DESKTOP, height: int = 900, **options: object) -> Iterator[Page]:
    """A page ``width`` pixels wide; the block fails if a script errs, a dialog opens or anything
    is fetched from another site."""
    context = browser.new_context(viewport={"width": width, "height": height}, **options)  # type: ignore[arg-type]
    opened = context.new_page()
    problems: list[str] = []
    opened.on("dialog", lambda d: problems.append(f"a dialog opened: {d.message}"))
    opened.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    opened.on(
        "request",
        lambda r: None if r.url.startswith(("http://127.0.0.1", "data:")) else problems.append(r.url),
    )
    try:
        yield opened
    finally:
        context.close()
    assert not problems, problems  # no script ran from data, no error, nothing fetched off-site


def shot(page: Page, name: str) -> Path:
    """Save a full-page screenshot and check it is a page, not a blank: far more than a blank's bytes."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    target = SHOTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    blank = page.context.new_page()
    blank.set_viewport_size(page.viewport_size or {"width": DESKTOP, "height": 900})
    empty = len(blank.screenshot())
    blank.close()
    assert target.stat().st_size > 4 * empty, f"{name}.png looks blank"
    return target


def sideways_overflow(page: Page) -> list[str]:
    """What sticks out past the viewport's right edge (empty when nothing scrolls sideways)."""
    found: list[str] = page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            if (document.documentElement.scrollWidth <= width) return [];
            return [...document.querySelectorAll('body *')]
              .filter(e => e.getBoundingClientRect().right > width + 1)
              .slice(0, 5)
              .map(e => `${e.tagName.toLowerCase()}.${e.className} `
                   + `(${Math.round(e.getBoundingClientRect().right)} px)`);
        }"""
    )
    return found

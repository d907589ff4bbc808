"""A paper's page in Chromium, at a desktop's width and a phone's: the title as the heading, the
author list that folds after ten, TeX drawn by KaTeX (and markup left as text), the Cite buttons
that put BibTeX and APA on the clipboard, references and citing works a page at a time, and the
citations-per-year chart. Nothing may scroll sideways on the phone; screenshots are kept.

The corpus is :func:`tests.test_paper_page.paper_corpus`: the demo's, EvoArena's references and
citing works from a recorded Semantic Scholar answer, and a paper with markup and TeX.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browsing import DESKTOP, PHONE, open_page, shot, sideways_overflow
from tests.live import LiveServer
from tests.test_paper_page import PAPER, TEX_PAPER, TEX_TITLE, paper_corpus

TITLE = "EvoArena: Tracking Memory Evolution for Robust LLM Agents in Dynamic Environments"
WIDTHS = pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["desktop", "phone"])


@pytest.fixture(scope="module")
def site(demo_db: Path) -> Iterator[LiveServer]:
    with LiveServer(paper_corpus(demo_db), local=True) as server:
        yield server


@WIDTHS
def test_the_title_the_authors_and_the_links_out(browser: Browser, site: LiveServer, width: int) -> None:
    with open_page(browser, width) as page:
        page.goto(f"{site.url}/papers/{PAPER}")
        expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
        authors = page.locator(".authors a[href^='/authors/']")
        expect(authors).to_have_count(14)
        expect(authors.nth(9)).to_be_visible()
        expect(authors.nth(10)).to_be_hidden()  # folded after ten
        page.get_by_text("Show all 14 authors").click()
        expect(authors.nth(13)).to_have_text("Zhiyuan Hu")
        expect(authors.nth(13)).to_be_visible()
        expect(page.get_by_text("Show fewer authors")).to_be_visible()
        for name, url in (
            ("PDF", f"https://arxiv.org/pdf/{PAPER}"),
            ("arXiv", f"https://arxiv.org/abs/{PAPER}"),
            ("Hugging Face", f"https://huggingface.co/papers/{PAPER}"),
            ("Code", "https://github.com/Aiden0526/EvoArena"),
        ):
            expect(page.get_by_role("link", name=name, exact=True)).to_have_attribute("href", url)
        expect(page.get_by_role("link", name="Massachusetts Institute of Technology")).to_have_attribute(
            "href", "/orgs/MIT"
        )
        assert sideways_overflow(page) == []
        shot(page, f"paper-evoarena-{width}")


@WIDTHS
def test_tex_is_drawn_by_katex_and_markup_stays_text(browser: Browser, site: LiveServer, width: int) -> None:
    with open_page(browser, width) as page:
        page.goto(f"{site.url}/papers/{TEX_PAPER}")
        expect(page.get_by_role("heading", level=1)).to_have_text(TEX_TITLE)
        abstract = page.locator(".abstract")
        expect(abstract.locator(".katex")).to_have_count(3)  # $…$ inline and $$…$$ on its own line
        expect(abstract.locator(".katex-display")).to_have_count(1)
        expect(abstract.locator("a")).to_have_count(0)  # trust: false, so \href makes no link
        expect(abstract).to_contain_text("We show <img src=x onerror=alert(1)> that")
        expect(page.locator("img[src=x]")).to_have_count(0)
        assert sideways_overflow(page) == []
        shot(page, f"paper-tex-{width}")


def test_one_click_puts_the_bibtex_on_the_clipboard(browser: Browser, site: LiveServer) -> None:
    with open_page(browser, DESKTOP, permissions=["clipboard-read", "clipboard-write"]) as page:
        page.goto(f"{site.url}/papers/{PAPER}")
        page.get_by_role("button", name="Copy BibTeX").click()
        expect(page.locator(".cite [role=status]")).to_have_text("BibTeX copied to the clipboard.")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("@misc{xu2026evoarena,\n") and "Bryan Hooi and Zhiyuan Hu" in copied
        assert copied == page.locator("#bibtex").text_content()
        page.get_by_role("button", name="Copy APA").click()
        expect(page.locator(".cite [role=status]")).to_have_text("APA reference copied to the clipboard.")
        assert page.evaluate("navigator.clipboard.readText()") == page.locator("#apa").text_content()


def test_the_bibtex_is_on_the_page_without_a_click_to_copy(browser: Browser, site: LiveServer) -> None:
    with open_page(browser, PHONE, java_script_enabled=False) as page:
        page.goto(f"{site.url}/papers/{PAPER}")
        expect(page.get_by_role("button", name="Copy BibTeX")).to_be_hidden()  # needs script
        page.get_by_text("BibTeX", exact=True).click()
        expect(page.locator("#bibtex")).to_be_visible()
        expect(page.locator("#bibtex")).to_contain_text("@misc{xu2026evoarena,")
        page.get_by_text("Show all 14 authors").click()  # <details>: no script needed
        expect(page.locator(".authors a[href^='/authors/']").nth(13)).to_be_visible()
        assert sideways_overflow(page) == []
        shot(page, "paper-without-script-390")


@WIDTHS
def test_references_and_citing_works_page_on(browser: Browser, site: LiveServer, width: int) -> None:
    with open_page(browser, width) as page:
        page.goto(f"{site.url}/papers/{PAPER}")
        references, citing = page.locator("#references"), page.locator("#citations")
        expect(references.get_by_role("heading", level=2)).to_have_text("References (100)")
        expect(citing.get_by_role("heading", level=2)).to_have_text("Citations (47 here)")
        first = references.locator("ol.works > li").first.text_content()
        references.get_by_role("link", name="next →").click()
        expect(page).to_have_url(re.compile(r"\?refs=2#references$"))
        expect(references.locator("ol.works")).to_have_attribute("start", "21")
        expect(references.locator("ol.works > li")).to_have_count(20)
        assert references.locator("ol.works > li").first.text_content() != first
        citing.get_by_role("link", name="next →").click()
        expect(page).to_have_url(re.compile(r"\?cites=2&refs=2#citations$"))
        expect(citing.locator("ol.works")).to_have_attribute("start", "21")
        expect(references.locator("ol.works")).to_have_attribute("start", "21")  # kept its page
        citing.get_by_role("link", name="next →").click()
        expect(citing.locator("ol.works > li")).to_have_count(7)
        expect(citing.get_by_text("page 3 of 3")).to_be_visible()

        canvas = citing.locator("canvas[data-years]")
        expect(canvas).to_be_visible()
        drawn = page.evaluate("() => Chart.getChart(document.querySelector('canvas[data-years]')).data")
        assert drawn["datasets"][0]["data"] == json.loads(canvas.get_attribute("data-counts") or "[]")
        assert sum(drawn["datasets"][0]["data"]) == 47
        assert sideways_overflow(page) == []
        shot(page, f"paper-lists-{width}")

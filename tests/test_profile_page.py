"""An author's profile as researchers read it (issue 18): the figures as a row of big numbers with
their provenance behind a "details" toggle, the affiliation and the ids elsewhere linked to their
sites, a citation count on every card, the cards sorted by year or citations (page and JSON twin
alike), and "Follow by email" landing on the digests form filled in for this author.

The corpus is the demo's: Heather Piwowar comes from OpenAlex (ORCID and OpenAlex ids), Edsger
Dijkstra from Semantic Scholar (a Semantic Scholar id, a DBLP name, 266 papers: six pages).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest
from fastapi.testclient import TestClient

from paperradar.web.app import create_app
from tests.pages import LOCAL, shown_text

IDS = "//section[contains(@class, 'profile-head')]/p[@class='ids']/a"  # the ids elsewhere, linked


@pytest.fixture(scope="module")
def client(demo_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(str(demo_db), local=True), base_url=LOCAL) as test_client:
        yield test_client


def author(client: TestClient, name: str) -> int:
    """The id of the one demo author called ``name``."""
    found = client.get("/api/v1/authors", params={"q": name}).json()["matches"]
    assert len(found) == 1, found
    return int(found[0]["id"])


def page_of(client: TestClient, path: str) -> lxml.html.HtmlElement:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    return lxml.html.fromstring(answer.text)


def counts(doc: lxml.html.HtmlElement) -> list[int]:
    """The citation counts the cards show, in page order."""
    cards = doc.xpath("//article[@class='card']")
    shown = [card.xpath(".//div[@class='meta']/span[@class='cites']") for card in cards]
    assert all(shown), "every card of the profile shows its citation count"
    return [int(s[0].text_content().split()[0].replace(",", "")) for s in shown]


def test_the_figures_are_big_numbers_with_their_provenance_behind_details(client: TestClient) -> None:
    dijkstra = author(client, "Dijkstra")
    doc = page_of(client, f"/authors/{dijkstra}")
    row = doc.xpath("//dl[contains(@class, 'profile-figures')]")[0]
    labels = [dt.text_content().replace("?", "").strip() for dt in row.xpath("div[@class='figure']/dt")]
    assert labels == ["h-index", "i10-index", "papers", "citations", "Novelty", "AI Score"]
    values = {
        label: dd.text_content()
        for label, dd in zip(labels, row.xpath("div[@class='figure']/dd"), strict=True)
    }
    assert values["papers"] == "266" and values["h-index"] == "42" and values["citations"] == "48,172"
    assert "as of" not in row.text_content()  # the row holds numbers only
    details = doc.xpath("//details[@class='provenance']")[0]
    assert details.get("open") is None  # closed until asked
    said = shown_text(lxml.html.tostring(details, encoding="unicode"))
    assert "Details: sources, as-of dates and formulas" in said
    assert "The largest h such that h papers have at least h citations each" in said
    assert "Semantic Scholar for" in said and "As of 20" in said


def test_a_reported_figure_that_cannot_be_true_is_still_flagged(client: TestClient) -> None:
    page = client.get(f"/authors/{author(client, 'Natalie Mackraz')}")
    assert "impossible: h-index 23 &gt; 7 papers" in page.text


def test_the_affiliation_and_ids_link_to_their_sites(client: TestClient) -> None:
    piwowar = author(client, "Heather Piwowar")
    doc = page_of(client, f"/authors/{piwowar}")
    assert doc.xpath("//section[contains(@class, 'profile-head')]/p[@class='affiliation']")[
        0
    ].text_content() == ("Impact Technology Development (United States)")
    links = {a.text_content(): a.get("href") for a in doc.xpath(IDS)}
    assert links == {
        "ORCID 0000-0003-1613-5981": "https://orcid.org/0000-0003-1613-5981",
        "OpenAlex A5048491430": "https://openalex.org/A5048491430",
    }
    dijkstra = page_of(client, f"/authors/{author(client, 'Dijkstra')}")
    hrefs = [a.get("href") for a in dijkstra.xpath(IDS)]
    assert "https://www.semanticscholar.org/author/3234559" in hrefs
    assert "https://dblp.org/search?q=Edsger%20W.%20Dijkstra" in hrefs  # stored as a name, not a pid
    api = client.get(f"/api/v1/authors/{piwowar}").json()
    assert [(i["label"], i["url"]) for i in api["links"]] == [
        ("ORCID", "https://orcid.org/0000-0003-1613-5981"),
        ("OpenAlex", "https://openalex.org/A5048491430"),
    ]


def test_cards_sort_by_year_or_citations_and_paging_keeps_the_order(client: TestClient) -> None:
    dijkstra = author(client, "Dijkstra")
    by_year = page_of(client, f"/authors/{dijkstra}")
    assert by_year.xpath("//p[@class='sorts']/strong")[0].text_content() == "year"
    year_counts = counts(by_year)
    assert year_counts != sorted(year_counts, reverse=True)  # the newest are not the most cited
    sort_link = by_year.xpath("//p[@class='sorts']/a")[0]
    assert sort_link.text_content() == "citations"
    by_cites = page_of(client, f"/authors/{dijkstra}{sort_link.get('href')}")
    first = counts(by_cites)
    assert len(first) == 50 and first == sorted(first, reverse=True) and first[0] == 23761
    older = by_cites.xpath("//nav[@class='pages']/a[@rel='next']")[0].get("href")
    assert older == "?page=2&sort=citations"
    second = counts(page_of(client, f"/authors/{dijkstra}{older}"))
    assert second == sorted(second, reverse=True) and second[0] <= first[-1]
    api = client.get(f"/api/v1/authors/{dijkstra}", params={"sort": "citations", "page": 2}).json()
    assert api["sort"] == "citations" and [w["citations"] for w in api["works"]] == second
    wrong = client.get(f"/api/v1/authors/{dijkstra}", params={"sort": "fame"})
    assert wrong.status_code == 422 and "'year' or 'citations'" in wrong.text
    shown = client.get(f"/authors/{dijkstra}", params={"sort": "fame"})
    assert shown.status_code == 422 and "sort: Input should be 'year' or 'citations'" in shown_text(
        shown.text
    )


def test_follow_by_email_opens_the_digests_form_filled_in(client: TestClient) -> None:
    piwowar = author(client, "Heather Piwowar")
    doc = page_of(client, f"/authors/{piwowar}")
    follow = doc.xpath("//section[contains(@class, 'profile-head')]/p[contains(@class, 'follow')]/a")
    assert [a.text_content() for a in follow] == ["Atom", "RSS", "Follow by email"]
    form = page_of(client, follow[2].get("href"))
    assert form.xpath("//select[@id='kind']/option[@selected]")[0].get("value") == "author"
    assert form.xpath("//input[@id='target']")[0].get("value") == str(piwowar)
    plain = page_of(client, "/digests")  # without parameters the form is as it was
    assert plain.xpath("//input[@id='target']")[0].get("value") == ""


def test_follow_by_email_when_signed_out_comes_back_to_the_filled_in_form(demo_db: Path) -> None:
    with TestClient(create_app(str(demo_db), local=False), base_url=LOCAL) as visitor:
        piwowar = author(visitor, "Heather Piwowar")
        sent = visitor.get(f"/digests?kind=author&target={piwowar}", follow_redirects=False)
        assert sent.status_code == 303
        login = page_of(visitor, sent.headers["location"])
        assert (
            login.xpath("//input[@name='next']")[0].get("value") == f"/digests?kind=author&target={piwowar}"
        )

"""Seed captures (profile, cards, daily listings), and which format claims which of our fixture files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from paperradar.records import SEED_CARDS, AuthorRecord, Item, WorkRecord
from paperradar.sources import bibtex, hf_papers, pwc_links, seed_pages
from paperradar.sources.base import read_head

FIXTURES = Path(__file__).parent.parent / "fixtures"
SEEDS = FIXTURES / "seed_pages"


def works(items: list[Item]) -> list[WorkRecord]:
    return [item.record for item in items if isinstance(item.record, WorkRecord)]


def test_profile_keeps_the_reported_numbers_and_its_seven_cards() -> None:
    items = list(seed_pages.parse_profile(SEEDS / "author_profile.json", 0))
    assert len(items) == 1 and items[0].location == "profile" and items[0].source == SEED_CARDS
    author = items[0].record
    assert isinstance(author, AuthorRecord)
    assert author.name == "Natalie Mackraz" and author.ids == {}
    # As shown on the page, although h-index 23 is impossible with 7 papers: a reported fact only.
    assert (author.h_index, author.works_count, author.citation_count) == (23, 7, 146)
    assert len(author.works) == 7
    assert author.works[0].title == "Large Language Models as Generalizable Policies for Embodied Tasks"
    assert author.works[0].primary_category == "cs.LG"


def test_the_24_cards() -> None:
    items = list(seed_pages.parse_cards(SEEDS / "paper_cards.jsonl", 0))
    assert [item.location for item in items] == [f"line {n}" for n in range(1, 25)]
    cards = works(items)
    assert len(cards) == 24 and all(card.ids == {} for card in cards)
    raw = [
        json.loads(line) for line in (SEEDS / "paper_cards.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [card.extra["et_al"] for card in cards] == [line["et_al"] for line in raw]
    assert {card.primary_category for card in cards} == {"cs.LG", "cs.CL", "cs.AI", "cs.SD", "cs.HC"}
    assert all(card.categories == [card.primary_category] for card in cards)
    assert sum(1 for card in cards if card.code) == 4
    assert all(link.url is None for card in cards for link in card.code)  # a badge, no address
    assert sum(1 for card in cards if card.extra["et_al"]) == 20
    first = cards[0]
    assert [a.name for a in first.authors] == ["Andrew Szot", "Max Schwarzer", "Harsh Agrawal"]
    assert first.extra["card_affiliations"] == ["apple-ml", "gatech"]
    assert (first.published, first.year) == (dt.date(2023, 10, 26), 2023)
    assert first.extra["date_text"] == "Oct 26, 2023"
    undated = [card for card in cards if card.published is None]
    assert [card.extra["date_text"] for card in undated] == ["May 8", "May 8"]
    assert all(card.year is None for card in undated)


def test_a_tag_from_another_archive_keeps_its_code(tmp_path: Path) -> None:
    card = json.loads((SEEDS / "paper_cards.jsonl").read_text(encoding="utf-8").splitlines()[0])
    card["category"] = "stat.ML"
    path = tmp_path / "cards.jsonl"
    path.write_text(json.dumps(card) + "\n")
    (item,) = seed_pages.parse_cards(path, 0)
    assert isinstance(item.record, WorkRecord) and item.record.primary_category == "stat.ML"


def test_the_194_listing_items() -> None:
    items = list(seed_pages.parse_listings(SEEDS / "daily_listings.jsonl", 0))
    listings = works(items)
    assert len(listings) == 194 and all(item.problem is None for item in items)
    communities = [listing.community for listing in listings if listing.community]
    assert len(communities) == 194
    assert sorted(c.organisation for c in communities if c.organisation) == [
        "CohereLabs",
        "microsoft",
        "stanfordnlp",
        "zai-org",
    ]
    assert sum(1 for c in communities if c.upvotes is not None) == 47
    assert sum(1 for c in communities if c.n_authors is not None) == 183
    assert all(c.featured_day is None for c in communities)  # the page date has no year
    assert sum(1 for listing in listings if not listing.extra["meta_present"]) == 7
    cohere = next(listing for listing in listings if listing.title == "Making, not Taking, the Best of N")
    assert cohere.community is not None and cohere.community.organisation_name == "Cohere Labs"
    assert cohere.community.upvotes == 2
    assert cohere.published is None
    assert (cohere.extra["date_text"], cohere.extra["page_date_text"]) == ("Oct 1", "Nov 6")


@pytest.mark.parametrize("name", ["paper_cards.jsonl", "daily_listings.jsonl"])
def test_a_truncated_line_among_good_lines(tmp_path: Path, name: str) -> None:
    lines = (SEEDS / name).read_text(encoding="utf-8").splitlines()[:5]
    lines[2] = lines[2][: len(lines[2]) // 2]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    parse = seed_pages.parse_cards if name == "paper_cards.jsonl" else seed_pages.parse_listings
    items = list(parse(path, 0))
    assert [item.location for item in items] == ["line 1", "line 2", "line 3", "line 4", "line 5"]
    assert items[2].problem is not None and items[2].problem.reason.startswith("not valid JSON")
    assert items[2].problem.raw == lines[2]
    assert len(works(items)) == 4


def test_a_card_without_title_in_the_profile_is_a_problem(tmp_path: Path) -> None:
    profile = json.loads((SEEDS / "author_profile.json").read_text(encoding="utf-8"))
    del profile["papers"][1]["title"]
    path = tmp_path / "author_profile.json"
    path.write_text(json.dumps(profile))
    items = list(seed_pages.parse_profile(path, 0))
    assert [(item.location, item.problem.reason if item.problem else None) for item in items] == [
        ("card 2", "no 'title'"),
        ("profile", None),
    ]
    assert isinstance(items[1].record, AuthorRecord) and len(items[1].record.works) == 6


OUR_FILES = {
    "huggingface/daily_papers.json": "hf-daily",
    "paperswithcode/links-between-papers-and-code.documented_example.json": "pwc-links",
    "bibtex/library.bib": "bibtex",
    "seed_pages/author_profile.json": "seed-profile",
    "seed_pages/paper_cards.jsonl": "seed-cards",
    "seed_pages/daily_listings.jsonl": "seed-listings",
}


@pytest.mark.parametrize(("relative", "expected"), OUR_FILES.items())
def test_each_file_is_claimed_by_exactly_its_format(relative: str, expected: str) -> None:
    path = FIXTURES / relative
    formats = hf_papers.FORMATS + pwc_links.FORMATS + bibtex.FORMATS + seed_pages.FORMATS
    head = read_head(path)
    assert [fmt.name for fmt in formats if fmt.sniff(path.name, head)] == [expected]


def test_bibtex_is_recognised_by_content_too() -> None:
    head = read_head(FIXTURES / "bibtex" / "library.bib")
    assert bibtex.sniff("export.txt", head)
    assert not bibtex.sniff("notes.txt", b"Dear reader,\nplease write to me@example.org\n")

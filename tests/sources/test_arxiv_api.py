"""arXiv API Atom feeds (2026 format): search pages, id lookups, error and empty feeds, broken variants."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import pytest

from paperradar.records import ARXIV_API, Item, UnreadableInput, Version, WorkRecord
from paperradar.sources import arxiv_api
from paperradar.sources.base import read_head

FIXTURES = Path(__file__).parent.parent / "fixtures" / "arxiv_api"
SEARCH_100 = FIXTURES / "q_testing_s0_m100_cfe7536492ca.body.xml"
PAGE_1 = FIXTURES / "q_testing_s0_m10_bc5a6c384fe9.body.xml"
PAGE_2 = FIXTURES / "q_testing_s10_m10_34e56e15aaac.body.xml"
LEGACY = FIXTURES / "id_astro-ph_0601001_s0_m100_3150dca9dc76.body.xml"
LEGACY_VERSIONED = FIXTURES / "id_quant-ph_0201082v1_s0_m100_86989fe779ef.body.xml"
ERROR = FIXTURES / "id_abc_s0_m100_b79c8dcf6bc3.body.xml"
EMPTY = FIXTURES / "id_0000.0000_s0_m100_8b51d9633a68.body.xml"
ONE_MISS = FIXTURES / "id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.body.xml"
UTC = dt.UTC


def parse(path: Path, start: int = 0) -> list[Item]:
    return list(arxiv_api.parse(path, start))


def works(items: list[Item]) -> list[WorkRecord]:
    return [item.record for item in items if isinstance(item.record, WorkRecord)]


def by_id(items: list[Item]) -> dict[str, WorkRecord]:
    return {record.ids["arxiv"]: record for record in works(items)}


def test_search_page_of_100_entries() -> None:
    items = parse(SEARCH_100)
    assert len(items) == 100
    assert all(item.problem is None and item.source == ARXIV_API for item in items)
    assert [item.position for item in items] == list(range(1, 101))
    assert items[41].location == "entry 42"
    records = works(items)
    assert len({r.ids["arxiv"] for r in records}) == 100
    assert sum("doi" in r.ids for r in records) == 32
    assert sum(r.journal_ref is not None for r in records) == 18
    assert sum(r.comments is not None for r in records) == 97
    assert sum(r.extra["version"] != "v1" for r in records) == 36
    assert all(r.primary_category == r.categories[0] for r in records)


def test_first_entry_in_detail() -> None:
    record = works(parse(SEARCH_100))[0]
    assert record.ids == {"arxiv": "2202.12139", "doi": "10.1109/icstw55395.2022.00035"}
    assert (
        record.title
        == "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques"
    )
    assert [a.name for a in record.authors] == ["Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker"]
    assert record.primary_category == "cs.SE" and record.categories == ["cs.SE", "cs.LG"]
    assert record.comments == "Artificial Intelligence in Software Testing 2022 workshop @ ICST 2022"
    assert record.journal_ref is not None and record.journal_ref.startswith(
        "Artificial Intelligence in Software"
    )
    assert record.published == dt.date(2022, 2, 24) == record.updated and record.year == 2022
    assert record.versions == [Version("v1", dt.datetime(2022, 2, 24, 15, 5, 19, tzinfo=UTC))]
    assert record.extra == {
        "version": "v1",
        "abs_url": "https://arxiv.org/abs/2202.12139v1",
        "pdf_url": "https://arxiv.org/pdf/2202.12139v1",
    }
    assert record.abstract is not None
    assert record.abstract.startswith(
        "Deep Learning (DL) has revolutionized the capabilities of vision-based"
    )


def test_a_later_version_dates_v1_by_published_and_itself_by_updated() -> None:
    record = by_id(parse(PAGE_2))["2403.16981"]
    assert record.title == "The Sample Complexity of Simple Binary Hypothesis Testing"
    assert record.extra["version"] == "v2"
    assert record.versions == [
        Version("v1", dt.datetime(2024, 3, 25, 17, 42, 32, tzinfo=UTC)),
        Version("v2", dt.datetime(2025, 5, 24, 5, 50, 33, tzinfo=UTC)),
    ]
    assert record.published == dt.date(2024, 3, 25) and record.updated == dt.date(2025, 5, 24)
    assert record.categories == ["math.ST", "cs.IT", "stat.ML"]


def test_summary_paragraphs_survive() -> None:
    record = by_id(parse(SEARCH_100))["1812.11470"]
    assert record.abstract is not None
    paragraphs = record.abstract.split("\n")
    assert paragraphs[0].startswith("Context. Multiple automated techniques have been proposed")
    assert paragraphs[1].startswith("Objective. In this systematic review")


def test_affiliations_and_legacy_id() -> None:
    (record,) = works(parse(LEGACY))
    assert record.ids == {"arxiv": "astro-ph/0601001"}
    assert record.title == (
        "Frequency of Hot Jupiters and Very Hot Jupiters from the OGLE-III Transit Surveys "
        "Toward the Galactic Bulge and Carina"
    )
    assert [(a.name, a.affiliations) for a in record.authors] == [
        ("Andrew Gould", ["Ohio State"]),
        ("Susan Dorsher", ["Ohio State"]),
        ("B. Scott Gaudi", ["CfA"]),
        ("Andrzej Udalski", ["Warsaw University Observatory"]),
    ]
    assert record.journal_ref == "ActaAstron.56:1-50,2006"
    assert record.published == dt.date(2006, 1, 2)
    assert record.abstract is not None and record.abstract.startswith(
        "We derive the frequencies of hot Jupiters"
    )
    assert "V_max<17.5" in record.abstract and "Gould & Morgan (2003)" in record.abstract

    gaudel = by_id(parse(SEARCH_100))["0804.0970"].authors[0]
    assert (gaudel.name, gaudel.affiliations) == ("Marie-Claude Gaudel", ["LRI"])


def test_versioned_legacy_lookup() -> None:
    (item,) = parse(LEGACY_VERSIONED)
    assert isinstance(item.record, WorkRecord)
    assert item.record.ids == {"arxiv": "quant-ph/0201082"}
    assert item.record.extra["version"] == "v1"
    assert item.record.title == (
        "Quantum Computers and Quantum Computer Languages: Quantum Assembly Language and Quantum C Language"
    )
    assert item.record.categories == ["quant-ph", "cs.PL"] and item.record.primary_category == "quant-ph"


def test_a_title_that_is_just_zero() -> None:
    (record,) = works(parse(FIXTURES / "id_2104.12255v1_s0_m100_6ae69987ffe1.body.xml"))
    assert record.title == "0" and record.ids == {"arxiv": "2104.12255"}


def test_two_id_lookup_with_one_miss_yields_the_hit() -> None:
    (record,) = works(parse(ONE_MISS))
    assert record.ids["arxiv"] == "1707.08567"
    assert len(record.authors) == 34 and record.authors[-2].name == "Dirk Wübben"


def test_two_pages_are_the_first_twenty_of_the_long_page() -> None:
    pages = [r.ids["arxiv"] for r in works(parse(PAGE_1)) + works(parse(PAGE_2))]
    assert pages == [r.ids["arxiv"] for r in works(parse(SEARCH_100))[:20]]


def test_error_feed_is_unreadable() -> None:
    with pytest.raises(UnreadableInput, match=r"arXiv API error: incorrect id format for abc$"):
        parse(ERROR)


def test_empty_feed_yields_nothing() -> None:
    assert parse(EMPTY) == []


def test_resume_and_gzip(tmp_path: Path) -> None:
    resumed = parse(SEARCH_100, start=91)
    assert [item.position for item in resumed] == list(range(91, 101))
    path = tmp_path / "feed.xml.gz"
    path.write_bytes(gzip.compress(SEARCH_100.read_bytes()))
    assert parse(path) == parse(SEARCH_100)


def test_entry_with_a_broken_element_is_a_problem(tmp_path: Path) -> None:
    text = SEARCH_100.read_text()
    text = text.replace("<published>2024-05-22T16:11:45Z</published>", "<published>last May</published>")
    text = text.replace("<id>http://arxiv.org/abs/2005.14124v2</id>", "<id>https://example.org/paper</id>")
    path = tmp_path / "broken.xml"
    path.write_text(text)
    items = parse(path)
    assert len(items) == 100 and len(works(items)) == 98
    second, third = items[1], items[2]
    assert second.location == "entry 2" and second.problem is not None
    assert second.problem.reason == "unreadable <published> 'last May'"
    assert (
        second.problem.raw is not None
        and "Towards Explainable Test Case Prioritisation" in second.problem.raw
    )
    assert third.problem is not None
    assert third.problem.reason == "entry <id> 'https://example.org/paper' is not an arXiv abs URL"


def test_cut_feed_keeps_the_entries_before_the_cut(tmp_path: Path) -> None:
    text = SEARCH_100.read_text()
    path = tmp_path / "cut.xml"
    path.write_text(text[: text.index("<entry>", text.index("2005.14124")) + 40])
    items = parse(path)
    assert len(works(items)) == 3
    assert items[-1].location == "entry 4" and items[-1].problem is not None
    assert items[-1].problem.reason.startswith("XML is malformed after entry 3:")


def test_not_xml_and_not_a_feed(tmp_path: Path) -> None:
    path = tmp_path / "page.xml"
    path.write_text("Rate exceeded.")
    with pytest.raises(UnreadableInput, match="not XML: Start tag expected"):
        parse(path)
    oai = Path(__file__).parent.parent / "fixtures" / "arxiv_oai" / "arXiv" / "ListSets.xml"
    with pytest.raises(UnreadableInput, match=r"not an Atom feed \(root element <OAI-PMH>\)"):
        parse(oai)


def test_sniff() -> None:
    for path in FIXTURES.glob("*.xml"):
        assert arxiv_api.sniff(path.name, read_head(path)), path.name
    oai = Path(__file__).parent.parent / "fixtures" / "arxiv_oai" / "arXiv" / "ListRecords.xml"
    assert not arxiv_api.sniff(oai.name, read_head(oai))
    generic_atom = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>blog</title></feed>'
    )
    assert not arxiv_api.sniff("blog.xml", generic_atom)


def test_registered_format() -> None:
    (fmt,) = arxiv_api.FORMATS
    assert fmt.name == "arxiv-api" and fmt.source == ARXIV_API and fmt.parse is arxiv_api.parse


# --- as of ------------------------------------------------------------------------------


def test_entries_are_as_of_the_time_the_feed_was_made() -> None:
    # the feed's <updated> (when arXiv answered), not each entry's (the date of its version)
    assert {r.as_of for r in works(parse(PAGE_1))} == {dt.datetime(2026, 4, 12, 22, 9, 27, tzinfo=UTC)}
    assert {r.as_of for r in works(parse(PAGE_2))} == {dt.datetime(2026, 4, 12, 22, 9, 40, tzinfo=UTC)}
    (legacy,) = works(parse(LEGACY))
    assert legacy.updated == dt.date(2006, 1, 2)
    assert legacy.as_of == dt.datetime(2026, 5, 11, 23, 51, 23, tzinfo=UTC)
    resumed = works(parse(SEARCH_100, start=99))
    assert len(resumed) == 2 and resumed[0].as_of == works(parse(SEARCH_100))[98].as_of is not None
    live = [item.record for item in arxiv_api.parse_response(PAGE_1.read_bytes(), "page 1")]
    assert live == works(parse(PAGE_1))


def test_a_feed_time_with_an_offset_is_kept_in_utc(tmp_path: Path) -> None:
    # the API before 2026 dated its feeds at midnight Eastern time
    text = PAGE_1.read_text().replace(
        "<updated>2026-04-12T22:09:27Z</updated>", "<updated>2007-10-08T00:00:00-04:00</updated>", 1
    )
    path = tmp_path / PAGE_1.name
    path.write_text(text)
    as_of = works(parse(path))[0].as_of
    assert as_of == dt.datetime(2007, 10, 8, 4, tzinfo=UTC) and as_of.utcoffset() == dt.timedelta(0)


def test_an_unreadable_feed_time_keeps_the_entries(tmp_path: Path) -> None:
    text = PAGE_1.read_text().replace("<updated>2026-04-12T22:09:27Z</updated>", "<updated>soon</updated>", 1)
    path = tmp_path / PAGE_1.name
    path.write_text(text)
    records = works(parse(path))
    assert len(records) == 10 and {r.as_of for r in records} == {None}  # as of the import, then

"""arXiv metadata snapshot lines: the first 200 real lines, and broken variants derived from them."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pytest

from paperradar.records import ARXIV_SNAPSHOT, Item, UnreadableInput, Version, WorkRecord
from paperradar.sources import arxiv_snapshot
from paperradar.sources.base import read_head

SNAPSHOT = (
    Path(__file__).parent.parent / "fixtures" / "arxiv_snapshot" / "arxiv-metadata-oai-snapshot.head200.jsonl"
)
UTC = dt.UTC


def parse(path: Path, start: int = 0) -> list[Item]:
    return list(arxiv_snapshot.parse(path, start))


def works(items: list[Item]) -> dict[str, WorkRecord]:
    return {item.record.ids["arxiv"]: item.record for item in items if isinstance(item.record, WorkRecord)}


def lines() -> list[bytes]:
    return SNAPSHOT.read_bytes().splitlines(keepends=True)


def test_all_200_lines_become_works_located_by_line() -> None:
    items = parse(SNAPSHOT)
    assert len(items) == 200
    assert all(item.problem is None and item.source == ARXIV_SNAPSHOT for item in items)
    assert [item.position for item in items] == list(range(1, 201))
    assert items[16].location == "line 17"
    ids = list(works(items))
    assert ids[0] == "0704.0001" and ids[-1] == "0704.0200" and len(set(ids)) == 200


def test_first_line_in_detail() -> None:
    record = works(parse(SNAPSHOT))["0704.0001"]
    assert record.ids == {"arxiv": "0704.0001", "doi": "10.1103/physrevd.76.013009"}
    assert (
        record.title
        == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    # authors_parsed is [last, first, suffix]; arXiv's splitter writes "C.-P." as "C. -P."
    assert [a.name for a in record.authors] == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    assert record.primary_category == "hep-ph" and record.categories == ["hep-ph"]
    assert record.comments == "37 pages, 15 figures; published version"
    assert record.journal_ref == "Phys.Rev.D76:013009,2007"
    assert record.license is None
    assert record.versions == [
        Version("v1", dt.datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)),
        Version("v2", dt.datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)),
    ]
    assert record.published == dt.date(2007, 4, 2) and record.year == 2007
    assert record.updated == dt.date(2008, 11, 26)
    assert record.extra == {"submitter": "Pavel Nadolsky", "report_no": "ANL-HEP-PR-07-12"}
    assert record.abstract is not None
    assert record.abstract.startswith(
        "A fully differential calculation in perturbative quantum chromodynamics is"
    )
    assert "\n" not in record.abstract and "  " not in record.abstract
    assert record.abstract.endswith("judicious selection of events.")


def test_abstract_keeps_paragraphs_but_not_line_wraps() -> None:
    abstract = works(parse(SNAPSHOT))["0704.0010"].abstract
    assert abstract is not None
    first, second = abstract.split("\n")
    assert first.startswith(
        "Partial cubes are isometric subgraphs of hypercubes. Structures on a graph defined"
    )
    assert second.startswith("The operations of Cartesian product and pasting, and expansion and contraction")


def test_second_doi_of_an_erratum_is_kept_in_extra() -> None:
    record = works(parse(SNAPSHOT))["0704.0033"]
    assert record.ids["doi"] == "10.1364/josaa.23.002578"
    assert record.extra["dois"] == ["10.1364/josaa.23.002578", "10.1364/josaa.32.002407"]
    assert record.license == "http://creativecommons.org/licenses/by-nc-nd/4.0/"


def test_affiliations_from_the_fourth_element() -> None:
    records = works(parse(SNAPSHOT))
    jaffe = records["0704.0052"].authors[0]
    assert (jaffe.name, jaffe.affiliations) == ("Arthur Jaffe", ["Harvard University"])
    # wrapped affiliation text is joined again
    assert records["0704.0163"].authors[1].name == "Franz Gähler"
    assert records["0704.0163"].authors[1].affiliations == [
        "Institut für Theoretische und Angewandte Physik, Universität Stuttgart"
    ]


def test_footnote_numbers_are_resolved_from_the_author_string() -> None:
    # authors_parsed says "1 and 2"; the author string ends with "((1) CREST, …, (3) The University of Tokyo)"
    first, second = works(parse(SNAPSHOT))["0704.0025"].authors
    assert first.name == "A. S. Mishchenko"
    assert first.affiliations == [
        "CREST, Japan Science and Technology Agency",
        "Russian Research Centre ``Kurchatov Institute''",
    ]
    assert second.affiliations == ["CREST, Japan Science and Technology Agency", "The University of Tokyo"]


def test_latex_in_names_becomes_unicode(tmp_path: Path) -> None:
    obj = json.loads(lines()[0])
    obj["authors_parsed"][0] = ["Bal\\'azs", "C.", ""]
    path = tmp_path / "latex.jsonl"
    path.write_bytes(json.dumps(obj).encode() + b"\n")
    (item,) = parse(path)
    assert isinstance(item.record, WorkRecord)
    assert item.record.authors[0].name == "C. Balázs"  # as the snapshot's own unicode spelling


def test_a_truncated_line_is_a_problem_and_the_others_still_parse(tmp_path: Path) -> None:
    original = lines()[:10]
    cut = original[4][:120]
    path = tmp_path / "cut.jsonl"
    path.write_bytes(b"".join([*original[:4], cut + b"\n", *original[5:]]))
    items = parse(path)
    assert len(items) == 10
    bad = items[4]
    assert bad.location == "line 5" and bad.position == 5 and bad.record is None
    assert bad.problem is not None
    assert bad.problem.reason == "not valid JSON: unexpected end of data at column 121"
    assert bad.problem.raw == cut.decode()
    assert len(works(items)) == 9


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            b'{"id": "0704.0001", "title": x}',
            "not valid JSON: unexpected character, expected a JSON value at column 30",
        ),
        (b'["0704.0001"]', "not a JSON object (got list)"),
        (b'{"title": "A title"}', "missing 'id'"),
        (b'{"id": "hello", "title": "A title"}', "invalid 'id' 'hello' (not an arXiv identifier)"),
        (b'{"id": 704.0001, "title": "A title"}', "invalid 'id' 704.0001 (not a string)"),
        (b'{"id": "0704.0001", "title": "  "}', "missing 'title'"),
        (
            b'{"id": "0704.0001", "title": "T", "versions": 3}',
            "malformed field: TypeError: 'int' object is not iterable",
        ),
    ],
)
def test_malformed_lines_name_their_reason(tmp_path: Path, line: bytes, reason: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(lines()[0] + line + b"\n")
    good, bad = parse(path)
    assert isinstance(good.record, WorkRecord)
    assert bad.location == "line 2" and bad.problem is not None
    assert bad.problem.reason == reason and bad.problem.raw == line.decode()


def test_a_gzip_copy_parses_identically(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.jsonl.gz"
    path.write_bytes(gzip.compress(SNAPSHOT.read_bytes()))
    assert parse(path) == parse(SNAPSHOT)


def test_resume_skips_the_lines_before_start() -> None:
    items = parse(SNAPSHOT, start=151)
    assert len(items) == 50
    assert items[0].location == "line 151" and items[0].position == 151
    assert items == parse(SNAPSHOT)[150:]


def test_blank_lines_are_skipped_but_still_counted(tmp_path: Path) -> None:
    path = tmp_path / "gaps.jsonl"
    path.write_bytes(lines()[0] + b"\n   \n" + lines()[1])
    assert [item.location for item in parse(path)] == ["line 1", "line 4"]


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableInput, match="file not found"):
        parse(tmp_path / "nope.jsonl")


def test_version_dates_outside_the_usual_layout() -> None:
    parse_date = arxiv_snapshot.parse_rfc1123
    assert parse_date("Tue, 24 Jul 2007 20:10:27 GMT") == dt.datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)
    assert parse_date("Tue, 24 Jul 2007 22:10:27 +0200") == dt.datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)
    assert parse_date("24 Jul 2007 20:10:27") == dt.datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)
    assert parse_date("Tue, 31 Feb 2007 20:10:27 GMT") is None
    assert parse_date("yesterday") is None


def test_sniff(tmp_path: Path) -> None:
    sniff = arxiv_snapshot.sniff
    assert sniff(SNAPSHOT.name, read_head(SNAPSHOT))
    gz = tmp_path / "snapshot.jsonl.gz"
    gz.write_bytes(gzip.compress(SNAPSHOT.read_bytes()))
    assert sniff(gz.name, read_head(gz))
    # a head that stops inside the first line is not judged
    assert not sniff("x.jsonl", lines()[0][:100])
    assert not sniff("x.jsonl", lines()[0][:100].ljust(64 * 1024, b"x"))
    assert sniff("x.jsonl", lines()[0])
    assert not sniff("x.json", b'[{"id": "0704.0001", "versions": []}]\n')
    openalex_work = (
        b'{"id": "https://openalex.org/W2741809807", "title": "The state of OA", "versions": []}\n'
    )
    assert not sniff("W2741809807.json", openalex_work)
    assert not sniff("x.xml", b"<?xml version='1.0'?><OAI-PMH/>\n")


def test_registered_format() -> None:
    (fmt,) = arxiv_snapshot.FORMATS
    assert fmt.name == "arxiv-snapshot" and fmt.source == ARXIV_SNAPSHOT
    assert fmt.parse is arxiv_snapshot.parse

"""arXiv OAI-PMH responses (arXiv, arXivRaw, oai_dc), the recorded harvest with a 503, and broken variants."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pytest

from paperradar.records import ARXIV_OAI, Item, Note, Skipped, UnreadableInput, Version, WorkRecord
from paperradar.sources import arxiv_oai
from paperradar.sources.base import read_head

FIXTURES = Path(__file__).parent.parent / "fixtures" / "arxiv_oai"
RAW_LIST = FIXTURES / "arXivRaw" / "ListRecordsResponse.xml"
RAW_GET = FIXTURES / "arXivRaw" / "GetRecordResponse.xml"
ARXIV_LIST = FIXTURES / "arXiv" / "ListRecords.xml"
ARXIV_GET = FIXTURES / "arXiv" / "GetRecord.xml"
LIST_SETS = FIXTURES / "arXiv" / "ListSets.xml"
RECORDING = FIXTURES / "arXiv" / "ListRecords.recording-with-503.json"
UTC = dt.UTC
RAW_LIST_NOTE = Note(
    "a partial list: 6 of 58,011 records (cursor 0); the rest follow resumptionToken 726959|1001"
    " — `paperradar sync arxiv` harvests them all"
)


def parse(path: Path, start: int = 0) -> list[Item]:
    return list(arxiv_oai.parse(path, start))


def works(items: list[Item]) -> dict[str, WorkRecord]:
    return {item.record.ids["arxiv"]: item.record for item in items if isinstance(item.record, WorkRecord)}


def derived(tmp_path: Path, source: Path, old: str, new: str, count: int = 1) -> Path:
    text = source.read_text()
    assert text.count(old) >= count
    path = tmp_path / source.name
    path.write_text(text.replace(old, new, count))
    return path


# --- arXivRaw --------------------------------------------------------------------------


def test_arxiv_raw_list_has_six_records_located_by_number_and_identifier() -> None:
    items = parse(RAW_LIST)
    assert [item.position for item in items] == [1, 2, 3, 4, 5, 6, 7]
    assert all(item.problem is None and item.source == ARXIV_OAI for item in items)
    assert items[2].location == "record 3 (oai:arXiv.org:0704.0874)"
    # a saved page of a 58,011-record list: after its records, a note says so
    assert (items[6].location, items[6].record) == ("resumptionToken", RAW_LIST_NOTE)
    assert list(works(items)) == [
        "0704.0471",
        "0704.0716",
        "0704.0874",
        "0704.1109",
        "0704.1114",
        "0704.1586",
    ]


def test_arxiv_raw_record_in_detail() -> None:
    record = works(parse(RAW_LIST))["0704.0471"]
    assert record.title == (
        "Density dependence of the symmetry energy and the nuclear equation of state: "
        "A Dynamical and Statistical model perspective"
    )
    # "D.V. Shetty, S.J. Yennello, and G.A. Souliotis"
    assert [a.name for a in record.authors] == ["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"]
    assert record.versions == [Version("v1", dt.datetime(2007, 4, 3, 22, 4, 11, tzinfo=UTC), "294kb")]
    assert record.published == dt.date(2007, 4, 3) and record.year == 2007
    assert record.primary_category == "nucl-ex" and record.categories == ["nucl-ex", "nucl-th"]
    assert record.journal_ref == "Phys.Rev.C76:024606,2007; Erratum-ibid.C76:039902,2007"
    assert record.comments == "16 pages, 14 figures"
    # two DOIs in one <doi> element: the paper's and its erratum's
    assert record.ids == {"arxiv": "0704.0471", "doi": "10.1103/physrevc.76.024606"}
    assert record.extra["dois"] == ["10.1103/physrevc.76.024606", "10.1103/physrevc.76.039902"]
    assert record.extra["submitter"] == "Dinesh Shetty"
    assert record.extra["oai_datestamp"] == "2014-11-18"
    assert record.abstract is not None and record.abstract.startswith(
        "The density dependence of the symmetry"
    )
    assert 'extremely " stiff " and " soft " form' in record.abstract  # &quot; entities decoded


def test_arxiv_raw_versions_dates_and_sizes() -> None:
    record = works(parse(RAW_LIST))["0704.0716"]
    assert [(v.version, v.date, v.size) for v in record.versions] == [
        ("v1", dt.datetime(2007, 4, 5, 12, 45, 3, tzinfo=UTC), "43kb"),
        ("v2", dt.datetime(2007, 9, 28, 15, 13, 43, tzinfo=UTC), "48kb"),
        ("v3", dt.datetime(2008, 2, 29, 16, 5, 39, tzinfo=UTC), "48kb"),
        ("v4", dt.datetime(2008, 11, 14, 9, 7, 25, tzinfo=UTC), "49kb"),
    ]
    assert record.published == dt.date(2007, 4, 5) and record.updated == dt.date(2008, 11, 14)
    assert record.primary_category == "math-ph"  # first of "math-ph math.MP"
    assert record.extra["msc_class"] == "05A15, 05A16"
    assert record.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"


def test_arxiv_raw_get_record() -> None:
    (item,) = parse(RAW_GET)
    assert item.location == "record 1 (oai:arXiv.org:1302.2146)"
    assert isinstance(item.record, WorkRecord)
    assert item.record.title == "The Same-Sign Dilepton Signature of RPV/MFV SUSY"
    assert [a.name for a in item.record.authors] == [
        "Joshua Berger",
        "Maxim Perelstein",
        "Michael Saelim",
        "Philip Tanedo",
    ]
    assert item.record.categories == ["hep-ph", "hep-ex"]


def test_author_strings_with_affiliations_and_footnotes() -> None:
    # the author string of 0704.0025, as arXiv stores it (also in the snapshot's "authors")
    text = (
        "A. S. Mishchenko (1 and 2) and N. Nagaosa (1 and 3) ((1) CREST, Japan\n  Science and Technology "
        "Agency, (2) Russian Research Centre ``Kurchatov\n  Institute'', (3) The University of Tokyo)"
    )
    first, second = arxiv_oai.split_authors(text)
    assert first.name == "A. S. Mishchenko"
    assert first.affiliations == [
        "CREST, Japan Science and Technology Agency",
        "Russian Research Centre ``Kurchatov Institute''",
    ]
    assert (second.name, second.affiliations) == (
        "N. Nagaosa",
        ["CREST, Japan Science and Technology Agency", "The University of Tokyo"],
    )
    # 0704.0044: an affiliation in parentheses after each name, wrapped lines
    authors = arxiv_oai.split_authors(
        "A. A. Schekochihin (Oxford), S. C. Cowley (Culham), W. Dorland\n  (Maryland)"
    )
    assert [(a.name, a.affiliations) for a in authors] == [
        ("A. A. Schekochihin", ["Oxford"]),
        ("S. C. Cowley", ["Culham"]),
        ("W. Dorland", ["Maryland"]),
    ]
    assert [a.name for a in arxiv_oai.split_authors("C. Bal\\'azs, E. L. Berger, and C.-P. Yuan")] == [
        "C. Balázs",
        "E. L. Berger",
        "C.-P. Yuan",
    ]


# --- arXiv ------------------------------------------------------------------------------


def test_arxiv_list_records_with_affiliations() -> None:
    items = parse(ARXIV_LIST)
    assert [item.location for item in items] == [
        "record 1 (oai:arXiv.org:1412.8544)",
        "record 2 (oai:arXiv.org:hep-th/9504118)",
    ]
    records = works(items)
    record = records["1412.8544"]
    assert record.title == "A Kochen-Specker system has at least 22 vectors (extended abstract)"
    assert [(a.name, a.affiliations) for a in record.authors] == [
        ("Sander Uijlen", ["Radboud Universiteit"]),
        ("Bas Westerbaan", ["Radboud Universiteit"]),
    ]
    assert record.ids == {"arxiv": "1412.8544", "doi": "10.4204/eptcs.172.11"}
    assert record.published == dt.date(2014, 12, 29) and record.updated is None and record.year == 2014
    assert record.journal_ref == "EPTCS 172, 2014, pp. 154-164"
    assert record.comments == "In Proceedings QPL 2014, arXiv:1412.8102"
    assert record.extra["proxy"] == "EPTCS"
    assert record.abstract is not None and record.abstract.count("\n") == 1  # two paragraphs
    assert record.abstract.split("\n")[1].startswith("Continuing their effort, we prove")

    legacy = records["hep-th/9504118"]
    assert legacy.title == "Discrete Mathematics and Physics on the Planck-Scale"
    assert [a.name for a in legacy.authors] == ["M. Requardt"]
    assert legacy.published == dt.date(1995, 4, 24)
    assert legacy.extra["report_no"] == "GOET-TP 101/95"
    assert legacy.primary_category == "hep-th" and "doi" not in legacy.ids


def test_arxiv_get_record_matches_the_list() -> None:
    (item,) = parse(ARXIV_GET)
    assert item.record == works(parse(ARXIV_LIST))["1412.8544"]


# --- oai_dc -----------------------------------------------------------------------------

# No recording of arXiv's oai_dc exists among the fixtures; this response follows the layout
# arXiv serves (values of physics/0411239 and acc-phys/9411001 as quoted in public documents).
OAI_DC = """<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
<responseDate>2024-01-01T00:00:00Z</responseDate>
<request verb="ListRecords" metadataPrefix="oai_dc">http://export.arxiv.org/oai2</request>
<ListRecords>
<record><header><identifier>oai:arXiv.org:physics/0411239</identifier><datestamp>2007-05-23</datestamp></header>
<metadata>
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title>Photoionization of the fullerene ion C60+</dc:title>
<dc:creator>Polozkov, R. G.</dc:creator>
<dc:creator>Ivanov, V. K.</dc:creator>
<dc:creator>Solov'yov, A. V.</dc:creator>
<dc:subject>Physics - Atomic and Molecular Clusters</dc:subject>
<dc:subject>Physics - Atomic Physics</dc:subject>
<dc:description>  Photoionization cross section of the fullerene ion C60+ has been calculated
within a single-electron approximation.
</dc:description>
<dc:description>Comment: 8 pages, 3 figures</dc:description>
<dc:date>2004-11-26</dc:date>
<dc:date>2005-02-03</dc:date>
<dc:type>text</dc:type>
<dc:identifier>http://arxiv.org/abs/physics/0411239</dc:identifier>
<dc:identifier>J.Phys.B38:4341-4348,2005</dc:identifier>
<dc:identifier>doi:10.1088/0953-4075/38/24/001</dc:identifier>
</oai_dc:dc>
</metadata></record>
<record><header><identifier>oai:arXiv.org:acc-phys/9411001</identifier><datestamp>2004-06-22</datestamp></header>
<metadata>
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title>Symplectic Calculation of Lyapunov Exponents</dc:title>
<dc:creator>Habib, Salman</dc:creator>
<dc:creator>Ryne, Robert D.</dc:creator>
<dc:date>1994-10-31</dc:date>
<dc:identifier>http://arXiv.org/abs/acc-phys/9411001</dc:identifier>
</oai_dc:dc>
</metadata></record>
</ListRecords>
</OAI-PMH>
"""


def test_oai_dc_records(tmp_path: Path) -> None:
    path = tmp_path / "oai_dc.xml"
    path.write_text(OAI_DC)
    records = works(parse(path))
    record = records["physics/0411239"]
    assert record.title == "Photoionization of the fullerene ion C60+"
    assert [a.name for a in record.authors] == ["R. G. Polozkov", "V. K. Ivanov", "A. V. Solov'yov"]
    assert record.abstract == (
        "Photoionization cross section of the fullerene ion C60+ has been calculated "
        "within a single-electron approximation."
    )
    assert record.comments == "8 pages, 3 figures"
    assert record.journal_ref == "J.Phys.B38:4341-4348,2005"
    assert record.ids["doi"] == "10.1088/0953-4075/38/24/001"
    assert record.published == dt.date(2004, 11, 26) and record.updated == dt.date(2005, 2, 3)
    assert record.extra["subjects"] == ["Physics - Atomic and Molecular Clusters", "Physics - Atomic Physics"]
    # subject names map to codes; arXiv lists the primary first
    assert record.categories == ["physics.atm-clus", "physics.atom-ph"]
    assert record.primary_category == "physics.atm-clus"
    assert record.as_of == dt.datetime(2007, 5, 23, tzinfo=UTC)
    assert [a.name for a in records["acc-phys/9411001"].authors] == ["Salman Habib", "Robert D. Ryne"]


def test_oai_dc_without_an_abs_url_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "oai_dc.xml"
    path.write_text(OAI_DC.replace("http://arXiv.org/abs/acc-phys/9411001", "urn:nothing"))
    first, second = parse(path)
    assert isinstance(first.record, WorkRecord)
    assert second.problem is not None
    assert second.problem.reason == "no arXiv abs URL among the <dc:identifier> elements"


# --- recording --------------------------------------------------------------------------


def test_recording_skips_the_503_and_reads_the_200_answer() -> None:
    items = list(arxiv_oai.parse_recording(RECORDING, 0))
    assert [item.location for item in items] == [
        "interaction 2, record 1 (oai:arXiv.org:1412.8544)",
        "interaction 2, record 2 (oai:arXiv.org:hep-th/9504118)",
    ]
    assert [item.position for item in items] == [1, 2]
    assert [item.record for item in items] == [item.record for item in parse(ARXIV_LIST)]


def test_recording_positions_stay_monotonic_across_answers(tmp_path: Path) -> None:
    interactions = json.loads(RECORDING.read_text())
    path = tmp_path / "twice.json"
    path.write_text(json.dumps([*interactions, interactions[1]]))
    items = list(arxiv_oai.parse_recording(path, 0))
    assert [item.position for item in items] == [1, 2, 3, 4]
    assert items[2].location == "interaction 3, record 1 (oai:arXiv.org:1412.8544)"
    resumed = list(arxiv_oai.parse_recording(path, 3))
    assert resumed == items[2:]


def test_recording_that_is_not_a_list(tmp_path: Path) -> None:
    path = tmp_path / "object.json"
    path.write_text('{"rawHeaders": []}')
    with pytest.raises(UnreadableInput, match="not an HTTP recording"):
        list(arxiv_oai.parse_recording(path, 0))


# --- whole responses --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "ErrorResponseBadArgument.xml",
            "OAI-PMH error badArgument: Verb 'ListRecords', illegal argument 'identifier'.",
        ),
        (
            "ErrorResponseBadResumptionToken.xml",
            "OAI-PMH error badResumptionToken: The resumptionToken supplied is illegal for this repository",
        ),
        ("ErrorResponseBadVerb.xml", "OAI-PMH error badVerb: Bad verb. Verb 'wah' not implemented."),
        (
            "ErrorResponseIdDoesNotExist.xml",
            "OAI-PMH error idDoesNotExist: Identifier 'oai:arXiv.org:0813.2274' has correct form "
            "but does not correspond to an item in this repository",
        ),
    ],
)
def test_oai_error_envelopes_are_unreadable(name: str, message: str) -> None:
    with pytest.raises(UnreadableInput) as caught:
        parse(FIXTURES / "arXivRaw" / name)
    assert str(caught.value).endswith(message)


def test_no_records_match_is_an_empty_answer() -> None:
    assert parse(FIXTURES / "arXivRaw" / "ErrorResponseNoRecordsMatch.xml") == []


def test_list_sets_has_no_records() -> None:
    (item,) = parse(LIST_SETS)
    assert item.record == Skipped("ListSets response: 21 sets, no records")


def test_deleted_record_is_skipped(tmp_path: Path) -> None:
    text = RAW_LIST.read_text()
    start = text.index("<metadata>", text.index("oai:arXiv.org:0704.0716"))
    end = text.index("</metadata>", start) + len("</metadata>")
    deleted = text[:start] + text[end:]
    deleted = deleted.replace(
        "<header>\n <identifier>oai:arXiv.org:0704.0716",
        '<header status="deleted">\n <identifier>oai:arXiv.org:0704.0716',
    )
    path = tmp_path / "deleted.xml"
    path.write_text(deleted)
    items = parse(path)
    assert len(items) == 7  # six records and the partial-list note
    assert items[1].location == "record 2 (oai:arXiv.org:0704.0716)"
    assert items[1].record == Skipped("deleted upstream (OAI header status=deleted)")
    assert len(works(items)) == 5


def test_record_with_a_broken_version_date_is_a_problem(tmp_path: Path) -> None:
    path = derived(
        tmp_path, RAW_LIST, "<date>Fri, 6 Apr 2007 11:07:01 GMT</date>", "<date>6th of April</date>"
    )
    items = parse(path)
    bad = items[2]
    assert bad.location == "record 3 (oai:arXiv.org:0704.0874)" and bad.record is None
    assert bad.problem is not None
    assert bad.problem.reason == "version v1: unreadable <date> '6th of April'"
    assert bad.problem.raw is not None and "<id>0704.0874</id>" in bad.problem.raw
    assert len(works(items)) == 5


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("<id>1412.8544</id>", "", "metadata has no <id>"),
        (
            "<id>1412.8544</id>",
            "<id>no such paper</id>",
            "invalid 'id' 'no such paper' (not an arXiv identifier)",
        ),
        (
            "<title>A Kochen-Specker system has at least 22 vectors (extended abstract)</title>",
            "<title/>",
            "metadata has no <title>",
        ),
        (
            "<created>2014-12-29</created>",
            "<created>29.12.2014</created>",
            "unreadable date in <created>/<updated>: Invalid isoformat string: '29.12.2014'",
        ),
    ],
)
def test_record_with_a_broken_element_is_a_problem(tmp_path: Path, old: str, new: str, reason: str) -> None:
    first, second = parse(derived(tmp_path, ARXIV_LIST, old, new))
    assert first.location == "record 1 (oai:arXiv.org:1412.8544)"
    assert first.problem is not None and first.problem.reason == reason
    assert isinstance(second.record, WorkRecord)


def test_record_without_metadata_or_in_an_unknown_format(tmp_path: Path) -> None:
    text = ARXIV_LIST.read_text()
    start = text.index("<metadata>")
    end = text.index("</metadata>") + len("</metadata>")
    path = tmp_path / "no-metadata.xml"
    path.write_text(text[:start] + text[end:])
    problem = parse(path)[0].problem
    assert problem is not None and problem.reason == "record has no <metadata>"

    unknown = derived(tmp_path, ARXIV_LIST, 'xmlns="http://arxiv.org/OAI/arXiv/"', 'xmlns="urn:example"')
    problem = parse(unknown)[0].problem
    assert problem is not None and problem.reason == "unsupported metadata format <{urn:example}arXiv>"


def test_a_cut_file_keeps_the_records_before_the_cut(tmp_path: Path) -> None:
    text = RAW_LIST.read_text()
    path = tmp_path / "cut.xml"
    path.write_text(text[: text.index("<title>", text.index("oai:arXiv.org:0704.1109"))])
    items = parse(path)
    assert len(works(items)) == 3
    last = items[-1]
    assert last.location == "record 4" and last.position == 4
    assert last.problem is not None and last.problem.reason.startswith("XML is malformed after record 3:")


def test_not_xml_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "page.xml"
    path.write_text("<html>\n<h1>Retry after 10 seconds</h1>\n")
    with pytest.raises(UnreadableInput, match="not XML: "):
        parse(path)
    path.write_text("Retry after 10 seconds")
    with pytest.raises(UnreadableInput, match=r"not XML: Start tag expected"):
        parse(path)


def test_xml_that_is_not_oai_pmh_is_unreadable() -> None:
    feed = (
        Path(__file__).parent.parent
        / "fixtures"
        / "arxiv_api"
        / "id_1605.08386_s0_m100_199195aa31ad.body.xml"
    )
    with pytest.raises(UnreadableInput, match=r"not an OAI-PMH response \(root element <feed>\)"):
        parse(feed)


def test_gzip_copy_and_resume(tmp_path: Path) -> None:
    path = tmp_path / "list.xml.gz"
    path.write_bytes(gzip.compress(RAW_LIST.read_bytes()))
    assert parse(path) == parse(RAW_LIST)
    resumed = parse(RAW_LIST, start=5)
    assert [item.position for item in resumed] == [5, 6, 7]
    assert [item.record for item in parse(RAW_LIST, start=7)] == [RAW_LIST_NOTE]
    assert parse(RAW_LIST, start=8) == []


def test_resumption_token() -> None:
    assert arxiv_oai.resumption_token(RAW_LIST) == ("726959|1001", 58011, 0)
    assert arxiv_oai.resumption_token(ARXIV_LIST) == (None, None, None)


def test_resumption_token_of_the_last_page(tmp_path: Path) -> None:
    path = derived(
        tmp_path,
        RAW_LIST,
        '<resumptionToken cursor="0" completeListSize="58011">726959|1001<',
        '<resumptionToken cursor="58000" completeListSize="58011"><',
    )
    assert arxiv_oai.resumption_token(path) == (None, 58011, 58000)


def test_sniff(tmp_path: Path) -> None:
    for path in [RAW_LIST, ARXIV_LIST, LIST_SETS, FIXTURES / "arXivRaw" / "ErrorResponseBadVerb.xml"]:
        assert arxiv_oai.sniff(path.name, read_head(path))
        assert not arxiv_oai.sniff_recording(path.name, read_head(path))
    assert arxiv_oai.sniff_recording(RECORDING.name, read_head(RECORDING))
    assert not arxiv_oai.sniff(RECORDING.name, read_head(RECORDING))
    feed = (
        Path(__file__).parent.parent
        / "fixtures"
        / "arxiv_api"
        / "id_1605.08386_s0_m100_199195aa31ad.body.xml"
    )
    assert not arxiv_oai.sniff(feed.name, read_head(feed))


def test_registered_formats() -> None:
    assert [(f.name, f.source) for f in arxiv_oai.FORMATS] == [
        ("arxiv-oai", ARXIV_OAI),
        ("arxiv-oai-recording", ARXIV_OAI),
    ]


# --- as of ------------------------------------------------------------------------------


def test_every_metadata_prefix_is_as_of_the_header_datestamp() -> None:
    raw = works(parse(RAW_LIST))
    assert raw["0704.0471"].as_of == dt.datetime(2014, 11, 18, tzinfo=UTC)
    assert raw["0704.0716"].as_of == dt.datetime(2014, 12, 22, tzinfo=UTC)
    assert works(parse(RAW_GET))["1302.2146"].as_of == dt.datetime(2013, 4, 3, tzinfo=UTC)
    assert {r.as_of for r in works(parse(ARXIV_LIST)).values()} == {dt.datetime(2015, 1, 3, tzinfo=UTC)}
    recorded = [item.record for item in arxiv_oai.parse_recording(RECORDING, 0)]
    assert {r.as_of for r in recorded if isinstance(r, WorkRecord)} == {dt.datetime(2015, 1, 3, tzinfo=UTC)}


def test_an_unreadable_datestamp_is_a_problem(tmp_path: Path) -> None:
    path = derived(tmp_path, ARXIV_LIST, "<datestamp>2015-01-03</datestamp>", "<datestamp>Jan 3</datestamp>")
    first, second = parse(path)
    assert first.problem is not None and first.problem.reason == "unreadable <datestamp> 'Jan 3'"
    assert isinstance(second.record, WorkRecord)


# --- partial list pages -----------------------------------------------------------------

TOKEN = '<resumptionToken cursor="0" completeListSize="58011">726959|1001<'


@pytest.mark.parametrize(
    ("token", "said"),
    [
        (
            '<resumptionToken completeListSize="58011">726959|1001<',
            "6 of 58,011 records; the rest follow resumptionToken 726959|1001",
        ),
        (
            '<resumptionToken cursor="1000">726959|1001<',
            "6 records (cursor 1,000); the rest follow resumptionToken 726959|1001",
        ),
        (  # arXiv's OAI service since 2024 writes only when the token expires
            "<resumptionToken expires='2025-03-01T12:00:00Z'>726959|1001<",
            "6 records; the rest follow resumptionToken 726959|1001 (valid until 2025-03-01T12:00:00Z)",
        ),
        (  # the attribute as OAI-PMH 2.0 names it
            '<resumptionToken expirationDate="2025-03-01T12:00:00Z" completeListSize="58011" cursor="0">'
            "726959|1001<",
            "6 of 58,011 records (cursor 0); the rest follow resumptionToken 726959|1001"
            " (valid until 2025-03-01T12:00:00Z)",
        ),
    ],
    ids=["size", "cursor", "expires", "all"],
)
def test_the_note_says_what_the_token_tells(tmp_path: Path, token: str, said: str) -> None:
    items = parse(derived(tmp_path, RAW_LIST, TOKEN, token))
    assert len(works(items)) == 6
    assert (items[-1].location, items[-1].position) == ("resumptionToken", 7)
    assert items[-1].record == Note(f"a partial list: {said} — `paperradar sync arxiv` harvests them all")


def test_the_last_page_has_no_note(tmp_path: Path) -> None:
    path = derived(tmp_path, RAW_LIST, TOKEN, '<resumptionToken cursor="58000" completeListSize="58011"><')
    items = parse(path)
    assert [item.position for item in items] == [1, 2, 3, 4, 5, 6]
    assert not any(isinstance(item.record, Note) for item in items)
    assert not any(isinstance(item.record, Note) for item in parse(ARXIV_LIST))  # a one-page answer


def test_a_live_harvest_page_has_no_note() -> None:
    # `paperradar sync arxiv` follows the token itself; counting a note as a record would be wrong
    items = list(arxiv_oai.parse_response(RAW_LIST.read_bytes(), "page 1"))
    assert [item.position for item in items] == [1, 2, 3, 4, 5, 6]
    assert all(isinstance(item.record, WorkRecord) for item in items)


def recording(tmp_path: Path, *bodies: Path) -> Path:
    """The recorded harvest (its 503, then 200) with other 200 answers in place of its own."""
    interactions = json.loads(RECORDING.read_text())
    answers = [dict(interactions[1], response=body.read_text()) for body in bodies]
    path = tmp_path / "harvest.json"
    path.write_text(json.dumps([interactions[0], *answers]))
    return path


def test_a_recording_that_stops_at_a_partial_page_ends_with_its_note(tmp_path: Path) -> None:
    items = list(arxiv_oai.parse_recording(recording(tmp_path, RAW_LIST), 0))
    assert [item.position for item in items] == [1, 2, 3, 4, 5, 6, 7]
    assert (items[-1].location, items[-1].record) == ("interaction 2, resumptionToken", RAW_LIST_NOTE)


def test_a_recording_of_a_whole_harvest_has_no_note(tmp_path: Path) -> None:
    # every page but the last ends in a token; the last one's (none) is what counts
    path = recording(tmp_path, RAW_LIST, ARXIV_LIST)
    items = list(arxiv_oai.parse_recording(path, 0))
    assert [item.position for item in items] == list(range(1, 9))
    assert all(isinstance(item.record, WorkRecord) for item in items)
    reversed_path = recording(tmp_path, ARXIV_LIST, RAW_LIST)
    items = list(arxiv_oai.parse_recording(reversed_path, 0))
    assert [item.position for item in items] == list(range(1, 10))
    assert items[-1].record == RAW_LIST_NOTE
    assert list(arxiv_oai.parse_recording(reversed_path, 9)) == items[-1:]


# --- oai_dc categories ------------------------------------------------------------------

# arXiv's OAI service since 2024 (github.com/arXiv/oaipmh): its oai_dc template, filled with the
# values its own tests assert for 0806.4129 (math-ph with alias math.MP: one "Mathematical Physics"
# subject, the MSC class as a subject, one set per category). The abstract is cut where they cut it.
TITLE_0806_4129 = (
    "Gauge Fixing in the Maxwell Like Gravitational Theory in Minkowski Spacetime"
    " and in the Equivalent Lorentzian Spacetime"
)
OAI_DC_2024 = f"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
<responseDate>2025-01-10T00:00:00Z</responseDate>
<request verb="GetRecord" identifier="oai:arXiv.org:0806.4129" metadataPrefix="oai_dc">https://oaipmh.arxiv.org/oai</request>
<GetRecord>
<record>
<header>
<identifier>oai:arXiv.org:0806.4129</identifier>
<datestamp>2014-12-15</datestamp>
<setSpec>physics:math-ph</setSpec>
<setSpec>math:math:MP</setSpec>
</header>
<metadata>
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd">
<dc:title>{TITLE_0806_4129}</dc:title>
<dc:creator>Rodrigues Jr, Waldyr A.</dc:creator>
<dc:creator>da Rocha, Roldao</dc:creator>
<dc:subject>Mathematical Physics</dc:subject>
<dc:subject>15A66</dc:subject>
<dc:description>In a previous paper we investigate a Lagrangian field theory for the gravitational
 field </dc:description>
<dc:description>15 pages. This version corrects some misprints of the published version</dc:description>
<dc:date>2008-06-25</dc:date>
<dc:date>2014-12-12</dc:date>
<dc:type>text</dc:type>
<dc:identifier>http://arxiv.org/abs/0806.4129</dc:identifier>
<dc:identifier>AIP Conf.Proc.1316:466-477,2010</dc:identifier>
<dc:identifier>doi:10.1063/1.3536454</dc:identifier>
</oai_dc:dc>
</metadata>
</record>
</GetRecord>
</OAI-PMH>
"""


def dc_record(tmp_path: Path, subjects: list[str] | None = None, sets: list[str] | None = None) -> WorkRecord:
    text = OAI_DC_2024
    if subjects is not None:
        old = "<dc:subject>Mathematical Physics</dc:subject>\n<dc:subject>15A66</dc:subject>\n"
        text = text.replace(old, "".join(f"<dc:subject>{s}</dc:subject>\n" for s in subjects))
    if sets is not None:
        old = "<setSpec>physics:math-ph</setSpec>\n<setSpec>math:math:MP</setSpec>\n"
        text = text.replace(old, "".join(f"<setSpec>{s}</setSpec>\n" for s in sets))
    path = tmp_path / "oai_dc.xml"
    path.write_text(text)
    (item,) = parse(path)
    assert isinstance(item.record, WorkRecord), item.problem
    return item.record


def test_oai_dc_of_the_2024_service(tmp_path: Path) -> None:
    record = dc_record(tmp_path)
    assert record.title == TITLE_0806_4129
    assert record.abstract == (
        "In a previous paper we investigate a Lagrangian field theory for the gravitational field"
    )
    # since 2024 the comments are a second <dc:description>, without the "Comment:" of before
    assert record.comments == "15 pages. This version corrects some misprints of the published version"
    assert record.ids == {"arxiv": "0806.4129", "doi": "10.1063/1.3536454"}
    assert [a.name for a in record.authors] == ["Waldyr A. Rodrigues Jr", "Roldao da Rocha"]
    assert record.primary_category == "math-ph"
    assert record.categories == ["math-ph", "math.MP"]  # the alias from its set, after the subject's
    assert record.extra["subjects"] == ["Mathematical Physics", "15A66"]
    assert record.published == dt.date(2008, 6, 25) and record.updated == dt.date(2014, 12, 12)
    assert record.journal_ref == "AIP Conf.Proc.1316:466-477,2010"
    assert record.as_of == dt.datetime(2014, 12, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sets", "expected"),
    [
        (["cs:cs:LG", "stat:stat:ML"], ["cs.LG", "stat.ML"]),
        (["stat:stat:ML", "cs:cs:LG"], ["stat.ML", "cs.LG"]),
    ],
)
def test_a_bare_name_two_categories_share_is_told_apart_by_the_sets(
    tmp_path: Path, sets: list[str], expected: list[str]
) -> None:
    # since 2024 a cs.LG paper cross-listed in stat.ML has one "Machine Learning" subject
    record = dc_record(tmp_path, ["Machine Learning"], sets)
    assert record.categories == expected and record.primary_category == expected[0]


@pytest.mark.parametrize(
    ("subjects", "expected"),
    [
        (["Computer Science - Machine Learning", "Statistics - Machine Learning"], ["cs.LG", "stat.ML"]),
        (["Mathematics - Probability", "Mathematics - Statistics Theory"], ["math.PR", "math.ST"]),
        (["Computer Science - Learning", "Computer Science - Architecture"], ["cs.LG", "cs.AR"]),  # old names
        (["Computer Science - Distributed; Parallel; and Cluster Computing"], ["cs.DC"]),  # ";" for ","
        (["Physics - Superconductivity", "Condensed Matter - Superconductivity"], ["cond-mat.supr-con"]),
        (["High Energy Physics - Theory", "Quantum Physics", "68T05"], ["hep-th", "quant-ph"]),
    ],
)
def test_subjects_of_the_earlier_service_map_to_categories(
    tmp_path: Path, subjects: list[str], expected: list[str]
) -> None:
    record = dc_record(tmp_path, subjects, ["cs"])  # the earlier service's archive-level sets
    assert record.categories == expected and record.primary_category == expected[0]


@pytest.mark.parametrize(
    ("sets", "expected"),
    [
        (["cs"], ["cs"]),
        (["physics:astro-ph"], ["astro-ph"]),
        (["physics:hep-th", "physics:hep-ph"], ["hep-th", "hep-ph"]),
        (["physics"], []),  # the whole physics group names no archive
        ([], []),
    ],
)
def test_without_a_category_subject_the_sets_give_the_archive(
    tmp_path: Path, sets: list[str], expected: list[str]
) -> None:
    record = dc_record(tmp_path, ["15A66"], sets)
    assert record.categories == expected
    assert record.primary_category == (expected[0] if expected else None)

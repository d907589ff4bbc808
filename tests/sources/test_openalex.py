"""OpenAlex parsers against real API and snapshot recordings (tests/fixtures/openalex).

Pages and bodies no recording holds (an empty last cursor page, ``select=`` pages, error bodies)
are derived here from the recorded entities, in the shapes docs.openalex.org documents.
"""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest

from paperradar.records import (
    OPENALEX,
    AuthorRecord,
    Item,
    Note,
    OrganisationRecord,
    Skipped,
    UnreadableInput,
    WorkRecord,
)
from paperradar.sources import detect, openalex, semantic_scholar
from paperradar.sources.base import read_head
from paperradar.store.statements import combine

FIXTURES = Path(__file__).parent.parent / "fixtures"
API = FIXTURES / "openalex" / "api"
SNAPSHOT = FIXTURES / "openalex" / "snapshot"
WORKS_PART = SNAPSHOT / "works" / "updated_date=2023-05-16" / "part_000.gz"
AUTHORS_PART = SNAPSHOT / "authors" / "updated_date=2023-04-21" / "part_000.gz"
UTC = dt.UTC
# The cursor of the docs' paging example (developers.openalex.org, "Page through results").
CURSOR = "IlsxNjA5MzcyODAwMDAwLCAnaHR0cHM6Ly9vcGVuYWxleC5vcmcvVzI0ODg0OTk3NjQnXSI="


def only_record(items: list[Item]) -> Any:
    assert len(items) == 1
    assert items[0].problem is None
    return items[0].record


def api_record(name: str) -> Any:
    items = list(openalex.parse_api(API / name, 0))
    assert [(item.location, item.position, item.source) for item in items] == [("entity", 1, OPENALEX)]
    return only_record(items)


def load(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


def snapshot_lines(path: Path) -> list[bytes]:
    return gzip.decompress(path.read_bytes()).splitlines()


# --- API entities --------------------------------------------------------------------------


def test_work_entity() -> None:
    work = api_record("W2741809807.json")
    assert isinstance(work, WorkRecord)
    assert work.ids == {
        "openalex": "W2741809807",
        "doi": "10.7717/peerj.4375",
        "mag": "2741809807",
        "pmid": "29456894",
        "pmcid": "PMC5815332",
    }
    assert work.title == (
        "The state of OA: a large-scale analysis of the prevalence and impact of Open Access articles"
    )
    assert work.abstract is not None
    assert work.abstract.startswith(
        "Despite growing interest in Open Access (OA) to scholarly literature, there is an unmet need"
    )
    assert len(work.abstract.split(" ")) == 258  # one word per position in the inverted index
    assert work.year == 2018
    assert work.published == dt.date(2018, 2, 13)
    assert work.venue == "PeerJ"
    assert work.license == "cc-by"
    assert work.citation_count == 962
    assert work.reference_count == 45
    assert work.counts_by_year[2020] == 179
    assert len(work.counts_by_year) == 9
    assert len(work.references) == 45
    assert work.references[0] == {"openalex": "W1560783210"}
    assert work.extra["type"] == "article"
    assert work.extra["language"] == "en"
    assert work.extra["is_retracted"] is False
    assert work.extra["oa_url"] == "https://peerj.com/articles/4375.pdf"
    assert work.extra["concepts"][0] == "Citation"
    assert work.extra["topics"][0] == "scientometrics and bibliometrics research"


def test_work_authorships() -> None:
    work = api_record("W2741809807.json")
    assert [author.name for author in work.authors] == [
        "Heather Piwowar",
        "Jason Priem",
        "Vincent Larivière",
        "Juan Pablo Alperín",
        "Lisa Matthias",
        "Bree Norlander",
        "Ashley Farley",
        "Jevin D. West",
        "Stefanie Haustein",
    ]
    first = work.authors[0]
    assert first.ids == {"openalex": "A5048491430", "orcid": "0000-0003-1613-5981"}
    assert first.affiliations == ["Impact Technology Development (United States)"]
    assert work.authors[2].affiliations == ["Université de Montréal", "Université du Québec à Montréal"]


def test_raw_affiliation_strings_when_no_institution(tmp_path: Path) -> None:
    work = load(API / "W2741809807.json")
    work["authorships"][0]["institutions"] = []
    path = tmp_path / "work.json"
    path.write_bytes(orjson.dumps(work))
    record = only_record(list(openalex.parse_api(path, 0)))
    assert record.authors[0].affiliations == ["Impactstory, Sanford, NC, USA"]


@pytest.mark.parametrize(
    ("landing", "pdf", "source_name", "expected"),
    [
        ("https://arxiv.org/abs/2104.12255v2", None, "arXiv (Cornell University)", "2104.12255"),
        (
            "https://example.org/landing",
            "http://arxiv.org/pdf/astro-ph/0601001v1",
            "Mirror",
            "astro-ph/0601001",
        ),
        ("https://doi.org/10.48550/arxiv.1706.03762", None, "arXiv (Cornell University)", "1706.03762"),
    ],
)
def test_arxiv_id_from_locations(
    tmp_path: Path, landing: str, pdf: str | None, source_name: str, expected: str
) -> None:
    work = load(API / "W2741809807.json")
    location = work["locations"][3]
    location.update(landing_page_url=landing, pdf_url=pdf)
    location["source"]["display_name"] = source_name
    path = tmp_path / "work.json"
    path.write_bytes(orjson.dumps(work))
    record = only_record(list(openalex.parse_api(path, 0)))
    assert record.ids["arxiv"] == expected
    assert record.ids["doi"] == "10.7717/peerj.4375"


def test_author_entity() -> None:
    author = api_record("A5023888391.json")
    assert isinstance(author, AuthorRecord)
    assert author.ids == {"openalex": "A5023888391", "orcid": "0000-0001-6187-6610"}
    assert author.name == "Jason Priem"
    assert author.aliases == ["Priem Jason"]
    assert author.works_count == 62
    assert author.citation_count == 3890
    assert author.h_index == 17
    assert author.i10_index == 20
    assert author.counts_by_year[2020] == 431
    assert len(author.counts_by_year) == 14
    # Most recent first: last known institution, then the history by latest year.
    assert author.affiliations[:3] == ["OurResearch", "Johns Hopkins University", "Florida State University"]
    assert author.affiliations[-1] == "University of Florida"
    assert len(author.affiliations) == 8


def test_deleted_author_is_a_valid_empty_author() -> None:
    author = api_record("A5317838346.json")
    assert author == AuthorRecord(
        ids={"openalex": "A5317838346"},
        name="Deleted Author",
        works_count=0,
        citation_count=0,
        h_index=0,
        i10_index=0,
        as_of=dt.datetime(2023, 11, 9, 19, 49, 51, 610557, tzinfo=UTC),
    )


def test_institution_entity() -> None:
    institution = api_record("I27837315.json")
    assert institution == OrganisationRecord(
        ids={"openalex": "I27837315", "ror": "00jmfr291"},
        name="University of Michigan",
        short_name="UM",
        country="US",
        kind="funder",
        homepage="https://www.umich.edu",
    )


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("S137773608.json", "source"),
        ("C71924100.json", "concept"),
        ("F4320332161.json", "funder"),
        ("P4310319965.json", "publisher"),
        ("T11636.json", "topic"),
    ],
)
def test_other_entities_are_skipped(name: str, kind: str) -> None:
    assert api_record(name) == Skipped(
        reason=f"OpenAlex {kind} entity: paperradar stores works, authors and institutions"
    )


def list_page(tmp_path: Path, results: list[Any]) -> Path:
    path = tmp_path / "page.json"
    path.write_bytes(orjson.dumps({"meta": {"count": len(results), "page": 1}, "results": results}))
    return path


def test_list_page_keeps_good_results_and_reports_bad_ones(tmp_path: Path) -> None:
    work, author, institution = (
        load(API / name) for name in ("W2741809807.json", "A5023888391.json", "I27837315.json")
    )
    broken_work = load(API / "W2741809807.json")
    broken_work["cited_by_count"] = "many"
    no_id = load(API / "A5023888391.json")
    del no_id["id"], no_id["ids"]
    bad_author = load(API / "W2741809807.json")
    bad_author["authorships"][1]["author"]["display_name"] = 5
    bad_abstract = load(API / "W2741809807.json")
    bad_abstract["abstract_inverted_index"]["Despite"] = ["0"]
    foreign = dict(author, id="https://example.org/A5023888391")
    results = [work, broken_work, author, no_id, "W123", institution, bad_author, foreign, bad_abstract]
    path = list_page(tmp_path, results)

    items = list(openalex.parse_api(path, 0))

    assert [item.location for item in items] == [f"result {n}" for n in range(1, 10)]
    assert [item.position for item in items] == list(range(1, 10))
    assert isinstance(items[0].record, WorkRecord)
    assert isinstance(items[2].record, AuthorRecord)
    assert isinstance(items[5].record, OrganisationRecord)
    problems = {item.location: item.problem for item in items if item.problem}
    assert {location: problem.reason for location, problem in problems.items()} == {
        "result 2": 'cited_by_count is "many", expected a whole number',
        "result 4": "entity has no id",
        "result 5": "expected a JSON object, found text",
        "result 7": "authorships[1]: author.display_name is 5, expected text",
        "result 8": "id 'https://example.org/A5023888391' is not an OpenAlex id",
        "result 9": "abstract_inverted_index is not a map of words to word positions",
    }
    assert problems["result 2"].raw is not None and '"cited_by_count":"many"' in problems["result 2"].raw


def test_list_page_resumes_at_start(tmp_path: Path) -> None:
    work = load(API / "W2741809807.json")
    path = list_page(tmp_path, [work, work, work])
    assert [item.position for item in openalex.parse_api(path, 2)] == [2, 3]


def test_api_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "W1.json"
    path.write_bytes((API / "W2741809807.json").read_bytes()[:500])
    with pytest.raises(UnreadableInput, match="not valid JSON"):
        list(openalex.parse_api(path, 0))


def test_api_document_that_is_no_entity(tmp_path: Path) -> None:
    author = load(API / "A5023888391.json")
    del author["id"], author["ids"]
    path = tmp_path / "A1.json"
    path.write_bytes(orjson.dumps(author))
    with pytest.raises(UnreadableInput, match="not an OpenAlex entity or list page"):
        list(openalex.parse_api(path, 0))


# --- snapshot ------------------------------------------------------------------------------


def test_snapshot_works_part() -> None:
    items = list(openalex.parse_snapshot(WORKS_PART, 0))
    assert len(items) == 27
    assert [item.location for item in items] == [f"line {n}" for n in range(1, 28)]
    assert [item.position for item in items] == list(range(1, 28))
    works = [item.record for item in items]
    assert all(isinstance(work, WorkRecord) for work in works)
    first = works[0]
    assert isinstance(first, WorkRecord)
    assert first.ids == {"openalex": "W4206759534", "doi": "10.1021/ac00033a733"}
    assert first.title == "Manufacturers' Literature"
    assert first.venue == "Analytical Chemistry"
    assert first.year == 1992
    # Real upstream: most of this part are untitled grant records.
    untitled = [work for work in works if isinstance(work, WorkRecord) and work.title is None]
    assert len(untitled) == 16
    assert {work.extra["type"] for work in untitled} == {"grant"}


def test_snapshot_authors_part_old_schema() -> None:
    author = only_record(list(openalex.parse_snapshot(AUTHORS_PART, 0)))
    assert author == AuthorRecord(
        ids={"openalex": "A4347464006"},
        name="Lucero Molina",
        affiliations=["Stony Brook University"],  # 2023 snapshots: singular last_known_institution
        works_count=0,
        citation_count=0,
        h_index=0,
        i10_index=0,
        as_of=dt.datetime(2023, 4, 21, tzinfo=UTC),  # a bare day in 2023 snapshots: its midnight, UTC
    )


def test_snapshot_resumes_at_start() -> None:
    items = list(openalex.parse_snapshot(WORKS_PART, 20))
    assert [item.position for item in items] == list(range(20, 28))


def test_snapshot_bad_lines_are_problems_and_the_rest_is_kept(tmp_path: Path) -> None:
    lines = snapshot_lines(WORKS_PART)
    lines[2] = lines[2][: len(lines[2]) // 2]  # truncated line
    work = orjson.loads(lines[4])
    work["cited_by_count"] = "many"
    lines[4] = orjson.dumps(work)
    lines[6] = orjson.dumps([orjson.loads(lines[6])])
    path = tmp_path / "part_000.gz"
    path.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))

    items = list(openalex.parse_snapshot(path, 0))

    assert len(items) == 27
    problems = {item.location: item.problem.reason for item in items if item.problem}
    assert problems.keys() == {"line 3", "line 5", "line 7"}
    assert problems["line 3"].startswith("not valid JSON")
    assert problems["line 5"] == 'cited_by_count is "many", expected a whole number'
    assert problems["line 7"] == "expected a JSON object, found a list"
    assert sum(isinstance(item.record, WorkRecord) for item in items) == 24


def test_manifests() -> None:
    works = only_record(list(openalex.parse_manifest(SNAPSHOT / "works" / "manifest", 0)))
    assert works == Skipped(
        reason="OpenAlex snapshot manifest listing 465 parts (244371844 records); import the part files"
    )
    authors = only_record(list(openalex.parse_manifest(SNAPSHOT / "authors" / "manifest", 0)))
    assert authors.reason.startswith("OpenAlex snapshot manifest listing 104 parts (92840725 records)")


# --- sniffing ------------------------------------------------------------------------------

EXPECTED_FORMAT = {
    **{path: "openalex-api" for path in API.glob("*.json")},
    SNAPSHOT / "works" / "manifest": "openalex-manifest",
    SNAPSHOT / "authors" / "manifest": "openalex-manifest",
    WORKS_PART: "openalex-snapshot",
    AUTHORS_PART: "openalex-snapshot",
}


@pytest.mark.parametrize("path", sorted(EXPECTED_FORMAT), ids=lambda path: path.name)
def test_each_fixture_is_claimed_by_exactly_its_format(path: Path) -> None:
    head = read_head(path)
    claims = [fmt.name for fmt in openalex.FORMATS + semantic_scholar.FORMATS if fmt.sniff(path.name, head)]
    assert claims == [EXPECTED_FORMAT[path]]


def test_sniff_tells_snapshot_lines_from_a_plain_entity(tmp_path: Path) -> None:
    lines = snapshot_lines(WORKS_PART)
    plain = tmp_path / "works.jsonl"
    plain.write_bytes(b"\n".join(lines[:3]) + b"\n")
    single = tmp_path / "W4206759534.json"
    single.write_bytes(lines[0] + b"\n")
    pretty = tmp_path / "part_001"
    pretty.write_bytes(orjson.dumps(orjson.loads(lines[0]), option=orjson.OPT_INDENT_2))
    claimed = {
        path.name: [fmt.name for fmt in openalex.FORMATS if fmt.sniff(path.name, read_head(path))]
        for path in (plain, single, pretty)
    }
    assert claimed == {
        "works.jsonl": ["openalex-snapshot"],
        "W4206759534.json": ["openalex-api"],
        "part_001": ["openalex-api"],
    }


@pytest.mark.parametrize(
    "path", sorted((FIXTURES / "semantic_scholar").glob("*.json")), ids=lambda path: path.name
)
def test_semantic_scholar_files_are_not_claimed(path: Path) -> None:
    head = read_head(path)
    assert not any(fmt.sniff(path.name, head) for fmt in openalex.FORMATS)


# --- as of ---------------------------------------------------------------------------------


def test_api_entities_are_as_of_their_updated_date() -> None:
    assert api_record("W2741809807.json").as_of == dt.datetime(2025, 6, 11, 0, 3, 37, 532706, tzinfo=UTC)
    assert api_record("A5023888391.json").as_of == dt.datetime(2025, 6, 8, 21, 53, 7, 725446, tzinfo=UTC)


def test_snapshot_lines_are_each_as_of_their_own_updated_date() -> None:
    lines = [orjson.loads(line) for line in snapshot_lines(WORKS_PART)]
    records = [item.record for item in openalex.parse_snapshot(WORKS_PART, 0)]
    works = [record for record in records if isinstance(record, WorkRecord)]
    assert works == records  # every line is a work
    assert [work.as_of for work in works] == [
        dt.datetime.fromisoformat(line["updated_date"]).replace(tzinfo=UTC) for line in lines
    ]
    assert works[0].as_of == dt.datetime(2023, 5, 16, 14, 50, 18, 726146, tzinfo=UTC)
    assert all(work.as_of is not None and work.as_of.date() == dt.date(2023, 5, 16) for work in works)
    # the parallel import's per-line parser says the same
    assert [
        openalex.parse_snapshot_line(n, line).record for n, line in enumerate(snapshot_lines(WORKS_PART), 1)
    ] == works


def test_an_unreadable_updated_date_is_a_problem(tmp_path: Path) -> None:
    work = load(API / "W2741809807.json")
    work["updated_date"] = "last Tuesday"
    path = tmp_path / "W2741809807.json"
    path.write_bytes(orjson.dumps(work))
    (item,) = openalex.parse_api(path, 0)
    assert item.record is None and item.problem is not None
    assert item.problem.reason == "updated_date is 'last Tuesday', expected a date and time"


# --- list pages: empty, select=, partial ---------------------------------------------------


def write_json(tmp_path: Path, name: str, document: Any, pretty: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2 if pretty else 0))
    return path


@pytest.mark.parametrize("pretty", [False, True], ids=["compact", "pretty"])
def test_an_empty_last_cursor_page_is_an_empty_page(tmp_path: Path, pretty: bool) -> None:
    # "Repeat until next_cursor is null and results is empty" (docs, cursor paging)
    page = {"meta": {"count": 8695857, "per_page": 100, "next_cursor": None}, "results": []}
    path = write_json(tmp_path, "works-page-86958.json", page, pretty)
    assert detect(path).name == "openalex-api"
    assert list(openalex.parse_api(path, 0)) == []


def test_an_empty_page_with_every_meta_field(tmp_path: Path) -> None:
    meta = {
        "count": 0,
        "db_response_time_ms": 15,
        "page": 1,
        "per_page": 25,
        "next_cursor": None,
        "groups_count": None,
    }
    path = write_json(tmp_path, "works.json", {"meta": meta, "results": [], "group_by": []})
    assert detect(path).name == "openalex-api"
    assert list(openalex.parse_api(path, 0)) == []


def test_a_group_by_answer_is_skipped_with_its_reason(tmp_path: Path) -> None:
    groups = [
        {"key": "https://openalex.org/types/article", "key_display_name": "article", "count": 2},
        {"key": "https://openalex.org/types/book", "key_display_name": "book", "count": 1},
    ]
    page = {"meta": {"count": 3, "groups_count": 2}, "results": [], "group_by": groups}
    path = write_json(tmp_path, "works-by-type.json", page)
    assert detect(path).name == "openalex-api"
    (item,) = openalex.parse_api(path, 0)
    assert item.record == Skipped("OpenAlex group_by answer (2 groups): counts, no entities to store")


def test_a_select_ids_page_yields_sparse_works(tmp_path: Path) -> None:
    work = load(API / "W2741809807.json")
    # select=ids answers only "ids"; select=id,ids both
    results = [{"ids": work["ids"]}, {"id": work["id"], "ids": work["ids"]}]
    path = write_json(tmp_path, "works-select-ids.json", {"meta": {"count": 2}, "results": results})
    assert detect(path).name == "openalex-api"
    items = list(openalex.parse_api(path, 0))
    assert [(item.location, item.position) for item in items] == [("result 1", 1), ("result 2", 2)]
    expected = WorkRecord(
        ids={
            "openalex": "W2741809807",
            "doi": "10.7717/peerj.4375",
            "mag": "2741809807",
            "pmid": "29456894",
            "pmcid": "PMC5815332",
        }
    )
    assert [item.record for item in items] == [expected, expected]  # nothing but ids: no 0, no ""


def test_a_sparse_select_record_never_erases_the_full_one() -> None:
    full = api_record("W2741809807.json")
    selected = {key: load(API / "W2741809807.json")[key] for key in ("id", "display_name", "cited_by_count")}
    sparse = openalex.parse_entity(selected, "result 1", 1).record
    assert sparse == WorkRecord(
        ids={"openalex": "W2741809807"},
        title=full.title,
        citation_count=962,
    )
    assert sparse.year is None and sparse.reference_count is None and sparse.as_of is None
    # what the store keeps of OpenAlex's two statements about the work
    seen = combine(full, sparse)
    assert (seen.title, seen.citation_count, seen.year, seen.reference_count) == (full.title, 962, 2018, 45)
    assert seen.abstract == full.abstract and len(seen.authors) == 9


def test_an_authors_page_with_select(tmp_path: Path) -> None:
    author = load(API / "A5023888391.json")
    named = {key: author[key] for key in ("id", "display_name", "orcid")}
    ids_only = {"ids": author["ids"]}
    path = write_json(tmp_path, "authors.json", {"meta": {"count": 2}, "results": [named, ids_only]})
    assert detect(path).name == "openalex-api"
    first, second = openalex.parse_api(path, 0)
    assert first.record == AuthorRecord(
        ids={"openalex": "A5023888391", "orcid": "0000-0001-6187-6610"}, name="Jason Priem"
    )
    assert first.record.works_count is None and first.record.h_index is None  # not 0
    assert second.record == Skipped(
        "OpenAlex author A5023888391 without display_name (a select= page): an author is stored with a name"
    )


def cursor_page(tmp_path: Path, meta: dict[str, Any], n: int = 3) -> list[Item]:
    work = load(API / "W2741809807.json")
    results = [dict(work, id=f"https://openalex.org/W274180980{i}") for i in range(n)]
    path = write_json(tmp_path, "page.json", {"meta": meta, "results": results})
    assert detect(path).name == "openalex-api"
    return list(openalex.parse_api(path, 0))


def test_a_cursor_page_of_a_longer_list_says_where_the_rest_is(tmp_path: Path) -> None:
    meta = {"count": 8695857, "db_response_time_ms": 31, "page": None, "per_page": 3, "next_cursor": CURSOR}
    items = cursor_page(tmp_path, meta)
    assert [(item.location, item.position) for item in items] == [
        ("result 1", 1),
        ("result 2", 2),
        ("result 3", 3),
        ("list page", 4),  # after the results: their positions never move
    ]
    assert items[3].record == Note(f"a cursor page: 3 of 8,695,857 works; more follow next_cursor {CURSOR}")


def test_a_numbered_page_of_a_longer_list(tmp_path: Path) -> None:
    meta = {"count": 10338, "db_response_time_ms": 27, "page": 1, "per_page": 3, "groups_count": None}
    note = cursor_page(tmp_path, meta)[-1].record
    assert note == Note("page 1: 3 of 10,338 works; more follow on page 2")


def test_the_last_non_empty_page_says_the_others_were_earlier(tmp_path: Path) -> None:
    meta = {"count": 10338, "page": None, "per_page": 3, "next_cursor": None}
    note = cursor_page(tmp_path, meta)[-1].record
    assert note == Note("a cursor page: 3 of 10,338 works; the others were on earlier pages")


def test_a_complete_page_has_no_note(tmp_path: Path) -> None:
    items = cursor_page(tmp_path, {"count": 3, "page": 1, "per_page": 25})
    assert [type(item.record) for item in items] == [WorkRecord] * 3


def test_a_partial_page_resumes_with_its_note_last(tmp_path: Path) -> None:
    items = cursor_page(tmp_path, {"count": 100, "page": None, "next_cursor": CURSOR})
    path = tmp_path / "page.json"
    assert [item.position for item in openalex.parse_api(path, 3)] == [3, 4]
    assert list(openalex.parse_api(path, 4)) == items[3:]
    assert list(openalex.parse_api(path, 5)) == []


def test_an_authors_page_note_counts_authors(tmp_path: Path) -> None:
    author = load(API / "A5023888391.json")
    page = {"meta": {"count": 62, "page": 2, "per_page": 1}, "results": [author]}
    path = write_json(tmp_path, "authors.json", page)
    (_, note) = openalex.parse_api(path, 0)
    assert note.record == Note("page 2: 1 of 62 authors; more follow on page 3")


# --- error bodies --------------------------------------------------------------------------

ERRORS = [
    # the docs' example (developers.openalex.org/api-reference/errors)
    (
        {
            "error": "Invalid filter",
            "message": "Unknown filter field: author_name. Did you mean: authorships.author.id?",
        },
        "OpenAlex error: Invalid filter: Unknown filter field: author_name."
        " Did you mean: authorships.author.id?",
    ),
    # a 403 as reported to openalexR (ropensci/openalexR#202)
    (
        {"error": "Invalid query parameters error.", "message": "< is not a valid field."},
        "OpenAlex error: Invalid query parameters error.: < is not a valid field.",
    ),
]


@pytest.mark.parametrize(("body", "message"), ERRORS, ids=["400-invalid-filter", "403-invalid-query"])
def test_an_error_body_is_unreadable_with_openalex_own_words(
    tmp_path: Path, body: dict[str, str], message: str
) -> None:
    path = write_json(tmp_path, "works.json", body)
    assert detect(path).name == "openalex-api"  # not "unknown format", not Semantic Scholar's
    with pytest.raises(UnreadableInput) as caught:
        list(openalex.parse_api(path, 0))
    assert str(caught.value) == message


def test_a_long_error_message_is_cut(tmp_path: Path) -> None:
    fields = ", ".join(f"field_{n}" for n in range(400))
    body = {
        "error": "Invalid query parameters error.",
        "message": f"x is not a valid field. Valid fields are {fields}",
    }
    path = write_json(tmp_path, "works.json", body)
    with pytest.raises(UnreadableInput) as caught:
        list(openalex.parse_api(path, 0))
    text = str(caught.value)
    assert text.startswith("OpenAlex error: Invalid query parameters error.: x is not a valid field.")
    assert len(text) <= len("OpenAlex error: ") + 500 and text.endswith("…")


@pytest.mark.parametrize(
    "name", ["test_not_found@73c7726.00.404.json", "test_get_paper_citations_async@0e62a04.00.504.json"]
)
def test_semantic_scholar_error_bodies_stay_semantic_scholars(name: str) -> None:
    path = FIXTURES / "semantic_scholar" / name
    assert detect(path).name == "s2-api"
    assert not any(fmt.sniff(path.name, read_head(path)) for fmt in openalex.FORMATS)

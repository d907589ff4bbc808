"""Importing Semantic Scholar answers keeps the whole citation graph they carry, on both backends.

Every input is derived from real recorded answers (tests/fixtures/semantic_scholar): a paper with
embedded references and citations, references pages with their paper (``--cites`` or a recorded
answer's URL), and paperradar's own HTTP cache files written by the real ``_Cache``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from paperradar.cli import app
from paperradar.ingest import import_file
from paperradar.records import CitationRecord
from paperradar.sources import semantic_scholar
from paperradar.store import schema as t
from paperradar.sync.http import Response, _Cache
from tests.conftest import FIXTURES
from tests.sources.test_semantic_scholar import MICROFINANCE, PAPERS_BATCH, REFERENCES, paper_with_graph

S2_API = "https://api.semanticscholar.org/graph/v1"
REFERENCES_OF = "arXiv:2106.15928"  # any paper will do: the recording does not say which paper it was
STORED_AT = dt.datetime(2024, 3, 5, 12, 0, tzinfo=dt.UTC)
ARXIV_FEED = FIXTURES / "arxiv_api" / "q_testing_s0_m10_bc5a6c384fe9.body.xml"

Run = Callable[..., tuple[int, str]]


@pytest.fixture
def run(db_url: str) -> Run:
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["--db", db_url, *args], catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


def imported(run: Run, *args: str) -> dict[str, Any]:
    """``paperradar import --json …`` of one file: its result."""
    code, out = run("import", "--json", *args)
    results = json.loads(out)
    assert len(results) == 1
    result: dict[str, Any] = results[0]
    result["exit_code"] = code
    return result


def work_id(engine: Engine, scheme: str, value: str) -> int | None:
    with engine.connect() as conn:
        found = conn.execute(
            select(t.work_ids.c.work_id).where(t.work_ids.c.scheme == scheme, t.work_ids.c.value == value)
        ).scalar()
    return int(found) if found is not None else None


def edges(engine: Engine) -> set[tuple[int, int | None]]:
    """Every stored edge as (citing work, cited work; ``None`` when the cited work is not stored)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                t.citation_edges.c.citing_id, t.citation_edges.c.cited_scheme, t.citation_edges.c.cited_value
            )
        ).all()
    return {(row.citing_id, work_id(engine, row.cited_scheme, row.cited_value)) for row in rows}


def write_json(path: Path, document: Any) -> Path:
    path.write_bytes(orjson.dumps(document))
    return path


def record_answer(folder: Path, url: str, body: bytes, content_type: str) -> Path:
    """A cache file exactly as paperradar's fetcher writes it, retrieved at STORED_AT."""
    cache = _Cache(folder, ttl=None, wall_clock=STORED_AT.timestamp)
    key = hashlib.sha256(url.encode()).hexdigest()
    cache.store(key, Response(200, {"content-type": content_type, "x-other": "dropped"}, body, url))
    return cache.path(key)


# --- embedded references and citations ---------------------------------------------------------


@pytest.mark.parametrize("shape", ["paper", "batch", "page"])
def test_a_papers_embedded_references_and_citations_are_stored(
    engine: Engine, tmp_path: Path, shape: str
) -> None:
    paper = paper_with_graph()
    document = {"paper": paper, "batch": [paper], "page": {"offset": 0, "data": [paper]}}[shape]
    result = import_file(engine, write_json(tmp_path / "answer.json", document))
    assert result.error is None and result.counts.quarantined == 0
    assert result.counts.new == 8  # the paper, 4 resolved references, 3 citations
    assert result.counts.citations == 7
    assert result.counts.skipped == 1

    this = work_id(engine, "s2", MICROFINANCE)
    references = [work_id(engine, "arxiv", a) for a in ("1411.1784", "1409.7495")]
    references += [work_id(engine, "doi", "10.1109/cvpr.2015.7299193"), work_id(engine, "arxiv", "1207.4747")]
    citations = [work_id(engine, "arxiv", a) for a in ("2208.04425", "2205.04583", "2203.04940")]
    assert None not in (this, *references, *citations)
    assert edges(engine) == {(this, cited) for cited in references} | {(c, this) for c in citations}
    with engine.connect() as conn:
        assert conn.execute(select(t.works.c.id)).scalars().all().__len__() == 8
        skipped = conn.execute(
            select(t.quarantine.c.kind, t.quarantine.c.location, t.quarantine.c.reason)
        ).one()
    where = {"paper": "record 1", "batch": "record 1", "page": "data[0]"}[shape]
    assert skipped.kind == "skipped"
    assert skipped.location == f"{where} references[2]"
    assert skipped.reason == (
        f"references[2] of {MICROFINANCE}: "
        "unresolved reference 'D Scieur' (Semantic Scholar has no paper for it)"
    )


def test_embedded_author_figures_are_stored_and_absent_ones_stay_unknown(
    engine: Engine, tmp_path: Path
) -> None:
    paper = paper_with_graph()
    del paper["authors"][2]["paperCount"], paper["authors"][2]["citationCount"]
    import_file(engine, write_json(tmp_path / "paper.json", paper))
    with engine.connect() as conn:
        reports = conn.execute(
            select(
                t.author_ids.c.value,
                t.author_reports.c.h_index,
                t.author_reports.c.works_count,
                t.author_reports.c.citation_count,
            )
            .join(t.author_reports, t.author_reports.c.author_id == t.author_ids.c.author_id)
            .where(t.author_ids.c.scheme == "s2", t.author_reports.c.source == "semantic_scholar")
            .order_by(t.author_ids.c.value)
        ).all()
    assert [tuple(row) for row in reports] == [
        ("2237651454", 90, 347, 47761),
        ("2259683", 91, 282, 58740),
        ("31549526", 12, 35, 3189),
        ("4249203", 31, None, None),
    ]


def test_an_author_saved_with_fields_name_stores_no_figures(engine: Engine, tmp_path: Path) -> None:
    dijkstra = orjson.loads((REFERENCES[0].parent / "test_get_authors@202945c.00.200.json").read_bytes())[0]
    path = write_json(tmp_path / "author.json", {"authorId": dijkstra["authorId"], "name": dijkstra["name"]})
    result = import_file(engine, path)
    assert result.error is None and result.counts.authors == 1
    with engine.connect() as conn:
        report = conn.execute(
            select(
                t.author_reports.c.h_index, t.author_reports.c.works_count, t.author_reports.c.citation_count
            )
        ).one()
    assert tuple(report) == (None, None, None)


def test_a_batch_never_ends_inside_a_paper(engine: Engine, tmp_path: Path) -> None:
    """A checkpoint says a position is done: a paper and everything it embeds commit together, or an
    import stopped after the checkpoint would resume past the paper's unwritten citations."""
    first = paper_with_graph()
    second = orjson.loads(PAPERS_BATCH.read_bytes())[0]
    cited = [entry["citedPaper"] for entry in orjson.loads(REFERENCES[1].read_bytes())["data"]]
    second["references"] = cited[3:9]
    path = write_json(tmp_path / "batch.json", [first, second])
    items = list(semantic_scholar.parse(path))
    ends = {
        n
        for n, (a, b) in enumerate(zip(items, [*items[1:], None], strict=True), 1)
        if b is None or a.position != b.position
    }
    assert len(ends) == 2
    committed: list[int] = []
    result = import_file(engine, path, batch_size=3, progress=lambda _p, _d, _t, n: committed.append(n))
    assert committed == sorted(ends)
    assert result.counts.citations == sum(isinstance(item.record, CitationRecord) for item in items) == 13


# --- references and citations pages --------------------------------------------------------------


def test_cites_stores_the_edges_of_a_references_page(run: Run, engine: Engine) -> None:
    result = imported(run, "--cites", REFERENCES_OF, str(REFERENCES[1]))
    assert result["exit_code"] == 0 and result["error"] is None
    assert result["citations"] == 47 and result["skipped"] == 9
    assert result["notes"] == []
    this = work_id(engine, "arxiv", "2106.15928")
    assert this is not None
    stored = edges(engine)
    assert len(stored) == 47 and {citing for citing, _ in stored} == {this}
    assert work_id(engine, "arxiv", "1411.1784") in {cited for _, cited in stored}
    code, out = run("show", REFERENCES_OF)
    assert code == 0 and "47 references, cited by 0 works here" in out


def test_cites_turns_a_citations_page_the_other_way(run: Run, engine: Engine, tmp_path: Path) -> None:
    body = orjson.loads(REFERENCES[0].read_bytes())
    for entry in body["data"]:
        entry["citingPaper"] = entry.pop("citedPaper")
    page = write_json(tmp_path / "citations.json", body)
    result = imported(run, "--cites", "DOI:10.1145/3442188.3445922", str(page))
    assert result["citations"] == 100
    this = work_id(engine, "doi", "10.1145/3442188.3445922")
    assert {cited for _, cited in edges(engine)} == {this}
    _, out = run("show", "10.1145/3442188.3445922")
    assert "0 references, cited by 100 works here" in out


def test_a_page_without_its_paper_says_how_to_store_the_edges(run: Run, engine: Engine) -> None:
    result = imported(run, str(REFERENCES[0]))
    assert result["exit_code"] == 0 and result["new"] == 100 and result["citations"] == 0
    assert edges(engine) == set()
    [note] = result["notes"]
    assert note.startswith("this references page does not say whose references it lists: 100 listed works")
    assert "import it again with --cites ID" in note
    _, out = run("import", str(REFERENCES[0]))
    assert "note:" in out and "--cites" in out


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (PAPERS_BATCH, "this file is a Semantic Scholar answer of another kind"),
        (ARXIV_FEED, "this file is arxiv-api: arXiv API Atom feed"),
    ],
    ids=["s2-batch", "arxiv-feed"],
)
def test_cites_on_a_file_that_is_no_citation_page_is_an_error(
    run: Run, engine: Engine, path: Path, message: str
) -> None:
    result = imported(run, "--cites", REFERENCES_OF, str(path))
    assert result["exit_code"] == 1
    assert result["error"].startswith(
        f"--cites {REFERENCES_OF} applies only to Semantic Scholar references or citations pages"
    )
    assert message in result["error"]
    with engine.connect() as conn:
        assert conn.execute(select(t.works.c.id)).first() is None


@pytest.mark.parametrize("bad", ["2106.15928", "URL:https://arxiv.org/abs/2106.15928"])
def test_cites_needs_an_id_the_graph_api_takes(run: Run, bad: str) -> None:
    code, out = run("import", "--cites", bad, str(REFERENCES[1]))
    assert code == 2
    assert "cannot tell which paper" in out


# --- recorded answers -----------------------------------------------------------------------------


def test_a_recorded_references_page_needs_no_cites_and_is_dated(
    run: Run, engine: Engine, tmp_path: Path
) -> None:
    url = f"{S2_API}/paper/{REFERENCES_OF}/references?fields=contexts,intents,isInfluential,title&offset=100"
    answer = record_answer(tmp_path / "cache", url, REFERENCES[1].read_bytes(), "application/json")
    assert answer.read_bytes().startswith(b'{"v":1,"status":200,')  # the real cache format
    result = imported(run, "--as-of", "2020-01-01", str(answer))
    assert result["error"] is None and result["format"] == "s2-api"
    assert result["citations"] == 47
    assert result["notes"] == [
        f"recorded answer of {S2_API}/paper/{REFERENCES_OF}/references, retrieved 2024-03-05 12:00 UTC"
    ]
    this = work_id(engine, "arxiv", "2106.15928")
    assert len(edges(engine)) == 47 and {citing for citing, _ in edges(engine)} == {this}
    cited = work_id(engine, "arxiv", "1411.1784")
    with engine.connect() as conn:
        as_of = conn.execute(select(t.work_sources.c.as_of).where(t.work_sources.c.work_id == cited)).scalar()
    assert as_of is not None  # the header's time, not --as-of: the answer says when it was true
    assert as_of.replace(tzinfo=as_of.tzinfo or dt.UTC) == STORED_AT


def test_any_recorded_answer_imports_as_its_body(run: Run, engine: Engine, tmp_path: Path) -> None:
    url = "https://export.arxiv.org/api/query?search_query=testing&start=0&max_results=10"
    answer = record_answer(tmp_path / "cache", url, ARXIV_FEED.read_bytes(), "application/atom+xml")
    direct = imported(run, str(ARXIV_FEED))
    again = imported(run, str(answer))
    assert again["error"] is None and again["format"] == "arxiv-api" == direct["format"]
    assert again["records"] == direct["records"] == 10
    assert again["new"] == 0 and again["quarantined"] == 0


def test_a_recorded_answer_with_a_cut_body_is_unreadable(run: Run, tmp_path: Path) -> None:
    url = f"{S2_API}/paper/batch?fields=title"
    answer = record_answer(tmp_path / "cache", url, PAPERS_BATCH.read_bytes(), "application/json")
    answer.write_bytes(answer.read_bytes()[:-100])
    result = imported(run, str(answer))
    assert result["exit_code"] == 1
    size = PAPERS_BATCH.stat().st_size
    assert result["error"] == (
        f"{answer}: a recorded answer whose body was cut or changed "
        f"(the header says {size} bytes, the file holds {size - 100})"
    )


# --- --as-of ----------------------------------------------------------------------------------------


def test_as_of_dates_the_statements_of_a_file(run: Run, engine: Engine) -> None:
    result = imported(run, "--as-of", "2023-11-02", str(PAPERS_BATCH))
    assert result["exit_code"] == 0 and result["new"] == 3
    with engine.connect() as conn:
        dates = conn.execute(select(t.work_sources.c.as_of)).scalars().all()
    assert [d.replace(tzinfo=d.tzinfo or dt.UTC) for d in dates] == [
        dt.datetime(2023, 11, 2, tzinfo=dt.UTC)
    ] * 3


@pytest.mark.parametrize(
    ("value", "message"), [("yesterday", "is not a date like 2024-05-01"), ("2999-01-01", "is in the future")]
)
def test_as_of_must_be_a_past_date(run: Run, value: str, message: str) -> None:
    code, out = run("import", "--as-of", value, str(PAPERS_BATCH))
    assert code == 2
    assert message in out


def test_as_of_takes_a_time_in_any_zone(run: Run, engine: Engine) -> None:
    imported(run, "--as-of", "2023-11-02T14:30+02:00", str(PAPERS_BATCH))
    with engine.connect() as conn:
        stored = conn.execute(select(t.work_sources.c.as_of)).scalars().first()
    assert stored is not None
    assert stored.replace(tzinfo=stored.tzinfo or dt.UTC) == dt.datetime(2023, 11, 2, 12, 30, tzinfo=dt.UTC)


def test_import_help_shows_cites_and_as_of() -> None:
    out = CliRunner().invoke(app, ["import", "--help"], terminal_width=200).output
    assert "paperradar import --cites arXiv:2106.15928 --as-of 2024-05-01 references.json" in out

"""The `paperradar` command as a user runs it: output, exit status, bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Protocol

import pytest
from typer.testing import CliRunner

from paperradar.cli import app
from tests.conftest import FIXTURES

SNAPSHOT = FIXTURES / "arxiv_snapshot" / "arxiv-metadata-oai-snapshot.head200.jsonl"
HF = FIXTURES / "huggingface" / "daily_papers.json"


class Run(Protocol):
    """``run("import", path)``: the command's exit code and output."""

    def __call__(self, *args: str) -> tuple[int, str]: ...


@pytest.fixture
def run(db_url: str) -> Run:
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["--db", db_url, *args], catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


def test_import_prints_what_happened_and_show_finds_the_paper(run: Run) -> None:
    code, out = run("import", str(SNAPSHOT), str(HF))
    assert code == 0
    assert "arxiv-snapshot" in out and "200 new" in out
    assert "hf-daily" in out and "30 new" in out
    assert "2 files imported" in out

    code, out = run("show", "0704.0001")
    assert code == 0
    assert "Calculation of prompt diphoton production cross sections" in out
    assert "v1 2007-04-02, v2 2007-07-24" in out
    assert "doi:10.1103/physrevd.76.013009" in out

    code, out = run("show", "2606.00467", "--json")
    detail = json.loads(out)
    assert detail["community"][0]["featured_day"] == "2026-06-12"
    assert detail["community"][0]["organisation"] == "California institute of technology"
    assert detail["source_records"][0]["source"] == "huggingface"

    code, out = run("stats", "--json")
    stats = json.loads(out)
    assert stats["works"] == 230
    assert stats["works_by_source"] == {"arxiv_snapshot": 200, "huggingface": 30}
    assert stats["community_by_source"] == {"huggingface": 30}


def test_search_finds_imported_papers_at_once(run: Run) -> None:
    run("import", str(SNAPSHOT))
    code, out = run("search", "diphoton production", "--json")
    assert code == 0
    hits = json.loads(out)["results"]
    assert hits[0]["arxiv_id"] == "0704.0001"
    code, out = run("search", "zzzz-no-such-word")
    assert "no works match" in out


def test_a_bad_line_is_quarantined_and_the_rest_kept(run: Run, tmp_path: Path) -> None:
    lines = SNAPSHOT.read_text().splitlines()
    broken = tmp_path / "broken.jsonl.gz"
    with gzip.open(broken, "wt") as gz:
        gz.write("\n".join([*lines[:10], lines[10][:80], '{"id": "0704.9999"}', *lines[11:20]]) + "\n")
    code, out = run("import", str(broken))
    assert code == 0
    assert "19 new" in out and "2 quarantined" in out
    code, out = run("quarantine", "--json")
    rows = json.loads(out)
    assert {r["location"] for r in rows} == {"line 11", "line 12"}
    reasons = {r["location"]: r["reason"] for r in rows}
    assert "JSON" in reasons["line 11"]
    assert "title" in reasons["line 12"]
    # Importing the same broken file again quarantines nothing twice.
    run("import", str(broken))
    assert len(json.loads(run("quarantine", "--json")[1])) == 2


def test_records_read_but_not_stored_are_listed_with_their_reason(run: Run) -> None:
    openalex, s2 = FIXTURES / "openalex" / "api", FIXTURES / "semantic_scholar"
    concept, batch = openalex / "C71924100.json", s2 / "test_get_papers_return_not_found@73c7726.00.200.json"
    code, out = run("import", str(concept), str(batch))
    assert code == 0 and "2 skipped" in out
    rows = json.loads(run("quarantine", "--only", "skipped", "--json")[1])
    reasons = {Path(r["file"]).name: (r["kind"], r["location"], r["reason"]) for r in rows}
    assert reasons[concept.name] == ("skipped", "entity", reasons[concept.name][2])
    assert "concept" in reasons[concept.name][2]
    assert reasons[batch.name] == ("skipped", "record 1", "not found (null slot 1 in batch)")
    assert json.loads(run("quarantine", "--only", "quarantined", "--json")[1]) == []
    code, out = run("quarantine")
    assert "skipped" in out and "null slot 1" in out


@pytest.mark.parametrize(
    ("content", "fmt", "reason"),
    [
        (None, None, "file not found"),
        (b"", None, "file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", None, "unknown format"),
        (b'{"papers": 1}', "arxiv-oai", "not XML"),
        (b"<html><body>Retry after 10 seconds</body></html>", "arxiv-oai", "OAI-PMH"),
        (b"[1, 2", "hf-daily", "not valid JSON"),
    ],
    ids=["missing", "empty", "png", "json-as-oai", "html-as-oai", "truncated-json"],
)
def test_unreadable_files_exit_non_zero_and_say_why(
    run: Run,
    tmp_path: Path,
    content: bytes | None,
    fmt: str | None,
    reason: str,
) -> None:
    path = tmp_path / "input"
    if content is not None:
        path.write_bytes(content)
    code, out = run("import", str(path), *(["--format", fmt] if fmt else []))
    assert code == 1
    assert reason in out


def test_a_file_of_nothing_but_bad_records_fails(run: Run, tmp_path: Path) -> None:
    junk = tmp_path / "junk.jsonl"
    first = SNAPSHOT.read_text().splitlines()[0]
    junk.write_text(first[:50] + "\n" + first[:90] + "\n")
    code, out = run("import", str(junk), "--format", "arxiv-snapshot")
    assert code == 1
    assert "0 new" in out and "2 quarantined" in out


def test_one_unreadable_file_does_not_stop_the_others(run: Run, tmp_path: Path) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_text("hello")
    code, out = run("import", str(junk), str(HF))
    assert code == 0
    assert "unknown format" in out and "30 new" in out
    assert "1 files imported, 1 unreadable" in out


def test_every_command_has_help_with_an_example() -> None:
    runner = CliRunner()
    commands = ("import", "formats", "stats", "show", "search", "related", "similar-authors", "index")
    for command in (*commands, "quarantine", "demo"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0, command
        assert "Example:" in result.output, command


def test_demo_builds_its_own_database_and_never_a_users(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "demo.db"
    build = ["demo", "--no-serve", "--no-embed", "--path", str(target)]
    result = runner.invoke(app, build, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "0 quarantined" in result.output
    assert target.exists()
    code = runner.invoke(app, ["--db", str(target), "show", "2606.00467"]).exit_code
    assert code == 0
    # Rebuilding the demo is fine; overwriting another database is refused.
    assert runner.invoke(app, build).exit_code == 0
    own = tmp_path / "mine.db"
    runner.invoke(app, ["--db", str(own), "import", str(HF)])
    refused = runner.invoke(app, ["demo", "--no-serve", "--no-embed", "--path", str(own)])
    assert refused.exit_code == 2 and "not a demo database" in refused.output

"""Author metrics as S2 and OpenAlex report them (h-index, summary_stats), from recorded answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from paperradar.cli import app
from paperradar.ingest import import_file
from paperradar.store import schema as t
from paperradar.sync.enrich import authors_to_enrich, enrich_openalex_authors, enrich_s2_authors
from paperradar.sync.http import Fetcher
from tests.conftest import FIXTURES
from tests.replay import Answer, serve

S2 = FIXTURES / "semantic_scholar"
RECORDED_AUTHORS = {
    a["authorId"]: a for a in orjson.loads((S2 / "test_get_authors@202945c.00.200.json").read_bytes())
}
OPENALEX_AUTHOR = orjson.loads((FIXTURES / "openalex" / "api" / "A5023888391.json").read_bytes())


def _fetcher(source: str, url: str) -> Fetcher:
    return Fetcher(source, url, min_interval=0.0, user_agent="paperradar-tests", sleep=lambda _s: None)


def _reports(engine: Engine, source: str, scheme: str) -> dict[str, tuple[Any, ...]]:
    reports, ids = t.author_reports, t.author_ids
    with engine.connect() as conn:
        rows = conn.execute(
            select(ids.c.value, reports.c.h_index, reports.c.i10_index, reports.c.works_count)
            .join(reports, reports.c.author_id == ids.c.author_id)
            .where(reports.c.source == source, ids.c.scheme == scheme)
        ).all()
    return {value: (h, i10, works) for value, h, i10, works in rows}


def test_s2_author_batch_brings_the_reported_h_index(engine: Engine) -> None:
    # Three authors known by S2 id only (a recorded batch answer that names them, no metrics).
    import_file(engine, S2 / "test_get_authors_return_not_found@73c7726.00.200.json")
    authors = authors_to_enrich(engine, "s2", missing_only=True, limit=None)
    assert sorted(ids["s2"] for _, ids in authors) == ["1711844", "1726629", "3234559"]

    def answer(method: str, path: str, _query: dict[str, str], body: bytes) -> Answer:
        assert (method, path) == ("POST", "/graph/v1/author/batch")
        asked = orjson.loads(body)["ids"]
        return (
            200,
            orjson.dumps([RECORDED_AUTHORS.get(i) for i in asked]),
            {"Content-Type": "application/json"},
        )

    with serve(answer) as (url, seen):
        result = enrich_s2_authors(engine, _fetcher("semantic_scholar", f"{url}/graph/v1"), authors)
    assert (result.requested, result.found) == (3, 3)
    assert seen[0][2]["fields"].startswith("name,") and "hIndex" in seen[0][2]["fields"]
    reported = _reports(engine, "semantic_scholar", "s2")
    assert {k: v[0] for k, v in reported.items()} == {"3234559": 42, "1726629": 52, "1711844": 57}
    # Those three are done; their papers' co-authors (S2 ids, no metrics yet) are next in line.
    still_missing = {ids["s2"] for _, ids in authors_to_enrich(engine, "s2", missing_only=True, limit=None)}
    assert not still_missing & set(reported) and len(still_missing) > 100


def test_openalex_authors_bring_summary_stats(engine: Engine) -> None:
    import_file(engine, FIXTURES / "openalex" / "api" / "W2741809807.json")  # 9 authors with A… ids
    authors = authors_to_enrich(engine, "openalex", missing_only=True, limit=None)
    assert len(authors) == 9

    def answer(method: str, path: str, query: dict[str, str], _body: bytes) -> Answer:
        assert (method, path) == ("GET", "/authors")
        asked = query["filter"].removeprefix("openalex:").split("|")
        known = [OPENALEX_AUTHOR] if "A5023888391" in asked else []
        return 200, orjson.dumps({"meta": {"count": len(known)}, "results": known}), {}

    with serve(answer) as (url, _seen):
        result = enrich_openalex_authors(engine, _fetcher("openalex", url), authors)
    assert (result.requested, result.found, result.not_found) == (9, 1, 8)
    stats = OPENALEX_AUTHOR["summary_stats"]
    assert _reports(engine, "openalex", "openalex")["A5023888391"] == (
        stats["h_index"],
        stats["i10_index"],
        OPENALEX_AUTHOR["works_count"],
    )


def test_the_enrich_authors_command(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    recorded = S2 / "test_get_authors_return_not_found@73c7726.00.200.json"
    assert runner.invoke(app, ["--db", db_url, "import", str(recorded)]).exit_code == 0

    def answer(_method: str, _path: str, _query: dict[str, str], body: bytes) -> Answer:
        asked = orjson.loads(body)["ids"]
        return 200, orjson.dumps([RECORDED_AUTHORS.get(i) for i in asked]), {}

    with serve(answer) as (url, _seen):
        env = {
            "PAPERRADAR_CONFIG": str(tmp_path / "config.toml"),
            "PAPERRADAR_CACHE_DIR": str(tmp_path / "cache"),
            "PAPERRADAR_SEMANTIC_SCHOLAR_URL": f"{url}/graph/v1",
        }
        result = runner.invoke(app, ["--db", db_url, "enrich", "s2", "--authors", "--missing-only"], env=env)
    assert result.exit_code == 0, result.output
    assert (
        "✓ Semantic Scholar: 3 authors asked, 3 found, 0 unknown there: 3 author reports stored"
        in result.output
    )


def test_openalex_without_a_key_says_where_to_set_it(db_url: str, tmp_path: Path) -> None:
    env = {
        "PAPERRADAR_CONFIG": str(tmp_path / "config.toml"),
        "PAPERRADAR_CACHE_DIR": str(tmp_path / "cache"),
    }
    result = CliRunner().invoke(app, ["--db", db_url, "enrich", "openalex"], env=env)
    assert result.exit_code == 1
    assert (
        "OpenAlex key missing: set sources.openalex.api_key in the config or PAPERRADAR_OPENALEX_KEY"
        in result.output
    )

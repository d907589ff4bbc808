"""`paperradar index`, `search`, `related` and `similar-authors` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from filelock import FileLock
from typer.testing import CliRunner

from paperradar.cli import app
from paperradar.search.hybrid import vector_dir
from paperradar.store.database import open_store
from tests.conftest import FIXTURES

HF = FIXTURES / "huggingface" / "daily_papers.json"
SNAPSHOT = FIXTURES / "arxiv_snapshot" / "arxiv-metadata-oai-snapshot.head200.jsonl"


def test_index_then_search_related_and_similar_authors(db_url: str) -> None:
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["--db", db_url, *args], catch_exceptions=False)
        return result.exit_code, result.output

    run("import", str(HF))
    code, out = run("search", "multi-agent medical reasoning", "--json")
    before = json.loads(out)
    assert before["mode"] == "lexical" and "paperradar index" in before["notes"][0]  # keywords work at once

    code, out = run("index")
    assert code == 0
    assert "30 works embedded" in out and "30 vectors added, 30 in all" in out
    code, out = run("index")
    assert code == 0 and "embedded" not in out  # nothing new, nothing done

    code, out = run("search", "multi-agent medical reasoning", "--json")
    result = json.loads(out)
    assert result["mode"] == "hybrid" and result["notes"] == []
    top = result["results"][0]
    assert (
        top["arxiv_id"] == "2606.13572"
    )  # ArogyaSutra: A Multi-Agent Framework for Multimodal Medical Reasoning
    assert top["lexical_rank"] == 1 and top["dense_rank"] == 1

    code, out = run("search", "doctors and AI assistants working together in Indian languages")
    assert code == 0 and "ArogyaSutra" in out.splitlines()[0]  # found by meaning
    assert "meaning #1" in out.splitlines()[0]

    code, out = run("related", "2606.13572", "-n", "3")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("Related to ArogyaSutra")
    assert len(lines) == 4 and "2606.13572" not in out

    code, out = run("related", "9999.99999")
    assert code == 1 and "no work '9999.99999'" in out

    code, out = run("similar-authors", "nobody at all")
    assert code == 1 and "no author matches" in out

    code, out = run("search", "((( cat: year:soon")
    assert code == 0 and "ignored year:'soon'" in out and "ignored 'cat:'" in out
    code, out = run("search", "qwxzv jjjkq")  # gibberish: nothing shares its words or its meaning
    assert code == 0 and "no works match" in out

    code, out = run("search", "", "--json")
    assert json.loads(out)["results"] == [] and "empty" in json.loads(out)["notes"][0]


def test_similar_authors_from_the_command(tmp_path: Path) -> None:
    db = str(tmp_path / "radar.db")
    runner = CliRunner()
    runner.invoke(app, ["--db", db, "import", str(SNAPSHOT)], catch_exceptions=False)
    runner.invoke(app, ["--db", db, "index"], catch_exceptions=False)
    result = runner.invoke(app, ["--db", db, "similar-authors", "Balazs", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found["author"]["name"] == "C. Balázs"
    assert len(found["similar"]) == 10
    assert all(s["author_id"] != found["author"]["id"] for s in found["similar"])
    shown = runner.invoke(app, ["--db", db, "similar-authors", "balázs, c."]).output
    assert shown.startswith("Authors closest to C. Balázs") and " 1. " in shown


def test_a_second_indexer_leaves_the_work_to_the_first(tmp_path: Path) -> None:
    db = str(tmp_path / "radar.db")
    engine = open_store(db)
    with FileLock(str(vector_dir(engine).path) + ".lock"):  # `paperradar index --follow` elsewhere
        result = CliRunner().invoke(app, ["--db", db, "index"])
    assert result.exit_code == 0
    assert "another `paperradar index` is running" in result.output

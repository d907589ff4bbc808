"""`paperradar sync all`, as cron runs it: every configured source, one failing without stopping the rest."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from paperradar.cli import app
from tests.conftest import FIXTURES
from tests.replay import Answer, replay_server

FIRST_PAGE = (FIXTURES / "arxiv_oai" / "arXivRaw" / "ListRecordsResponse.xml").read_bytes()
LAST_PAGE = (FIXTURES / "arxiv_oai" / "arXiv" / "ListRecords.xml").read_bytes()


def _oai(_path: str, query: dict[str, str]) -> Answer:
    return 200, (LAST_PAGE if "resumptionToken" in query else FIRST_PAGE), {"Content-Type": "text/xml"}


def _hf_down(_path: str, _query: dict[str, str]) -> Answer:
    return 503, b"Service Unavailable", {}


def test_sync_all_runs_every_configured_source_and_survives_a_failing_one(
    db_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'contact_email = "radar@example.org"\n'
        '[arxiv]\nsets = ["cs"]\n'
        "[huggingface]\ndays_back = 1\n"
        "[sources.huggingface]\nmax_retries = 0\n"
        "[sources.semantic_scholar]\nenabled = false\n"
        "[sources.openalex]\nenabled = false\n"
    )
    with replay_server(_oai) as (oai_url, oai_seen), replay_server(_hf_down) as (hf_url, _hf_seen):
        env = {
            "PAPERRADAR_CONFIG": str(config),
            "PAPERRADAR_CACHE_DIR": str(tmp_path / "cache"),
            "PAPERRADAR_ARXIV_OAI_URL": f"{oai_url}/oai",
            "PAPERRADAR_HUGGINGFACE_URL": f"{hf_url}/api",
        }
        result = CliRunner().invoke(app, ["--db", db_url, "sync", "all"], env=env)
    assert result.exit_code == 0, result.output
    assert "✓ arXiv cs the beginning →" in result.output and "8 records: 8 new" in result.output
    assert "✗ Hugging Face" in result.output and "503" in result.output
    assert "1 of 2 syncs done" in result.output
    assert "8 works embedded" in result.output  # and what came in is ready for semantic search
    assert len(oai_seen) == 2


def test_sync_all_with_nothing_configured_says_what_to_do(db_url: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        "".join(
            f"[sources.{name}]\nenabled = false\n" for name in ("huggingface", "semantic_scholar", "openalex")
        )
    )
    env = {"PAPERRADAR_CONFIG": str(config), "PAPERRADAR_CACHE_DIR": str(tmp_path / "cache")}
    result = CliRunner().invoke(app, ["--db", db_url, "sync", "all"], env=env)
    assert result.exit_code == 0
    assert "nothing to sync" in result.output

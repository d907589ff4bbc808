"""Harvesting arXiv OAI-PMH from a local server that replays the recorded responses.

The server is real (HTTP on 127.0.0.1); the pages are the recorded arXiv answers: a first
ListRecords page of 6 arXivRaw records with a real resumptionToken, then a last page of 2
records, and the recorded error envelopes. Nothing touches the network.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from paperradar.cli import app
from paperradar.store import schema as t
from paperradar.store.database import open_store
from paperradar.store.queries import resolve_work
from paperradar.sync.arxiv_oai import harvest
from paperradar.sync.http import Fetcher, UpstreamError
from tests.conftest import FIXTURES
from tests.replay import Answer, replay_server
from tests.store_dump import dump

OAI = FIXTURES / "arxiv_oai"
FIRST_PAGE = (OAI / "arXivRaw" / "ListRecordsResponse.xml").read_bytes()  # token 726959|1001
LAST_PAGE = (OAI / "arXiv" / "ListRecords.xml").read_bytes()  # no token: the end
BAD_TOKEN = (OAI / "arXivRaw" / "ErrorResponseBadResumptionToken.xml").read_bytes()
TOKEN = "726959|1001"
UNTIL = dt.date(2015, 1, 6)


@dataclass
class Replay:
    """What the fake arXiv answers; ``token_status`` 500 makes the second page fail."""

    token_status: int = 200
    token_body: bytes = LAST_PAGE
    requests: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def oai() -> Iterator[tuple[str, Replay]]:
    replay = Replay()

    def answer(_path: str, query: dict[str, str]) -> Answer:
        replay.requests.append(query)
        if "resumptionToken" in query:
            return replay.token_status, replay.token_body, {"Content-Type": "text/xml"}
        return 200, FIRST_PAGE, {"Content-Type": "text/xml"}

    with replay_server(answer) as (url, _seen):
        yield f"{url}/oai2", replay


def _fetcher(url: str, max_retries: int = 5) -> Fetcher:
    return Fetcher(
        "arxiv_oai",
        url,
        min_interval=0.0,
        max_retries=max_retries,
        user_agent="paperradar-tests",
        sleep=lambda _s: None,
    )


def test_a_harvest_follows_resumption_tokens_to_the_last_page(
    engine: Engine, oai: tuple[str, Replay]
) -> None:
    url, replay = oai
    result = harvest(engine, _fetcher(url), "cs", from_date=dt.date(2015, 1, 1), until=UNTIL)
    assert (result.pages, result.records, result.counts.new) == (2, 8, 8)
    assert result.complete_list_size == 58011
    first, second = replay.requests
    assert first == {
        "verb": "ListRecords",
        "metadataPrefix": "arXivRaw",
        "set": "cs",
        "from": "2015-01-01",
        "until": "2015-01-06",
    }
    assert second == {"verb": "ListRecords", "resumptionToken": TOKEN}
    with engine.connect() as conn:
        assert resolve_work(conn, "0704.0471") is not None  # from the first page
        assert resolve_work(conn, "hep-th/9504118") is not None  # from the last page


def test_the_next_harvest_starts_where_the_last_one_ended(engine: Engine, oai: tuple[str, Replay]) -> None:
    url, replay = oai
    harvest(engine, _fetcher(url), "cs", from_date=dt.date(2015, 1, 1), until=UNTIL)
    replay.requests.clear()
    again = harvest(engine, _fetcher(url), "cs", until=dt.date(2015, 1, 9))
    assert replay.requests[0]["from"] == "2015-01-06"
    assert again.counts.new == 0 and again.counts.unchanged == 8


def test_an_interrupted_harvest_resumes_with_the_saved_token(
    db_url: str, tmp_path: Path, oai: tuple[str, Replay]
) -> None:
    url, replay = oai
    reference = open_store(f"sqlite:///{tmp_path / 'reference.db'}")
    harvest(reference, _fetcher(url), "cs", from_date=dt.date(2015, 1, 1), until=UNTIL)

    engine = open_store(db_url)
    replay.token_status, replay.token_body = 500, b"Internal Server Error"
    with pytest.raises(UpstreamError):
        harvest(engine, _fetcher(url, max_retries=1), "cs", from_date=dt.date(2015, 1, 1), until=UNTIL)
    with engine.connect() as conn:
        assert conn.execute(select(t.checkpoints.c.done, t.checkpoints.c.position)).one() == (False, 1)

    replay.token_status, replay.token_body = 200, LAST_PAGE
    replay.requests.clear()
    result = harvest(engine, _fetcher(url), "cs")
    assert result.resumed and (result.pages, result.records) == (1, 2)
    assert replay.requests == [{"verb": "ListRecords", "resumptionToken": TOKEN}]  # page 1 not asked again
    assert dump(engine) == dump(reference)
    with engine.connect() as conn:
        runs = conn.execute(select(t.ingest_runs.c.status).order_by(t.ingest_runs.c.id)).scalars().all()
    assert runs == ["failed", "done"]


def test_an_expired_token_restarts_the_window(engine: Engine, oai: tuple[str, Replay]) -> None:
    url, replay = oai
    replay.token_status, replay.token_body = 500, b"down"
    with pytest.raises(UpstreamError):
        harvest(engine, _fetcher(url, max_retries=1), "cs", from_date=dt.date(2015, 1, 1), until=UNTIL)
    replay.token_status, replay.token_body = 200, BAD_TOKEN  # the token expired meanwhile
    replay.requests.clear()
    with pytest.raises(Exception, match="badResumptionToken"):
        # arXiv would now answer the restarted window with the token again, and the expired
        # token again: the harvest must not loop forever but fail with arXiv's message.
        harvest(engine, _fetcher(url), "cs")
    assert replay.requests[0] == {"verb": "ListRecords", "resumptionToken": TOKEN}
    assert replay.requests[1]["from"] == "2015-01-01"  # restarted from the window's start


def test_the_sync_command_reports_each_set(db_url: str, tmp_path: Path, oai: tuple[str, Replay]) -> None:
    url, _replay = oai
    env = {
        "PAPERRADAR_CONFIG": str(tmp_path / "config.toml"),
        "PAPERRADAR_CACHE_DIR": str(tmp_path / "cache"),
        "PAPERRADAR_ARXIV_OAI_URL": url,
    }
    runner = CliRunner()
    args = ["--db", db_url, "sync", "arxiv", "--set", "cs", "--from", "2015-01-01", "--until", "2015-01-06"]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "✓ arXiv cs 2015-01-01 → 2015-01-06: 2 pages, 8 records: 8 new" in result.output
    nothing = runner.invoke(app, ["--db", db_url, "sync", "arxiv"], env=env)
    assert nothing.exit_code == 2 and "no set to harvest" in nothing.output
    bad_day = runner.invoke(
        app, ["--db", db_url, "sync", "arxiv", "--set", "cs", "--from", "2015-13-01"], env=env
    )
    assert bad_day.exit_code != 0 and "is not a date" in bad_day.output


def test_config_show_masks_keys_and_init_writes_a_template(tmp_path: Path) -> None:
    env = {
        "PAPERRADAR_CONFIG": str(tmp_path / "config.toml"),
        "PAPERRADAR_OPENALEX_KEY": "sk-0123456789abcdef",
    }
    runner = CliRunner()
    assert runner.invoke(app, ["config", "init"], env=env).exit_code == 0
    shown = runner.invoke(app, ["config", "show"], env=env)
    assert shown.exit_code == 0
    assert "sk-0123456789abcdef" not in shown.output and "…cdef" in shown.output
    again = runner.invoke(app, ["config", "init"], env=env)
    assert again.exit_code == 1 and "--force" in again.output


@pytest.mark.slow
def test_a_harvest_killed_with_sigkill_resumes_with_its_token(db_url: str, tmp_path: Path) -> None:
    release = threading.Event()

    def answer(_path: str, query: dict[str, str]) -> Answer:
        if "resumptionToken" in query:
            release.wait(timeout=60)  # the second page hangs until the harvester has been killed
            return 200, LAST_PAGE, {"Content-Type": "text/xml"}
        return 200, FIRST_PAGE, {"Content-Type": "text/xml"}

    config = tmp_path / "config.toml"
    config.write_text("[sources.arxiv_oai]\nmin_interval = 0\n")
    args = ["sync", "arxiv", "--set", "cs", "--from", "2015-01-01", "--until", "2015-01-06"]
    engine = open_store(db_url)
    with replay_server(answer) as (url, seen):
        env = {
            **os.environ,
            "PAPERRADAR_DB": db_url,
            "PAPERRADAR_CONFIG": str(config),
            "PAPERRADAR_CACHE_DIR": str(tmp_path / "cache"),
            "PAPERRADAR_ARXIV_OAI_URL": f"{url}/oai2",
        }
        proc = subprocess.Popen([sys.executable, "-m", "paperradar.cli", *args], env=env)
        deadline = time.monotonic() + 60
        while len(seen) < 2 and time.monotonic() < deadline:  # page 1 stored, page 2 asked for
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        release.set()
        with engine.connect() as conn:
            assert conn.execute(select(t.checkpoints.c.position, t.checkpoints.c.done)).one() == (1, False)
        seen.clear()
        result = CliRunner().invoke(app, ["--db", db_url, *args[:4]], env=env)
    assert result.exit_code == 0, result.output
    assert "(resumed an interrupted harvest): 1 page, 2 records: 2 new" in result.output
    assert seen == [("/oai2", {"verb": "ListRecords", "resumptionToken": TOKEN})]
    with engine.connect() as conn:
        runs = conn.execute(select(t.ingest_runs.c.status).order_by(t.ingest_runs.c.id)).scalars().all()
        works = conn.execute(select(func.count()).select_from(t.works)).scalar_one()
    assert runs == ["interrupted", "done"] and works == 8


def test_only_the_followed_categories_are_kept(engine: Engine, oai: tuple[str, Replay]) -> None:
    url, _replay = oai
    result = harvest(
        engine, _fetcher(url), "cs", from_date=dt.date(2015, 1, 1), until=UNTIL, categories=("cs.DM",)
    )
    assert (result.records, result.counts.new, result.counts.skipped) == (8, 1, 7)
    with engine.connect() as conn:
        assert resolve_work(conn, "1412.8544") is not None  # cs.DM
        assert resolve_work(conn, "0704.0471") is None  # nucl-ex: skipped

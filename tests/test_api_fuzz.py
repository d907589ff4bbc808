"""Issue 17: Schemathesis fuzzes the JSON API of a live server and finds nothing.

A real uvicorn serves the sample corpus on each backend, as a shared server (accounts on). Every
operation of ``/openapi.json`` gets generated requests — valid ones and invalid ones — from an
anonymous visitor and from a signed-in member (session cookie and CSRF header). Schemathesis
checks every answer: no 5xx, every status and content type documented in the schema, invalid
input refused, an ``Allow`` header that names every method. Submitting a paper the store lacks
asks a local stand-in for arXiv that answers with arXiv's recorded empty feed (no network).

Examples per operation: ``$PAPERRADAR_FUZZ_EXAMPLES`` (default 25); the generation is
derandomised, so CI sees the same cases every run. The counts are printed at the end (``-s``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

from paperradar.cli import app as cli
from paperradar.cli.app import SAMPLE
from paperradar.store import accounts
from paperradar.store.database import open_store, writing
from paperradar.web.app import create_app
from tests.conftest import BACKENDS, FIXTURES, empty_store_url
from tests.live import LiveServer
from tests.pages import csrf_of
from tests.replay import replay_server

EXAMPLES = int(os.environ.get("PAPERRADAR_FUZZ_EXAMPLES", "25"))
EMPTY_FEED = (FIXTURES / "arxiv_api" / "id_0000.0000_s0_m100_8b51d9633a68.body.xml").read_bytes()
MEMBER, PASSWORD = "fuzz-member", "a-long-fuzzing-pw"
CASES: Counter[str] = Counter()  # requests sent, per backend and visitor


@dataclass
class Visitor:
    """How one kind of visitor calls the API: the cookies and headers it sends."""

    name: str
    base_url: str
    cookies: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def _store(backend: str, folder: Path, demo_db: Path) -> Iterator[str]:
    """The sample corpus on ``backend``: a copy of the demo file, or the sample imported into PostgreSQL."""
    if backend == "sqlite":
        copy = folder / "fuzz.db"
        shutil.copyfile(demo_db, copy)
        yield str(copy)
        return
    with empty_store_url(backend, folder) as url:
        imported = CliRunner().invoke(cli, ["--db", url, "import", str(SAMPLE)])
        assert imported.exit_code == 0, imported.output
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, demo_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, LiveServer]]:
    """A live shared server (accounts on, one member) over the sample, fetching from a stand-in arXiv."""
    backend: str = request.param
    folder = tmp_path_factory.mktemp(f"fuzz-{backend}")
    os.environ["PAPERRADAR_CONFIG"] = str(folder / "no-config.toml")
    os.environ["PAPERRADAR_CACHE_DIR"] = str(folder / "cache")
    answer = (200, EMPTY_FEED, {"Content-Type": "application/atom+xml"})
    with replay_server(lambda _path, _query: answer) as (arxiv, _seen):
        os.environ["PAPERRADAR_ARXIV_API_URL"] = f"{arxiv}/api/query"
        for url in _store(backend, folder, demo_db):
            engine = open_store(url)
            with writing(engine) as conn:
                accounts.add_user(conn, MEMBER, PASSWORD, admin=False)
                accounts.add_user(conn, "fuzz-admin", PASSWORD, admin=True)
            engine.dispose()
            with LiveServer(url, local=False) as live:
                yield backend, live
    print(f"\nschemathesis on {backend}: " + ", ".join(f"{k} {v}" for k, v in sorted(CASES.items())))


def _signed_in(base_url: str) -> Visitor:
    """A member signed in through the login form, with the CSRF token the API's writes need."""
    with httpx.Client(base_url=base_url) as client:
        form = client.get("/login")
        signed = client.post(
            "/login", data={"csrf": csrf_of(form.text), "name": MEMBER, "password": PASSWORD}
        )
        assert signed.status_code in (200, 303), signed.text
        token = csrf_of(client.get("/").text)
        return Visitor("signed-in", base_url, dict(client.cookies), {"X-CSRF-Token": token})


@pytest.fixture(scope="module", params=["anonymous", "signed-in"])
def visitor(request: pytest.FixtureRequest, server: tuple[str, LiveServer]) -> Visitor:
    backend, live = server
    found = Visitor("anonymous", live.url) if request.param == "anonymous" else _signed_in(live.url)
    found.name = f"{backend}/{found.name}"
    return found


def _api_schema() -> schemathesis.BaseSchema:
    """The app's own OpenAPI document (the same for every store), read at collection time."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(str(Path(folder) / "schema.db"), local=False)
        document = app.openapi()
        app.state.site.context.engine.dispose()
    return schemathesis.openapi.from_dict(document)


schema = _api_schema()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_every_generated_request_as_documented(
    case: schemathesis.Case[Any], visitor: Visitor
) -> None:
    CASES[visitor.name] += 1
    case.call_and_validate(base_url=visitor.base_url, headers=visitor.headers, cookies=visitor.cookies)

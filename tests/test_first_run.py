"""The first run, as a new user meets it: an empty store says how to get papers (in the terminal
and on the home page), the demo says how to serve it, a paper submitted while arXiv cannot be
reached is refused within seconds, a submitted paper lands on its page, and the first account is
offered the library made before there were accounts."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from paperradar.cli import app as cli
from paperradar.web.app import create_app
from tests.pages import LOCAL, csrf_of, shown_text
from tests.replay import replay_server

FIXTURES = Path(__file__).parent / "fixtures"
SNAPSHOT = FIXTURES / "arxiv_snapshot" / "arxiv-metadata-oai-snapshot.head200.jsonl"
RECORDED = FIXTURES / "arxiv_api" / "id_1707.08567_s0_m100_6a1afebfc6a3.body.xml"  # arXiv's answer
PASSWORD = "correct horse battery staple"
OFFLINE_LIMIT = 5.0  # seconds a submission may take when arXiv cannot be reached


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    """``paperradar`` in this process; (exit status, everything it printed)."""
    result = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.output


class Served:
    """A ``paperradar … serve`` process: its URL while it runs, and all it printed once stopped."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.output = ""


@contextmanager
def serving(*args: str, env: dict[str, str]) -> Iterator[Served]:
    """Run ``paperradar ARGS --port P`` as a real process until the block ends (it is stopped then)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "paperradar.cli", *args, "--port", str(port)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **env}
    )
    served = Served(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"serve exited: {process.communicate()[0]}"
            assert time.monotonic() < deadline, "serve did not answer within 60 s"
            try:
                httpx.get(served.url, timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield served
    finally:
        process.terminate()
        served.output = process.communicate(timeout=20)[0]


@pytest.fixture
def quiet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """No config or cache of the user's, and ``lin`` as the local user (set here and for processes)."""
    env = {
        "PAPERRADAR_CONFIG": str(tmp_path / "config.toml"),
        "PAPERRADAR_CACHE_DIR": str(tmp_path / "cache"),
        "PAPERRADAR_USER": "lin",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PAPERRADAR_DB", raising=False)
    return env


# ------------------------------------------------------------------------------ how to get papers
def test_serve_on_an_empty_store_says_how_to_get_papers(tmp_path: Path, quiet: dict[str, str]) -> None:
    db = tmp_path / "my radar.db"  # a space: the commands quote it
    importing = f"paperradar --db {shlex.quote(str(db))} import FILE..."
    with serving("serve", "--db", str(db), env=quiet) as served:
        home = httpx.get(served.url)
        shown = shown_text(home.text)
        assert home.status_code == 200 and "No papers here yet" in shown
        for command in (
            "paperradar demo --no-serve",
            importing,
            "sync hf --from",
            "sync arxiv --set cs --from",
        ):
            assert command in shown, command
        # The import command, as printed, brings papers in; the page shows them on the next load.
        code, out = run(*shlex.split(importing.replace("FILE...", str(SNAPSHOT)))[1:])
        assert code == 0 and "200 new" in out
        assert "No papers here yet" not in shown_text(httpx.get(served.url).text)
    printed = served.output
    assert "this store has no papers yet; any of these brings some in (then reload the page):" in printed
    assert "paperradar demo --no-serve" in printed and importing in printed
    assert f"paperradar --db {shlex.quote(str(db))} sync hf --from " in printed
    assert "no accounts: acting as lin, no sign-in (localhost only)" in printed


def test_serve_on_a_store_with_papers_says_nothing_of_the_kind(tmp_path: Path, quiet: dict[str, str]) -> None:
    db = tmp_path / "radar.db"
    assert run("--db", str(db), "import", str(SNAPSHOT))[0] == 0
    with serving("--db", str(db), "serve", env=quiet) as served:
        assert "No papers here yet" not in shown_text(httpx.get(served.url).text)
    assert "no papers yet" not in served.output


def test_the_demo_prints_the_command_that_serves_it(tmp_path: Path, quiet: dict[str, str]) -> None:
    target = tmp_path / "demo.db"
    code, out = run("demo", "--no-serve", "--no-embed", "--path", str(target))
    assert code == 0, out
    last = out.strip().splitlines()[-1].strip()
    assert last == f"paperradar serve --db {target}"
    with serving(*shlex.split(last)[1:], env=quiet) as served:  # the line, as printed, serves the demo
        assert "Daily papers" in shown_text(httpx.get(served.url).text)


# ------------------------------------------------------------------------------ submitting offline
@pytest.fixture(params=["silent", "refusing", "busy"])
def offline(
    request: pytest.FixtureRequest, quiet: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The arXiv API at a local port that accepts connections and never answers, refuses them, or
    answers 503 asking to come back in two minutes (what a bulk sync would wait for)."""
    if request.param == "busy":
        with replay_server(lambda _path, _query: (503, b"busy", {"Retry-After": "120"})) as (url, _seen):
            monkeypatch.setenv("PAPERRADAR_ARXIV_API_URL", f"{url}/api/query")
            yield "busy"
        return
    with socket.socket() as arxiv:
        arxiv.bind(("127.0.0.1", 0))
        if request.param == "silent":
            arxiv.listen(64)  # the kernel accepts; nobody ever reads or answers
        monkeypatch.setenv("PAPERRADAR_ARXIV_API_URL", f"http://127.0.0.1:{arxiv.getsockname()[1]}/api/query")
        yield str(request.param)


def _says_arxiv_is_out_of_reach(message: str, why: str) -> None:
    assert "2699.00001 is not in the store, and arXiv could not be asked for it" in message
    if why == "busy":
        assert (
            "arXiv API is failing (HTTP 503 Service Unavailable" in message and "try again later" in message
        )
        return
    assert "check your network connection" in message and "PAPERRADAR_ARXIV_API_URL" in message
    assert "Submit it again once arXiv can be reached." in message


def test_a_submission_while_arxiv_is_out_of_reach_fails_within_seconds(offline: str, tmp_path: Path) -> None:
    db = str(tmp_path / "radar.db")
    started = time.monotonic()
    code, out = run("--db", db, "submit", "2699.00001")
    assert time.monotonic() - started < OFFLINE_LIMIT
    assert code == 1 and out.startswith("error: ")
    _says_arxiv_is_out_of_reach(" ".join(out.split()), offline)

    with TestClient(create_app(db), base_url=LOCAL) as web:
        token = csrf_of(web.get("/library").text)
        started = time.monotonic()
        form = web.post("/submit", data={"csrf": token, "id": "https://arxiv.org/abs/2699.00001"})
        assert time.monotonic() - started < OFFLINE_LIMIT
        assert form.status_code == 502
        _says_arxiv_is_out_of_reach(shown_text(form.text), offline)

        started = time.monotonic()
        api = web.post("/api/v1/submissions", json={"id": "2699.00001"}, headers={"X-CSRF-Token": token})
        assert time.monotonic() - started < OFFLINE_LIMIT
        assert api.status_code == 502
        _says_arxiv_is_out_of_reach(api.json()["error"], offline)
    assert "2699.00001" not in run("--db", db, "daily", "--json")[1]  # nothing was put on a feed


def test_a_submitted_paper_lands_on_its_page_with_a_notice(
    tmp_path: Path, quiet: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "radar.db")
    with replay_server(lambda _path, _query: (200, RECORDED.read_bytes(), {})) as (url, seen):
        monkeypatch.setenv("PAPERRADAR_ARXIV_API_URL", f"{url}/api/query")
        with TestClient(create_app(db), base_url=LOCAL) as web:
            token = csrf_of(web.get("/library").text)
            sent = web.post("/submit", data={"csrf": token, "id": "https://arxiv.org/abs/1707.08567v2"})
            assert sent.status_code == 200 and sent.url.path == "/papers/1707.08567" and len(seen) == 1
            day = sent.url.params["submitted"]
            page = shown_text(sent.text)
            assert f"Submitted: this paper is on the feed of {day}" in page
            assert "Proceedings of Workshop AEW10" in page  # the paper itself
            monkeypatch.setenv("PAPERRADAR_USER", "ada")  # someone else submits it again
            again = web.post("/submit", data={"csrf": token, "id": "1707.08567"})
            assert f"Already on the feed of {day} , submitted by lin." in shown_text(again.text)
            assert "1707.08567" in {i["arxiv_id"] for i in web.get(f"/api/v1/daily/{day}").json()["items"]}


# ------------------------------------------------------------------------------ keeping the library
def _local_library(db: str) -> None:
    """What ``lin`` makes on a laptop with no accounts; ``ada`` already has one save and a digest."""
    assert run("--db", db, "import", str(SNAPSHOT))[0] == 0
    for command in (
        ("library", "save", "0704.0001", "0704.0002", "--tag", "physics"),
        ("library", "note", "0704.0001", "read the appendix"),
        ("library", "note", "0704.0002", "compare with 0704.0001"),
        ("library", "read", "0704.0002"),
        ("dislike", "0704.0003"),
        ("upvote", "0704.0001"),
        ("submit", "0704.0002", "--no-fetch", "--day", "2026-06-12"),
        ("digest", "subscribe", "daily-trending", "--email", "lin@example.org"),
        ("digest", "subscribe", "weekly-trending", "--email", "lin@example.org"),
        ("org", "create", "lab", "--name", "The Lab"),
        ("library", "save", "0704.0002", "--user", "ada"),
        ("digest", "subscribe", "daily-trending", "--email", "ada@example.org", "--user", "ada"),
    ):
        code, out = run("--db", db, *command)
        assert code == 0, (command, out)


def _library(db: str, user: str) -> dict[str, dict[str, object]]:
    return {
        i["arxiv_id"]: i for i in json.loads(run("--db", db, "library", "list", "--json", "--user", user)[1])
    }


def test_the_first_account_takes_over_the_local_library(db_url: str, quiet: dict[str, str]) -> None:
    _local_library(db_url)
    code, out = run("--db", db_url, "user", "add", "ada", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0, out
    assert "added ada (admin): sign-in is now on in the web app" in out
    assert (
        "ada took over what lin made before accounts: 2 saved papers (2 with a note), 1 tag, "
        "1 “not for me” mark, 1 vote, 1 submission, 1 digest, 1 organisation membership"
    ) in " ".join(out.split())

    library = _library(db_url, "ada")
    assert set(library) == {"0704.0001", "0704.0002"}
    assert library["0704.0001"]["note"] == "read the appendix" and library["0704.0001"]["tags"] == ["physics"]
    # ada had saved 0704.0002 herself, with no note: hers is kept, with lin's note and read mark
    assert library["0704.0002"]["note"] == "compare with 0704.0001" and library["0704.0002"]["read_at"]
    assert _library(db_url, "lin") == {}
    assert "vote taken back" in run("--db", db_url, "upvote", "0704.0001", "--undo", "--user", "ada")[1]
    assert "upvoted as lin; 1 local vote" in run("--db", db_url, "upvote", "0704.0001", "--user", "lin")[1]
    submitted = json.loads(run("--db", db_url, "daily", "2026-06-12", "--json")[1])["items"]
    assert [(i["arxiv_id"], i["submitter"]) for i in submitted] == [("0704.0002", "ada")]
    assert "ada" in run("--db", db_url, "org", "show", "lab")[1]
    digests = json.loads(run("--db", db_url, "digest", "list", "--json")[1])
    # ada's own daily digest stays hers; lin's of the same kind stays lin's, so no address loses one
    assert sorted((d["owner"], d["kind"], d["email"]) for d in digests) == [
        ("ada", "daily-trending", "ada@example.org"),
        ("ada", "weekly-trending", "lin@example.org"),
        ("lin", "daily-trending", "lin@example.org"),
    ]


def test_the_offer_is_asked_and_may_be_declined(tmp_path: Path, quiet: dict[str, str]) -> None:
    db = str(tmp_path / "radar.db")
    assert run("--db", db, "import", str(SNAPSHOT))[0] == 0
    assert run("--db", db, "library", "save", "0704.0001")[0] == 0

    code, out = run("--db", db, "user", "add", "ada", stdin="y\nshort\nshort\n")  # refused: nothing moves
    assert code == 1 and "at least 10 characters" in out
    assert "Give it all to ada? [Y/n]" in out and set(_library(db, "lin")) == {"0704.0001"}

    code, out = run("--db", db, "user", "add", "ada", stdin=f"n\n{PASSWORD}\n{PASSWORD}\n")
    assert code == 0, out
    assert "Before accounts, this store was lin's: 1 saved paper." in out
    assert "kept under lin (only an account named so would see it): 1 saved paper" in out
    assert set(_library(db, "lin")) == {"0704.0001"} and _library(db, "ada") == {}
    code, out = run(
        "--db", db, "user", "add", "bob", "--password-stdin", "--adopt-local", stdin=PASSWORD + "\n"
    )
    assert code == 0 and "took over" not in out  # only the first account is offered it
    assert "--adopt-local" in run("user", "add", "--help")[1]


def test_the_web_first_run_offers_the_library_to_the_first_account(
    tmp_path: Path, quiet: dict[str, str]
) -> None:
    db = str(tmp_path / "radar.db")
    assert run("--db", db, "import", str(SNAPSHOT))[0] == 0
    assert run("--db", db, "library", "note", "0704.0001", "read the appendix")[0] == 0
    with TestClient(create_app(db), base_url=LOCAL) as web:
        admin = web.get("/admin")
        assert "Give this account what you (lin) made before accounts: 1 saved paper (1 with a note)" in (
            shown_text(admin.text)
        )
        assert 'name="adopt_local" value="1" checked' in admin.text  # kept, unless unticked
        added = web.post(
            "/admin/users",
            data={"csrf": csrf_of(admin.text), "name": "ada", "password": PASSWORD, "adopt_local": "1"},
        )
        assert "ada took over what you made before: 1 saved paper (1 with a note)." in shown_text(added.text)
        signed_in = web.post(
            "/login", data={"csrf": csrf_of(web.get("/login").text), "name": "ada", "password": PASSWORD}
        )
        assert signed_in.status_code == 200
        library = shown_text(web.get("/library").text)
        assert "Calculation of prompt diphoton production" in library and "read the appendix" in library

"""Nobody stalls the server: a write that cannot get the store's write lock answers 503 with
Retry-After within the web app's few seconds (not SQLite's 30 s hang, nor a wait for ever on a
PostgreSQL lock), pages keep answering meanwhile, and the CLI still waits as long as an import may.

Timings are taken against a real uvicorn in its own process (as ``paperradar serve`` runs it),
so that the server's threads and this test's never share one interpreter.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from paperradar.cli import app as cli
from paperradar.store.database import normalise_url
from paperradar.web.limits import WRITE_WAIT
from tests.conftest import FIXTURES

PAPER = "0704.0001"  # the first record of the arXiv snapshot sample
BUSY = "the store is busy with another write; try again in 2 s"


class Served:
    """``paperradar.web.app:app_from_env`` under uvicorn in a subprocess, on a free port."""

    def __init__(self, db: str, *, local: bool, user: str = "lin") -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.env = {**os.environ, "PAPERRADAR_DB": db, "PAPERRADAR_LOCAL": "1" if local else "0"}
        self.env["PAPERRADAR_USER"] = user
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Served:
        command = [sys.executable, "-m", "uvicorn", "--factory", "paperradar.web.app:app_from_env"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]
        self.process = subprocess.Popen(command, env=self.env)
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, "the server stopped"
            assert time.monotonic() < deadline, "the server did not start"
            try:
                httpx.get(f"{self.url}/static/style.css", timeout=2)
                return self
            except httpx.TransportError:
                time.sleep(0.1)

    def __exit__(self, *_: object) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(20)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=120)


def csrf_token(client: httpx.Client, path: str = "/") -> str:
    """The page's CSRF token (the client keeps the cookie it pairs with)."""
    page = client.get(path)
    found = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def slowest_while(busy: Callable[[], bool], url: str, paths: list[str]) -> dict[str, float]:
    """The longest answer of each path, asked in turn for as long as ``busy()`` holds."""
    slowest = dict.fromkeys(paths, 0.0)
    with httpx.Client(base_url=url, timeout=120) as client:
        while busy():
            for path in paths:
                started = time.monotonic()
                assert client.get(path).status_code == 200
                slowest[path] = max(slowest[path], time.monotonic() - started)
    return slowest


def in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Run ``work`` in a started thread; its result lands in the list."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    return thread, result


@contextmanager
def write_lock_held(url: str) -> Iterator[None]:
    """Another connection holds the store's write lock: SQLite's (BEGIN IMMEDIATE), or on
    PostgreSQL a lock on the library table that every change to a library waits for."""
    if url.startswith("sqlite"):
        holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn, conn.begin():
            conn.execute(text("LOCK TABLE library IN EXCLUSIVE MODE"))  # reads still go on
            yield
    finally:
        engine.dispose()


def stocked(url: str, folder: Path, papers: int = 5) -> str:
    """The store at ``url`` with the first ``papers`` papers of the arXiv snapshot sample."""
    sample = folder / "sample.jsonl"
    lines = (
        (FIXTURES / "arxiv_snapshot" / "arxiv-metadata-oai-snapshot.head200.jsonl").read_text().splitlines()
    )
    sample.write_text("\n".join(lines[:papers]) + "\n")
    done = CliRunner().invoke(cli, ["--db", url, "import", str(sample)])
    assert done.exit_code == 0, done.output
    return url


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> str:
    """A store with a few papers, on each backend."""
    return stocked(db_url, tmp_path)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> str:
    return stocked(f"sqlite:///{tmp_path / 'paperradar.db'}", tmp_path)


def tags_of(client: httpx.Client, paper: str) -> list[str] | None:
    items = client.get("/api/v1/library").json()["items"]
    return next((i["tags"] for i in items if i["arxiv_id"] == paper), None)


def test_a_write_that_cannot_get_the_lock_answers_503_soon_while_pages_answer(store: str) -> None:
    with Served(store, local=True) as server, server.client() as client:
        token = csrf_token(client)

        def change() -> tuple[int, dict[str, str], float]:
            started = time.monotonic()
            answer = client.patch(
                f"/api/v1/library/{PAPER}", json={"add_tags": ["held"]}, headers={"X-CSRF-Token": token}
            )
            return (
                answer.status_code,
                {"retry": answer.headers.get("retry-after", ""), **answer.json()},
                (time.monotonic() - started),
            )

        with write_lock_held(store):
            thread, result = in_thread(change)
            slowest = slowest_while(
                thread.is_alive, server.url, ["/", f"/papers/{PAPER}", "/static/style.css"]
            )
            thread.join()
        status, body, took = result[0]
        assert (status, body) == (503, {"retry": "2", "error": BUSY}), body
        assert WRITE_WAIT - 0.5 < took < WRITE_WAIT + 3, f"refused after {took:.1f} s"
        assert max(slowest.values()) < 1.0, slowest
        assert tags_of(client, PAPER) is None  # nothing was written

        # the lock gone, the same change goes through
        done = client.patch(
            f"/api/v1/library/{PAPER}", json={"add_tags": ["held"]}, headers={"X-CSRF-Token": token}
        )
        assert done.status_code == 200 and tags_of(client, PAPER) == ["held"]


def test_a_form_that_cannot_get_the_lock_is_the_503_page_with_retry_after(sqlite_store: str) -> None:
    with Served(sqlite_store, local=True) as server, server.client() as client:
        token = csrf_token(client, f"/papers/{PAPER}")
        with write_lock_held(sqlite_store):
            started = time.monotonic()
            saved = client.post(f"/papers/{PAPER}/save", data={"csrf": token, "next": "/library"})
            took = time.monotonic() - started
        assert saved.status_code == 503 and saved.headers["retry-after"] == "2"
        assert BUSY in saved.text and "<html" in saved.text.lower() and took < WRITE_WAIT + 3


def test_the_cli_still_waits_for_a_lock_an_import_holds(sqlite_store: str) -> None:
    """A command is no visitor: it waits out a lock held for longer than the web app would."""
    path = sqlite_store.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)  # the timer ends it
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(WRITE_WAIT + 2, lambda: holder.execute("ROLLBACK"))
    release.start()
    started = time.monotonic()
    saved = CliRunner().invoke(cli, ["--db", sqlite_store, "library", "save", PAPER, "--user", "lin"])
    release.join()
    holder.close()
    assert saved.exit_code == 0, saved.output
    assert f"saved: {PAPER}" in saved.output and time.monotonic() - started > WRITE_WAIT + 1.5

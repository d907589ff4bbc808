"""Each request's work is bounded: body sizes (by Content-Length and as a chunked body streams
in), what one library change may hold, each user's writes a minute, and password hashes at once —
so 24 parallel wrong passwords leave pages and static files fast."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from paperradar.services.library import MAX_NOTE, MAX_SAVE, MAX_TAG, MAX_TAGS
from paperradar.store import accounts
from paperradar.store.database import open_store, writing
from paperradar.web.app import create_app
from paperradar.web.limits import ENV_MAX_UPLOAD, WORK
from tests.conftest import Run
from tests.pages import LOCAL, csrf_of, shown_text
from tests.test_write_lock import Served, slowest_while

PAPER = "2606.13392"  # MiniMax, in the demo corpus
OTHER = "2606.13681"  # EvoArena
TOO_BIG = "the request is over 1 MiB, the most a form or an API call may send"


@pytest.fixture(scope="module")
def client(demo_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(str(demo_db)), base_url=LOCAL) as test_client:
        yield test_client


def as_user(client: TestClient, monkeypatch: pytest.MonkeyPatch, name: str) -> dict[str, str]:
    """Act as the local user ``name`` (each test its own, so budgets do not mix); the API headers."""
    monkeypatch.setenv("PAPERRADAR_USER", name)
    return {"X-CSRF-Token": csrf_of(client.get("/library").text)}


def library(client: TestClient) -> dict[str, dict[str, Any]]:
    return {i["arxiv_id"]: i for i in client.get("/api/v1/library").json()["items"]}


# ------------------------------------------------------------------------------ bodies
def test_a_2_mb_json_body_is_refused_with_413_and_nothing_is_stored(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = as_user(client, monkeypatch, "big-json")
    answer = client.patch(f"/api/v1/library/{PAPER}", json={"note": "x" * 2_000_000}, headers=headers)
    assert answer.status_code == 413 and TOO_BIG in answer.json()["error"]
    assert library(client) == {}


def test_an_oversized_form_is_the_413_page(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    token = as_user(client, monkeypatch, "big-form")["X-CSRF-Token"]
    page = client.post(f"/library/{PAPER}/edit", data={"csrf": token, "note": "y" * 2_000_000})
    assert page.status_code == 413 and TOO_BIG in shown_text(page.text)
    assert page.headers["x-frame-options"] == "DENY"  # an answer like any other
    assert library(client) == {}


def test_a_chunked_body_is_counted_as_it_streams_and_refused_past_the_limit(
    demo_db: Path, tmp_path: Path
) -> None:
    """No Content-Length to go by: the bytes are counted as they come, on a real server."""
    db = tmp_path / "chunked.db"
    shutil.copyfile(demo_db, db)

    def body(chunks: int) -> Iterator[bytes]:
        """A JSON note sent in ``chunks`` pieces of 64 KiB, with no Content-Length."""
        yield b'{"note": "'
        for _ in range(chunks):
            yield b"z" * 65_536
        yield b'"}'

    with Served(str(db), local=True) as server, server.client() as live:
        token = csrf_of(live.get("/library").text)
        headers = {"X-CSRF-Token": token, "Content-Type": "application/json"}
        refused = live.patch(f"/api/v1/library/{PAPER}", content=body(32), headers=headers)
        assert "content-length" not in refused.request.headers  # it really was chunked
        assert refused.status_code == 413 and TOO_BIG in refused.json()["error"]
        small = live.patch(f"/api/v1/library/{PAPER}", content=body(4), headers=headers)
        assert small.status_code == 422 and "a note holds at most 20,000" in small.json()["error"]
        fine = live.patch(
            f"/api/v1/library/{PAPER}", content=iter([b'{"note": ', b'"chunked"}']), headers=headers
        )
        assert fine.status_code == 200 and fine.json()["note"] == "chunked"


def test_a_library_upload_has_its_own_larger_limit(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_MAX_UPLOAD, "2")
    monkeypatch.setenv("PAPERRADAR_USER", "uploader")
    db = tmp_path / "upload.db"
    shutil.copyfile(demo_db, db)

    def upload(size: int) -> dict[str, tuple[str, bytes, str]]:
        """A CSL-JSON file of one paper of the corpus, with an abstract of ``size`` characters."""
        item = {
            "id": "Z1",
            "type": "article",
            "title": "x",
            "number": f"arXiv:{PAPER}",
            "abstract": "a" * size,
        }
        return {"file": ("big.json", json.dumps([item]).encode(), "application/json")}

    with TestClient(create_app(str(db)), base_url=LOCAL) as client:
        token = csrf_of(client.get("/library").text)
        # over the 1 MiB of a form, within the upload's 2 MiB
        taken = client.post("/library/import", data={"csrf": token}, files=upload(1_500_000))
        assert taken.status_code == 200 and "1 saved" in shown_text(taken.text)
        refused = client.post("/library/import", data={"csrf": token}, files=upload(2_500_000))
        assert refused.status_code == 413
        assert "the file is over 2 MiB, the largest upload this server takes" in shown_text(refused.text)
        assert ENV_MAX_UPLOAD in shown_text(refused.text)


# ------------------------------------------------------------------------------ what one change holds
def test_a_long_note_or_too_many_tags_are_refused_whole_with_the_bound_named(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = as_user(client, monkeypatch, "wordy")
    refusals = {
        f"the note has 20,001 characters: a note holds at most {MAX_NOTE:,}": {"note": "n" * (MAX_NOTE + 1)},
        f"51 tags in one change: at most {MAX_TAGS} at once": {"add_tags": [f"t{i}" for i in range(51)]},
        f"has 65 characters: a tag has at most {MAX_TAG}": {"add_tags": ["ok", "t" * 65], "note": "kept?"},
    }
    for message, change in refusals.items():
        answer = client.patch(f"/api/v1/library/{PAPER}", json=change, headers=headers)
        assert answer.status_code == 422 and message in answer.json()["error"], answer.text[:300]
    assert library(client) == {}  # refused whole: not even saved
    fits = {"add_tags": [f"t{i}" for i in range(MAX_TAGS)], "note": "n" * MAX_NOTE}
    assert client.patch(f"/api/v1/library/{PAPER}", json=fits, headers=headers).status_code == 200
    assert len(library(client)[PAPER]["tags"]) == MAX_TAGS


def test_the_cli_has_the_same_bounds(demo_run: Run) -> None:
    status, output = demo_run("library", "tag", PAPER, *[f"t{i}" for i in range(51)], "--user", "cli")
    assert status == 1 and f"51 tags in one change: at most {MAX_TAGS} at once" in " ".join(output.split())
    status, output = demo_run("library", "note", PAPER, "n" * (MAX_NOTE + 1), "--user", "cli")
    assert status == 1 and f"a note holds at most {MAX_NOTE:,}" in " ".join(output.split())
    status, output = demo_run("library", "save", *[PAPER] * (MAX_SAVE + 1), "--user", "cli")
    assert status == 1 and f"101 papers in one save: at most {MAX_SAVE} at once" in " ".join(output.split())
    status, output = demo_run("library", "list", "--user", "cli")
    assert PAPER not in output


# ------------------------------------------------------------------------------ writes a minute
def test_writing_past_a_users_budget_is_429_with_retry_after(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = as_user(client, monkeypatch, "busy-bee")
    per_change = 1 + MAX_TAGS
    for n in range(WORK // per_change):  # 11 changes of 50 tags: 561 of the 600 a minute
        tags = [f"r{n}-{i}" for i in range(MAX_TAGS)]
        assert (
            client.patch(f"/api/v1/library/{PAPER}", json={"add_tags": tags}, headers=headers).status_code
            == 200
        )
    refused = client.patch(f"/api/v1/library/{OTHER}", json={"add_tags": ["x"] * MAX_TAGS}, headers=headers)
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    assert f"too many changes and tags: at most {WORK} a minute" in refused.json()["error"]
    assert OTHER not in library(client)
    # another user is not held back by this one
    other = as_user(client, monkeypatch, "calm")
    assert client.put(f"/api/v1/papers/{OTHER}/save", headers=other).status_code == 200


# ------------------------------------------------------------------------------ password hashing
def test_24_parallel_wrong_passwords_leave_pages_and_static_files_fast(demo_db: Path, tmp_path: Path) -> None:
    """Each sign-in is answered soon (401, 429, or 503 when every hasher is taken), none queues
    behind the others, and meanwhile a page and a static file answer within a second."""
    db = tmp_path / "accounts.db"
    shutil.copyfile(demo_db, db)
    engine = open_store(str(db))
    with writing(engine) as conn:
        accounts.add_user(conn, "ada", "correct horse battery", admin=True)
    engine.dispose()
    with Served(str(db), local=False) as server, server.client() as visitor:
        token = csrf_of(visitor.get("/login").text)
        answers: list[tuple[int, str | None, float]] = []

        def sign_in(n: int) -> None:
            started = time.monotonic()
            form = {"csrf": token, "name": f"ada{n % 12}", "password": f"not the password {n}"}
            answer = httpx.post(f"{server.url}/login", data=form, cookies=visitor.cookies, timeout=60)
            answers.append(
                (answer.status_code, answer.headers.get("retry-after"), time.monotonic() - started)
            )

        sign_in(99)  # one alone: what a sign-in costs on this machine, now
        single = answers.pop()[2]
        burst = [threading.Thread(target=sign_in, args=(n,)) for n in range(24)]
        for thread in burst:
            thread.start()
        slowest = slowest_while(
            lambda: any(t.is_alive() for t in burst), server.url, ["/", "/static/style.css"]
        )
        for thread in burst:
            thread.join()
        assert len(answers) == 24 and {status for status, _, _ in answers} <= {401, 429, 503}, answers
        assert all(retry == "2" for status, retry, _ in answers if status == 503), answers
        # None waited behind all the others (24 in a row would take 24 × single): at most the
        # hashers' 2 s wait and a few sign-ins' worth, however loaded the machine is.
        assert max(took for _, _, took in answers) < 2 + 4 * single + 1, (single, answers)
        assert max(slowest.values()) < 1.0, slowest

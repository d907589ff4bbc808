"""Accounts and safety through the ASGI app: the local single-user mode, sign-in, sessions,
CSRF, rate limits, the admin page, saves and votes from forms and the API, and no open redirects."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paperradar.store import accounts
from paperradar.store.database import open_store, writing
from paperradar.web.app import create_app
from tests.pages import LOCAL, csrf_of, shown_text

PAPER = "2606.13681"  # EvoArena, 118 upvotes on Hugging Face in the sample


def local_votes(db: Path, work: str = PAPER) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [
            r[0]
            for r in conn.execute(
                "SELECT voter FROM votes JOIN works ON works.id = votes.work_id WHERE works.arxiv_id = ?",
                (work,),
            )
        ]


# ------------------------------------------------------------------------------ one local user
@pytest.fixture(scope="module")
def local(demo_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(str(demo_db)), base_url=LOCAL) as client:
        yield client


def test_on_localhost_with_no_accounts_the_reader_acts_without_signing_in(
    local: TestClient, demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERRADAR_USER", "ada")
    page = local.get(f"/papers/{PAPER}")
    assert "ada" in shown_text(page.text) and "Log in" not in shown_text(page.text)
    assert "▲ 118" in shown_text(page.text)
    voted = local.post(
        f"/papers/{PAPER}/vote",
        data={"csrf": csrf_of(page.text), "next": f"/papers/{PAPER}"},
        follow_redirects=False,
    )
    assert voted.status_code == 303 and voted.headers["location"] == f"/papers/{PAPER}"
    after = local.get(f"/papers/{PAPER}")
    assert "▲ 119" in shown_text(after.text) and 'aria-pressed="true"' in after.text
    assert local_votes(demo_db) == ["ada"]
    # the button now takes the vote back
    undone = local.post(f"/papers/{PAPER}/vote", data={"csrf": csrf_of(after.text), "undo": "1"})
    assert undone.status_code == 200 and "▲ 118" in shown_text(undone.text)
    assert local_votes(demo_db) == []


def test_the_api_votes_and_saves_with_the_csrf_header(
    local: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERRADAR_USER", "grace")
    token = csrf_of(local.get("/").text)
    headers = {"X-CSRF-Token": token}
    first = local.put(f"/api/v1/papers/{PAPER}/vote", headers=headers).json()
    again = local.put(f"/api/v1/papers/{PAPER}/vote", headers=headers).json()
    assert first["upvotes"] == again["upvotes"] == 119 and first["voted"] is True  # once per user
    assert (first["upvotes_huggingface"], first["upvotes_local"]) == (118, 1)
    assert local.delete(f"/api/v1/papers/{PAPER}/vote", headers=headers).json()["upvotes"] == 118

    assert local.put(f"/api/v1/papers/{PAPER}/save", headers=headers).json()["saved"] is True
    saved = local.get("/api/v1/library").json()
    assert saved["user"] == "grace" and [i["arxiv_id"] for i in saved["items"]] == [PAPER]
    library = shown_text(local.get("/library").text)
    assert "1 saved paper," in library and "EvoArena" in library and "Saved" in library
    assert local.delete(f"/api/v1/papers/{PAPER}/save", headers=headers).json()["saved"] is False
    assert local.get("/api/v1/library").json()["total"] == 0
    missing = local.put("/api/v1/papers/9999.99999/save", headers=headers)
    assert missing.status_code == 404 and "9999.99999" in missing.json()["error"]


def test_state_changes_without_a_valid_csrf_token_or_from_another_site_are_refused(
    local: TestClient, demo_db: Path
) -> None:
    token = csrf_of(local.get("/").text)
    for data, headers in (
        ({}, {}),
        ({"csrf": "0" * 64}, {}),
        ({"csrf": token}, {"Origin": "https://evil.example"}),
    ):
        refused = local.post(f"/papers/{PAPER}/vote", data=data, headers=headers)
        assert refused.status_code == 403 and "refused" in shown_text(refused.text)
    api = local.put(f"/api/v1/papers/{PAPER}/vote")
    assert api.status_code == 403 and "CSRF" in api.json()["error"]
    assert local_votes(demo_db) == []


def test_a_localhost_app_answers_only_to_localhost_names(local: TestClient) -> None:
    rebound = local.get("/", headers={"Host": "attacker.example:8000"})
    assert rebound.status_code == 400 and "bound to localhost" in rebound.text
    assert local.get("/", headers={"Host": "localhost:8000"}).status_code == 200


def test_every_page_forbids_framing_and_foreign_scripts(local: TestClient) -> None:
    page = TestClient(local.app, base_url=LOCAL).get("/")  # a first visit: no cookies yet
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
    cookie = page.headers["set-cookie"]
    assert "paperradar_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_errors_are_pages_or_json_never_tracebacks(local: TestClient) -> None:
    page = local.get("/authors/not-a-number")
    assert page.status_code == 422 and "<h1>422</h1>" in page.text and "Traceback" not in page.text
    assert "author_id" in shown_text(page.text)
    api = local.get("/api/v1/authors/not-a-number")
    assert api.status_code == 422 and "author_id" in api.json()["error"]
    assert local.get("/nowhere").status_code == 404


def test_the_api_docs_load_their_assets_from_this_site(local: TestClient) -> None:
    docs = local.get("/docs")
    assert docs.status_code == 200 and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    assert "cdn." not in docs.text
    assert local.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    schema = local.get("/openapi.json").json()
    assert "/api/v1/papers/{ident}/vote" in schema["paths"] and "/api/v1/library" in schema["paths"]


# ------------------------------------------------------------------------------ accounts
@pytest.fixture(scope="module")
def shared_db(_demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("shared") / "shared.db"
    shutil.copyfile(_demo_template, copy)
    return copy


@pytest.fixture
def shared(shared_db: Path) -> Iterator[TestClient]:
    """The app as on a lab server: not bound to localhost, two accounts (a new app each test)."""
    engine = open_store(str(shared_db))
    with writing(engine) as conn:
        for name in ("ada", "bob"):
            if accounts.get_user(conn, name) is None:
                accounts.add_user(conn, name, f"{name}-secret-pw", admin=name == "ada")
    with TestClient(create_app(engine, local=False)) as client:
        yield client


def sign_in(
    client: TestClient, name: str, password: str, next_: str = "/"
) -> Any:  # the test client's response
    form = client.get("/login").text
    return client.post(
        "/login",
        data={"csrf": csrf_of(form), "name": name, "password": password, "next": next_},
        follow_redirects=False,
    )


def test_passwords_are_stored_as_argon2id_hashes(shared: TestClient, shared_db: Path) -> None:
    with sqlite3.connect(shared_db) as conn:
        stored = dict(conn.execute("SELECT name, password_hash FROM users"))
    assert stored["ada"].startswith("$argon2id$") and "ada-secret-pw" not in stored["ada"]


def test_anonymous_visitors_read_but_must_sign_in_to_vote(shared: TestClient) -> None:
    page = shared.get(f"/papers/{PAPER}")
    assert page.status_code == 200 and "Log in" in shown_text(page.text)
    vote = shared.post(f"/papers/{PAPER}/vote", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert vote.status_code == 303 and vote.headers["location"] == f"/login?next=/papers/{PAPER}"
    api = shared.put(f"/api/v1/papers/{PAPER}/vote", headers={"X-CSRF-Token": csrf_of(page.text)})
    assert api.status_code == 401 and "sign in" in api.json()["error"]


def test_sign_in_vote_and_sign_out(shared: TestClient, shared_db: Path) -> None:
    wrong = sign_in(shared, "bob", "not-the-password")
    assert wrong.status_code == 401 and "Wrong name or password." in wrong.text
    unknown = sign_in(shared, "nobody", "whatever-pw")
    assert unknown.status_code == 401 and "Wrong name or password." in unknown.text  # the same answer

    signed = sign_in(shared, "bob", "bob-secret-pw", next_=f"/papers/{PAPER}")
    assert signed.status_code == 303 and signed.headers["location"] == f"/papers/{PAPER}"
    cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith("paperradar_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = shared.get(f"/papers/{PAPER}")
    assert "bob" in shown_text(page.text) and "Log out" in page.text
    assert "Admin" not in shown_text(page.text)  # bob is no admin
    shared.post(f"/papers/{PAPER}/vote", data={"csrf": csrf_of(page.text)})
    assert local_votes(shared_db) == ["bob"]

    session = shared.cookies["paperradar_session"]
    out = shared.post("/logout", data={"csrf": csrf_of(shared.get("/").text)}, follow_redirects=False)
    assert out.status_code == 303 and "Log in" in shown_text(shared.get("/").text)
    # the old cookie no longer signs anyone in: the session was deleted, not just forgotten
    shared.cookies.set("paperradar_session", session)
    token = csrf_of(shared.get("/").text)
    assert shared.put(f"/api/v1/papers/{PAPER}/save", headers={"X-CSRF-Token": token}).status_code == 401


def test_repeated_failed_sign_ins_are_slowed_down(shared: TestClient) -> None:
    for _ in range(5):
        assert sign_in(shared, "ada", "guess-guess").status_code == 401
    blocked = sign_in(shared, "ada", "ada-secret-pw")  # even the right password waits now
    assert blocked.status_code == 429 and "Too many failed sign-ins" in blocked.text
    assert sign_in(shared, "bob", "bob-secret-pw").status_code == 303  # others still may


def test_votes_are_rate_limited_per_user(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERRADAR_USER", "eager")
    with TestClient(create_app(str(demo_db)), base_url=LOCAL) as client:
        headers = {"X-CSRF-Token": csrf_of(client.get("/").text)}
        answers = [client.put(f"/api/v1/papers/{PAPER}/vote", headers=headers).status_code for _ in range(61)]
        assert answers[:60] == [200] * 60 and answers[60] == 429
        last = client.put(f"/api/v1/papers/{PAPER}/vote", headers=headers)
        assert "too many votes" in last.json()["error"] and int(last.headers["retry-after"]) > 0


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"]
)
def test_sign_in_never_redirects_off_site(shared: TestClient, target: str) -> None:
    signed = sign_in(shared, "bob", "bob-secret-pw", next_=target)
    assert signed.status_code == 303 and signed.headers["location"] == "/"


def test_only_admins_manage_users_and_organisations(shared: TestClient) -> None:
    assert shared.get("/admin", follow_redirects=False).headers["location"] == "/login?next=/admin"
    sign_in(shared, "bob", "bob-secret-pw")
    assert shared.get("/admin").status_code == 403
    token = csrf_of(shared.get("/").text)
    sneaky = shared.post("/admin/users", data={"csrf": token, "name": "mallory", "password": "x" * 12})
    assert sneaky.status_code == 403

    sign_in(shared, "ada", "ada-secret-pw")
    admin = shared.get("/admin")
    assert admin.status_code == 200 and "bob" in shown_text(admin.text)
    token = csrf_of(admin.text)
    added = shared.post("/admin/users", data={"csrf": token, "name": "carol", "password": "carol-pw-123"})
    assert "Added carol." in shown_text(added.text)
    short = shared.post("/admin/users", data={"csrf": token, "name": "dave", "password": "short"})
    assert short.status_code == 400 and "at least 10 characters" in short.text
    org = shared.post("/admin/orgs", data={"csrf": token, "handle": "reading-group", "name": "Reading Group"})
    assert "Created the organisation reading-group" in shown_text(org.text)
    member = shared.post("/admin/orgs/reading-group/members", data={"csrf": token, "member": "carol"})
    assert "Added carol to reading-group." in shown_text(member.text)
    page = shared.get("/orgs/reading-group")
    assert "carol (member)" in shown_text(page.text) and "ada (admin)" in shown_text(page.text)
    itself = shared.post("/admin/users/ada", data={"csrf": token, "action": "revoke-admin"})
    assert itself.status_code == 400 and "only admin" in itself.text
    gone = shared.post("/admin/users/carol", data={"csrf": token, "action": "remove"})
    assert (
        "Removed carol." in shown_text(gone.text)
        and sign_in(shared, "carol", "carol-pw-123").status_code == 401
    )


def test_members_file_papers_under_their_organisation(shared: TestClient) -> None:
    sign_in(shared, "ada", "ada-secret-pw")
    token = csrf_of(shared.get("/admin").text)
    shared.post("/admin/orgs", data={"csrf": token, "handle": "lab", "name": "The Lab"})
    shared.post("/admin/orgs/lab/members", data={"csrf": token, "member": "bob"})

    sign_in(shared, "bob", "bob-secret-pw")
    paper = shared.get(f"/papers/{PAPER}")
    assert (
        "File under your organisation" in paper.text and '<option value="lab">The Lab</option>' in paper.text
    )
    filed = shared.post(
        f"/papers/{PAPER}/organisation",
        data={"csrf": csrf_of(paper.text), "handle": "lab"},
        follow_redirects=False,
    )
    assert filed.status_code == 303 and filed.headers["location"] == "/orgs/lab"
    org = shown_text(shared.get("/orgs/lab").text)
    assert "1 Paper " in org and "EvoArena" in org and "bob (member)" in org
    assert shared.get("/api/v1/orgs/lab").json()["papers"][0]["arxiv_id"] == PAPER

    sign_in(shared, "ada", "ada-secret-pw")
    shared.post("/admin/orgs", data={"csrf": csrf_of(shared.get("/admin").text), "handle": "elsewhere"})
    sign_in(shared, "bob", "bob-secret-pw")
    token = csrf_of(shared.get("/").text)
    refused = shared.post(f"/papers/{PAPER}/organisation", data={"csrf": token, "handle": "elsewhere"})
    assert refused.status_code == 403 and "bob is not a member" in shown_text(refused.text)

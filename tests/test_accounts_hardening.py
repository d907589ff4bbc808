"""Issue 17, accounts and local files: weak passwords are refused with their reason, removing an
account takes its private data with it, and a new store is readable by its owner only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from paperradar.cli import app
from paperradar.ingest import import_file
from paperradar.search.lexical import LexicalIndex, index_dir
from paperradar.store import accounts, community, library, subscriptions
from paperradar.store import schema as t
from paperradar.store.database import open_store, writing
from paperradar.store.queries import resolve_work
from paperradar.web.app import create_app
from tests.conftest import FIXTURES
from tests.pages import csrf_of, shown_text

SNAPSHOT = FIXTURES / "arxiv_snapshot" / "arxiv-metadata-oai-snapshot.head200.jsonl"
PAPERS = ("0704.0001", "0704.0002")

# (password, the reason the user is shown)
WEAK = [
    ("short-pw", "at least 10 characters"),
    (" " * 12, "only spaces"),
    ("password123", "most common"),
    ("QwertyUiop", "most common"),  # the list is matched whatever the case
]


def cli(url: str, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--db", url, *args], input=stdin)
    return result.exit_code, result.output


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


# ------------------------------------------------------------------------------ passwords
@pytest.mark.parametrize(("password", "reason"), WEAK)
def test_the_cli_refuses_a_weak_password_and_says_why(tmp_path: Path, password: str, reason: str) -> None:
    db = str(tmp_path / "store.db")
    code, out = cli(db, "user", "add", "ada", "--password-stdin", stdin=password + "\n")
    assert code == 1 and "error:" in out and reason in out
    assert cli(db, "user", "list")[1].startswith("no accounts")
    added = cli(db, "user", "add", "ada", "--password-stdin", stdin="a-long-unusual-pw\n")
    assert added[0] == 0 and "added ada (admin)" in added[1]
    code, out = cli(db, "user", "password", "ada", "--password-stdin", stdin=password + "\n")
    assert code == 1 and reason in out


@pytest.fixture
def admin_client(demo_db: Path) -> Iterator[TestClient]:
    """The admin page of a lab server, signed in as its admin."""
    engine = open_store(str(demo_db))
    with writing(engine) as conn:
        accounts.add_user(conn, "ada", "ada-secret-pw", admin=True)
    with TestClient(create_app(engine, local=False)) as client:
        form = client.get("/login").text
        client.post("/login", data={"csrf": csrf_of(form), "name": "ada", "password": "ada-secret-pw"})
        yield client


def test_the_admin_form_refuses_a_weak_password_and_says_why(admin_client: TestClient) -> None:
    token = csrf_of(admin_client.get("/admin").text)
    for password, reason in WEAK:
        added = admin_client.post("/admin/users", data={"csrf": token, "name": "dave", "password": password})
        assert added.status_code == 400 and reason in shown_text(added.text)
        changed = admin_client.post(
            "/admin/users/ada", data={"csrf": token, "action": "password", "password": password}
        )
        assert changed.status_code == 400 and reason in shown_text(changed.text)
    page = admin_client.get("/admin")
    assert "dave" not in shown_text(page.text)


# ------------------------------------------------------------------------------ removing an account
def rows_of(engine: Engine, name: str) -> dict[str, int]:
    """How many rows of each table keyed by a user name name ``name``."""
    keyed = [
        t.library.c.owner,
        t.library_tags.c.owner,
        t.dislikes.c.owner,
        t.subscriptions.c.owner,
        t.sessions.c.user_name,
        t.votes.c.voter,
        t.submissions.c.submitter,
        t.organisation_members.c.member,
        t.work_organisations.c.tagged_by,
        t.users.c.name,
    ]
    with engine.connect() as conn:
        return {
            f"{c.table.name}.{c.name}": conn.execute(select(func.count()).where(c == name)).scalar_one()
            for c in keyed
        }


def votes_on(engine: Engine, work_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(t.votes.c.work_id == work_id)).scalar_one())


@pytest.fixture
def bob_with_data(engine: Engine) -> list[int]:
    """ada (admin) and bob; bob saved, tagged and noted papers, marked one "not for me",
    subscribed, voted (as did ada), submitted, joined an organisation and tagged a paper there,
    and is signed in. Returns the two papers' ids."""
    import_file(engine, SNAPSHOT)
    with writing(engine) as conn:
        works = [resolve_work(conn, p) for p in PAPERS]
        assert all(w is not None for w in works)
        first, second = (int(w) for w in works if w is not None)
        accounts.add_user(conn, "ada", "ada-secret-pw", admin=True)
        accounts.add_user(conn, "bob", "bob-secret-pw")
        library.save(conn, "bob", first)
        library.tag(conn, "bob", first, add=["to-read"])
        library.set_note(conn, "bob", first, "bob's private note")
        library.dislike(conn, "bob", second)
        sub = subscriptions.subscribe(conn, "bob", "bob@example.org", "daily-trending")
        subscriptions.claim(conn, None, sub.id, "2026-12-01", "sent", papers=3)
        community.upvote(conn, first, "ada")
        community.upvote(conn, first, "bob")
        community.submit(conn, second, "bob", sub.created_at.date())
        lab = community.create_organisation(conn, "lab", "The Lab", "ada")
        community.add_member(conn, lab, "bob")
        community.tag(conn, lab, first, "bob")
        accounts.start_session(conn, "bob")
    assert all(rows_of(engine, "bob").values())  # bob has a row in every such table
    return [first, second]


def test_removing_a_user_removes_their_private_data_and_keeps_their_vote_anonymous(
    engine: Engine, bob_with_data: list[int]
) -> None:
    first, _ = bob_with_data
    assert votes_on(engine, first) == 2
    code, out = cli(url_of(engine), "user", "remove", "bob")
    assert code == 0 and "removed bob" in out
    assert rows_of(engine, "bob") == dict.fromkeys(rows_of(engine, "bob"), 0)
    assert votes_on(engine, first) == 2  # the count a reader sees does not change
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.digest_sends)).scalar_one() == 0
        assert community.voted_among(conn, "ada", [first]) == {first}  # others' data stays
        members = conn.execute(select(t.organisation_members.c.member)).scalars().all()
    assert members == ["ada"]


def test_a_new_account_with_the_same_name_inherits_nothing(engine: Engine, bob_with_data: list[int]) -> None:
    first, _ = bob_with_data
    url = url_of(engine)
    assert cli(url, "user", "remove", "bob")[0] == 0
    code, out = cli(url, "user", "add", "bob", "--password-stdin", stdin="a-new-bob-password\n")
    assert code == 0 and "added bob (user)" in out
    assert cli(url, "library", "list", "--user", "bob")[1].strip() == "nothing saved yet"
    assert cli(url, "digest", "list", "--user", "bob", "--all")[1].startswith("no subscriptions")
    with engine.connect() as conn:
        assert community.voted_among(conn, "bob", [first]) == set()
        assert library.disliked(conn, "bob") == []
    assert votes_on(engine, first) == 2


def test_the_last_admin_still_cannot_be_removed_while_others_remain(
    engine: Engine, bob_with_data: list[int]
) -> None:
    code, out = cli(url_of(engine), "user", "remove", "ada")
    assert code == 1 and "only admin" in out
    assert rows_of(engine, "bob")["library.owner"] == 1  # nothing was removed on the way


# ------------------------------------------------------------------------------ local files
@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The usual umask, which leaves new files readable by everyone."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_store_and_its_index_folder_are_private(tmp_path: Path, usual_umask: None) -> None:
    db = tmp_path / "data" / "paperradar.db"
    engine = open_store(str(db))
    try:
        with writing(engine) as conn:
            accounts.secret(conn)  # the signing key is now in the file
        LexicalIndex(index_dir(engine))
        assert mode(db) == 0o600
        for journal in (Path(f"{db}-wal"), Path(f"{db}-shm")):
            assert journal.exists() and mode(journal) == 0o600
        assert mode(Path(f"{db}.index")) == 0o700
        assert mode(Path(f"{db}.index") / "lexical") == 0o700
    finally:
        engine.dispose()


def test_the_signing_key_may_come_from_the_environment_and_then_is_not_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = open_store(str(tmp_path / "store.db"))
    monkeypatch.setenv(accounts.ENV_SECRET, "a key kept in the service's environment")
    with TestClient(create_app(engine, local=True), base_url="http://127.0.0.1:8000") as client:
        token = csrf_of(client.get("/").text)
        saved = client.post("/papers/0704.0001/save", data={"csrf": token}, follow_redirects=False)
        assert saved.status_code == 404  # past the CSRF check (made and checked with that key): no such paper
    with engine.connect() as conn:
        stored = conn.execute(select(t.settings.c.value).where(t.settings.c.key == "signing-key")).all()
    assert stored == []
    with writing(engine) as conn:
        from_env = accounts.secret(conn)
        monkeypatch.delenv(accounts.ENV_SECRET)
        assert accounts.secret(conn) != from_env  # without it, a key of the store's own is made
    engine.dispose()

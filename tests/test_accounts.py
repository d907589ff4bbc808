"""Sessions that ran out are deleted, not only refused: by the store, at sign-in and at server start."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select, update

from paperradar.cli import community as community_cli
from paperradar.services.context import AppContext
from paperradar.store import accounts
from paperradar.store import schema as t
from paperradar.store.database import writing


def sessions(engine: Engine) -> set[str]:
    """The users of the stored session rows, one entry per user."""
    with engine.connect() as conn:
        return set(conn.execute(select(t.sessions.c.user_name)).scalars())


def expire(engine: Engine, name: str) -> None:
    """Move the user's sessions to an hour ago, as if 30 days had passed."""
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with writing(engine) as conn:
        conn.execute(update(t.sessions).where(t.sessions.c.user_name == name).values(expires_at=past))


@pytest.fixture
def ada_and_bob(engine: Engine) -> tuple[str, str]:
    """Two users with a session each; ada's has run out. Returns their cookie values."""
    with writing(engine) as conn:
        accounts.add_user(conn, "ada", "ada-secret-pw", admin=True)
        accounts.add_user(conn, "bob", "bob-secret-pw")
        tokens = accounts.start_session(conn, "ada"), accounts.start_session(conn, "bob")
    expire(engine, "ada")
    assert sessions(engine) == {"ada", "bob"}
    return tokens


def test_an_expired_session_row_is_deleted_and_a_live_one_kept(
    engine: Engine, ada_and_bob: tuple[str, str]
) -> None:
    ada, bob = ada_and_bob
    with engine.connect() as conn:
        assert accounts.session_user(conn, ada) is None  # refused already, but still stored
    with writing(engine) as conn:
        assert accounts.end_expired_sessions(conn) == 1
    assert sessions(engine) == {"bob"}
    with engine.connect() as conn:
        signed_in = accounts.session_user(conn, bob)
        assert signed_in is not None and signed_in.name == "bob"
    with writing(engine) as conn:
        assert accounts.end_expired_sessions(conn) == 0


def test_signing_in_deletes_the_sessions_that_ran_out(engine: Engine, ada_and_bob: tuple[str, str]) -> None:
    with writing(engine) as conn:
        accounts.start_session(conn, "bob")  # bob in a second browser
    with engine.connect() as conn:
        rows = conn.execute(select(t.sessions.c.user_name)).scalars().all()
    assert sorted(rows) == ["bob", "bob"]


def test_starting_the_server_deletes_the_sessions_that_ran_out(
    engine: Engine, ada_and_bob: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    served: list[object] = []  # what uvicorn was asked to serve (the app, named, not imported)
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(app))
    community_cli.serve_app(AppContext(engine), "127.0.0.1", 8765)
    assert served == ["paperradar.web.app:app_from_env"]
    assert sessions(engine) == {"bob"}

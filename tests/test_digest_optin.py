"""Digests go only to confirmed addresses (issue 17): on a lab server (accounts), a subscription to
any address but the account's own waits for that address's owner to confirm it, through a signed
link emailed there at once; the link's page confirms only on its button's POST; confirmation
emails are limited per address and per user, counted in the store. Against a real SMTP server
(aiosmtpd, as in ``test_digest.py``), the real web app and the real ``paperradar digest send``, on
SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from paperradar.cli import app
from paperradar.digest import periods as p
from paperradar.digest.send import due_jobs
from paperradar.ingest import import_file
from paperradar.store import accounts
from paperradar.store import schema as t
from paperradar.store import subscriptions as subs
from paperradar.store.database import alembic_config, create_store_engine, migrate, open_store, writing
from paperradar.web.app import create_app
from tests import test_digest
from tests.conftest import BACKENDS, FIXTURES, empty_store_url
from tests.pages import csrf_of, shown_text
from tests.test_accounts_web import sign_in
from tests.test_digest import FROM, LOCAL, Server, parts

server = test_digest.server  # the in-process SMTP server, new for each test

SNAPSHOT = FIXTURES / "arxiv_snapshot" / "arxiv-metadata-oai-snapshot.head200.jsonl"
ADA, BOB = "ada@example.org", "bob@example.org"  # the addresses an admin set on their accounts
FRIEND = "friend@example.org"  # an address no account has
CONFIRM_LINK = re.compile(rf"{re.escape(LOCAL)}(/confirm/[A-Za-z0-9_.-]+)")


# ------------------------------------------------------------------------------ the store
@pytest.fixture(scope="module", params=BACKENDS)
def lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A lab server's store, on each backend: 200 arXiv papers, accounts ada (admin) and bob."""
    with empty_store_url(request.param, tmp_path_factory.mktemp("optin")) as url:
        engine = open_store(url)
        import_file(engine, SNAPSHOT)
        with writing(engine) as conn:
            accounts.add_user(conn, "ada", "ada-secret-pw", email=ADA, admin=True)
            accounts.add_user(conn, "bob", "bob-secret-pw", email=BOB)
        yield engine
        engine.dispose()


@pytest.fixture
def store(lab: Engine) -> Engine:
    """The lab server's store with no subscriptions, send log or confirmation emails yet."""
    with writing(lab) as conn:
        for table in ("digest_confirmations", "digest_sends", "subscriptions"):
            conn.execute(text(f"DELETE FROM {table}"))
    return lab


@pytest.fixture
def mail(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Server:
    """The config names the test's mail server, for the web app and the command line alike."""
    monkeypatch.setenv("PAPERRADAR_CONFIG", str(tmp_path / "config.toml"))
    (tmp_path / "config.toml").write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "none"\nfrom_address = "{FROM}"\n'
        f'base_url = "{LOCAL}"\n',
        encoding="utf-8",
    )
    return server


@pytest.fixture
def ada(store: Engine, mail: Server) -> Iterator[TestClient]:
    """ada, signed in to the app of a lab server (not bound to localhost)."""
    with TestClient(create_app(store, local=False)) as client:
        assert sign_in(client, "ada", "ada-secret-pw").status_code == 303
        yield client


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def cli(engine: Engine, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--db", url_of(engine), *args])
    return result.exit_code, result.output


def subscribe(client: TestClient, **form: str) -> Any:  # the test client's response
    """The form of the /digests page, sent with its CSRF token."""
    token = csrf_of(client.get("/digests").text)
    return client.post("/digests", data={"period": "", "target": "", **form, "csrf": token})


def api_subscribe(client: TestClient, **wanted: str | int) -> Any:
    """``POST /api/v1/digests`` with the CSRF header; the JSON all ASCII, as any client may send it."""
    token = csrf_of(client.get("/digests").text)
    headers = {"X-CSRF-Token": token, "Content-Type": "application/json"}
    return client.post("/api/v1/digests", content=json.dumps(wanted).encode(), headers=headers)


def states(client: TestClient) -> dict[str, str]:
    """What the JSON API says of each of the user's subscriptions, by address and what."""
    answer = client.get("/api/v1/digests")
    assert answer.status_code == 200
    return {f"{i['email']} {i['what']}": i["state"] for i in answer.json()["items"]}


def confirm_path(msg: EmailMessage) -> str:
    """The confirm link of a confirmation email (the same in both bodies), as a path here."""
    text_body, html = parts(msg)
    found = CONFIRM_LINK.search(text_body)
    assert found, text_body
    assert f'href="{LOCAL}{found[1]}"' in html
    return found[1]


def an_author_and_week(engine: Engine) -> tuple[str, dt.date]:
    """An author of the store and a day of a week in which one of their papers was published."""
    a, w = t.authorships.c, t.works.c
    with engine.connect() as conn:
        row = conn.execute(
            select(a.author_id, w.published)
            .join(t.works, w.id == a.work_id)
            .where(w.published.is_not(None))
            .order_by(w.id)
            .limit(1)
        ).one()
    return str(row.author_id), row.published


def confirmations(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(subs.confirmations_since(conn, dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))


# ------------------------------------------------------------------------------ double opt-in
def test_another_address_is_confirmed_by_the_links_post_before_any_digest_goes(
    store: Engine, ada: TestClient, mail: Server
) -> None:
    author, day = an_author_and_week(store)
    made = subscribe(ada, kind="author", target=author, period="weekly", email=FRIEND)

    assert made.status_code == 200
    assert f"we emailed a confirmation link to {FRIEND}" in shown_text(made.text)
    assert "awaiting confirmation" in shown_text(made.text)
    (asking,) = mail.box.to(FRIEND)  # exactly one email, at once
    assert mail.box.per_recipient() == {FRIEND: 1}
    assert asking["Subject"].startswith("Confirm your paperradar digest: weekly: new papers by ")
    assert asking["To"] == FRIEND and asking["From"] == FROM and asking["List-Unsubscribe"] is None
    assert "ada asked paperradar" in " ".join(parts(asking)[0].split())
    path = confirm_path(asking)
    ((key, state),) = states(ada).items()
    assert key.startswith(FRIEND) and state == "pending"

    # Not confirmed yet: the digest of that week is not sent.
    week = ["digest", "send", "--period", "weekly", "--at", day.isoformat()]
    code, out = cli(store, *week)
    assert code == 0 and "no active subscriptions" in out
    assert mail.box.per_recipient() == {FRIEND: 1}

    with TestClient(create_app(store, local=False)) as reader:  # the address's owner: no account
        # Opening the link (or a mail scanner fetching it) shows a button and confirms nothing.
        page = reader.get(path)
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert "Confirm your digest" in page.text and f"to {FRIEND}" in shown_text(page.text)
        assert "Did not ask for it?" in shown_text(page.text)
        assert reader.get(path).status_code == 200
        assert states(ada) == {key: "pending"}

        # A link changed in any way confirms nothing.
        ident, signature = path.rsplit("/", 1)[1].split(".")
        flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
        for bad in (f"{ident}.{flipped}", f"{int(ident) + 1}.{signature}", ident, f"{ident}.", "x.y"):
            for answer in (reader.get(f"/confirm/{bad}"), reader.post(f"/confirm/{bad}", data={})):
                assert answer.status_code in (400, 403), (answer.request.method, bad)
            refused = reader.post(f"/confirm/{bad}", data={"csrf": csrf_of(page.text)})
            assert refused.status_code == 400 and "confirmation link is not valid" in shown_text(refused.text)
        assert reader.post(path, data={}).status_code == 403  # the button's form carries its CSRF token
        assert states(ada) == {key: "pending"}

        confirmed = reader.post(path, data={"csrf": csrf_of(page.text)})
        assert confirmed.status_code == 200 and "Confirmed" in confirmed.text
        assert f"Thank you: {FRIEND} gets the" in shown_text(confirmed.text)
    assert states(ada) == {key: "active"}

    code, out = cli(store, *week)
    assert code == 0 and "1 sent" in out, out
    assert mail.box.per_recipient() == {FRIEND: 2}
    digest = mail.box.to(FRIEND)[1]
    assert digest["Subject"].startswith("New papers by ") and digest["List-Unsubscribe"]


def test_the_accounts_own_address_and_the_operator_need_no_confirmation(
    store: Engine, ada: TestClient, mail: Server
) -> None:
    made = subscribe(ada, kind="daily-trending", email=ADA.upper())  # the address, whatever its case
    assert made.status_code == 200 and "Subscribed: daily: trending papers" in shown_text(made.text)
    by_api = api_subscribe(ada, kind="weekly-trending")  # no email: the account's
    assert by_api.status_code == 200
    assert (by_api.json()["email"], by_api.json()["state"]) == (ADA, "active")
    assert set(states(ada).values()) == {"active"}
    for bad in ("a\x00b", "a\ud800b"):  # text no store can keep
        assert api_subscribe(ada, kind="search", query=bad).status_code == 422
    refused = subscribe(ada, kind="search", target="a\x00b", email=ADA)
    assert refused.status_code == 400 and "cannot hold NUL" in shown_text(refused.text)
    unknown = api_subscribe(ada, kind="author", author=2_000_000_000)
    assert unknown.status_code == 404 and "no author 2000000000" in unknown.json()["error"]

    # The operator, who owns the store, subscribes any address from the command line.
    code, out = cli(store, "digest", "subscribe", "daily-trending", "--user", "bob", "--email", FRIEND)
    assert code == 0 and f"to {FRIEND}" in out
    code, out = cli(store, "digest", "list")
    assert code == 0 and "awaiting confirmation" not in out
    assert mail.box.received == [] and confirmations(store) == 0
    with store.connect() as conn:
        due = due_jobs(store, p.due(("daily",), at=dt.date(2026, 6, 12)))
        assert {j.subscription.email for j in due} == {ADA.upper(), FRIEND}
        assert all(s.confirmed for s in subs.subscriptions(conn))

    # A subscription awaiting confirmation, made again by the operator, is confirmed.
    subscribe(ada, kind="search", target="graphs", email=FRIEND)
    assert states(ada)[f"{FRIEND} weekly: new papers matching “graphs”"] == "pending"
    code, out = cli(store, "digest", "subscribe", "search", "graphs", "--user", "ada", "--email", FRIEND)
    assert code == 0 and states(ada)[f"{FRIEND} weekly: new papers matching “graphs”"] == "active"


def test_the_fourth_confirmation_to_one_address_in_a_day_is_refused_with_429(
    store: Engine, ada: TestClient, mail: Server
) -> None:
    for query in ("diffusion", "transformers", "graphs"):
        assert subscribe(ada, kind="search", target=query, email=FRIEND).status_code == 200
    assert len(mail.box.to(FRIEND)) == 3

    fourth = subscribe(ada, kind="search", target="quasars", email=FRIEND)

    assert fourth.status_code == 429 and 0 < int(fourth.headers["retry-after"]) <= 24 * 3600
    said = shown_text(fourth.text)
    assert f"{FRIEND} has been sent 3 confirmation emails in the last 24 hours" in said
    assert re.search(r"try again in (24 h|23 h \d+ min), or subscribe with your account's address", said)
    assert len(mail.box.to(FRIEND)) == 3  # no fourth email
    assert len(states(ada)) == 3  # and no fourth subscription
    # The count is in the store: a restarted app, another user, the API all see it.
    with TestClient(create_app(store, local=False)) as bob:
        sign_in(bob, "bob", "bob-secret-pw")
        refused = api_subscribe(bob, kind="daily-trending", email=FRIEND.upper())
        assert refused.status_code == 429 and refused.headers["retry-after"]
        assert "3 confirmation emails" in refused.json()["error"]
        assert states(bob) == {}
        assert api_subscribe(bob, kind="daily-trending").json()["state"] == "active"  # bob's own: fine
    assert len(mail.box.to(FRIEND)) == 3


def test_one_user_may_cause_ten_confirmation_emails_a_day(
    store: Engine, ada: TestClient, mail: Server
) -> None:
    for i in range(10):
        made = api_subscribe(ada, kind="search", query=f"topic {i}", email=f"reader{i}@example.org")
        assert made.status_code == 200 and made.json()["state"] == "pending"
    refused = subscribe(ada, kind="search", target="topic 10", email="reader10@example.org")
    assert refused.status_code == 429
    assert "you have asked for 10 confirmation emails in the last 24 hours" in shown_text(refused.text)
    assert len(mail.box.received) == 10 and "reader10@example.org" not in mail.box.per_recipient()


def test_a_link_confirms_only_the_address_it_was_sent_to(
    store: Engine, ada: TestClient, mail: Server
) -> None:
    other = "other@example.org"
    subscribe(ada, kind="daily-trending", email=FRIEND)
    old = confirm_path(mail.box.to(FRIEND)[0])
    subscribe(ada, kind="daily-trending", email=other)  # the same digest, moved to another address
    new = confirm_path(mail.box.to(other)[0])
    with TestClient(create_app(store, local=False)) as reader:
        stale = reader.get(old)
        assert stale.status_code == 400 and "moved to another address" in shown_text(stale.text)
        page = reader.get(new)
        assert reader.post(new, data={"csrf": csrf_of(page.text)}).status_code == 200
    assert states(ada) == {f"{other} daily: trending papers": "active"}

    # Unsubscribed, then subscribed again by the user: the address confirms it again.
    (sub,) = ada.get("/api/v1/digests").json()["items"]
    token = csrf_of(ada.get("/digests").text)
    ada.post(f"/digests/{sub['id']}/unsubscribe", data={"csrf": token})
    again = ada.post(f"/digests/{sub['id']}/resubscribe", data={"csrf": token})
    assert again.status_code == 200 and f"we emailed a confirmation link to {other}" in shown_text(again.text)
    assert states(ada) == {f"{other} daily: trending papers": "pending"} and len(mail.box.to(other)) == 2


def test_a_confirmation_the_server_did_not_take_is_not_counted_and_can_be_asked_again(
    store: Engine, ada: TestClient, mail: Server
) -> None:
    mail.stop()
    made = subscribe(ada, kind="daily-trending", email=FRIEND)
    assert made.status_code == 502 and "could not be sent" in shown_text(made.text)
    assert states(ada) == {f"{FRIEND} daily: trending papers": "pending"} and confirmations(store) == 0

    mail.start()
    page = ada.get("/digests")
    assert "Email the link again" in page.text
    (sub,) = ada.get("/api/v1/digests").json()["items"]
    again = ada.post(f"/digests/{sub['id']}/confirm-again", data={"csrf": csrf_of(page.text)})
    assert again.status_code == 200 and "we emailed a confirmation link" in shown_text(again.text)
    assert len(mail.box.to(FRIEND)) == 1 and confirmations(store) == 1


def test_with_no_mail_server_another_address_is_refused_and_nothing_stored(
    store: Engine, mail: Server, tmp_path: Path
) -> None:
    (tmp_path / "config.toml").write_text("", encoding="utf-8")  # no [smtp]
    with TestClient(create_app(store, local=False)) as client:
        sign_in(client, "ada", "ada-secret-pw")
        refused = subscribe(client, kind="daily-trending", email=FRIEND)
        assert refused.status_code == 409 and "no mail server is configured" in shown_text(refused.text)
        assert states(client) == {}
        assert subscribe(client, kind="daily-trending", email=ADA).status_code == 200


def test_the_one_user_of_a_local_app_is_the_operator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERRADAR_USER", "ada")
    with TestClient(create_app(str(tmp_path / "local.db")), base_url=LOCAL) as client:  # no accounts
        made = subscribe(client, kind="daily-trending", email=FRIEND)  # no mail server needed
        assert made.status_code == 200 and "Subscribed: daily: trending papers" in shown_text(made.text)
        assert states(client) == {f"{FRIEND} daily: trending papers": "active"}


def test_removing_a_user_forgets_the_addresses_they_had_confirmations_sent_to(
    store: Engine, mail: Server
) -> None:
    with writing(store) as conn:
        accounts.add_user(conn, "carol", "carol-secret-pw")  # no email on her account
    with TestClient(create_app(store, local=False)) as carol:
        sign_in(carol, "carol", "carol-secret-pw")
        assert api_subscribe(carol, kind="daily-trending").status_code == 409  # no address to default to
        assert api_subscribe(carol, kind="daily-trending", email=FRIEND).json()["state"] == "pending"
    assert confirmations(store) == 1
    code, out = cli(store, "user", "remove", "carol")
    assert code == 0 and "removed carol" in out
    assert confirmations(store) == 0


# ------------------------------------------------------------------------------ the migration
def test_subscriptions_made_before_the_migration_stay_confirmed(db_url: str) -> None:
    engine = create_store_engine(db_url)
    try:
        command.upgrade(alembic_config(engine), "0007")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO subscriptions (owner, email, kind, target, period, created_at) "
                    "VALUES ('ada', :email, 'daily-trending', '', 'daily', :now)"
                ),
                {"email": FRIEND, "now": dt.datetime(2026, 6, 1, tzinfo=dt.UTC)},
            )
        migrate(engine)
        (job,) = due_jobs(engine, p.due(("daily",), at=dt.date(2026, 6, 12)))
        assert job.subscription.email == FRIEND and job.subscription.state == "active"
        command.downgrade(alembic_config(engine), "0007")  # and back, for an operator who must
        migrate(engine)
    finally:
        engine.dispose()

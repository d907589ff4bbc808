"""Email digests against a real SMTP server (aiosmtpd, in this process): what each kind holds and
how it reads, the one-click unsubscribe through the web app, and the send log that makes each
digest go out exactly once — through refusals, a server stopped halfway, crashed runs and
repeated runs."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, replace
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import Connection, Engine, text
from typer.testing import CliRunner

from paperradar.analysis.cards import Card, cards
from paperradar.analysis.recommend import recommend
from paperradar.cli import app
from paperradar.config import ConfigError, SmtpConfig, default_smtp, describe, load_config, masked
from paperradar.digest import periods as p
from paperradar.digest import send as send_module
from paperradar.digest.links import subscription_of, unsubscribe_token
from paperradar.digest.send import FAILED, NOT_TRIED, SENT, RunReport, scheduled, send_digests
from paperradar.store import accounts, community, library
from paperradar.store import subscriptions as subs
from paperradar.store.database import open_store, writing
from paperradar.store.subscriptions import SubscriptionError
from paperradar.web.app import create_app

LOCAL = "http://127.0.0.1:8000"
AT = dt.date(2026, 6, 12)  # the demo's Hugging Face daily papers are of this day
DAY = p.containing("daily", AT)
WEEK = p.containing("weekly", AT)  # 2026-W24: Mon Jun 8 – Sun Jun 14
FROM = "paperradar <radar@example.org>"


# ------------------------------------------------------------------------------ the SMTP server
class Mailbox:
    """An aiosmtpd handler that keeps what it accepted, and misbehaves when told to."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.reject: set[str] = set()  # recipients answered 451 at RCPT
        self.on_data: Callable[[Any], str | None] | None = None  # an answer instead of accepting
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.reject:
            return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.on_data is not None and (answer := self.on_data(envelope)):
            return answer
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), msg))
        return "250 2.0.0 accepted"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for rcpt, m in self.received if address in rcpt]

    def per_recipient(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self.lock:
            for rcpt, _ in self.received:
                for who in rcpt:
                    counts[who] = counts.get(who, 0) + 1
        return counts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    box: Mailbox
    port: int
    controller: Controller
    kwargs: dict[str, Any]

    def start(self) -> None:
        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port, **self.kwargs)
        self.controller.start()

    def stop(self) -> None:
        with suppress(Exception):
            self.controller.stop()

    def smtp(self, **changes: Any) -> SmtpConfig:
        base = SmtpConfig(
            host="127.0.0.1",
            port=self.port,
            security="none",
            username=None,
            password=None,
            from_address=FROM,
            base_url=LOCAL,
            timeout=5.0,
        )
        return replace(base, **changes)


def _server(**kwargs: Any) -> Iterator[Server]:
    box = Mailbox()
    port = _free_port()
    server = Server(box, port, Controller(box, hostname="127.0.0.1", port=port, **kwargs), kwargs)
    server.controller.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server() -> Iterator[Server]:
    yield from _server()


# ------------------------------------------------------------------------------ the store
@pytest.fixture(scope="module")
def engine(demo_db: Path) -> Iterator[Engine]:
    store = open_store(str(demo_db))
    yield store
    store.dispose()


@pytest.fixture(autouse=True)
def _clean(engine: Engine) -> None:
    """Each test starts with no subscriptions, no send log, empty libraries and no local votes."""
    with writing(engine) as conn:
        for table in ("digest_sends", "subscriptions", "library", "dislikes", "votes"):
            conn.execute(text(f"DELETE FROM {table}"))


def subscribe(
    engine: Engine, owner: str, email_: str, kind: str, target: str = "", period: str | None = None
) -> int:
    with writing(engine) as conn:
        return int(subs.subscribe(conn, owner, email_, kind, target, period).id)


def run(engine: Engine, smtp: SmtpConfig, *periods: str, at: dt.date = AT, **kw: Any) -> RunReport:
    return send_digests(engine, smtp, p.due(periods or subs.PERIODS, at=at), **kw)


def is_active(conn: Connection, subscription_id: int) -> bool:
    sub = subs.get(conn, subscription_id)
    assert sub is not None, subscription_id
    return sub.active


def log(engine: Engine) -> dict[int, subs.Send]:
    with engine.connect() as conn:
        return {s.subscription_id: s for s in subs.sends(conn)}


def sql(db: Path, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(query, args))


# ------------------------------------------------------------------------------ reading an email
def parts(msg: EmailMessage) -> tuple[str, str]:
    assert msg.get_content_type() == "multipart/alternative"
    text_part, html_part = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text_part is not None and html_part is not None
    return text_part.get_content(), html_part.get_content()


def html_cards(html: str) -> list[str]:
    return html.split('<div class="card"')[1:]


def card_ids(db: Path, html: str) -> list[int]:
    """The works the cards link to, in order (links are /papers/<arXiv id or work id>)."""
    found = []
    for chunk in html_cards(html):
        ident = re.search(rf'class="title" href="{re.escape(LOCAL)}/papers/([^"]+)"', chunk)
        assert ident, chunk[:300]
        rows = sql(db, "SELECT id FROM works WHERE arxiv_id = ? OR CAST(id AS TEXT) = ?", ident[1], ident[1])
        assert len(rows) == 1
        found.append(int(rows[0][0]))
    return found


def assert_cards(engine: Engine, msg: EmailMessage, expected: list[int], today: dt.date) -> list[Card]:
    """Both bodies show exactly these works, in this order, each as the web's card shows it."""
    text_body, html = parts(msg)
    with engine.connect() as conn:
        shown = cards(conn, expected, today)
    chunks = html_cards(html)
    assert len(chunks) == len(expected)
    flat_text = " ".join(text_body.split())
    for chunk, work_id in zip(chunks, expected, strict=True):
        c = shown[work_id]
        url = f"{LOCAL}/papers/{c.arxiv_id or c.work_id}"
        assert f'href="{url}"' in chunk and f">{escape(c.title)}</a>" in chunk
        byline = ", ".join(str(escape(a)) for a in c.authors) + (" et al." if c.et_al else "")
        assert f">{byline}" in chunk
        assert ("et al." in chunk.split('class="by"')[1].split("</p>")[0]) == c.et_al
        if c.tag:
            assert f">{c.tag}</span>" in chunk
        if c.date:
            assert f">{c.date}</span>" in chunk
        assert ('class="badge"' in chunk) == c.has_code
        if c.abstract:
            assert str(escape(" ".join(c.abstract.split()[:12]))) in " ".join(chunk.split())
            assert " ".join(c.abstract.split()[:12]) in flat_text
        assert " ".join(c.title.split()) in flat_text and url in flat_text
    return [shown[w] for w in expected]


def assert_headers(msg: EmailMessage, to: str, sub_id: int, engine: Engine) -> str:
    """From, To, Message-ID and the one-click unsubscribe headers; returns the unsubscribe URL."""
    assert msg["To"] == to and msg["From"] == FROM and msg["Date"]
    assert re.fullmatch(r"<digest\.\d+\.[0-9W-]+\.[0-9a-f]{12}@example\.org>", msg["Message-ID"])
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    found = re.fullmatch(
        r"<(https?://[^>]+)>,\s*<mailto:radar@example\.org\?subject=([^>]+)>", msg["List-Unsubscribe"].strip()
    )
    assert found, msg["List-Unsubscribe"]
    url = found[1]
    assert url.startswith(f"{LOCAL}/unsubscribe/")
    with engine.connect() as conn:
        key = accounts.secret(conn)
    token = url.rsplit("/", 1)[1]
    assert subscription_of(key, token) == sub_id
    assert found[2] == f"unsubscribe%20{token}"
    text_body, html = parts(msg)
    assert url in text_body and f'href="{url}"' in html
    return url


# ------------------------------------------------------------------------------ each kind
def test_trending_digests_show_the_days_most_upvoted_papers_as_cards(
    engine: Engine, demo_db: Path, server: Server
) -> None:
    daily = subscribe(engine, "ada", "ada@example.org", "daily-trending")
    weekly = subscribe(engine, "ada", "ada@example.org", "weekly-trending")
    report = run(engine, server.smtp())
    assert report.counts() == {SENT: 2}
    got = server.box.to("ada@example.org")
    assert len(got) == 2
    by_subject = {m["Subject"]: m for m in got}
    day_msg = by_subject[f"Trending papers · {DAY.label}"]
    week_msg = by_subject[f"Trending this week · {WEEK.label}"]
    # The fixture: Hugging Face upvotes of the papers featured on the day, most first.
    upvoted = sql(
        demo_db,
        "SELECT work_id, MAX(upvotes) FROM community WHERE source = 'huggingface' AND featured_day = ? "
        "AND upvotes > 0 GROUP BY work_id ORDER BY MAX(upvotes) DESC, work_id DESC",
        AT.isoformat(),
    )
    assert len(upvoted) >= 10
    for msg, sub_id in ((day_msg, daily), (week_msg, weekly)):
        assert_headers(msg, "ada@example.org", sub_id, engine)
        shown = card_ids(demo_db, parts(msg)[1])
        assert len(shown) == 10  # DEFAULT_LIMIT papers of the more than ten upvoted ones
        votes = dict(upvoted)
        assert [votes[w] for w in shown] == [v for _, v in upvoted[:10]]  # one vote time: by upvotes
        notes = re.findall(r'class="note"[^>]*>▲ (\d+) upvotes?<', parts(msg)[1])
        assert [int(n) for n in notes] == [votes[w] for w in shown]
        assert_cards(engine, msg, shown, AT)
    assert log(engine)[daily].period_key == "2026-06-12" and log(engine)[weekly].period_key == "2026-W24"
    assert {s.status for s in log(engine).values()} == {"sent"}


def test_author_digest_holds_the_authors_papers_of_the_period(
    engine: Engine, demo_db: Path, server: Server
) -> None:
    first, last = WEEK.first.isoformat(), WEEK.last.isoformat()
    author_id, name, n = sql(
        demo_db,
        "SELECT a.author_id, au.name, COUNT(*) FROM authorships a JOIN works w ON w.id = a.work_id "
        "JOIN authors au ON au.id = a.author_id WHERE w.published BETWEEN ? AND ? "
        "GROUP BY a.author_id ORDER BY COUNT(*) DESC, a.author_id LIMIT 1",
        first,
        last,
    )[0]
    expected = [
        int(r[0])
        for r in sql(
            demo_db,
            "SELECT id FROM works WHERE published BETWEEN ? AND ? AND id IN "
            "(SELECT work_id FROM authorships WHERE author_id = ? "
            "UNION SELECT work_id FROM author_works WHERE author_id = ?) ORDER BY published DESC, id DESC",
            first,
            last,
            author_id,
            author_id,
        )
    ]
    assert len(expected) == n >= 1
    sub_id = subscribe(engine, "ada", "ada@example.org", "author", str(author_id))
    assert run(engine, server.smtp(), "weekly").counts() == {SENT: 1}
    (msg,) = server.box.to("ada@example.org")
    assert msg["Subject"] == f"New papers by {name} · {WEEK.label}"
    assert_headers(msg, "ada@example.org", sub_id, engine)
    assert_cards(engine, msg, expected, WEEK.last)


def top_of_the_week(demo_db: Path) -> tuple[int, str]:
    """The id and title of the most upvoted paper published in the digest's week."""
    found: tuple[int, str] = sql(
        demo_db,
        "SELECT w.id, w.title FROM works w JOIN community c ON c.work_id = w.id "
        "WHERE w.published BETWEEN ? AND ? ORDER BY c.upvotes DESC, w.id LIMIT 1",
        WEEK.first.isoformat(),
        WEEK.last.isoformat(),
    )[0]
    return found


def test_search_digest_keeps_the_matches_new_in_the_period(
    engine: Engine, demo_db: Path, server: Server
) -> None:
    # The most upvoted paper published in the week, searched by its exact title: it comes first.
    work_id, title = top_of_the_week(demo_db)
    sub_id = subscribe(engine, "ada", "ada@example.org", "search", title)
    assert run(engine, server.smtp(), "weekly").counts() == {SENT: 1}
    (msg,) = server.box.to("ada@example.org")
    assert msg["Subject"].startswith("New papers matching “")
    assert_headers(msg, "ada@example.org", sub_id, engine)
    shown = card_ids(demo_db, parts(msg)[1])
    assert shown[0] == work_id and len(shown) == len(set(shown)) <= 10
    published = dict(
        sql(demo_db, f"SELECT id, published FROM works WHERE id IN ({','.join(map(str, shown))})")
    )
    assert all(WEEK.first.isoformat() <= published[w] <= WEEK.last.isoformat() for w in shown)
    assert_cards(engine, msg, shown, WEEK.last)
    # The same search in a period with nothing new sends nothing.
    assert run(engine, server.smtp(), "weekly", at=dt.date(2026, 1, 7)).counts() == {"empty": 1}


def test_personal_digest_recommends_new_papers_like_the_saved_ones(
    engine: Engine, demo_db: Path, server: Server
) -> None:
    saved = [
        int(r[0])
        for r in sql(
            demo_db,
            "SELECT w.id FROM works w JOIN community c ON c.work_id = w.id WHERE w.published BETWEEN ? AND ? "
            "ORDER BY c.upvotes DESC, w.id LIMIT 3",
            WEEK.first.isoformat(),
            WEEK.last.isoformat(),
        )
    ]
    with writing(engine) as conn:
        for w in saved:
            library.save(conn, "grace", w)
    titles = {
        w: t
        for w, t in sql(demo_db, f"SELECT id, title FROM works WHERE id IN ({','.join(map(str, saved))})")
    }
    sub_id = subscribe(engine, "grace", "grace@example.org", "personal", period="weekly")
    assert run(engine, server.smtp(), "weekly").counts() == {SENT: 1}
    (msg,) = server.box.to("grace@example.org")
    assert msg["Subject"] == f"Recommended for you · {WEEK.label}"
    assert_headers(msg, "grace@example.org", sub_id, engine)
    html = parts(msg)[1]
    shown = card_ids(demo_db, html)
    published = dict(
        sql(demo_db, f"SELECT id, published FROM works WHERE id IN ({','.join(map(str, shown))})")
    )
    assert shown and not set(shown) & set(saved)  # new papers, not the saved ones
    assert all(WEEK.first.isoformat() <= published[w] <= WEEK.last.isoformat() for w in shown)
    in_week = {
        int(r[0])
        for r in sql(
            demo_db,
            "SELECT id FROM works WHERE published BETWEEN ? AND ?",
            WEEK.first.isoformat(),
            WEEK.last.isoformat(),
        )
    }
    ranked = [r.work_id for r in recommend(engine, "grace", limit=500).items if r.work_id in in_week]
    assert shown == ranked[: len(shown)]  # the model's order
    notes = re.findall(r'class="note"[^>]*>(.*?)</p>', html, re.S)
    assert len(notes) == len(shown)
    assert all(any(f"like “{escape(titles[w])}”" in n for w in saved) for n in notes)
    assert_cards(engine, msg, shown, WEEK.last)


def test_personal_digest_with_nothing_saved_is_empty_and_not_sent(engine: Engine, server: Server) -> None:
    sub_id = subscribe(engine, "nobody", "nobody@example.org", "personal", period="daily")
    assert run(engine, server.smtp(), "daily").counts() == {"empty": 1}
    assert server.box.received == []
    assert log(engine)[sub_id].status == "empty"


# ------------------------------------------------------------------------------ unsubscribing
def test_the_unsubscribe_link_works_through_the_web_app(
    engine: Engine, demo_db: Path, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERRADAR_USER", "ada")
    sub_id = subscribe(engine, "ada", "ada@example.org", "daily-trending")
    other = subscribe(engine, "bob", "bob@example.org", "daily-trending")
    run(engine, server.smtp(), "daily")
    (msg,) = server.box.to("ada@example.org")
    url = assert_headers(msg, "ada@example.org", sub_id, engine)
    path = url.removeprefix(LOCAL)
    with TestClient(create_app(str(demo_db)), base_url=LOCAL) as client:
        page = client.get(path)
        assert page.status_code == 200 and "Unsubscribed" in page.text and "Subscribe again" in page.text
        assert page.headers["cache-control"] == "no-store"
        with engine.connect() as conn:
            assert not is_active(conn, sub_id)
            assert is_active(conn, other)
        # The next day's run (a local upvote makes it trend) leaves the unsubscribed address out.
        top = card_ids(demo_db, parts(msg)[1])[0]
        with writing(engine) as conn:
            community.upvote(conn, top, "carol", dt.datetime(2026, 6, 13, 9, tzinfo=dt.UTC))
        assert run(engine, server.smtp(), "daily", at=AT + dt.timedelta(days=1)).counts() == {SENT: 1}
        assert len(server.box.to("ada@example.org")) == 1 and len(server.box.to("bob@example.org")) == 2

        # "Subscribe again" is a form of this site: it needs the CSRF token.
        refused = client.post(f"{path}/again", data={})
        assert refused.status_code == 403
        csrf = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', page.text)
        assert csrf
        again = client.post(f"{path}/again", data={"csrf": csrf[1]})
        assert again.status_code == 200 and "Subscribed again" in again.text
        with engine.connect() as conn:
            assert is_active(conn, sub_id)

    # RFC 8058 one-click: a mail client's POST, no cookies, no CSRF token; the signature is enough.
    with TestClient(create_app(str(demo_db)), base_url=LOCAL) as mail_client:
        clicked = mail_client.post(
            path,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert clicked.status_code == 200 and "Unsubscribed" in clicked.text
        with engine.connect() as conn:
            assert not is_active(conn, sub_id)
        assert mail_client.post(path, content=b"").status_code == 400  # not a one-click request
        # A token changed in any way names nothing.
        ident, signature = path.rsplit("/", 1)[1].split(".")
        flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
        for bad in (f"{ident}.{flipped}", f"{other}.{signature}", ident, f"{ident}.", "x.y"):
            for answer in (
                mail_client.get(f"/unsubscribe/{bad}"),
                mail_client.post(f"/unsubscribe/{bad}", content=b"List-Unsubscribe=One-Click"),
            ):
                assert answer.status_code == 400, (answer.request.method, bad)
                assert "not valid" in answer.text or "no subscription" in answer.text
        with engine.connect() as conn:
            assert is_active(conn, other)


def test_the_digests_page_subscribes_and_unsubscribes_with_csrf(
    engine: Engine, demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERRADAR_USER", "ada")
    with TestClient(create_app(str(demo_db)), base_url=LOCAL) as client:
        page = client.get("/digests")
        assert page.status_code == 200 and 'href="/digests"' in page.text and "No digests yet" in page.text
        csrf = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', page.text)
        assert csrf
        form = {
            "kind": "search",
            "target": "diffusion cat:cs.CV",
            "period": "daily",
            "email": "ada@example.org",
        }
        assert client.post("/digests", data=form).status_code == 403  # no token
        done = client.post("/digests", data={**form, "csrf": csrf[1]})
        assert done.status_code == 200 and "Subscribed" in done.text and "diffusion cat:cs.CV" in done.text
        bad = client.post("/digests", data={**form, "target": "", "csrf": csrf[1]})
        assert bad.status_code == 400 and "needs a query" in bad.text
        with engine.connect() as conn:
            (sub,) = subs.subscriptions(conn, "ada")
        assert (sub.kind, sub.target, sub.period, sub.active) == (
            "search",
            "diffusion cat:cs.CV",
            "daily",
            True,
        )
        off = client.post(f"/digests/{sub.id}/unsubscribe", data={"csrf": csrf[1]}, follow_redirects=False)
        assert off.status_code == 303
        with engine.connect() as conn:
            assert not is_active(conn, sub.id)
        assert "Subscribe again" in client.get("/digests").text
    # someone else's subscription cannot be touched from here
    theirs = subscribe(engine, "bob", "bob@example.org", "daily-trending")
    with TestClient(create_app(str(demo_db)), base_url=LOCAL) as client:
        token = re.search(r'content="([0-9a-f]+)"', client.get("/digests").text)
        assert token
        assert client.post(f"/digests/{theirs}/unsubscribe", data={"csrf": token[1]}).status_code == 404
    with engine.connect() as conn:
        assert is_active(conn, theirs)


# ------------------------------------------------------------------------------ exactly once
def test_recipients_the_server_refused_are_retried_and_no_one_gets_two(
    engine: Engine, server: Server
) -> None:
    people = [f"reader{i}@example.org" for i in range(6)]
    ids = {who: subscribe(engine, who.split("@")[0], who, "daily-trending") for who in people}
    server.box.reject = {people[1], people[4]}
    first = run(engine, server.smtp(), "daily")
    assert first.counts() == {SENT: 4, FAILED: 2}
    sent_log = log(engine)
    assert {w for w in people if sent_log[ids[w]].status == "failed"} == {people[1], people[4]}
    assert "451" in (sent_log[ids[people[1]]].error or "")
    assert server.box.per_recipient() == {w: 1 for w in people if w not in server.box.reject}

    server.box.reject = set()
    second = run(engine, server.smtp(), "daily")
    assert second.counts() == {SENT: 2, "already": 4}
    assert {o.job.subscription.email for o in second.outcomes if o.status == SENT} == {people[1], people[4]}
    assert server.box.per_recipient() == {w: 1 for w in people}
    assert {s.status for s in log(engine).values()} == {"sent"}
    assert log(engine)[ids[people[1]]].attempts == 2 and log(engine)[ids[people[0]]].attempts == 1

    third = run(engine, server.smtp(), "daily")  # however often it runs
    assert third.counts() == {"already": 6}
    assert server.box.per_recipient() == {w: 1 for w in people}


def test_a_server_stopped_halfway_then_back_gets_everyone_exactly_one(engine: Engine, server: Server) -> None:
    people = [f"late{i}@example.org" for i in range(5)]
    for who in people:
        subscribe(engine, who.split("@")[0], who, "daily-trending")
    stopped = threading.Event()
    seen = 0

    def stop_the_server() -> None:
        server.stop()
        stopped.set()

    def stop_on_third(envelope: Any) -> str | None:
        nonlocal seen
        seen += 1
        if seen == 3:  # the operator stops the server while the third email is being sent
            threading.Thread(target=stop_the_server, daemon=True).start()
            return "421 4.3.2 shutting down"
        return None

    server.box.on_data = stop_on_third

    def wait_for_the_stop(outcome: send_module.Outcome) -> None:
        if outcome.status == FAILED:
            assert stopped.wait(10)

    first = run(engine, server.smtp(), "daily", on_outcome=wait_for_the_stop)
    assert first.counts() == {SENT: 2, FAILED: 1, NOT_TRIED: 2}
    assert first.stopped and "cannot reach" in first.stopped
    assert server.box.per_recipient() == {people[0]: 1, people[1]: 1}
    assert {s.status for s in log(engine).values()} == {"sent", "failed"}  # the last two were not claimed

    server.box.on_data = None
    server.start()  # back up
    second = run(engine, server.smtp(), "daily")
    assert second.counts() == {SENT: 3, "already": 2}
    assert server.box.per_recipient() == {w: 1 for w in people}


def test_a_run_that_crashed_before_the_server_took_the_email_is_retried_once(
    engine: Engine, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = [f"crash{i}@example.org" for i in range(3)]
    ids = [subscribe(engine, who.split("@")[0], who, "daily-trending") for who in people]
    real_send = send_module.SmtpConnection.send

    def killed(self: Any, msg: EmailMessage, recipient: str) -> None:
        if recipient == people[1]:
            raise SystemExit("killed")  # the process dies after `sending`, before SMTP
        real_send(self, msg, recipient)

    monkeypatch.setattr(send_module.SmtpConnection, "send", killed)
    with pytest.raises(SystemExit):
        run(engine, server.smtp(), "daily")
    monkeypatch.setattr(send_module.SmtpConnection, "send", real_send)
    assert log(engine)[ids[1]].status == "sending" and ids[2] not in log(engine)
    assert server.box.per_recipient() == {people[0]: 1}

    soon = run(engine, server.smtp(), "daily")  # within the lease: maybe another run is on it
    assert {o.job.subscription.id: o.status for o in soon.outcomes} == {
        ids[0]: "already",
        ids[1]: "in progress",
        ids[2]: SENT,
    }
    later = run(engine, server.smtp(), "daily", lease=dt.timedelta(0))  # after the lease
    assert later.counts() == {SENT: 1, "already": 2}
    assert server.box.per_recipient() == {w: 1 for w in people}
    assert log(engine)[ids[1]].attempts == 2


def test_the_crash_window_after_acceptance_resends_with_the_same_message_id(
    engine: Engine, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented trade-off (digest/send.py): killed between the server's 250 and the commit of
    `sent`, the digest goes out again on the next run — once more, and as the same message."""
    ids = [subscribe(engine, f"w{i}", f"window{i}@example.org", "daily-trending") for i in range(2)]
    real_finish = subs.finish

    def killed(
        conn: Connection, subscription_id: int, period_key: str, status: subs.Status, error: str | None = None
    ) -> None:
        if status == "sent" and subscription_id == ids[0]:
            raise SystemExit("killed")
        real_finish(conn, subscription_id, period_key, status, error)

    monkeypatch.setattr(subs, "finish", killed)
    with pytest.raises(SystemExit):
        run(engine, server.smtp(), "daily")
    monkeypatch.setattr(subs, "finish", real_finish)
    assert log(engine)[ids[0]].status == "sending"
    run(engine, server.smtp(), "daily", lease=dt.timedelta(0))
    first, again = server.box.to("window0@example.org")
    assert first["Message-ID"] == again["Message-ID"] == log(engine)[ids[0]].message_id
    assert len(server.box.to("window1@example.org")) == 1
    assert {s.status for s in log(engine).values()} == {"sent"}


def test_empty_digests_are_logged_and_never_sent(engine: Engine, demo_db: Path, server: Server) -> None:
    author_id = sql(demo_db, "SELECT author_id FROM authorships LIMIT 1")[0][0]
    quiet = subscribe(engine, "ada", "ada@example.org", "author", str(author_id), period="daily")
    busy = subscribe(engine, "ada", "ada@example.org", "daily-trending")
    before = AT - dt.timedelta(days=200)  # no upvotes and (the check below) no papers of the author
    assert not sql(
        demo_db,
        "SELECT 1 FROM works w JOIN authorships a ON a.work_id = w.id "
        "WHERE a.author_id = ? AND w.published = ?",
        author_id,
        before.isoformat(),
    )
    report = run(engine, server.smtp(), "daily", at=before)
    assert report.counts() == {"empty": 2}
    assert server.box.received == []
    assert {log(engine)[quiet].status, log(engine)[busy].status} == {"empty"}
    assert run(engine, server.smtp(), "daily", at=before).counts() == {"already": 2}
    assert server.box.received == []


def test_a_refused_sign_in_stops_the_run_before_anything_is_claimed(engine: Engine) -> None:
    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"radar", b"s3cret-pass")
        return AuthResult(success=ok, handled=False)

    for srv in _server(authenticator=authenticator, auth_require_tls=False):
        subscribe(engine, "ada", "ada@example.org", "daily-trending")
        wrong = run(engine, srv.smtp(username="radar", password="wrong"), "daily")
        assert wrong.stopped and "refused the sign-in" in wrong.stopped
        assert wrong.counts() == {NOT_TRIED: 1} and log(engine) == {}
        right = run(engine, srv.smtp(username="radar", password="s3cret-pass"), "daily")
        assert right.counts() == {SENT: 1} and len(srv.box.to("ada@example.org")) == 1


def test_the_serve_schedule_sends_due_digests_in_the_background(engine: Engine, server: Server) -> None:
    subscribe(engine, "ada", "ada@example.org", "daily-trending")
    reports: list[RunReport] = []
    with scheduled(
        engine,
        server.smtp,
        dt.timedelta(hours=1),
        on_report=reports.append,
        due=lambda: p.due(("daily",), at=AT),
    ):
        deadline = time.monotonic() + 20
        while not reports and time.monotonic() < deadline:
            time.sleep(0.05)
    assert reports and reports[0].counts() == {SENT: 1}
    assert len(server.box.to("ada@example.org")) == 1


# ------------------------------------------------------------------------------ the command line
def test_cli_subscribe_list_dry_run_send_and_unsubscribe(
    demo_db: Path, engine: Engine, server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERRADAR_CONFIG", str(tmp_path / "config.toml"))
    (tmp_path / "config.toml").write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "none"\nfrom_address = "{FROM}"\n'
        f'base_url = "{LOCAL}"\n',
        encoding="utf-8",
    )
    runner = CliRunner()

    def cli(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["--db", str(demo_db), *args])
        return result.exit_code, result.output

    code, out = cli("digest", "subscribe", "daily-trending", "--email", "ada@example.org", "--user", "ada")
    assert code == 0 and "subscribed #" in out
    code, out = cli("digest", "subscribe", "search", "--email", "ada@example.org", "--user", "ada")
    assert code == 1 and "needs a query" in out
    code, out = cli("digest", "subscribe", "author", "99999999", "--email", "ada@example.org")
    assert code == 1 and "no author 99999999" in out
    code, out = cli("digest", "subscribe", "weekly-trending", "--email", "not-an-address")
    assert code == 1 and "not an email address" in out
    code, out = cli("digest", "list")
    assert code == 0 and "daily: trending papers" in out and "not sent yet" in out

    code, out = cli("digest", "send", "--dry-run", "--at", AT.isoformat())
    assert code == 0 and "would send" in out and "dry run" in out
    assert server.box.received == [] and log(engine) == {}  # nothing sent, nothing recorded

    code, out = cli("digest", "send", "--at", AT.isoformat())
    assert code == 0 and "1 sent" in out
    code, out = cli("digest", "send", "--at", AT.isoformat())
    assert code == 0 and "1 already" in out and len(server.box.received) == 1
    code, out = cli("digest", "list")
    assert "last sent 2026-06-12" in out

    (sub_id,) = log(engine)
    code, out = cli("digest", "unsubscribe", str(sub_id))
    assert code == 0 and "unsubscribed" in out
    code, out = cli("digest", "list")
    assert "no subscriptions" in out
    code, out = cli("digest", "list", "--all")
    assert "unsubscribed" in out


def test_cli_help_has_an_example_on_every_command() -> None:
    runner = CliRunner()
    for command in ("send", "subscribe", "list", "unsubscribe"):
        out = runner.invoke(app, ["digest", command, "--help"], terminal_width=200).output
        assert "Example:" in out and f"paperradar digest {command}" in out
    top = runner.invoke(app, ["digest", "--help"], terminal_width=200).output
    assert "cron" in top and "serve --digests" in top
    assert "--digests" in runner.invoke(app, ["serve", "--help"], terminal_width=200).output


# ------------------------------------------------------------------------------ pieces
def test_periods_and_due_periods() -> None:
    assert (WEEK.key, WEEK.first, WEEK.last) == ("2026-W24", dt.date(2026, 6, 8), dt.date(2026, 6, 14))
    assert p.containing("weekly", dt.date(2027, 1, 1)).key == "2026-W53"  # ISO years
    now = dt.datetime(2026, 6, 15, 0, 5, tzinfo=dt.UTC)  # just after the week ended
    assert [d.key for d in p.due(("daily", "weekly"), now=now)] == ["2026-06-14", "2026-W24"]
    assert DAY.as_of == dt.datetime(2026, 6, 12, 23, 59, 59, tzinfo=dt.UTC)


def test_tokens_are_signed_per_subscription_and_key() -> None:
    key, other_key = b"k" * 32, b"o" * 32
    token = unsubscribe_token(key, 42)
    assert subscription_of(key, token) == 42
    assert subscription_of(other_key, token) is None
    assert subscription_of(key, token.replace("42.", "43.")) is None
    assert subscription_of(key, "42") is None and subscription_of(key, "") is None


def test_subscriptions_validate_and_revive(engine: Engine, demo_db: Path) -> None:
    author_id = sql(demo_db, "SELECT id FROM authors WHERE merged_into IS NULL LIMIT 1")[0][0]
    with writing(engine) as conn:
        for kind, target, period, message in (
            ("hourly", "", None, "not a digest kind"),
            ("daily-trending", "", "weekly", "is sent daily"),
            ("daily-trending", "x", None, "takes no target"),
            ("author", "nobody", None, "needs an author id"),
            ("author", "987654321", None, "no author"),
            ("search", "  ", None, "needs a query"),
            ("personal", "", "monthly", "not a period"),
        ):
            with pytest.raises(SubscriptionError, match=message):
                subs.subscribe(conn, "ada", "ada@example.org", kind, target, period)
        with pytest.raises(SubscriptionError, match="not an email"):
            subs.subscribe(conn, "ada", "ada@@example", "personal")
        first = subs.subscribe(conn, "ada", "ada@example.org", "author", str(author_id))
        assert (first.period, first.target) == ("weekly", str(author_id))
        assert subs.unsubscribe(conn, first.id, owner="bob") is False  # not theirs
        assert subs.unsubscribe(conn, first.id, owner="ada") is True
        again = subs.subscribe(conn, "ada", "ada2@example.org", "author", str(author_id))
        assert again.id == first.id and again.active and again.email == "ada2@example.org"


def test_the_send_log_claims_once_on_both_backends(db_url: str) -> None:
    store = open_store(db_url)
    try:
        with writing(store) as conn:
            sub = subs.subscribe(conn, "ada", "ada@example.org", "daily-trending")
        with writing(store) as conn:
            assert subs.claim(conn, None, sub.id, "2026-06-12", "sending", papers=3, message_id="<m@x>")
        with writing(store) as conn:  # a second run that read "no row" too loses
            assert not subs.claim(conn, None, sub.id, "2026-06-12", "sending", papers=3)
        with store.connect() as conn:
            seen = subs.send_of(conn, sub.id, "2026-06-12")
        assert seen is not None and (seen.status, seen.attempts, seen.message_id) == ("sending", 1, "<m@x>")
        with writing(store) as conn:
            subs.finish(conn, sub.id, "2026-06-12", "failed", "451 try later")
        with store.connect() as conn:
            failed = subs.send_of(conn, sub.id, "2026-06-12")
        assert failed is not None and failed.status == "failed" and failed.error == "451 try later"
        with writing(store) as conn:  # a stale read ("sending") cannot claim any more
            assert not subs.claim(conn, seen, sub.id, "2026-06-12", "sending", papers=3)
            assert subs.claim(conn, failed, sub.id, "2026-06-12", "sending", papers=3)
            subs.finish(conn, sub.id, "2026-06-12", "sent")
        with store.connect() as conn:
            done = subs.send_of(conn, sub.id, "2026-06-12")
        assert done is not None and (done.status, done.attempts, done.message_id) == ("sent", 2, "<m@x>")
        assert done.updated_at.tzinfo is not None
    finally:
        store.dispose()


def test_smtp_settings_from_file_and_environment(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[smtp]\nhost = "smtp.example.org"\nsecurity = "ssl"\nusername = "radar"\n'
        'password = "hunter2-hunter2"\n'
        'from_address = "paperradar <radar@example.org>"\nbase_url = "https://radar.example.org/"\n',
        encoding="utf-8",
    )
    config = load_config(path, env={})
    smtp = config.smtp
    assert (smtp.host, smtp.port_number, smtp.security, smtp.username) == (
        "smtp.example.org",
        465,
        "ssl",
        "radar",
    )
    assert smtp.base_url == "https://radar.example.org"
    shown = describe(config) + repr(config) + repr(masked(config))
    assert "hunter2-hunter2" not in shown and "…" + "hunter2-hunter2"[-4:] in describe(config)
    assert masked(config)["smtp"]["password"] == "…" + "hunter2-hunter2"[-4:]
    env = {
        "PAPERRADAR_SMTP_PORT": "2525",
        "PAPERRADAR_SMTP_SECURITY": "starttls",
        "PAPERRADAR_SMTP_PASSWORD": "env-pass",
    }
    over = load_config(path, env=env).smtp
    assert (over.port_number, over.security, over.password, over.host) == (
        2525,
        "starttls",
        "env-pass",
        "smtp.example.org",
    )
    assert load_config(tmp_path / "none.toml", env={}).smtp == default_smtp()
    for bad, message in (
        ('[smtp]\nsecurity = "tls"\n', "smtp.security must be one of starttls, ssl, none"),
        ("[smtp]\nport = 0\n", "smtp.port must be a port number"),
        ('[smtp]\nfrom_address = "nobody"\n', "smtp.from_address must be an email address"),
        ('[smtp]\nhost = "smtp://x"\n', "smtp.host must be a host name"),
        ('[smtp]\nbase_url = "radar.example.org"\n', "smtp.base_url must be an http(s) URL"),
        ('[smtp]\nhots = "x"\n', "unknown key 'smtp.hots'; did you mean 'host'?"),
    ):
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(ConfigError, match=re.escape(message)):
            load_config(path, env={})
    with pytest.raises(ConfigError, match="PAPERRADAR_SMTP_PORT must be a port number"):
        load_config(tmp_path / "none.toml", env={"PAPERRADAR_SMTP_PORT": "smtp"})

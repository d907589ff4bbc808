"""One bad subscription never blocks the others (issue 17): a saved search with a line break in it,
or an invalid stored address is that subscription's failure —
reported with its reason, logged as ``failed`` and retried by the next run — while everyone else
gets their digest, against the same in-process SMTP server as ``test_digest.py``."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from paperradar.cli import app
from paperradar.digest.send import FAILED, SENT
from paperradar.services.context import AppContext
from paperradar.services.digests import Digests
from tests import test_digest
from tests.test_digest import AT, FROM, LOCAL, Server, assert_headers, log, run, sql, subscribe

# The same store and mail server as the digest tests, and the same clean slate before each test.
engine = test_digest.engine
server = test_digest.server
_clean = test_digest._clean

BAD_ADDRESS = "eve@example.org\r\nBcc: victim@example.org"  # as an older version could have stored it


def _store_address(db: Path, subscription_id: int, address: str) -> None:
    """Change a stored address behind the service's back (it refuses bad ones now)."""
    sql(db, "UPDATE subscriptions SET email = ? WHERE id = ?", address, subscription_id)


def test_a_saved_search_with_a_line_break_gets_a_one_line_subject_and_blocks_no_one(
    engine: Engine, demo_db: Path, server: Server
) -> None:
    _, title = test_digest.top_of_the_week(demo_db)
    words = title.split()
    # Pasted with its line breaks, the title three times over: a query well over a subject line.
    typed = "\r\n".join([" ".join(words[:2]), " ".join(words[2:]), title, title])
    digests = Digests(AppContext(engine))
    bad = digests.subscribe(
        "ada", "search", typed, "ada@example.org", "weekly", operator=True
    ).subscription.id
    good = subscribe(engine, "bob", "bob@example.org", "weekly-trending")

    report = run(engine, server.smtp(), "weekly")

    assert report.counts() == {SENT: 2}
    (msg,) = server.box.to("ada@example.org")
    subject = msg["Subject"]
    assert "\r" not in subject and "\n" not in subject and len(subject) <= 200
    assert subject.startswith(f"New papers matching “{' '.join(words[:3])}") and "…" in subject
    assert_headers(msg, "ada@example.org", bad, engine)
    assert len(server.box.to("bob@example.org")) == 1
    assert {log(engine)[bad].status, log(engine)[good].status} == {"sent"}


def test_an_invalid_stored_address_fails_alone_is_reported_and_retried(
    engine: Engine, demo_db: Path, server: Server
) -> None:
    bad = subscribe(engine, "eve", "eve@example.org", "daily-trending")  # first: sent before the other
    good = subscribe(engine, "ada", "ada@example.org", "daily-trending")
    _store_address(demo_db, bad, BAD_ADDRESS)

    first = run(engine, server.smtp(), "daily")

    assert first.counts() == {FAILED: 1, SENT: 1}
    (failure,) = [o for o in first.outcomes if o.status == FAILED]
    assert failure.job.subscription.id == bad and "not a valid email address" in failure.detail
    assert "\n" not in failure.detail
    assert server.box.per_recipient() == {"ada@example.org": 1}  # nothing to eve, nor to a Bcc
    assert log(engine)[bad].status == "failed" and log(engine)[bad].attempts == 1
    assert "not a valid email address" in (log(engine)[bad].error or "")
    assert log(engine)[good].status == "sent"

    second = run(engine, server.smtp(), "daily")  # the failed one is tried again, the sent one is not
    assert {o.job.subscription.id: o.status for o in second.outcomes} == {bad: FAILED, good: "already"}
    assert log(engine)[bad].attempts == 2

    _store_address(demo_db, bad, "eve@example.org")  # the address is put right
    third = run(engine, server.smtp(), "daily")
    assert {o.job.subscription.id: o.status for o in third.outcomes} == {bad: SENT, good: "already"}
    assert server.box.per_recipient() == {"ada@example.org": 1, "eve@example.org": 1}


def test_cli_send_reports_the_failed_subscription_and_exits_1(
    demo_db: Path, engine: Engine, server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERRADAR_CONFIG", str(tmp_path / "config.toml"))
    (tmp_path / "config.toml").write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "none"\nfrom_address = "{FROM}"\n'
        f'base_url = "{LOCAL}"\n',
        encoding="utf-8",
    )
    bad = subscribe(engine, "eve", "eve@example.org", "daily-trending")
    subscribe(engine, "ada", "ada@example.org", "daily-trending")
    _store_address(demo_db, bad, BAD_ADDRESS)
    runner = CliRunner()

    result = runner.invoke(app, ["--db", str(demo_db), "digest", "send", "--at", AT.isoformat()])

    assert result.exit_code == 1, result.output
    out = result.output
    failed_line = next(line for line in out.splitlines() if line.strip().startswith("failed"))
    assert f"#{bad} " in failed_line and "not a valid email address" in failed_line
    assert "Bcc: victim" in failed_line  # the bad address is shown on that one line
    assert "1 sent · 1 failed" in out and "the next run tries them again" in out
    assert len(server.box.to("ada@example.org")) == 1

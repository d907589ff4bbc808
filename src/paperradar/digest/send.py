"""Sending digests over SMTP, each exactly once per subscription and period.

**The send log.** Each (subscription, period key) has one row in ``digest_sends``. A run, for
each due subscription:

1. reads the row: ``sent`` or ``empty`` → nothing to do; ``failed`` with
   :data:`~paperradar.store.subscriptions.MAX_ATTEMPTS` attempts → given up; ``sending`` younger
   than :data:`LEASE` → another run is on it right now, leave it;
2. composes the digest; with no papers it records ``empty`` and sends nothing;
3. makes sure the SMTP connection is up (a server that cannot be reached stops the run *before*
   anything is claimed, so the rest simply wait for the next run);
4. claims the row as ``sending`` (a compare-and-set on the row as read in 1, in its own
   committed transaction, storing the Message-ID), sends, and at once records ``sent`` — or
   ``failed`` with the server's answer when it refused the message (a 451 for one recipient, a
   dropped connection). Failed rows, and ``sending`` rows older than the lease (a run that
   crashed or was killed), are retried by the next run; nothing else is sent again.

**One bad subscription never blocks the others.** Anything else that goes wrong with one
subscription (its digest cannot be composed or rendered, its stored address is not valid) is that
subscription's ``failed`` row and outcome, with the reason, retried by the next run like a
refusal; the run goes on with the next one. Only a server that cannot be reached (or a
configuration that names none) stops a run. Every header made from user data (the Subject with a
saved search or an author's name, the recipient) is one line of bounded length
(:func:`~paperradar.text.one_line`), so a line break a user typed cannot break the email.

**Only confirmed subscriptions are sent.** A subscription awaiting its address's confirmation
(double opt-in, see :mod:`paperradar.services.digests`) is not due: the email that asks for the
confirmation (:func:`confirmation_message`, sent by :func:`send_confirmation`) is all its address
gets until the link in it is confirmed.

**The crash window.** Between the server's "250 accepted" and the commit of ``sent`` there is one
single-row UPDATE. A run killed exactly there leaves ``sending`` although the email went out, and
the next run (after the lease) sends it again. No client can close that window: SMTP has no way to
ask a server "did you take message X?", so one must choose between *at most once* (never retry an
unfinished ``sending``; a crash before the server took the email then loses that digest silently)
and *at least once* (retry it; a crash in the window sends a duplicate). We choose at least once:
a lost digest is never noticed, a duplicate is, and it is rare — the window is one UPDATE long —
and mild: the retry carries the **same Message-ID** (made from the subscription and period, stored
at claim time), so mail systems that collapse duplicate Message-IDs show it once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import smtplib
import ssl
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import quote

from sqlalchemy import Engine

from paperradar.config import SmtpConfig
from paperradar.digest import periods as p
from paperradar.digest.compose import Composer, Digest
from paperradar.digest.links import confirm_url, unsubscribe_token, unsubscribe_url
from paperradar.digest.render import Rendered, render, render_confirmation
from paperradar.store import accounts
from paperradar.store import subscriptions as subs
from paperradar.store.database import writing
from paperradar.store.subscriptions import Send, Subscription, SubscriptionError
from paperradar.text import one_line

log = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=10)  # a `sending` row older than this belongs to a run that died
SUBJECT_MAX = 200  # characters of a Subject (it holds a saved search or an author's name)
HEADER_MAX = 2000  # characters of any other header made from stored or configured values
REASON_MAX = 500  # characters of a failure's reason, in the send log and the outcome

# Outcome statuses
SENT, FAILED, EMPTY = "sent", "failed", "empty"
ALREADY, BUSY, GAVE_UP, NOT_TRIED, WOULD_SEND = "already", "in progress", "gave up", "not tried", "would send"


class DigestError(RuntimeError):
    """Digests cannot be sent as configured (no server, no sender, a refused sign-in)."""


class ServerUnreachable(DigestError):
    """The SMTP server could not be reached or signed in to: the run stops, nothing is claimed."""


class NotSent(DigestError):
    """The server did not take a confirmation email (the reason is the server's answer)."""


class BadRecipient(ValueError):
    """A subscription's stored address is not one an email can be sent to."""


@dataclass(frozen=True)
class Job:
    subscription: Subscription
    period: p.DigestPeriod


@dataclass
class Outcome:
    job: Job
    status: str
    papers: int = 0
    detail: str = ""
    message_id: str | None = None
    subject: str | None = None


@dataclass
class RunReport:
    outcomes: list[Outcome] = field(default_factory=list)
    stopped: str | None = None  # why the run stopped early (the server went away)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def counts(self) -> dict[str, int]:
        return dict(Counter(o.status for o in self.outcomes))


def bare_address(from_address: str) -> str:
    return parseaddr(from_address)[1]


def message_id(key: bytes, job: Job, from_address: str) -> str:
    """The same for every attempt at one digest (so a duplicate can be recognised as one)."""
    name = f"{job.subscription.id}:{job.period.key}".encode()
    tag = hmac.new(key, b"paperradar message-id:" + name, hashlib.sha256).hexdigest()[:12]
    domain = bare_address(from_address).rpartition("@")[2] or "paperradar.invalid"
    return f"<digest.{job.subscription.id}.{job.period.key}.{tag}@{domain}>"


def recipient(sub: Subscription) -> str:
    """The subscription's address, checked as a new one would be; :class:`BadRecipient` if not
    valid (say, stored by an older version that checked less, with a line break in it)."""
    try:
        return subs.check_email(sub.email)
    except SubscriptionError as exc:
        raise BadRecipient(f"the stored address {sub.email!r} is not a valid email address") from exc


def _sender(smtp: SmtpConfig) -> str:
    if not smtp.from_address:
        raise DigestError("no sender: set smtp.from_address in the config or PAPERRADAR_SMTP_FROM")
    return smtp.from_address


def _email(sub: Subscription, rendered: Rendered, from_address: str, msg_id: str) -> EmailMessage:
    """An automatic email to the subscription's address: the headers every one of ours has (each a
    single line of bounded length; a bad address raises :class:`BadRecipient`), both bodies."""
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["Subject"] = one_line(rendered.subject, SUBJECT_MAX)
    msg["From"] = one_line(from_address, HEADER_MAX)
    msg["To"] = recipient(sub)
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = msg_id
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


def build_message(digest: Digest, smtp: SmtpConfig, key: bytes, msg_id: str) -> EmailMessage:
    """The email of one digest: text and HTML parts, one-click unsubscribe headers (RFC 8058).
    Headers holding user data are single lines of bounded length; a bad address raises
    :class:`BadRecipient`."""
    sub = digest.subscription
    from_address = _sender(smtp)
    link = unsubscribe_url(smtp.base_url, key, sub.id)
    rendered = render(digest, base_url=smtp.base_url, unsubscribe_url=link, what=digest.heading)
    msg = _email(sub, rendered, from_address, msg_id)
    sender = bare_address(from_address)
    mailto = f"mailto:{sender}?subject={quote('unsubscribe ' + unsubscribe_token(key, sub.id))}"
    msg["List-Unsubscribe"] = one_line(f"<{link}>, <{mailto}>", HEADER_MAX)
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    domain = sender.rpartition("@")[2] or "paperradar"
    msg["List-Id"] = one_line(f"paperradar {sub.kind} digest <{sub.kind}.digest.{domain}>", HEADER_MAX)
    return msg


def confirmation_message(sub: Subscription, what: str, smtp: SmtpConfig, key: bytes) -> EmailMessage:
    """The email asking the subscription's address to confirm it: one signed link to the confirm
    page (:func:`~paperradar.digest.links.confirm_url`), no list headers (it is no digest)."""
    from_address = _sender(smtp)
    link = confirm_url(smtp.base_url, key, sub.id, sub.email)
    rendered = render_confirmation(
        what=what, email=sub.email, owner=sub.owner, base_url=smtp.base_url, confirm_url=link
    )
    domain = bare_address(from_address).rpartition("@")[2] or "paperradar.invalid"
    return _email(sub, rendered, from_address, make_msgid(f"confirm.{sub.id}", domain))


def send_confirmation(smtp: SmtpConfig, msg: EmailMessage, ssl_context: ssl.SSLContext | None = None) -> None:
    """Hand one confirmation email to the server, in a session of its own. Raises
    :class:`DigestError`: no usable server (:class:`ServerUnreachable`) or it refused the email
    (:class:`NotSent`), with what it said."""
    connection = SmtpConnection(smtp, ssl_context)
    try:
        connection.send(msg, str(msg["To"]))
    except DigestError:
        raise
    except Exception as exc:  # refused or dropped: what the server said
        raise NotSent(_reason(exc)) from exc
    finally:
        connection.close()


class SmtpConnection:
    """One SMTP session, opened on first use and again after the server dropped it."""

    def __init__(self, smtp: SmtpConfig, context: ssl.SSLContext | None = None) -> None:
        if not smtp.host:
            raise DigestError("no mail server: set smtp.host in the config or PAPERRADAR_SMTP_HOST")
        if not smtp.from_address:
            raise DigestError("no sender: set smtp.from_address in the config or PAPERRADAR_SMTP_FROM")
        self.smtp = smtp
        self.context = context or ssl.create_default_context()
        self._client: smtplib.SMTP | None = None

    def ensure(self) -> None:
        if self._client is not None:
            return
        s = self.smtp
        assert s.host is not None
        try:
            client: smtplib.SMTP
            if s.security == "ssl":
                client = smtplib.SMTP_SSL(s.host, s.port_number, timeout=s.timeout, context=self.context)
            else:
                client = smtplib.SMTP(s.host, s.port_number, timeout=s.timeout)
            try:
                client.ehlo()
                if s.security == "starttls":
                    client.starttls(context=self.context)
                    client.ehlo()
                if s.username:
                    client.login(s.username, s.password or "")
            except BaseException:
                client.close()
                raise
        except smtplib.SMTPAuthenticationError as exc:
            raise ServerUnreachable(
                f"{s.host} refused the sign-in as {s.username!r}: {_answer(exc)}"
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise ServerUnreachable(
                f"cannot reach {s.host}:{s.port_number} ({s.security}): {_answer(exc)}"
            ) from exc
        self._client = client

    def send(self, msg: EmailMessage, recipient: str) -> None:
        """Hand one email to the server; raises when it does not take it."""
        self.ensure()
        assert self._client is not None
        assert self.smtp.from_address is not None
        try:
            self._client.send_message(
                msg, from_addr=bare_address(self.smtp.from_address), to_addrs=[recipient]
            )
        except (smtplib.SMTPServerDisconnected, OSError):
            self._drop()
            raise
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421:  # the server is closing the session
                self._drop()
            else:
                self._reset()
            raise
        except Exception:  # a refused recipient, or a message that could not be written out
            self._reset()
            raise

    def _reset(self) -> None:
        try:
            if self._client is not None:
                self._client.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def _drop(self) -> None:
        if self._client is not None:
            with suppress(OSError):
                self._client.close()
        self._client = None

    def close(self) -> None:
        if self._client is not None:
            with suppress(OSError, smtplib.SMTPException):
                self._client.quit()
        self._drop()


def _answer(exc: BaseException) -> str:
    """What the server said, in one line."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{who}: {_answer_code(code, text)}" for who, (code, text) in exc.recipients.items())
    if isinstance(exc, smtplib.SMTPResponseException):
        return _answer_code(exc.smtp_code, exc.smtp_error)
    return str(exc) or type(exc).__name__


def _reason(exc: Exception) -> str:
    """Why one subscription's digest failed, in one line: what the server said, else the error."""
    known = (OSError, smtplib.SMTPException, BadRecipient)
    said = _answer(exc) if isinstance(exc, known) else f"{type(exc).__name__}: {exc}"
    return one_line(said, REASON_MAX)


def _answer_code(code: int, text: bytes | str) -> str:
    said = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(said.split())}"


def due_jobs(engine: Engine, due: list[p.DigestPeriod]) -> list[Job]:
    """The active, confirmed subscriptions of each due period, oldest subscription first."""
    jobs = []
    with engine.connect() as conn:
        for period in due:
            found = subs.subscriptions(conn, active=True, period=period.period, confirmed=True)
            jobs += [Job(s, period) for s in found]
    return jobs


class DigestRun:
    """Delivers jobs one at a time (see the module docstring for the rules); ``dry_run`` composes
    and renders everything but sends nothing and writes nothing to the send log."""

    def __init__(
        self,
        engine: Engine,
        smtp: SmtpConfig,
        *,
        dry_run: bool = False,
        composer: Composer | None = None,
        lease: dt.timedelta = LEASE,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.engine = engine
        self.smtp = smtp
        self.dry_run = dry_run
        self.composer = composer or Composer(engine)
        self.lease = lease
        self.connection = None if dry_run else SmtpConnection(smtp, ssl_context)
        with writing(engine) as conn:
            self.key = accounts.secret(conn)

    def __enter__(self) -> DigestRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()

    def _log(self, job: Job) -> Send | None:
        with self.engine.connect() as conn:
            return subs.send_of(conn, job.subscription.id, job.period.key)

    def _settled(self, job: Job, seen: Send | None) -> Outcome | None:
        """The outcome when the log says there is nothing to do for this job."""
        if seen is None:
            return None
        if seen.status in (SENT, EMPTY):
            return Outcome(job, ALREADY, seen.papers, f"{seen.status} before", seen.message_id)
        if seen.status == FAILED and seen.attempts >= subs.MAX_ATTEMPTS:
            return Outcome(job, GAVE_UP, seen.papers, f"failed {seen.attempts} times: {seen.error or ''}")
        if seen.status == "sending" and seen.updated_at > dt.datetime.now(dt.UTC) - self.lease:
            return Outcome(job, BUSY, seen.papers, "another run is sending it")
        return None

    def deliver(self, job: Job) -> Outcome:
        """Deliver one job. Whatever goes wrong with it alone is its ``failed`` outcome, recorded for
        the next run; only :class:`DigestError` (no usable server or sender) is raised."""
        seen = self._log(job)
        if (settled := self._settled(job, seen)) is not None:
            return settled
        try:
            return self._attempt(job, seen)
        except DigestError:
            raise
        except Exception as exc:  # this subscription's digest only: the run goes on
            return self._failed(job, seen, exc)

    def _attempt(self, job: Job, seen: Send | None) -> Outcome:
        """Compose, render and (unless a dry run) claim and send; raises before the claim."""
        digest = self.composer.compose(job.subscription, job.period)
        n = len(digest.items)
        if digest.empty:
            if not self.dry_run:
                with writing(self.engine) as conn:
                    subs.claim(conn, seen, job.subscription.id, job.period.key, "empty", papers=0)
            return Outcome(job, EMPTY, 0, "no papers: not sent", subject=digest.title)
        assert self.smtp.from_address or self.dry_run
        msg_id = (seen.message_id if seen and seen.message_id else None) or message_id(
            self.key, job, self.smtp.from_address or "paperradar@paperradar.invalid"
        )
        if self.dry_run:
            build_message(digest, self._dry_smtp(), self.key, msg_id)  # renders, so a broken template shows
            return Outcome(job, WOULD_SEND, n, f"to {recipient(job.subscription)}", msg_id, digest.title)
        assert self.connection is not None
        msg = build_message(digest, self.smtp, self.key, msg_id)
        self.connection.ensure()  # unreachable: raise before claiming, so nothing is left half-done
        with writing(self.engine) as conn:
            if not subs.claim(
                conn, seen, job.subscription.id, job.period.key, "sending", papers=n, message_id=msg_id
            ):
                return Outcome(job, BUSY, n, "another run claimed it first")
        return self._transmit(job, msg, Outcome(job, SENT, n, f"to {msg['To']}", msg_id, digest.title))

    def _transmit(self, job: Job, msg: EmailMessage, sent: Outcome) -> Outcome:
        """Send a claimed digest and record how it ended (``sent`` is the outcome if it goes out)."""
        assert self.connection is not None
        try:
            self.connection.send(msg, str(msg["To"]))
        except ServerUnreachable as exc:  # went away between the check and the send
            with writing(self.engine) as conn:
                subs.finish(conn, job.subscription.id, job.period.key, "failed", str(exc))
            raise
        except Exception as exc:  # refused, dropped, or not writable: this one failed
            reason = _reason(exc)
            with writing(self.engine) as conn:
                subs.finish(conn, job.subscription.id, job.period.key, "failed", reason)
            return replace(sent, status=FAILED, detail=reason)
        with writing(self.engine) as conn:  # the crash window is this one statement (module docstring)
            subs.finish(conn, job.subscription.id, job.period.key, "sent")
        return sent

    def _failed(self, job: Job, seen: Send | None, exc: Exception) -> Outcome:
        """Record a digest that failed before it was claimed as ``failed`` (an attempt, retried by
        the next run, never ``sent``), unless another run claimed it meanwhile."""
        reason = _reason(exc)
        log.warning("digest #%s %s failed: %s", job.subscription.id, job.period.key, reason, exc_info=exc)
        if not self.dry_run:
            ident, key = job.subscription.id, job.period.key
            with writing(self.engine) as conn:
                if subs.claim(conn, seen, ident, key, "sending", papers=0):
                    subs.finish(conn, ident, key, "failed", reason)
        return Outcome(job, FAILED, 0, reason)

    def _dry_smtp(self) -> SmtpConfig:
        if self.smtp.from_address:
            return self.smtp
        return SmtpConfig(**{**self.smtp.__dict__, "from_address": "paperradar@paperradar.invalid"})


def send_digests(
    engine: Engine,
    smtp: SmtpConfig,
    due: list[p.DigestPeriod],
    *,
    dry_run: bool = False,
    composer: Composer | None = None,
    lease: dt.timedelta = LEASE,
    on_outcome: Callable[[Outcome], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> RunReport:
    """Send every due digest; a server that goes away stops the run (the rest wait for the next)."""
    report = RunReport()
    jobs = due_jobs(engine, due)
    if on_plan:
        on_plan(len(jobs))
    with DigestRun(engine, smtp, dry_run=dry_run, composer=composer, lease=lease) as run:
        for i, job in enumerate(jobs):
            try:
                outcome = run.deliver(job)
            except ServerUnreachable as exc:
                report.stopped = str(exc)
                for rest in jobs[i:]:
                    report.outcomes.append(
                        Outcome(rest, NOT_TRIED, 0, "the mail server could not be reached")
                    )
                    if on_outcome:
                        on_outcome(report.outcomes[-1])
                break
            report.outcomes.append(outcome)
            if on_outcome:
                on_outcome(outcome)
    return report


# ------------------------------------------------------------------------------ on a schedule
@contextmanager
def scheduled(
    engine: Engine,
    smtp: Callable[[], SmtpConfig],
    every: dt.timedelta,
    periods: tuple[str, ...] = subs.PERIODS,
    on_report: Callable[[RunReport], None] | None = None,
    due: Callable[[], list[p.DigestPeriod]] | None = None,
) -> Iterator[threading.Event]:
    """A daemon thread sending due digests now and every ``every`` until the block ends (``paperradar
    serve --digests``); set the yielded event to stop it early. Errors are logged, never raised.
    ``due`` says which periods a run sends (default: the last complete ones)."""
    stop = threading.Event()
    which = due or (lambda: p.due(periods))

    def loop() -> None:
        while not stop.is_set():
            try:
                report = send_digests(engine, smtp(), which())
                if on_report:
                    on_report(report)
                if report.outcomes:
                    log.info("digests: %s", report.counts())
                if report.stopped:
                    log.warning("digests stopped: %s", report.stopped)
            except Exception:  # keep the schedule alive whatever one run hit
                log.exception("digest run failed")
            stop.wait(every.total_seconds())

    thread = threading.Thread(target=loop, name="paperradar-digests", daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=5)

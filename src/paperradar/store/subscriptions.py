"""Digest subscriptions and the send log that makes each digest go out once.

A subscription is what a user asked for: ``daily-trending``, ``weekly-trending``, ``personal``
recommendations, a followed ``author`` (target: the author id) or a saved ``search`` (target:
the query), each ``daily`` or ``weekly``, to one email address. Unsubscribing keeps the row
(``unsubscribed_at``) so that an unsubscribe link keeps naming it and "subscribe again" is one
click; subscribing to the same thing again revives it.

**Confirmation (double opt-in).** A subscription is sent only once its address is confirmed
(``confirmed_at``). Who may skip the confirmation is the service's rule
(:mod:`paperradar.services.digests`); here a subscription is stored confirmed or ``pending``, a
pending one is confirmed by :func:`confirm`, and the confirmation emails sent are logged
(``digest_confirmations``) so that the service can limit them per address and per user across
processes and restarts. A subscription that moves to another address, or comes back after an
unsubscribe, without being confirmed again is pending again.

The send log (``digest_sends``) has one row per subscription and period key (``2026-06-12``,
``2026-W24``). Its status moves ``sending`` → ``sent`` (or ``failed``, retried by later runs up
to :data:`MAX_ATTEMPTS`), or straight to ``empty`` when the digest had no papers. Every move is
a compare-and-set on the row as it was read, so two runs at once never both claim one digest.
The delivery rules on top of it live in :mod:`paperradar.digest.send`.

The reads at the end pick what a digest holds: the works published in its period, and a
followed author's newest ones (:mod:`paperradar.digest.compose`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, and_, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from paperradar.store import schema as t
from paperradar.store.works import works_of

Kind = Literal["daily-trending", "weekly-trending", "personal", "author", "search"]
Period = Literal["daily", "weekly"]
KINDS: tuple[str, ...] = ("daily-trending", "weekly-trending", "personal", "author", "search")
PERIODS: tuple[str, ...] = ("daily", "weekly")
KIND_PERIOD = {"daily-trending": "daily", "weekly-trending": "weekly"}  # fixed by the kind
DEFAULT_PERIOD = "weekly"  # for personal, author and search when none is given
KIND_HELP = {
    "daily-trending": "the day's most upvoted papers",
    "weekly-trending": "the week's most upvoted papers",
    "personal": "papers recommended for you",
    "author": "new papers by an author (TARGET: the author)",
    "search": "new papers matching a saved search (TARGET: the query)",
}
MAX_ATTEMPTS = 5  # a digest that failed this often is given up (e.g. a mailbox that does not exist)
_NOT_IN_ADDRESS = r"@\s<>\"(),;:\x00-\x1f\x7f-\x9f"  # nor any control character
EMAIL_PATTERN = rf"^[^{_NOT_IN_ADDRESS}]+@[^{_NOT_IN_ADDRESS}]+\.[^{_NOT_IN_ADDRESS}]+$"  # what is stored
_EMAIL = re.compile(EMAIL_PATTERN)

Status = Literal["sending", "sent", "failed", "empty"]
State = Literal["active", "pending", "unsubscribed"]


class SubscriptionError(ValueError):
    """A subscription that cannot be made, with the reason for the user."""


class UnknownAuthor(SubscriptionError):
    """The author a subscription names is not in the store."""


@dataclass(frozen=True)
class Subscription:
    id: int
    owner: str
    email: str
    kind: str
    target: str
    period: str
    created_at: dt.datetime
    unsubscribed_at: dt.datetime | None
    confirmed_at: dt.datetime | None = None  # None: its address has not been confirmed (not sent)

    @property
    def active(self) -> bool:
        return self.unsubscribed_at is None

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def state(self) -> State:
        """``active`` (sent), ``pending`` (awaiting its address's confirmation) or ``unsubscribed``."""
        if not self.active:
            return "unsubscribed"
        return "active" if self.confirmed else "pending"

    def describe(self, author_name: str | None = None) -> str:
        """``weekly: new papers by Ada Lovelace``, for lists and subjects."""
        if self.kind == "author":
            return f"{self.period}: new papers by {author_name or 'author ' + self.target}"
        if self.kind == "search":
            return f"{self.period}: new papers matching “{self.target}”"
        if self.kind == "personal":
            return f"{self.period}: recommended for you"
        return "daily: trending papers" if self.kind == "daily-trending" else "weekly: trending papers"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(when: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands datetimes back naive; they were stored in UTC."""
    return when.replace(tzinfo=dt.UTC) if when is not None and when.tzinfo is None else when


_S = t.subscriptions.c
_COLUMNS = (
    _S.id,
    _S.owner,
    _S.email,
    _S.kind,
    _S.target,
    _S.period,
    _S.created_at,
    _S.unsubscribed_at,
    _S.confirmed_at,
)


def _row(row: object) -> Subscription:
    sub = Subscription(*row)  # type: ignore[misc]
    return Subscription(
        sub.id,
        sub.owner,
        sub.email,
        sub.kind,
        sub.target,
        sub.period,
        _aware(sub.created_at) or sub.created_at,
        _aware(sub.unsubscribed_at),
        _aware(sub.confirmed_at),
    )


def descriptions(conn: Connection, found: list[Subscription]) -> dict[int, str]:
    """What each subscription is, in words, with the names of followed authors."""
    ids = {int(s.target) for s in found if s.kind == "author" and s.target.isdigit()}
    names: dict[int, str] = {}
    if ids:
        rows = conn.execute(select(t.authors.c.id, t.authors.c.name).where(t.authors.c.id.in_(ids)))
        names = {int(i): n for i, n in rows}
    return {
        s.id: s.describe(names.get(int(s.target)) if s.kind == "author" and s.target.isdigit() else None)
        for s in found
    }


def _storable(value: str, what: str) -> str:
    """``value``, unless it holds what no store can keep: NUL, or an unpaired surrogate."""
    if "\x00" in value:
        raise SubscriptionError(f"{what} cannot hold NUL characters")
    try:
        value.encode()
    except UnicodeEncodeError:
        raise SubscriptionError(f"{what} is not valid Unicode text") from None
    return value


def check_email(email: str) -> str:
    """The address, trimmed; :class:`SubscriptionError` unless it reads like you@example.org."""
    email = _storable(email, "the email address").strip()
    if not _EMAIL.match(email) or len(email) > 320:
        raise SubscriptionError(f"{email!r} is not an email address like you@example.org")
    return email


def author_target(conn: Connection, target: str) -> str:
    """The id of the author ``target`` names (a merged author leads to the person it became)."""
    a = t.authors.c
    if not target.strip().isdigit():
        raise SubscriptionError(f"an author subscription needs an author id, got {target!r}")
    author_id = int(target)
    for _ in range(10):  # merges chain; a cycle would be a bug elsewhere, so stop after a few hops
        row = conn.execute(select(a.id, a.merged_into).where(a.id == author_id)).first()
        if row is None:
            raise UnknownAuthor(f"there is no author {target} in the store")
        if row.merged_into is None:
            return str(row.id)
        author_id = row.merged_into
    return str(author_id)


def check(conn: Connection, kind: str, target: str, period: str | None) -> tuple[str, str]:
    """The (target, period) to store for this kind, or :class:`SubscriptionError` saying why not."""
    if kind not in KINDS:
        raise SubscriptionError(f"{kind!r} is not a digest kind; choose one of {', '.join(KINDS)}")
    target = _storable(target or "", "the target").strip()
    if period is not None and period not in PERIODS:
        raise SubscriptionError(f"{period!r} is not a period; choose daily or weekly")
    fixed = KIND_PERIOD.get(kind)
    if fixed and period and period != fixed:
        raise SubscriptionError(
            f"{kind} is sent {fixed}; use {'weekly' if fixed == 'daily' else 'daily'}-trending"
        )
    chosen = fixed or period or DEFAULT_PERIOD
    if kind == "author":
        return author_target(conn, target), chosen
    if kind == "search":
        if not target:
            raise SubscriptionError("a search subscription needs a query, e.g. 'diffusion cat:cs.CV'")
        if len(target) > 500:
            raise SubscriptionError("the query is too long (500 characters at most)")
        return target, chosen
    if target:
        raise SubscriptionError(f"{kind} takes no target (got {target!r})")
    return "", chosen


def subscribe(
    conn: Connection,
    owner: str,
    email: str,
    kind: str,
    target: str = "",
    period: str | None = None,
    *,
    confirmed: bool = True,
) -> Subscription:
    """Subscribe ``owner``; the same subscription again revives it (and takes the new address).
    ``confirmed=False``: the address awaits its owner's confirmation, unless this subscription is
    active and confirmed for that very address already."""
    if not owner:
        raise SubscriptionError("a subscription needs a user")
    email = check_email(email)
    target, chosen = check(conn, kind, target, period)
    what = and_(_S.owner == owner, _S.kind == kind, _S.target == target, _S.period == chosen)
    now = _now()
    try:
        with conn.begin_nested():
            conn.execute(
                insert(t.subscriptions).values(
                    owner=owner,
                    email=email,
                    kind=kind,
                    target=target,
                    period=chosen,
                    created_at=now,
                    confirmed_at=now if confirmed else None,
                )
            )
    except IntegrityError:  # there already: revive it
        old = _row(conn.execute(select(*_COLUMNS).where(what)).one())
        kept = old.confirmed_at if old.state == "active" and old.email == email else None
        conn.execute(
            update(t.subscriptions)
            .where(what)
            .values(email=email, unsubscribed_at=None, confirmed_at=kept or (now if confirmed else None))
        )
    return _row(conn.execute(select(*_COLUMNS).where(what)).one())


def get(conn: Connection, subscription_id: int) -> Subscription | None:
    row = conn.execute(select(*_COLUMNS).where(_S.id == subscription_id)).first()
    return _row(row) if row else None


def subscriptions(
    conn: Connection,
    owner: str | None = None,
    *,
    active: bool | None = None,
    period: str | None = None,
    confirmed: bool | None = None,
) -> list[Subscription]:
    """Subscriptions, oldest first: of one owner, only (in)active ones, of one period, only
    (un)confirmed ones."""
    stmt = select(*_COLUMNS).order_by(_S.id)
    if owner is not None:
        stmt = stmt.where(_S.owner == owner)
    if active is not None:
        stmt = stmt.where(_S.unsubscribed_at.is_(None) if active else _S.unsubscribed_at.is_not(None))
    if period is not None:
        stmt = stmt.where(_S.period == period)
    if confirmed is not None:
        stmt = stmt.where(_S.confirmed_at.is_not(None) if confirmed else _S.confirmed_at.is_(None))
    return [_row(r) for r in conn.execute(stmt)]


def unsubscribe(conn: Connection, subscription_id: int, owner: str | None = None) -> bool:
    """End a subscription (``owner``: only if it is theirs); ``False`` when it was not active."""
    stmt = update(t.subscriptions).where(_S.id == subscription_id, _S.unsubscribed_at.is_(None))
    if owner is not None:
        stmt = stmt.where(_S.owner == owner)
    return bool(conn.execute(stmt.values(unsubscribed_at=_now())).rowcount)


def resubscribe(
    conn: Connection, subscription_id: int, owner: str | None = None, *, confirmed: bool = True
) -> bool:
    """Undo an unsubscribe; ``False`` when it was active already (or not theirs).
    ``confirmed=False``: it comes back pending, its address to be confirmed again; otherwise it
    comes back confirmed."""
    stmt = update(t.subscriptions).where(_S.id == subscription_id, _S.unsubscribed_at.is_not(None))
    if owner is not None:
        stmt = stmt.where(_S.owner == owner)
    again = func.coalesce(_S.confirmed_at, _now()) if confirmed else None
    return bool(conn.execute(stmt.values(unsubscribed_at=None, confirmed_at=again)).rowcount)


def confirm(conn: Connection, subscription_id: int) -> bool:
    """Mark a pending subscription's address confirmed; ``False`` when it was not pending
    (confirmed already, or unsubscribed meanwhile)."""
    stmt = update(t.subscriptions).where(
        _S.id == subscription_id, _S.confirmed_at.is_(None), _S.unsubscribed_at.is_(None)
    )
    return bool(conn.execute(stmt.values(confirmed_at=_now())).rowcount)


# ------------------------------------------------------------------------------ confirmation emails
_C = t.digest_confirmations.c
_CONFIRMATIONS_LOCK = 0x7061_7065_7272_6164  # any fixed number: PostgreSQL's advisory lock for the log


def lock_confirmations(conn: Connection) -> None:
    """Serialise, until the transaction ends, the writers that count confirmation emails before
    logging one, so two at once cannot both slip under a limit. SQLite's write transaction holds
    the whole database already; on PostgreSQL this takes one advisory lock."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CONFIRMATIONS_LOCK})


def confirmations_since(
    conn: Connection, since: dt.datetime, *, address: str | None = None, owner: str | None = None
) -> list[dt.datetime]:
    """When the confirmation emails sent since ``since`` went out, oldest first: to one address
    (whatever its case), or for one user's subscriptions."""
    stmt = select(_C.sent_at).where(_C.sent_at > since).order_by(_C.sent_at)
    if address is not None:
        stmt = stmt.where(_C.address == address.strip().lower())
    if owner is not None:
        stmt = stmt.join(t.subscriptions, _S.id == _C.subscription_id).where(_S.owner == owner)
    return [_aware(when) or when for when in conn.execute(stmt).scalars()]


def log_confirmation(conn: Connection, sub: Subscription, when: dt.datetime | None = None) -> int:
    """Count a confirmation email to the subscription's address; returns its log id."""
    values = {"subscription_id": sub.id, "address": sub.email.strip().lower(), "sent_at": when or _now()}
    inserted = conn.execute(insert(t.digest_confirmations).values(**values).returning(_C.id))
    return int(inserted.scalar_one())


def unlog_confirmation(conn: Connection, log_id: int) -> None:
    """Forget a confirmation email that could not be sent after all: it does not count."""
    conn.execute(delete(t.digest_confirmations).where(_C.id == log_id))


# ------------------------------------------------------------------------------ the send log
_D = t.digest_sends.c


@dataclass(frozen=True)
class Send:
    """One row of the send log."""

    subscription_id: int
    period_key: str
    status: str
    attempts: int
    papers: int
    message_id: str | None
    error: str | None
    updated_at: dt.datetime


_SEND_COLUMNS = (
    _D.subscription_id,
    _D.period_key,
    _D.status,
    _D.attempts,
    _D.papers,
    _D.message_id,
    _D.error,
    _D.updated_at,
)


def _send(row: object) -> Send:
    send = Send(*row)  # type: ignore[misc]
    return Send(**{**send.__dict__, "updated_at": _aware(send.updated_at)})


def send_of(conn: Connection, subscription_id: int, period_key: str) -> Send | None:
    row = conn.execute(
        select(*_SEND_COLUMNS).where(_D.subscription_id == subscription_id, _D.period_key == period_key)
    ).first()
    return _send(row) if row else None


def sends(conn: Connection, subscription_id: int | None = None) -> list[Send]:
    stmt = select(*_SEND_COLUMNS).order_by(_D.subscription_id, _D.period_key)
    if subscription_id is not None:
        stmt = stmt.where(_D.subscription_id == subscription_id)
    return [_send(r) for r in conn.execute(stmt)]


def claim(
    conn: Connection,
    seen: Send | None,
    subscription_id: int,
    period_key: str,
    status: Status,
    *,
    papers: int,
    message_id: str | None = None,
) -> bool:
    """Move the log row from what ``seen`` said (``None``: no row yet) to ``status``; ``False``
    when another run moved it first. Claiming for ``sending`` counts an attempt."""
    now = _now()
    if seen is None:
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(t.digest_sends).values(
                        subscription_id=subscription_id,
                        period_key=period_key,
                        status=status,
                        attempts=1 if status == "sending" else 0,
                        papers=papers,
                        message_id=message_id,
                        updated_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True
    done = conn.execute(
        update(t.digest_sends)
        .where(
            _D.subscription_id == subscription_id,
            _D.period_key == period_key,
            _D.status == seen.status,
            _D.attempts == seen.attempts,
        )
        .values(
            status=status,
            attempts=seen.attempts + (1 if status == "sending" else 0),
            papers=papers,
            message_id=message_id or seen.message_id,
            error=None,
            updated_at=now,
        )
    )
    return bool(done.rowcount)


def finish(
    conn: Connection, subscription_id: int, period_key: str, status: Status, error: str | None = None
) -> None:
    """Record how a claimed send ended: ``sent`` or ``failed`` (with the server's answer)."""
    conn.execute(
        update(t.digest_sends)
        .where(_D.subscription_id == subscription_id, _D.period_key == period_key, _D.status == "sending")
        .values(status=status, error=error[:2000] if error else None, updated_at=_now())
    )


# ------------------------------------------------------------------------------ what a digest holds
def published_between(
    conn: Connection, first: dt.date, last: dt.date, among: list[int] | None = None
) -> set[int]:
    """The works published from ``first`` to ``last`` (of ``among``, when given)."""
    w = t.works.c
    stmt = select(w.id).where(w.published >= first, w.published <= last)
    if among is not None:
        if not among:
            return set()
        stmt = stmt.where(w.id.in_(among))
    return set(conn.execute(stmt).scalars())


def author_name(conn: Connection, author_id: int) -> str | None:
    return conn.execute(select(t.authors.c.name).where(t.authors.c.id == author_id)).scalar()


def newest_works_of(conn: Connection, author_id: int, first: dt.date, last: dt.date, limit: int) -> list[int]:
    """The author's works published from ``first`` to ``last``, newest first, at most ``limit``."""
    w = t.works.c
    stmt = (
        select(w.id)
        .where(w.id.in_(works_of(author_id)), w.published >= first, w.published <= last)
        .order_by(w.published.desc(), w.id.desc())
        .limit(limit)
    )
    return list(conn.execute(stmt).scalars())

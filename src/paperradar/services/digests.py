"""Email digests as a use case: subscribe, list, unsubscribe (also by the signed link of every
email), and send the due digests — once, now, or on a schedule beside the web server.

What a digest holds is :mod:`paperradar.digest.compose`, how it goes out exactly once per
subscription and period :mod:`paperradar.digest.send`; this module is what the command line and
the web app ask of them. A subscription that cannot be made is refused with
:class:`~paperradar.store.subscriptions.SubscriptionError` (the reason, for the reader); a
mail server that is not configured or cannot be used with :class:`Unavailable`.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Connection

from paperradar.analysis import profiles
from paperradar.config import ConfigError, SmtpConfig, config_path, load_config
from paperradar.digest import periods as p
from paperradar.digest.links import subscription_of
from paperradar.digest.send import DigestError, Outcome, RunReport, scheduled, send_digests
from paperradar.services.context import AppContext
from paperradar.services.errors import NotFound, ServiceError, Unavailable
from paperradar.store import accounts
from paperradar.store import subscriptions as subs
from paperradar.store.subscriptions import Send, Subscription, SubscriptionError


class NoMailServer(ServiceError):
    """Digests on a schedule were asked for, but the configuration names no mail server."""


@dataclass(frozen=True)
class Entry:
    """A subscription, what it is in words (with the followed author's name), its send log."""

    subscription: Subscription
    what: str
    sends: list[Send] = field(default_factory=list)  # filled when asked for, oldest first


@dataclass(frozen=True)
class Switched:
    subscription: Subscription  # as it is now
    changed: bool  # False: it was already (in)active


@dataclass(frozen=True)
class Sending:
    due: list[p.DigestPeriod]  # the periods the run sent
    report: RunReport


def _what(conn: Connection, sub: Subscription) -> str:
    return subs.descriptions(conn, [sub])[sub.id]


class Digests:
    """The subscriptions of one store and the sending of their digests."""

    def __init__(self, context: AppContext) -> None:
        self.context = context

    # ------------------------------------------------------------------ subscriptions
    def email_of(self, owner: str) -> str | None:
        """The email address of the user's account, if they have one."""
        with self.context.reading() as conn:
            account = accounts.get_user(conn, owner)
        return (account.email if account else None) or None

    def subscribe(self, owner: str, kind: str, target: str, email: str, period: str | None = None) -> Entry:
        """Subscribe (or revive the same subscription). An author may be named rather than numbered
        when the name means exactly one author."""
        with self.context.writing() as conn:
            target = _author_id(conn, target) if kind == "author" else target
            sub = subs.subscribe(conn, owner, email, kind, target, period)
            return Entry(sub, _what(conn, sub))

    def listing(
        self, owner: str | None = None, *, active: bool | None = None, sends: bool = False
    ) -> list[Entry]:
        """Subscriptions, oldest first: one user's or everyone's, only (in)active ones, with their
        send logs when ``sends``."""
        with self.context.reading() as conn:
            found = subs.subscriptions(conn, owner, active=active)
            what = subs.descriptions(conn, found)
            return [Entry(s, what[s.id], subs.sends(conn, s.id) if sends else []) for s in found]

    def set_active(self, ident: int, active: bool, owner: str | None = None) -> Switched:
        """Unsubscribe or resubscribe; ``owner``: only one of theirs (else it is not found)."""
        with self.context.writing() as conn:
            sub = subs.get(conn, ident)
            if sub is None or (owner is not None and sub.owner != owner):
                raise NotFound(
                    f"you have no subscription #{ident}"
                    if owner is not None
                    else f"no subscription #{ident} (see paperradar digest list --all)"
                )
            changed = (subs.resubscribe if active else subs.unsubscribe)(conn, ident, owner)
            return Switched(subs.get(conn, ident) or sub, changed)

    # ------------------------------------------------------------------ the link in every email
    @cached_property
    def _key(self) -> bytes:
        with self.context.writing() as conn:  # made on first use
            return accounts.secret(conn)

    def by_token(self, token: str, active: bool | None = None, key: bytes | None = None) -> Entry:
        """The subscription a signed unsubscribe link names (``active``: after unsubscribing or
        resubscribing it). The token is the whole authority: no sign-in. ``key``: the app's
        signing key when the caller holds it already."""
        ident = subscription_of(key or self._key, token)
        if ident is None:
            raise ServiceError("this unsubscribe link is not valid (it may have been cut or changed)")
        with self.context.writing() as conn:
            sub = subs.get(conn, ident)
            if sub is None:
                raise ServiceError("this unsubscribe link names no subscription here")
            if active is not None:
                (subs.resubscribe if active else subs.unsubscribe)(conn, ident)
                sub = subs.get(conn, ident) or sub
            return Entry(sub, _what(conn, sub))

    # ------------------------------------------------------------------ sending
    def _smtp(self) -> SmtpConfig:
        try:
            return self.context.config.smtp
        except ConfigError as exc:
            raise Unavailable(str(exc)) from exc

    def send(
        self,
        period: str | None = None,
        at: dt.date | None = None,
        *,
        dry_run: bool = False,
        on_outcome: Callable[[Outcome], None] | None = None,
        on_plan: Callable[[int], None] | None = None,
    ) -> Sending:
        """Send the due digests of one period (default: both): those of the periods containing
        ``at``, else of the last complete ones. ``dry_run``: compose and render, send nothing."""
        due = p.due((period,) if period else subs.PERIODS, at=at)
        smtp = self._smtp()
        try:
            report = send_digests(
                self.context.engine, smtp, due, dry_run=dry_run, on_outcome=on_outcome, on_plan=on_plan
            )
        except DigestError as exc:
            raise Unavailable(str(exc)) from exc
        return Sending(due, report)

    def preview(
        self,
        period: str | None = None,
        at: dt.date | None = None,
        on_outcome: Callable[[Outcome], None] | None = None,
        on_plan: Callable[[int], None] | None = None,
    ) -> Sending:
        """:meth:`send` as a dry run: every due digest composed and rendered, none sent or logged."""
        return self.send(period, at, dry_run=True, on_outcome=on_outcome, on_plan=on_plan)

    def schedule(
        self, minutes: int, on_report: Callable[[RunReport], None] | None = None
    ) -> AbstractContextManager[threading.Event]:
        """Due digests sent in a background thread now and every ``minutes`` while the returned
        context is open (``paperradar serve --digests``). The configuration is checked now and
        read again at each run, so edits to [smtp] apply without a restart."""
        smtp = self._smtp()
        if not smtp.host or not smtp.from_address:
            raise NoMailServer(
                "--digests needs a mail server: set smtp.host and smtp.from_address in the config "
                "(or PAPERRADAR_SMTP_HOST and PAPERRADAR_SMTP_FROM)"
            )
        every = dt.timedelta(minutes=minutes)
        return scheduled(self.context.engine, self._current_smtp, every, on_report=on_report)

    def _current_smtp(self) -> SmtpConfig:
        return load_config(self.context.config_file or config_path()).smtp


def _author_id(conn: Connection, target: str) -> str:
    """The id of the author a subscription names, by id or by a name that means one author."""
    name = target.strip()
    if not name or name.isdigit():
        return target
    matches = profiles.find(conn, name, limit=2)
    if len(matches) != 1:
        raise SubscriptionError(
            f"{'no author' if not matches else 'several authors'} match {name!r}: "
            "give the author's id (the number in /authors/ID)"
        )
    return str(matches[0]["id"])

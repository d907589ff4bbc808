"""Email digests as a use case: subscribe, list, unsubscribe (also by the signed link of every
email), and send the due digests — once, now, or on a schedule beside the web server.

What a digest holds is :mod:`paperradar.digest.compose`, how it goes out exactly once per
subscription and period :mod:`paperradar.digest.send`; this module is what the command line and
the web app ask of them. A subscription that cannot be made is refused with
:class:`~paperradar.store.subscriptions.SubscriptionError` (the reason, for the reader); a
mail server that is needed but not configured with :class:`NoMailServer`, one that cannot be
used with :class:`Unavailable`.

**Digests go only to confirmed addresses (double opt-in).** A subscription is confirmed at once
when the operator makes it (``paperradar digest subscribe``, or the one user of a local app with no
accounts: they own the store) or when it goes to the address of the user's own account (set by
an admin). Any other address is stored *pending* — ``digest send`` skips it — and sent, at once,
an email with a signed link (:func:`~paperradar.digest.links.confirm_url`); opening it shows a
page whose button confirms it (a GET changes nothing, so mail scanners that fetch links confirm
nothing). Those emails are limited, counted in the store so that every process sees them: at most
:data:`CONFIRMATIONS_PER_ADDRESS` to one address and :data:`CONFIRMATIONS_PER_USER` for one user
in :data:`CONFIRMATION_WINDOW`; over a limit the subscription is refused with
:class:`TooManyConfirmations` (HTTP 429) and nothing is stored or sent.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Connection

from paperradar.analysis import profiles
from paperradar.config import ConfigError, SmtpConfig, config_path, load_config
from paperradar.digest import periods as p
from paperradar.digest.links import confirms, subscription_of, token_id
from paperradar.digest.send import (
    BadRecipient,
    DigestError,
    Outcome,
    RunReport,
    confirmation_message,
    scheduled,
    send_confirmation,
    send_digests,
)
from paperradar.services.context import AppContext
from paperradar.services.errors import NotFound, ServiceError, Unavailable
from paperradar.store import accounts
from paperradar.store import subscriptions as subs
from paperradar.store.subscriptions import Send, Subscription, SubscriptionError

log = logging.getLogger(__name__)
CONFIRMATIONS_PER_ADDRESS = 3  # confirmation emails to one address (whoever asks) per window
CONFIRMATIONS_PER_USER = 10  # confirmation emails one user may cause per window
CONFIRMATION_WINDOW = dt.timedelta(days=1)
SET_SERVER = (
    "set smtp.host and smtp.from_address in the config (or PAPERRADAR_SMTP_HOST and PAPERRADAR_SMTP_FROM)"
)


class NoMailServer(ServiceError):
    """Digests on a schedule, or a confirmation email, were asked for, but the configuration names
    no mail server: not possible until the operator sets one."""

    status = 409


class TooManyConfirmations(ServiceError):
    """Another confirmation email would pass a limit; ``retry_after``: seconds until it would not."""

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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
    what: str = ""  # what it is, in words

    @property
    def entry(self) -> Entry:
        return Entry(self.subscription, self.what)


@dataclass(frozen=True)
class Sending:
    due: list[p.DigestPeriod]  # the periods the run sent
    report: RunReport


@dataclass(frozen=True)
class _Asking:
    """A confirmation email counted in the store, to be sent once that transaction commits."""

    entry: Entry
    smtp: SmtpConfig
    log_id: int


def _what(conn: Connection, sub: Subscription) -> str:
    return subs.descriptions(conn, [sub])[sub.id]


def _own_address(conn: Connection, owner: str, email: str) -> bool:
    """Whether ``email`` is the address an admin set on ``owner``'s account (whatever its case)."""
    account = accounts.get_user(conn, owner)
    mine = (account.email or "") if account else ""
    return bool(mine.strip()) and mine.strip().lower() == email.strip().lower()


def _in_words(seconds: int) -> str:
    """``5 h 12 min``, ``40 min``, ``30 s``: how long to wait."""
    hours, rest = divmod(seconds, 3600)
    if hours:
        return f"{hours} h {rest // 60} min" if rest >= 60 else f"{hours} h"
    return f"{rest // 60} min" if rest >= 60 else f"{rest} s"


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

    def subscribe(
        self,
        owner: str,
        kind: str,
        target: str,
        email: str,
        period: str | None = None,
        *,
        operator: bool = False,
    ) -> Entry:
        """Subscribe (or revive the same subscription). An author may be named rather than numbered
        when the name means exactly one author. ``operator``: asked for by who runs the store, so
        confirmed at once; otherwise an address other than the account's is ``pending`` and sent
        a confirmation email (see the module docstring for the limits)."""
        with self.context.writing() as conn:
            target = _author_id(conn, target) if kind == "author" else target
            confirmed = operator or _own_address(conn, owner, email)
            sub = subs.subscribe(conn, owner, email, kind, target, period, confirmed=confirmed)
            entry = Entry(sub, _what(conn, sub))
            asking = self._counted(conn, entry)
        self._ask(asking)
        return entry

    def ask_again(self, ident: int, owner: str) -> Entry:
        """Send the confirmation email of one of the user's pending subscriptions again (within the
        same limits), say when the first one was lost or went to the spam folder."""
        with self.context.writing() as conn:
            sub = _theirs(conn, ident, owner)
            if sub.state != "pending":
                raise ServiceError(f"subscription #{ident} is not awaiting confirmation (it is {sub.state})")
            entry = Entry(sub, _what(conn, sub))
            asking = self._counted(conn, entry)
        self._ask(asking)
        return entry

    def listing(
        self, owner: str | None = None, *, active: bool | None = None, sends: bool = False
    ) -> list[Entry]:
        """Subscriptions, oldest first: one user's or everyone's, only (in)active ones, with their
        send logs when ``sends``."""
        with self.context.reading() as conn:
            found = subs.subscriptions(conn, owner, active=active)
            what = subs.descriptions(conn, found)
            return [Entry(s, what[s.id], subs.sends(conn, s.id) if sends else []) for s in found]

    def set_active(
        self, ident: int, active: bool, owner: str | None = None, *, operator: bool = False
    ) -> Switched:
        """Unsubscribe or resubscribe; ``owner``: only one of theirs (else it is not found).
        Resubscribing an address other than the account's, unless by the ``operator``, needs its
        confirmation again (its owner may be who unsubscribed it): it comes back pending."""
        asking = None
        with self.context.writing() as conn:
            sub = _theirs(conn, ident, owner)
            if not active:
                changed = subs.unsubscribe(conn, ident, owner)
            else:
                confirmed = operator or _own_address(conn, sub.owner, sub.email)
                changed = subs.resubscribe(conn, ident, owner, confirmed=confirmed)
            now = subs.get(conn, ident) or sub
            done = Switched(now, changed, _what(conn, now))
            if changed:
                asking = self._counted(conn, done.entry)
        self._ask(asking)
        return done

    # ------------------------------------------------------------------ confirmation emails
    def _mailer(self) -> SmtpConfig:
        """The mail server confirmation emails go through (the one digests use)."""
        smtp = self._smtp()
        if not smtp.host or not smtp.from_address:
            raise NoMailServer(
                "this site cannot send the confirmation email an address other than your account's "
                f"needs, as no mail server is configured ({SET_SERVER}); subscribe with your account's "
                "address instead"
            )
        return smtp

    def _counted(self, conn: Connection, entry: Entry) -> _Asking | None:
        """For a pending subscription: check the limits (refusing over one, which rolls the whole
        transaction back) and count the confirmation email it is about to be sent."""
        sub = entry.subscription
        if sub.state != "pending":
            return None
        smtp = self._mailer()
        subs.lock_confirmations(conn)
        now = dt.datetime.now(dt.UTC)
        since = now - CONFIRMATION_WINDOW
        for sent, limit, said in (
            (
                subs.confirmations_since(conn, since, address=sub.email),
                CONFIRMATIONS_PER_ADDRESS,
                f"{sub.email} has been sent {{n}} confirmation emails in the last 24 hours, the most we "
                "send to one address",
            ),
            (
                subs.confirmations_since(conn, since, owner=sub.owner),
                CONFIRMATIONS_PER_USER,
                "you have asked for {n} confirmation emails in the last 24 hours, the most one user may",
            ),
        ):
            if len(sent) >= limit:
                wait = max(1, int((sent[-limit] + CONFIRMATION_WINDOW - now).total_seconds() + 0.999))
                raise TooManyConfirmations(
                    f"{said.format(n=len(sent))}: try again in {_in_words(wait)}, or subscribe with "
                    "your account's address, which needs no confirmation",
                    wait,
                )
        return _Asking(entry, smtp, subs.log_confirmation(conn, sub, now))

    def _ask(self, asking: _Asking | None) -> None:
        """Send the confirmation email counted by :meth:`_counted` (after its commit). One the
        server does not take is not counted, and refused with :class:`Unavailable`; the
        subscription stays pending, to be asked for again."""
        if asking is None:
            return
        sub = asking.entry.subscription
        try:
            msg = confirmation_message(sub, asking.entry.what, asking.smtp, self._key)
            send_confirmation(asking.smtp, msg)
        except (DigestError, BadRecipient) as exc:
            log.warning("confirmation email for subscription #%s not sent: %s", sub.id, exc)
            with self.context.writing() as conn:
                subs.unlog_confirmation(conn, asking.log_id)
            raise Unavailable(  # the server's own words go to the log, not to the user
                f"the confirmation email to {sub.email} could not be sent: the mail server could not "
                "be reached or did not take it. The subscription is kept, awaiting confirmation: ask "
                "for the email again later (if it keeps failing, tell the site's operator)"
            ) from exc

    def confirmation(self, token: str, confirm: bool = False, key: bytes | None = None) -> Entry:
        """The subscription a signed confirm link names (``confirm``: after confirming it). The
        token is the whole authority: whoever can open the link reads the email sent to the
        address. ``key``: the app's signing key when the caller holds it already."""
        key = key or self._key
        ident = token_id(token)
        with self.context.writing() if confirm else self.context.reading() as conn:
            sub = subs.get(conn, ident) if ident is not None else None
            if sub is None or not confirms(key, token, sub.id, sub.email):
                raise ServiceError(
                    "this confirmation link is not valid: it may have been cut or changed, or the "
                    "subscription has moved to another address since (ask for a new email from the "
                    "digests page)"
                )
            if confirm and subs.confirm(conn, sub.id):
                sub = subs.get(conn, sub.id) or sub
            return Entry(sub, _what(conn, sub))

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
            raise NoMailServer(f"--digests needs a mail server: {SET_SERVER}")
        every = dt.timedelta(minutes=minutes)
        return scheduled(self.context.engine, self._current_smtp, every, on_report=on_report)

    def _current_smtp(self) -> SmtpConfig:
        return load_config(self.context.config_file or config_path()).smtp


def _theirs(conn: Connection, ident: int, owner: str | None) -> Subscription:
    """Subscription ``ident``; ``owner``: only if it is theirs (else it is not found)."""
    sub = subs.get(conn, ident)
    if sub is None or (owner is not None and sub.owner != owner):
        raise NotFound(
            f"you have no subscription #{ident}"
            if owner is not None
            else f"no subscription #{ident} (see paperradar digest list --all)"
        )
    return sub


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

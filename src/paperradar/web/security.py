"""Who is asking, and may they: the visitor, CSRF tokens, rate limits and safe redirects.

Two modes. Bound to localhost with no accounts in the store, the app is one person's: every
request acts as the local user (the same name the CLI uses) and there is no login. Otherwise
the visitor is whoever their session cookie says, or anonymous, and only signed-in users vote
and save. Either way every state-changing request must carry a CSRF token and, when the
browser says where it comes from, come from this site: a page elsewhere cannot make a local
app vote, and a localhost app answers only to localhost host names (no DNS rebinding).

Rate limits are kept in this process's memory: with ``paperradar serve --workers N`` each worker
counts on its own. They key on :meth:`Security.client`, the one place that says who a client is:
the connecting address, or, when that is one of the config's ``trusted_proxies``, the right-most
X-Forwarded-For entry that is no trusted proxy itself (IPv6 clients by their /64 network, which
one machine can fill). Sign-ins are limited four ways: failures per address and account and per
address (one attacker's address stops soon), a growing wait per account whatever the address
(1 s after the 5th failure, doubling up to 5 minutes, forgotten after 15 quiet minutes, so an
attack from many addresses slows but never locks the owner out; an address the owner signed in
from lately skips it), and successes per address (the form is no free password oracle or CPU sink).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from sqlalchemy import Engine

from paperradar.config import IPNetwork
from paperradar.store import accounts

SESSION_COOKIE = "paperradar_session"
CSRF_COOKIE = "paperradar_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]"}
SIGN_IN_WINDOW = 15 * 60  # seconds over which sign-ins are counted
BACKOFF_AFTER = 5  # failed sign-ins of one account before each next one waits
BACKOFF_CAP = 5 * 60  # the longest wait, in seconds
KNOWN_FOR = 30 * 86400  # how long an address that signed in to an account skips its back-off

Mode = Literal["local", "accounts"]


@dataclass(frozen=True)
class Visitor:
    name: str | None  # None: not signed in
    is_admin: bool
    mode: Mode

    @property
    def signed_in(self) -> bool:
        return self.name is not None


class _Stamps:
    """Times of events per key, in this process: counted, taken back, forgotten; a key with no
    event left is dropped when looked at, and every so often all are looked at (no leak)."""

    SWEEP_EVERY = 1024  # hits between two sweeps of keys nobody asked about since

    def __init__(self, keep: int | None = None) -> None:
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._keep = keep  # at most this many events per key (the oldest go first)
        self._hits = 0

    def _expire(self, events: deque[float], now: float) -> None:
        """Drop the events that no longer count."""
        raise NotImplementedError

    def _recent(self, key: str, now: float) -> deque[float]:
        """The key's events that still count (call with the lock held)."""
        events = self._events.get(key, deque(maxlen=self._keep))
        self._expire(events, now)
        if not events:
            self._events.pop(key, None)
        return events

    def count(self, key: str) -> int:
        with self._lock:
            return len(self._recent(key, time.monotonic()))

    def hit(self, key: str) -> float:
        """Count one event now; returns its stamp (for :meth:`release`)."""
        now = time.monotonic()
        with self._lock:
            self._events[key] = self._recent(key, now)
            self._events[key].append(now)
            self._hits += 1
            if self._hits % self.SWEEP_EVERY == 0:  # the keys of a spray of names go too
                for stale in list(self._events):
                    self._recent(stale, now)
        return now

    def release(self, key: str, stamp: float) -> None:
        """Take back the event counted at ``stamp`` (an attempt that turned out fine)."""
        with self._lock:
            events = self._events.get(key)
            if events is not None and stamp in events:
                events.remove(stamp)
                if not events:
                    del self._events[key]

    def forget(self, key: str) -> None:
        """Start ``key`` over."""
        with self._lock:
            self._events.pop(key, None)


class RateLimit(_Stamps):
    """At most ``limit`` events per key in a sliding window of ``seconds`` (in this process)."""

    def __init__(self, limit: int, seconds: float) -> None:
        super().__init__()
        self.limit, self.seconds = limit, seconds

    def _expire(self, events: deque[float], now: float) -> None:
        while events and events[0] <= now - self.seconds:
            events.popleft()

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may act again; 0 when it may now."""
        now = time.monotonic()
        with self._lock:
            events = self._recent(key, now)
            if len(events) < self.limit:
                return 0
            return max(1, math.ceil(events[-self.limit] + self.seconds - now))

    def check(self, key: str, what: str) -> None:
        """Count one event, or refuse with 429 and Retry-After when over the limit."""
        wait = self.retry_after(key)
        if wait:
            raise HTTPException(
                429, f"too many {what}: try again in {wait} s", headers={"Retry-After": str(wait)}
            )
        self.hit(key)


def backoff_seconds(failures: int) -> int:
    """How long a name waits after its ``failures``-th failed sign-in in a row: not at all before
    the 5th, then 1 s, 2 s, 4 s … at most 5 minutes — slow for a guesser, short for the owner."""
    if failures < BACKOFF_AFTER:
        return 0
    return min(BACKOFF_CAP, 1 << min(failures - BACKOFF_AFTER, 30))


class Backoff(_Stamps):
    """Failures per key, each after the first few making the next try wait longer (see
    :func:`backoff_seconds`); a key with no failure for ``quiet`` seconds starts over."""

    def __init__(self, quiet: float) -> None:
        super().__init__(keep=BACKOFF_AFTER + 30)  # enough to stay at the longest wait
        self.quiet = quiet

    def _expire(self, events: deque[float], now: float) -> None:
        if events and events[-1] <= now - self.quiet:
            events.clear()

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may try again; 0 when it may now."""
        now = time.monotonic()
        with self._lock:
            events = self._recent(key, now)
            wait = events[-1] + backoff_seconds(len(events)) - now if events else 0
            return math.ceil(wait) if wait > 0 else 0


def _hostname(host_header: str) -> str:
    """The name in a Host header, without the port (``[::1]:8000`` → ``[::1]``)."""
    if host_header.startswith("["):
        return host_header.split("]")[0] + "]"
    return host_header.rsplit(":", 1)[0]


def safe_next(target: str | None, default: str = "/") -> str:
    """Where to go after a form: only a path on this site (no ``//host``, scheme or backslash)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in target):
        return default
    return target


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _ip(text: str) -> IPAddress | None:
    """The address in ``1.2.3.4``, ``1.2.3.4:80``, ``::1`` or ``[::1]:80`` (an IPv4-mapped IPv6
    address as the IPv4 one); ``None`` when it is none."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _within(address: IPAddress, networks: Sequence[IPNetwork]) -> bool:
    return any(address in network for network in networks)


def client_address(request: Request, trusted: Sequence[IPNetwork]) -> str:
    """Who sent ``request``: the connecting address, unless that is a trusted proxy; then the
    right-most X-Forwarded-For entry that is no trusted proxy (each proxy appends the address it
    saw, so what stands left of that is whatever the client chose to write). A malformed entry on
    the way leaves the proxy's own address: a header that cannot be read names nobody."""
    peer = request.client.host if request.client else "unknown"
    address = _ip(peer)
    if address is None or not _within(address, trusted):
        return str(address) if address else peer
    hops = [hop for value in request.headers.getlist("x-forwarded-for") for hop in value.split(",")]
    found = address
    for hop in reversed(hops):
        forwarded = _ip(hop)
        if forwarded is None:
            return str(address)
        found = forwarded
        if not _within(found, trusted):
            break
    return str(found)  # when every hop is a trusted proxy, the first one is the client


def _counted(address: str) -> str:
    """The key a client is counted under: an IPv6 client by its /64 (one machine may use them all)."""
    found = _ip(address)
    if isinstance(found, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((found, 64), strict=False))
    return address


def _duration(seconds: int) -> str:
    return f"{seconds} s" if seconds < 120 else f"{math.ceil(seconds / 60)} min"


@dataclass(frozen=True)
class Wait:
    """A sign-in refused for now: for how many seconds, and why (said to the visitor)."""

    seconds: int
    why: str

    @property
    def message(self) -> str:
        return f"{self.why}: try again in {_duration(self.seconds)}."


class SignIn:
    """One sign-in being checked, already counted as failed: a burst of guesses sent at once
    cannot all pass the limits before the first failure is counted. :meth:`succeeded` takes
    the failure back."""

    def __init__(self, guard: Security, client: str, name: str) -> None:
        # user names have at most 64 characters: a longer one costs no more memory than that
        self.guard, self.client, self.account = guard, client, name.casefold()[:128]
        self.pair = f"{client}|{self.account}"
        self._counted: list[tuple[_Stamps, str, float]] = []

    def count_failure(self) -> None:
        guard = self.guard
        for limit, key in (
            (guard.logins, self.pair),
            (guard.logins_per_address, self.client),
            (guard.account_backoff, self.account),
        ):
            self._counted.append((limit, key, limit.hit(key)))

    def succeeded(self) -> None:
        """Not a failure after all: this client starts over for this account, and is known to it."""
        guard = self.guard
        for limit, key, stamp in self._counted:
            limit.release(key, stamp)
        guard.logins.forget(self.pair)
        guard.sign_ins.hit(self.client)
        guard.known.forget(self.pair)
        guard.known.hit(self.pair)


class Security:
    """The app's guard; one per app, shared by every request.

    ``trusted_proxies``: where the config's ``trusted_proxies`` are read, once, at the first need.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        local: bool,
        trusted_proxies: Callable[[], Sequence[IPNetwork]] = tuple,
    ) -> None:
        self.engine = engine
        self.local = local  # bound to a loopback address
        self._read_proxies = trusted_proxies
        self.logins = RateLimit(5, SIGN_IN_WINDOW)  # failed sign-ins per (client, name)
        self.logins_per_address = RateLimit(20, SIGN_IN_WINDOW)  # failed sign-ins per client
        self.account_backoff = Backoff(SIGN_IN_WINDOW)  # failed sign-ins per name, from anywhere
        self.sign_ins = RateLimit(30, SIGN_IN_WINDOW)  # successful sign-ins per client
        self.known = RateLimit(1, KNOWN_FOR)  # (client, name) that signed in lately
        self._sign_in_lock = threading.Lock()
        self.votes = RateLimit(60, 60)  # votes and saves per user per minute

    @cached_property
    def trusted_proxies(self) -> tuple[IPNetwork, ...]:
        return tuple(self._read_proxies())

    def client(self, request: Request) -> str:
        """Who the limits count a request under (see :func:`client_address`)."""
        return _counted(client_address(request, self.trusted_proxies))

    def begin_sign_in(self, client: str, name: str) -> SignIn | Wait:
        """A sign-in of ``name`` from ``client``, counted as failed until it succeeds, or how long
        it must wait: its client failed too often with this name or with any, this name failed too
        often lately from anywhere (unless this client signed in with it lately), or this client
        signed in too often."""
        attempt = SignIn(self, client, name)
        known = self.known.count(attempt.pair) > 0
        with self._sign_in_lock:  # checked and counted at once
            backoff = 0 if known else self.account_backoff.retry_after(attempt.account)
            waits = (
                Wait(self.logins.retry_after(attempt.pair), "Too many failed sign-ins with this name"),
                Wait(
                    self.logins_per_address.retry_after(client), "Too many failed sign-ins from your address"
                ),
                Wait(backoff, "Too many failed sign-ins with this name lately"),
                Wait(self.sign_ins.retry_after(client), "Too many sign-ins from your address"),
            )
            longest = max(waits, key=lambda wait: wait.seconds)
            if longest.seconds:
                return longest
            attempt.count_failure()
        return attempt

    @cached_property
    def signing_key(self) -> bytes:
        """The app's HMAC key (CSRF tokens, unsubscribe links), read once from the store."""
        with self.engine.begin() as conn:
            return accounts.secret(conn)

    # ---------------------------------------------------------------- who
    def visitor(self, request: Request) -> Visitor:
        """Who is asking (once per request: the answer is kept on it), in one short read."""
        cached: Visitor | None = getattr(request.state, "visitor", None)
        if cached is not None:
            return cached
        token = request.cookies.get(SESSION_COOKIE)
        with self.engine.connect() as conn:
            if self.local and not accounts.any_users(conn):
                found = Visitor(accounts.local_user(), True, "local")
            else:
                user = accounts.session_user(conn, token) if token else None
                found = Visitor(user.name if user else None, bool(user and user.is_admin), "accounts")
        request.state.visitor = found
        return found

    def check_host(self, request: Request) -> str | None:
        """Why a request is refused for its Host header, if it is (only when bound locally)."""
        if not self.local:
            return None
        host = _hostname(request.headers.get("host", ""))
        if host.lower() in LOOPBACK_HOSTS:
            return None
        return f"this paperradar is bound to localhost and does not answer to the host {host!r}"

    # ---------------------------------------------------------------- CSRF
    @staticmethod
    def csrf_seed(request: Request) -> str:
        """The visitor's CSRF cookie value (a new one when they have none yet)."""
        seed: str | None = getattr(request.state, "csrf_seed", None)
        if seed is None:
            seed = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
            request.state.csrf_seed = seed
        return seed

    def csrf_token(self, request: Request) -> str:
        """What forms carry: an HMAC of the cookie, which a page elsewhere can neither read nor make."""
        seed = self.csrf_seed(request)
        return hmac.new(self.signing_key, seed.encode(), hashlib.sha256).hexdigest()

    def check_csrf(self, request: Request, supplied: str | None) -> None:
        origin = request.headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
            raise HTTPException(403, f"refused: this form was sent from another site ({origin})")
        if CSRF_COOKIE not in request.cookies:
            raise HTTPException(403, "refused: no CSRF cookie (reload the page and try again)")
        if not supplied or not hmac.compare_digest(supplied, self.csrf_token(request)):
            raise HTTPException(403, "refused: the form's CSRF token is missing or stale (reload the page)")

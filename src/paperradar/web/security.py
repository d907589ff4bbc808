"""Who is asking, and may they: the visitor, CSRF tokens, rate limits and safe redirects.

Two modes. Bound to localhost with no accounts in the store, the app is one person's: every
request acts as the local user (the same name the CLI uses) and there is no login. Otherwise
the visitor is whoever their session cookie says, or anonymous, and only signed-in users vote
and save. Either way every state-changing request must carry a CSRF token and, when the
browser says where it comes from, come from this site: a page elsewhere cannot make a local
app vote, and a localhost app answers only to localhost host names (no DNS rebinding).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from functools import cached_property
from typing import Literal
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from sqlalchemy import Engine

from paperradar.store import accounts

SESSION_COOKIE = "paperradar_session"
CSRF_COOKIE = "paperradar_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]"}

Mode = Literal["local", "accounts"]


@dataclass(frozen=True)
class Visitor:
    name: str | None  # None: not signed in
    is_admin: bool
    mode: Mode

    @property
    def signed_in(self) -> bool:
        return self.name is not None


class RateLimit:
    """At most ``limit`` events per key in a sliding window of ``seconds`` (in this process)."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        """The key's events inside the window (a key with none left is forgotten: no leak)."""
        events = self._events.get(key, deque())
        while events and events[0] <= now - self.seconds:
            events.popleft()
        if not events:
            self._events.pop(key, None)
        return events

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may act again; 0 when it may now."""
        now = time.monotonic()
        with self._lock:
            events = self._recent(key, now)
            if len(events) < self.limit:
                return 0
            return max(1, int(events[0] + self.seconds - now + 0.999))

    def hit(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._events[key] = self._recent(key, now)
            self._events[key].append(now)

    def check(self, key: str, what: str) -> None:
        """Count one event, or refuse with 429 and Retry-After when over the limit."""
        wait = self.retry_after(key)
        if wait:
            raise HTTPException(
                429, f"too many {what}: try again in {wait} s", headers={"Retry-After": str(wait)}
            )
        self.hit(key)


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


class Security:
    """The app's guard; one per app, shared by every request."""

    def __init__(self, engine: Engine, *, local: bool) -> None:
        self.engine = engine
        self.local = local  # bound to a loopback address
        self.logins = RateLimit(5, 15 * 60)  # failed sign-ins per (address, name)
        self.logins_per_address = RateLimit(20, 15 * 60)
        self.votes = RateLimit(60, 60)  # votes and saves per user per minute

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

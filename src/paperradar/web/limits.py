"""Bounds on each request, so that no visitor's request stalls the server for the others.

* **Bodies.** A form or JSON request carries at most :data:`BODY_LIMIT` bytes, a library file
  upload at most ``$PAPERRADAR_MAX_UPLOAD_MB`` MiB (default :data:`UPLOAD_MB`). A larger body is
  refused with 413: up front when its Content-Length says so, else as soon as the bytes streamed
  in (a chunked body) pass the limit — it is counted, never buffered to be measured.
* **Writes.** Each signed-in user writes at most :data:`WORK` items a minute — a vote, save,
  submission or library change is one, plus one per tag it adds or removes — and makes at most
  :data:`IMPORTS` library imports an hour, on top of the count of votes and changes of
  :mod:`paperradar.web.security`; past it, 429 with Retry-After. What one change may hold is
  bounded by the services (a note's length, tags at once), so no one request holds the write
  lock for long.
* **The write lock.** The app's writes wait :data:`WRITE_WAIT` seconds for the store's write lock
  (``create_app`` opens its context so), then answer 503 with Retry-After.
* **Threads.** Every route runs in the threadpool (see :mod:`paperradar.web.routing`), and so do
  static files' reads. Requests waiting for the write lock or a password hasher hold a thread
  while they wait (a few seconds at most), so the pool has :data:`THREADS` of them rather than
  AnyIO's 40: a burst of such requests leaves threads for pages and static files.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque
from collections.abc import Mapping

import anyio.to_thread
from fastapi import FastAPI, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperradar.web import hardening
from paperradar.web.security import RateLimit

BODY_LIMIT = 2**20  # bytes of a form or JSON request: a 20,000-character note fits many times
ENV_MAX_UPLOAD = "PAPERRADAR_MAX_UPLOAD_MB"
UPLOAD_MB = 50  # a 50 MiB .bib holds some 100,000 entries
UPLOADS = frozenset({"/library/import"})  # the routes that take a file
WRITE_WAIT = 5.0  # seconds a write waits for the store's write lock before a 503
WORK = 600  # items (changes, and the tags they name) a user writes in a minute
IMPORTS = 10  # library imports per user an hour
THREADS = 100  # the threadpool's size (AnyIO's default: 40)


class TooLarge(HTTPException):
    """A request body over its limit (raised while it streams in; shown as the 413 error page)."""

    def __init__(self, limit: int, upload: bool) -> None:
        super().__init__(413, too_large(limit, upload))


def too_large(limit: int, upload: bool) -> str:
    size = f"{limit / 2**20:g} MiB"
    if upload:
        return (
            f"the file is over {size}, the largest upload this server takes: import it with "
            f"`paperradar library import FILE`, or raise ${ENV_MAX_UPLOAD} on the server"
        )
    return f"the request is over {size}, the most a form or an API call may send: send less at once"


def upload_limit(env: Mapping[str, str] = os.environ) -> int:
    """The largest library upload in bytes: ``$PAPERRADAR_MAX_UPLOAD_MB`` MiB, else :data:`UPLOAD_MB`."""
    raw = env.get(ENV_MAX_UPLOAD, "").strip()
    try:
        megabytes = float(raw) if raw else UPLOAD_MB
    except ValueError:
        raise ValueError(f"{ENV_MAX_UPLOAD} must be a number of MiB, got {raw!r}") from None
    if megabytes <= 0:
        raise ValueError(f"{ENV_MAX_UPLOAD} must be more than 0, got {raw!r}")
    return int(megabytes * 2**20)


class Bounds:
    """The pure ASGI middleware: body limits on every request, and the threadpool's size."""

    def __init__(self, app: ASGIApp, upload: int) -> None:
        self.app, self.upload = app, upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["method"] == "POST" and scope["path"] in UPLOADS
        limit = self.upload if upload else BODY_LIMIT
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            request = Request(scope, receive)
            refusal = await run_in_threadpool(hardening.error, request, 413, too_large(limit, upload))
            refusal.headers["Connection"] = "close"  # the unread body is not waited for
            await refusal(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise TooLarge(limit, upload)
            return message

        await self.app(scope, counted, send)


class Budget:
    """At most ``limit`` units per key in a sliding window of ``seconds`` (in this process), a
    request spending what it may write; one past it waits until enough old spending leaves."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self._spent: dict[str, deque[tuple[float, int]]] = {}
        self._lock = threading.Lock()

    def spend(self, key: str, cost: int, what: str) -> None:
        """Spend ``cost`` units of ``key``'s budget, or refuse with 429 and Retry-After."""
        cost, now = min(max(cost, 1), self.limit), time.monotonic()
        with self._lock:
            spent = self._spent.pop(key, deque())
            while spent and spent[0][0] <= now - self.seconds:
                spent.popleft()
            over = sum(units for _, units in spent) + cost - self.limit
            if over > 0:
                self._spent[key] = spent
                wait = math.ceil(self._freed_after(spent, over) + self.seconds - now)
                raise HTTPException(
                    429,
                    f"too many {what}: at most {self.limit} a minute; try again in {max(wait, 1)} s",
                    headers={"Retry-After": str(max(wait, 1))},
                )
            spent.append((now, cost))
            self._spent[key] = spent

    @staticmethod
    def _freed_after(spent: deque[tuple[float, int]], units: int) -> float:
        """When the oldest spending that frees ``units`` units was made."""
        freed = 0
        for stamp, cost in spent:
            freed += cost
            if freed >= units:
                return stamp
        return spent[-1][0]


class WriteLimits:
    """Per-user write budgets of one app."""

    def __init__(self) -> None:
        self.work = Budget(WORK, 60)
        self.imports = RateLimit(IMPORTS, 3600)


def check_write(request: Request, user: str, tags: int = 0) -> None:
    """Count a change of ``user`` naming ``tags`` tags, or refuse it with 429 and Retry-After."""
    limits: WriteLimits = request.app.state.write_limits
    limits.work.spend(user, 1 + tags, "changes and tags")


def check_import(request: Request, user: str) -> None:
    """Count one library import of ``user``, or refuse it with 429 and Retry-After."""
    limits: WriteLimits = request.app.state.write_limits
    limits.imports.check(user, "library imports")


def install(app: FastAPI) -> None:
    """Bound the bodies of ``app``'s requests and its users' writes. Install it before any other
    middleware: innermost, a body over its limit is refused from inside the route's own read of
    it (another middleware between would wrap the refusal in an exception group), and the
    guard of :mod:`paperradar.web.hardening` adds its headers to the 413 like to any answer."""
    app.state.write_limits = WriteLimits()
    app.add_middleware(Bounds, upload=upload_limit())

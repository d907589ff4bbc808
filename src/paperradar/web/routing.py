"""How every route is written: off the event loop, one way to read a form, one way to say 404.

Threads — the rule: **every route is a plain ``def``**. FastAPI runs those in its threadpool, so
what routes do (database reads and writes, argon2, profiles, search, a fetch from arXiv) never
blocks the event loop, and no route needs to remember to off-load. The one thing that must be
awaited, the request body, is read by the async dependencies here before the route runs; they
hand their own blocking part (the CSRF check may read the signing key) to a thread. Nothing else
in :mod:`paperradar.web` is ``async def`` but the middleware, which off-loads the same way.

Forms: a route that changes something from a form takes :data:`CheckedForm` — its text fields,
the CSRF token already checked (a missing or stale one is a 403 before the route runs) — and
:data:`Uploads` for files. The JSON API checks the ``X-CSRF-Token`` header instead.

404s: a service refuses an unknown paper, author or organisation with
:class:`~paperradar.services.errors.NotFound`, and :func:`found` turns any other missing thing
into a 404; :mod:`paperradar.web.hardening` shows either as the error page, or as JSON under
``/api/``.

Every router gets the app's :class:`~paperradar.web.site.Site` as :data:`SiteDep`.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from paperradar.web.security import CSRF_FIELD
from paperradar.web.site import Site

T = TypeVar("T")


async def site_of(request: Request) -> Site:
    """The app's shared state (set by ``create_app``); async: it only reads an attribute."""
    site: Site = request.app.state.site
    return site


SiteDep = Annotated[Site, Depends(site_of)]


async def checked_form(request: Request) -> dict[str, str]:
    """The form's text fields, once its CSRF token is checked (in a thread: it may read the key)."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    guard = (await site_of(request)).security
    await run_in_threadpool(guard.check_csrf, request, values.get(CSRF_FIELD))
    return values


CheckedForm = Annotated[dict[str, str], Depends(checked_form)]


async def uploads(request: Request) -> dict[str, UploadFile]:
    """The form's files (Starlette parses the body once, so this is the form CheckedForm read)."""
    return {k: v for k, v in (await request.form()).items() if isinstance(v, UploadFile)}


Uploads = Annotated[dict[str, UploadFile], Depends(uploads)]


async def body_text(request: Request) -> str:
    """The raw body as text, for the one post that is no form of ours (RFC 8058 one-click)."""
    return (await request.body()).decode("utf-8", "replace")


BodyText = Annotated[str, Depends(body_text)]


def found(value: T | None, message: str) -> T:
    """``value``, or a 404 saying what is missing."""
    if value is None:
        raise HTTPException(404, message)
    return value

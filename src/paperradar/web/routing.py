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

Paths: a work's id may hold slashes (``hep-th/9901001``, DOIs), so a route reading one writes
``{ident:work}``: any path, except one ending in an action on a work (``…/vote``), which is the
action's URL — there a GET is a 405 naming the action's methods, not a lookup of "X/vote".
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BaseModel, BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError
from starlette.concurrency import run_in_threadpool
from starlette.convertors import PathConvertor, register_url_convertor
from starlette.datastructures import UploadFile

from paperradar.store.sql import MAX_ROW_ID
from paperradar.web.security import CSRF_FIELD
from paperradar.web.site import Site

T = TypeVar("T")

WORK_ACTIONS = ("vote", "save", "dislike", "organisation", "edit")


class WorkIdConvertor(PathConvertor):
    """A work id in a path: like ``{x:path}``, but never swallowing a trailing ``/<action>``."""

    regex = ".*" + "".join(f"(?<!/{action})" for action in WORK_ACTIONS)


register_url_convertor("work", WorkIdConvertor())

# ---------------------------------------------------------------------- dates in URLs
ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?")


def _iso(pattern: re.Pattern[str], form: str) -> Any:
    def check(value: object) -> object:
        if isinstance(value, str) and not pattern.fullmatch(value):
            raise PydanticCustomError("iso_8601", "expected {form}", {"form": form})
        return value

    return BeforeValidator(check)


# Pydantic alone would read "0" as 1970-01-01 and "0.5" as half a second past it.
FEED_DAY = re.compile(r"(19|2\d)\d\d-\d{2}-\d{2}")  # the days a feed can show (analysis.daily)
FeedDay = Annotated[
    dt.date,
    _iso(FEED_DAY, "a date from 1900-01-01 to 2999-12-31 as YYYY-MM-DD"),
    WithJsonSchema({"type": "string", "format": "date", "pattern": f"^{FEED_DAY.pattern}$"}),
]
"""A day of the feed in a URL: ISO 8601, years 1900 to 2999 (the schema says so too)."""
IsoDateTime = Annotated[dt.datetime, _iso(ISO_DATETIME, "a time as YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]")]
"""A moment in a URL, written only as ISO 8601 (``2026-06-12T09:00Z``, or a date for its midnight)."""


# ---------------------------------------------------------------------- numbers and text
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="an internal id (a positive 32-bit integer)")]
"""An internal id in a URL: beyond what the store can hold is a 422, not a database error."""
PageNumber = Annotated[int, Query(ge=1, le=100_000, alias="page")]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]

# NUL cannot be stored in PostgreSQL text; an unpaired surrogate cannot be encoded as UTF-8.
NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


def _text_problem(value: str) -> str | None:
    if found := NOT_TEXT.search(value):
        return "NUL characters are not allowed" if found.group() == "\x00" else "not valid Unicode text"
    return None


def _plain_text(value: str) -> str:
    if problem := _text_problem(value):
        raise PydanticCustomError("not_text", problem)
    return value


Text = Annotated[str, AfterValidator(_plain_text)]
"""Text in a JSON body that the store can keep: no NUL, no unpaired surrogate."""


async def inputs_are_text(request: Request) -> None:
    """Every route's path and query values are text the store can keep, or the request is a 422."""
    values = [*request.path_params.items(), *request.query_params.multi_items()]
    for name, value in values:
        if isinstance(value, str) and (problem := _text_problem(value)):
            raise RequestValidationError([{"loc": ("query", name), "msg": problem, "type": "value_error"}])


# ---------------------------------------------------------------------- refusals, documented
class Problem(BaseModel):
    """What every refusal says under ``/api/``: one sentence for a person."""

    error: str


REFUSALS: dict[int, str] = {
    400: "The body could not be read (e.g. not valid JSON).",
    401: "Not signed in: sign in first.",
    403: "Refused: the X-CSRF-Token header is missing or stale, or this user may not do this.",
    404: "No such paper, author or organisation in the store.",
    409: "Not possible yet (e.g. no embeddings: run `paperradar index`).",
    413: "The request body is larger than the limit.",
    422: "Invalid input: the message names the parameter and what was wrong.",
    429: "Too many requests: wait the seconds the Retry-After header says.",
    502: "An upstream service (arXiv) could not be asked.",
    503: "The store is busy with another write: retry after the seconds in Retry-After.",
}


def refusals(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route that may refuse with ``statuses`` (422 is always one)."""
    return {code: {"model": Problem, "description": REFUSALS[code]} for code in sorted({*statuses, 422})}


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

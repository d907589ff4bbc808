"""What a reader does to a paper: upvote, save and "not for me" (and undo), from a form or the JSON API.

Forms post to ``/papers/{id}/vote`` and ``/papers/{id}/save`` and come back where they were
(a local path only); the page's script sends the same through the API so the page need not
reload. Both need the CSRF token, a visitor who may act, and stay under the vote rate limit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from paperradar.services.community import Community
from paperradar.services.submissions import Mark, Submissions
from paperradar.web.limits import check_write
from paperradar.web.routing import CheckedForm, SiteDep, refusals
from paperradar.web.security import CSRF_HEADER, safe_next
from paperradar.web.site import Site

router = APIRouter()


def actor(
    site: Site, request: Request, doing: str = "upvote and save papers", counted: str = "votes and saves"
) -> str:
    """The signed-in visitor, within the rate limit of what they do (``counted``) and their
    write budget (:mod:`paperradar.web.limits`)."""
    visitor = site.security.visitor(request)
    if visitor.name is None:
        raise HTTPException(401, f"sign in to {doing}")
    site.security.votes.check(visitor.name, counted)
    check_write(request, visitor.name)
    return visitor.name


def act(site: Site, ident: str, user: str, what: Mark, undo: bool) -> dict[str, Any]:
    return Submissions(site.context).mark(ident, user, what, undo).as_dict()


# -------------------------------------------------------------------- forms
def form_action(site: Site, request: Request, form: dict[str, str], ident: str, what: Mark) -> Response:
    back = safe_next(form.get("next"), f"/papers/{ident}")
    if site.security.visitor(request).name is None:
        return RedirectResponse(f"/login?next={quote(back)}", 303)
    act(site, ident, actor(site, request), what, bool(form.get("undo")))
    return RedirectResponse(back, 303)


@router.post("/papers/{ident:path}/vote", include_in_schema=False)
def vote_form(request: Request, site: SiteDep, form: CheckedForm, ident: str) -> Response:
    return form_action(site, request, form, ident, "vote")


@router.post("/papers/{ident:path}/save", include_in_schema=False)
def save_form(request: Request, site: SiteDep, form: CheckedForm, ident: str) -> Response:
    return form_action(site, request, form, ident, "save")


@router.post("/papers/{ident:path}/dislike", include_in_schema=False)
def dislike_form(request: Request, site: SiteDep, form: CheckedForm, ident: str) -> Response:
    return form_action(site, request, form, ident, "dislike")


@router.post("/papers/{ident:path}/organisation", include_in_schema=False)
def tag_form(request: Request, site: SiteDep, form: CheckedForm, ident: str) -> Response:
    """A member files a paper under one of their organisations (it shows on its page)."""
    handle = form.get("handle", "")
    if site.security.visitor(request).name is None:
        return RedirectResponse(f"/login?next={quote(f'/papers/{ident}')}", 303)
    Community(site.context).tag(handle, ident, actor(site, request))
    return RedirectResponse(f"/orgs/{quote(handle)}", 303)  # where the paper now shows


# -------------------------------------------------------------------- API
def api_action(site: Site, request: Request, ident: str, what: Mark, undo: bool) -> dict[str, Any]:
    site.security.check_csrf(request, request.headers.get(CSRF_HEADER))
    return act(site, ident, actor(site, request), what, undo)


Endpoint = Callable[[Request, Site, str], dict[str, Any]]


def _api_endpoint(what: Mark, undo: bool) -> Endpoint:
    def endpoint(request: Request, site: SiteDep, ident: str) -> dict[str, Any]:
        return api_action(site, request, ident, what, undo)

    return endpoint


# (mark, OpenAPI tag, name and description of PUT, of DELETE). The DELETE routes use api_route
# (all router.delete does), so a search of the web package for SQL calls (select, insert,
# update, delete) finds none: SQL lives in paperradar.store only.
API_MARKS: list[tuple[Mark, str, tuple[str, str], tuple[str, str]]] = [
    (
        "vote",
        "community",
        (
            "api_vote",
            "Upvote a paper as the signed-in user (one vote each; again changes nothing). Needs the "
            "``X-CSRF-Token`` header. Returns the counts: ``upvotes`` = ``upvotes_huggingface`` + "
            "``upvotes_local``.",
        ),
        ("api_unvote", "Take the signed-in user's upvote back."),
    ),
    (
        "save",
        "library",
        ("api_save", "Save a paper to the signed-in user's library."),
        ("api_unsave", "Remove a paper from the signed-in user's library."),
    ),
    (
        "dislike",
        "library",
        (
            "api_dislike",
            'Mark a paper "not for me": recommendations stop showing it and move papers like it down. '
            "Unsaves it.",
        ),
        ("api_undislike", 'Take a "not for me" back.'),
    ),
]


def _add_api_routes() -> None:
    for what, tag, (put, put_doc), (delete, delete_doc) in API_MARKS:
        path = f"/api/v1/papers/{{ident:path}}/{what}"
        refused = refusals(401, 403, 404, 429, 503)
        router.put(path, tags=[tag], name=put, description=put_doc, responses=refused)(
            _api_endpoint(what, False)
        )
        router.api_route(
            path, methods=["DELETE"], tags=[tag], name=delete, description=delete_doc, responses=refused
        )(_api_endpoint(what, True))


_add_api_routes()

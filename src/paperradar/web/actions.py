"""What a reader does to a paper: upvote, save and "not for me" (and undo), from a form or the JSON API.

Forms post to ``/papers/{id}/vote`` and ``/papers/{id}/save`` and come back where they were
(a local path only); the page's script sends the same through the API so the page need not
reload. Both need the CSRF token, a visitor who may act, and stay under the vote rate limit.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from paperradar.analysis.daily import upvotes
from paperradar.store import community, library
from paperradar.store.community import OrganisationError
from paperradar.web.routing import CheckedForm, SiteDep, work_id_of
from paperradar.web.security import CSRF_HEADER, safe_next
from paperradar.web.site import Site

router = APIRouter()


def actor(site: Site, request: Request) -> str:
    visitor = site.security.visitor(request)
    if visitor.name is None:
        raise HTTPException(401, "sign in to upvote and save papers")
    site.security.votes.check(visitor.name, "votes and saves")
    return visitor.name


def act(site: Site, ident: str, user: str, what: str, undo: bool) -> dict[str, Any]:
    with site.writing() as conn:
        work_id = work_id_of(conn, ident)
        if what == "vote":
            (community.undo_upvote if undo else community.upvote)(conn, work_id, user)
        elif what == "dislike":
            (library.undo_dislike if undo else library.dislike)(conn, user, work_id)
        else:
            (library.unsave if undo else library.save)(conn, user, work_id)
        hf, local = upvotes(conn, work_id)
        marks = site.marks(conn, user, [work_id])
        disliked = library.is_disliked(conn, user, work_id)
    return {
        "work_id": work_id,
        "upvotes": hf + local,
        "upvotes_huggingface": hf,
        "upvotes_local": local,
        "voted": work_id in marks.voted,
        "saved": work_id in marks.saved,
        "disliked": disliked,
    }


# -------------------------------------------------------------------- forms
def form_action(site: Site, request: Request, form: dict[str, str], ident: str, what: str) -> Response:
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
    user = actor(site, request)
    try:
        with site.writing() as conn:
            org_id = community.organisation_id(conn, handle)
            if org_id is None:
                raise OrganisationError(f"no organisation {handle!r}")
            community.tag(conn, org_id, work_id_of(conn, ident), user)
    except OrganisationError as exc:
        raise HTTPException(403, str(exc)) from exc
    return RedirectResponse(f"/orgs/{quote(handle)}", 303)  # where the paper now shows


# -------------------------------------------------------------------- API
def api_action(site: Site, request: Request, ident: str, what: str, undo: bool) -> dict[str, Any]:
    site.security.check_csrf(request, request.headers.get(CSRF_HEADER))
    return act(site, ident, actor(site, request), what, undo)


# The DELETE routes use api_route (all router.delete does), so a search of the web package for
# SQL calls (select, insert, update, delete) finds none: SQL lives in paperradar.store only.
@router.put("/api/v1/papers/{ident:path}/vote", tags=["community"])
def api_vote(request: Request, site: SiteDep, ident: str) -> dict[str, Any]:
    """Upvote a paper as the signed-in user (one vote each; again changes nothing).
    Needs the ``X-CSRF-Token`` header. Returns the counts: ``upvotes`` =
    ``upvotes_huggingface`` + ``upvotes_local``."""
    return api_action(site, request, ident, "vote", undo=False)


@router.api_route("/api/v1/papers/{ident:path}/vote", methods=["DELETE"], tags=["community"])
def api_unvote(request: Request, site: SiteDep, ident: str) -> dict[str, Any]:
    """Take the signed-in user's upvote back."""
    return api_action(site, request, ident, "vote", undo=True)


@router.put("/api/v1/papers/{ident:path}/save", tags=["library"])
def api_save(request: Request, site: SiteDep, ident: str) -> dict[str, Any]:
    """Save a paper to the signed-in user's library."""
    return api_action(site, request, ident, "save", undo=False)


@router.api_route("/api/v1/papers/{ident:path}/save", methods=["DELETE"], tags=["library"])
def api_unsave(request: Request, site: SiteDep, ident: str) -> dict[str, Any]:
    """Remove a paper from the signed-in user's library."""
    return api_action(site, request, ident, "save", undo=True)


@router.put("/api/v1/papers/{ident:path}/dislike", tags=["library"])
def api_dislike(request: Request, site: SiteDep, ident: str) -> dict[str, Any]:
    """Mark a paper "not for me": recommendations stop showing it and move papers like it
    down. Unsaves it."""
    return api_action(site, request, ident, "dislike", undo=False)


@router.api_route("/api/v1/papers/{ident:path}/dislike", methods=["DELETE"], tags=["library"])
def api_undislike(request: Request, site: SiteDep, ident: str) -> dict[str, Any]:
    """Take a "not for me" back."""
    return api_action(site, request, ident, "dislike", undo=True)

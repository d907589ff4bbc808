"""What a reader does to a paper: upvote, save and "not for me" (and undo), from a form or the JSON API.

Forms post to ``/papers/{id}/vote`` and ``/papers/{id}/save`` and come back where they were
(a local path only); the page's script sends the same through the API so the page need not
reload. Both need the CSRF token, a visitor who may act, and stay under the vote rate limit.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from paperradar.analysis.daily import upvotes
from paperradar.store import community, library
from paperradar.store.community import OrganisationError
from paperradar.web.security import CSRF_FIELD, CSRF_HEADER, safe_next
from paperradar.web.site import Site


def router(site: Site) -> APIRouter:
    r = APIRouter()
    guard = site.security

    def actor(request: Request) -> str:
        visitor = guard.visitor(request)
        if visitor.name is None:
            raise HTTPException(401, "sign in to upvote and save papers")
        guard.votes.check(visitor.name, "votes and saves")
        return visitor.name

    def act(ident: str, user: str, what: str, undo: bool) -> dict[str, Any]:
        with site.writing() as conn:
            work_id = site.work_id(conn, ident)
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

    # ---------------------------------------------------------------- forms
    async def form_action(request: Request, ident: str, what: str, undo: str, next_: str) -> Response:
        guard.check_csrf(request, (await request.form()).get(CSRF_FIELD))  # type: ignore[arg-type]
        back = safe_next(next_, f"/papers/{ident}")
        if guard.visitor(request).name is None:
            return RedirectResponse(f"/login?next={quote(back)}", 303)
        act(ident, actor(request), what, bool(undo))
        return RedirectResponse(back, 303)

    @r.post("/papers/{ident:path}/vote", include_in_schema=False)
    async def vote_form(
        request: Request, ident: str, undo: str = Form(""), next_: str = Form("", alias="next")
    ) -> Response:
        return await form_action(request, ident, "vote", undo, next_)

    @r.post("/papers/{ident:path}/save", include_in_schema=False)
    async def save_form(
        request: Request, ident: str, undo: str = Form(""), next_: str = Form("", alias="next")
    ) -> Response:
        return await form_action(request, ident, "save", undo, next_)

    @r.post("/papers/{ident:path}/dislike", include_in_schema=False)
    async def dislike_form(
        request: Request, ident: str, undo: str = Form(""), next_: str = Form("", alias="next")
    ) -> Response:
        return await form_action(request, ident, "dislike", undo, next_)

    @r.post("/papers/{ident:path}/organisation", include_in_schema=False)
    async def tag_form(request: Request, ident: str) -> Response:
        """A member files a paper under one of their organisations (it shows on its page)."""
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        guard.check_csrf(request, form.get(CSRF_FIELD))
        handle = form.get("handle", "")
        if guard.visitor(request).name is None:
            return RedirectResponse(f"/login?next={quote(f'/papers/{ident}')}", 303)
        user = actor(request)
        try:
            with site.writing() as conn:
                org_id = community.organisation_id(conn, handle)
                if org_id is None:
                    raise OrganisationError(f"no organisation {handle!r}")
                community.tag(conn, org_id, site.work_id(conn, ident), user)
        except OrganisationError as exc:
            raise HTTPException(403, str(exc)) from exc
        return RedirectResponse(f"/orgs/{quote(handle)}", 303)  # where the paper now shows

    # ---------------------------------------------------------------- API
    def api_action(request: Request, ident: str, what: str, undo: bool) -> dict[str, Any]:
        guard.check_csrf(request, request.headers.get(CSRF_HEADER))
        return act(ident, actor(request), what, undo)

    @r.put("/api/v1/papers/{ident:path}/vote", tags=["community"])
    def api_vote(request: Request, ident: str) -> dict[str, Any]:
        """Upvote a paper as the signed-in user (one vote each; again changes nothing).
        Needs the ``X-CSRF-Token`` header. Returns the counts: ``upvotes`` =
        ``upvotes_huggingface`` + ``upvotes_local``."""
        return api_action(request, ident, "vote", undo=False)

    @r.delete("/api/v1/papers/{ident:path}/vote", tags=["community"])
    def api_unvote(request: Request, ident: str) -> dict[str, Any]:
        """Take the signed-in user's upvote back."""
        return api_action(request, ident, "vote", undo=True)

    @r.put("/api/v1/papers/{ident:path}/save", tags=["library"])
    def api_save(request: Request, ident: str) -> dict[str, Any]:
        """Save a paper to the signed-in user's library."""
        return api_action(request, ident, "save", undo=False)

    @r.delete("/api/v1/papers/{ident:path}/save", tags=["library"])
    def api_unsave(request: Request, ident: str) -> dict[str, Any]:
        """Remove a paper from the signed-in user's library."""
        return api_action(request, ident, "save", undo=True)

    @r.put("/api/v1/papers/{ident:path}/dislike", tags=["library"])
    def api_dislike(request: Request, ident: str) -> dict[str, Any]:
        """Mark a paper "not for me": recommendations stop showing it and move papers like it
        down. Unsaves it."""
        return api_action(request, ident, "dislike", undo=False)

    @r.delete("/api/v1/papers/{ident:path}/dislike", tags=["library"])
    def api_undislike(request: Request, ident: str) -> dict[str, Any]:
        """Take a "not for me" back."""
        return api_action(request, ident, "dislike", undo=True)

    return r

"""What a reader does to a paper: upvote and save (and undo), from a form or the JSON API.

Forms post to ``/papers/{id}/vote`` and ``/papers/{id}/save`` and come back where they were
(a local path only); the page's script sends the same through the API so the page need not
reload. Both need the CSRF token, a visitor who may act, and stay under the vote rate limit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperradar.analysis.cards import cards
from paperradar.analysis.daily import upvotes
from paperradar.store import community, library
from paperradar.web.security import CSRF_FIELD, CSRF_HEADER, safe_next
from paperradar.web.site import Site, plain


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
            else:
                (library.unsave if undo else library.save)(conn, user, work_id)
            hf, local = upvotes(conn, work_id)
            marks = site.marks(conn, user, [work_id])
        return {
            "work_id": work_id,
            "upvotes": hf + local,
            "upvotes_huggingface": hf,
            "upvotes_local": local,
            "voted": work_id in marks.voted,
            "saved": work_id in marks.saved,
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

    # ---------------------------------------------------------------- the library
    def saved_cards(request: Request) -> tuple[str, list[Any], list[dt.datetime]]:
        user = guard.visitor(request).name
        if user is None:
            raise HTTPException(401, "sign in to see your library")
        with site.reading() as conn:
            rows = library.saved(conn, user)
            shown = cards(conn, [w for w, _ in rows], dt.date.today())
        kept = [(shown[w], at) for w, at in rows if w in shown]
        return user, [c for c, _ in kept], [at for _, at in kept]

    @r.get("/api/v1/library", tags=["library"])
    def api_library(request: Request) -> dict[str, Any]:
        """The signed-in user's saved papers, most recently saved first."""
        user, found, when = saved_cards(request)
        return {
            "user": user,
            "total": len(found),
            "items": [{**plain(c), "saved_at": at.isoformat()} for c, at in zip(found, when, strict=True)],
        }

    @r.get("/library", response_class=HTMLResponse, include_in_schema=False)
    def library_page(request: Request) -> Response:
        if guard.visitor(request).name is None:
            return RedirectResponse("/login?next=/library", 303)
        user, found, _ = saved_cards(request)
        with site.reading() as conn:
            marks = site.marks(conn, user, [c.work_id for c in found])
        return site.page(request, "library.html", user=user, results=found, marks=marks)

    return r

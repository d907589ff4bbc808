"""Digest pages: the one-click unsubscribe of every digest email, and the reader's "Digests" page.

``GET /unsubscribe/{token}`` (the link in the email) unsubscribes at once and offers "Subscribe
again"; ``POST /unsubscribe/{token}`` with ``List-Unsubscribe=One-Click`` is what mail clients
send for the ``List-Unsubscribe-Post`` header (RFC 8058). The signed token is the authority for
both — it names one subscription under the app's key — so these take no CSRF token and need no
sign-in; "Subscribe again" is a form of this site and carries one. ``/digests`` lists the
signed-in reader's subscriptions, with forms to subscribe and unsubscribe (CSRF as everywhere).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection

from paperradar.analysis import profiles
from paperradar.digest.links import subscription_of
from paperradar.store import accounts
from paperradar.store import subscriptions as subs
from paperradar.store.subscriptions import Subscription, SubscriptionError
from paperradar.web.security import CSRF_FIELD
from paperradar.web.site import Site

ONE_CLICK = "List-Unsubscribe=One-Click"
NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def _what(conn: Connection, sub: Subscription) -> str:
    return subs.descriptions(conn, [sub])[sub.id]


def router(site: Site) -> APIRouter:
    r = APIRouter()
    guard = site.security

    def from_token(token: str) -> Subscription:
        ident = subscription_of(guard.signing_key, token)
        if ident is None:
            raise HTTPException(400, "this unsubscribe link is not valid (it may have been cut or changed)")
        with site.reading() as conn:
            sub = subs.get(conn, ident)
        if sub is None:
            raise HTTPException(400, "this unsubscribe link names no subscription here")
        return sub

    def unsubscribed_page(request: Request, token: str, sub: Subscription, again: bool = False) -> Response:
        with site.reading() as conn:
            what = _what(conn, sub)
        page = site.page(request, "unsubscribe.html", token=token, sub=sub, what=what, again=again)
        page.headers.update(NO_STORE)
        return page

    # ---------------------------------------------------------------- the link in every email
    @r.get("/unsubscribe/{token}", response_class=HTMLResponse, include_in_schema=False)
    def unsubscribe_link(request: Request, token: str) -> Response:
        sub = from_token(token)
        with site.writing() as conn:
            subs.unsubscribe(conn, sub.id)
            sub = subs.get(conn, sub.id) or sub
        return unsubscribed_page(request, token, sub)

    @r.post("/unsubscribe/{token}", include_in_schema=False)
    async def unsubscribe_one_click(request: Request, token: str) -> Response:
        # RFC 8058: the signed link is the authority, so no CSRF token (mail clients have none).
        sub = from_token(token)
        body = (await request.body()).decode("utf-8", "replace")
        if ONE_CLICK not in body.replace("%3D", "=").replace("%3d", "="):
            raise HTTPException(400, f"a one-click unsubscribe posts {ONE_CLICK}")
        with site.writing() as conn:
            subs.unsubscribe(conn, sub.id)
            sub = subs.get(conn, sub.id) or sub
        return unsubscribed_page(request, token, sub)

    @r.post("/unsubscribe/{token}/again", include_in_schema=False)
    async def subscribe_again(request: Request, token: str) -> Response:
        guard.check_csrf(request, (await request.form()).get(CSRF_FIELD))  # type: ignore[arg-type]
        sub = from_token(token)
        with site.writing() as conn:
            subs.resubscribe(conn, sub.id)
            sub = subs.get(conn, sub.id) or sub
        return unsubscribed_page(request, token, sub, again=True)

    # ---------------------------------------------------------------- the reader's digests
    def reader(request: Request) -> str | None:
        return guard.visitor(request).name

    def digests_page(
        request: Request,
        user: str,
        status: int = 200,
        error: str | None = None,
        done: str | None = None,
        form: dict[str, str] | None = None,
    ) -> Response:
        with site.reading() as conn:
            found = subs.subscriptions(conn, user)
            what = subs.descriptions(conn, found)
            account = accounts.get_user(conn, user)
        rows = [(s, what[s.id]) for s in found]
        context: dict[str, Any] = {
            "user": user,
            "rows": rows,
            "kinds": subs.KIND_HELP,
            "error": error,
            "done": done,
            "form": form or {"email": (account.email if account else None) or ""},
        }
        return site.page(request, "digests.html", status, **context)

    @r.get("/digests", response_class=HTMLResponse, include_in_schema=False)
    def digests(request: Request) -> Response:
        user = reader(request)
        if user is None:
            return RedirectResponse("/login?next=/digests", 303)
        return digests_page(request, user)

    @r.post("/digests", include_in_schema=False)
    async def digests_subscribe(
        request: Request,
        kind: str = Form(""),
        target: str = Form(""),
        period: str = Form(""),
        email: str = Form(""),
    ) -> Response:
        guard.check_csrf(request, (await request.form()).get(CSRF_FIELD))  # type: ignore[arg-type]
        user = reader(request)
        if user is None:
            return RedirectResponse("/login?next=/digests", 303)
        form = {"kind": kind, "target": target, "period": period, "email": email}
        try:
            with site.writing() as conn:
                if kind == "author" and target.strip() and not target.strip().isdigit():
                    matches = profiles.find(conn, target.strip(), limit=2)
                    if len(matches) != 1:
                        raise SubscriptionError(
                            f"{'no author' if not matches else 'several authors'} match {target.strip()!r}: "
                            "give the author's id (the number in /authors/ID)"
                        )
                    target = str(matches[0]["id"])
                sub = subs.subscribe(conn, user, email, kind, target, period or None)
                what = _what(conn, sub)
        except SubscriptionError as exc:
            return digests_page(request, user, 400, error=str(exc), form=form)
        return digests_page(request, user, done=f"Subscribed: {what}, to {sub.email}.")

    @r.post("/digests/{ident}/{action}", include_in_schema=False)
    async def digests_change(request: Request, ident: int, action: str) -> Response:
        guard.check_csrf(request, (await request.form()).get(CSRF_FIELD))  # type: ignore[arg-type]
        user = reader(request)
        if user is None:
            return RedirectResponse("/login?next=/digests", 303)
        if action not in ("unsubscribe", "resubscribe"):
            raise HTTPException(404, f"no action {action!r}")
        with site.writing() as conn:
            sub = subs.get(conn, ident)
            if sub is None or sub.owner != user:
                raise HTTPException(404, f"you have no subscription #{ident}")
            (subs.unsubscribe if action == "unsubscribe" else subs.resubscribe)(conn, ident, user)
        return RedirectResponse("/digests", 303)

    return r

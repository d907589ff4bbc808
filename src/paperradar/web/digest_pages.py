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

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperradar.services.digests import Digests, Entry
from paperradar.store import subscriptions as subs
from paperradar.store.subscriptions import SubscriptionError
from paperradar.web.routing import BodyText, CheckedForm, SiteDep
from paperradar.web.site import Site

ONE_CLICK = "List-Unsubscribe=One-Click"
NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
SIGN_IN = "/login?next=/digests"
ACTIONS = {"unsubscribe": False, "resubscribe": True}  # the action's word: active after it

router = APIRouter(include_in_schema=False)


def by_token(site: Site, token: str, active: bool | None = None) -> Entry:
    """The subscription a signed link names (after unsubscribing or resubscribing it)."""
    return Digests(site.context).by_token(token, active, key=site.security.signing_key)


def unsubscribed_page(
    site: Site, request: Request, token: str, entry: Entry, again: bool = False
) -> Response:
    page = site.page(
        request, "unsubscribe.html", token=token, sub=entry.subscription, what=entry.what, again=again
    )
    for name, value in NO_STORE.items():
        page.headers[name] = value
    return page


# -------------------------------------------------------------------- the link in every email
@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_link(request: Request, site: SiteDep, token: str) -> Response:
    return unsubscribed_page(site, request, token, by_token(site, token, active=False))


@router.post("/unsubscribe/{token}")
def unsubscribe_one_click(request: Request, site: SiteDep, token: str, body: BodyText) -> Response:
    # RFC 8058: the signed link is the authority, so no CSRF token (mail clients have none).
    by_token(site, token)
    if ONE_CLICK not in body.replace("%3D", "=").replace("%3d", "="):
        raise HTTPException(400, f"a one-click unsubscribe posts {ONE_CLICK}")
    return unsubscribed_page(site, request, token, by_token(site, token, active=False))


@router.post("/unsubscribe/{token}/again")
def subscribe_again(request: Request, site: SiteDep, _csrf: CheckedForm, token: str) -> Response:
    return unsubscribed_page(site, request, token, by_token(site, token, active=True), again=True)


# -------------------------------------------------------------------- the reader's digests
def digests_page(
    site: Site,
    request: Request,
    user: str,
    status: int = 200,
    error: str | None = None,
    done: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    digests = Digests(site.context)
    context: dict[str, Any] = {
        "user": user,
        "rows": [(e.subscription, e.what) for e in digests.listing(user)],
        "kinds": subs.KIND_HELP,
        "error": error,
        "done": done,
        "form": form or {"email": digests.email_of(user) or ""},
    }
    return site.page(request, "digests.html", status, **context)


@router.get("/digests", response_class=HTMLResponse)
def digests(request: Request, site: SiteDep) -> Response:
    user = site.security.visitor(request).name
    if user is None:
        return RedirectResponse(SIGN_IN, 303)
    return digests_page(site, request, user)


@router.post("/digests")
def digests_subscribe(request: Request, site: SiteDep, form: CheckedForm) -> Response:
    user = site.security.visitor(request).name
    if user is None:
        return RedirectResponse(SIGN_IN, 303)
    shown = {key: form.get(key, "") for key in ("kind", "target", "period", "email")}
    try:
        entry = Digests(site.context).subscribe(
            user, shown["kind"], shown["target"], shown["email"], shown["period"] or None
        )
    except SubscriptionError as exc:
        return digests_page(site, request, user, 400, error=str(exc), form=shown)
    done = f"Subscribed: {entry.what}, to {entry.subscription.email}."
    return digests_page(site, request, user, done=done)


@router.post("/digests/{ident}/{action}")
def digests_change(request: Request, site: SiteDep, _csrf: CheckedForm, ident: int, action: str) -> Response:
    user = site.security.visitor(request).name
    if user is None:
        return RedirectResponse(SIGN_IN, 303)
    if action not in ACTIONS:
        raise HTTPException(404, f"no action {action!r}")
    Digests(site.context).set_active(ident, ACTIONS[action], owner=user)
    return RedirectResponse("/digests", 303)

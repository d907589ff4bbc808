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
from sqlalchemy import Connection

from paperradar.analysis import profiles
from paperradar.digest.links import subscription_of
from paperradar.store import accounts
from paperradar.store import subscriptions as subs
from paperradar.store.subscriptions import Subscription, SubscriptionError
from paperradar.web.routing import BodyText, CheckedForm, SiteDep, found
from paperradar.web.site import Site

ONE_CLICK = "List-Unsubscribe=One-Click"
NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
SIGN_IN = "/login?next=/digests"

router = APIRouter(include_in_schema=False)


def _what(conn: Connection, sub: Subscription) -> str:
    return subs.descriptions(conn, [sub])[sub.id]


def from_token(site: Site, token: str) -> Subscription:
    ident = subscription_of(site.security.signing_key, token)
    if ident is None:
        raise HTTPException(400, "this unsubscribe link is not valid (it may have been cut or changed)")
    with site.reading() as conn:
        sub = subs.get(conn, ident)
    if sub is None:
        raise HTTPException(400, "this unsubscribe link names no subscription here")
    return sub


def set_subscribed(site: Site, sub: Subscription, subscribed: bool) -> Subscription:
    """The subscription after (re)subscribing or unsubscribing it."""
    with site.writing() as conn:
        (subs.resubscribe if subscribed else subs.unsubscribe)(conn, sub.id)
        return subs.get(conn, sub.id) or sub


def unsubscribed_page(
    site: Site, request: Request, token: str, sub: Subscription, again: bool = False
) -> Response:
    with site.reading() as conn:
        what = _what(conn, sub)
    page = site.page(request, "unsubscribe.html", token=token, sub=sub, what=what, again=again)
    for name, value in NO_STORE.items():
        page.headers[name] = value
    return page


# -------------------------------------------------------------------- the link in every email
@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_link(request: Request, site: SiteDep, token: str) -> Response:
    sub = set_subscribed(site, from_token(site, token), False)
    return unsubscribed_page(site, request, token, sub)


@router.post("/unsubscribe/{token}")
def unsubscribe_one_click(request: Request, site: SiteDep, token: str, body: BodyText) -> Response:
    # RFC 8058: the signed link is the authority, so no CSRF token (mail clients have none).
    sub = from_token(site, token)
    if ONE_CLICK not in body.replace("%3D", "=").replace("%3d", "="):
        raise HTTPException(400, f"a one-click unsubscribe posts {ONE_CLICK}")
    return unsubscribed_page(site, request, token, set_subscribed(site, sub, False))


@router.post("/unsubscribe/{token}/again")
def subscribe_again(request: Request, site: SiteDep, _csrf: CheckedForm, token: str) -> Response:
    sub = set_subscribed(site, from_token(site, token), True)
    return unsubscribed_page(site, request, token, sub, again=True)


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
    with site.reading() as conn:
        found_subs = subs.subscriptions(conn, user)
        what = subs.descriptions(conn, found_subs)
        account = accounts.get_user(conn, user)
    context: dict[str, Any] = {
        "user": user,
        "rows": [(s, what[s.id]) for s in found_subs],
        "kinds": subs.KIND_HELP,
        "error": error,
        "done": done,
        "form": form or {"email": (account.email if account else None) or ""},
    }
    return site.page(request, "digests.html", status, **context)


def subscribe(conn: Connection, user: str, form: dict[str, str]) -> tuple[Subscription, str]:
    """The new subscription and what it is; an author may be named rather than numbered."""
    target = form["target"]
    if form["kind"] == "author" and target.strip() and not target.strip().isdigit():
        matches = profiles.find(conn, target.strip(), limit=2)
        if len(matches) != 1:
            raise SubscriptionError(
                f"{'no author' if not matches else 'several authors'} match {target.strip()!r}: "
                "give the author's id (the number in /authors/ID)"
            )
        target = str(matches[0]["id"])
    sub = subs.subscribe(conn, user, form["email"], form["kind"], target, form["period"] or None)
    return sub, _what(conn, sub)


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
        with site.writing() as conn:
            sub, what = subscribe(conn, user, shown)
    except SubscriptionError as exc:
        return digests_page(site, request, user, 400, error=str(exc), form=shown)
    return digests_page(site, request, user, done=f"Subscribed: {what}, to {sub.email}.")


@router.post("/digests/{ident}/{action}")
def digests_change(request: Request, site: SiteDep, _csrf: CheckedForm, ident: int, action: str) -> Response:
    user = site.security.visitor(request).name
    if user is None:
        return RedirectResponse(SIGN_IN, 303)
    if action not in ("unsubscribe", "resubscribe"):
        raise HTTPException(404, f"no action {action!r}")
    with site.writing() as conn:
        sub = subs.get(conn, ident)
        mine = found(sub if sub and sub.owner == user else None, f"you have no subscription #{ident}")
        (subs.unsubscribe if action == "unsubscribe" else subs.resubscribe)(conn, mine.id, user)
    return RedirectResponse("/digests", 303)

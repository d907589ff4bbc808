"""Digest pages: the one-click unsubscribe of every digest email, the confirm link of the email
that asks an address's owner to confirm a subscription, and the reader's "Digests" page with its
JSON twin ``/api/v1/digests``.

``GET /unsubscribe/{token}`` (the link in the email) unsubscribes at once and offers "Subscribe
again"; ``POST /unsubscribe/{token}`` with ``List-Unsubscribe=One-Click`` is what mail clients
send for the ``List-Unsubscribe-Post`` header (RFC 8058). The signed token is the authority for
both — it names one subscription under the app's key — so these take no CSRF token and need no
sign-in; "Subscribe again" is a form of this site and carries one.

``GET /confirm/{token}`` (the link in a confirmation email) only shows what would be confirmed,
with a "Confirm" button: mail scanners and link previews fetch links, and must confirm nothing.
The button's ``POST`` (a form of this site, with its CSRF token) confirms. The signed token is
the authority here too; no sign-in, as the address's owner may have no account.

``/digests`` lists the signed-in reader's subscriptions, with forms to subscribe and unsubscribe
(CSRF as everywhere). Who subscribes decides whether a confirmation is needed
(:mod:`paperradar.services.digests`): the one user of a local app is the operator (none); a
signed-in user needs one for any address but their account's. Too many confirmation emails is a
429 with ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Body, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from paperradar.services.digests import Digests, Entry, TooManyConfirmations
from paperradar.store import subscriptions as subs
from paperradar.store.sql import MAX_ROW_ID
from paperradar.store.subscriptions import SubscriptionError, UnknownAuthor
from paperradar.web.routing import BodyText, CheckedForm, SiteDep, refusals
from paperradar.web.security import CSRF_HEADER
from paperradar.web.site import Site, plain

ONE_CLICK = "List-Unsubscribe=One-Click"
NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
SIGN_IN = "/login?next=/digests"
ACTIONS = {"unsubscribe": False, "resubscribe": True}  # the action's word: active after it
ASK_AGAIN = "confirm-again"  # the action that sends a pending subscription's confirmation again

router = APIRouter()


def by_token(site: Site, token: str, active: bool | None = None) -> Entry:
    """The subscription a signed link names (after unsubscribing or resubscribing it)."""
    return Digests(site.context).by_token(token, active, key=site.security.signing_key)


def link_page(site: Site, request: Request, template: str, token: str, entry: Entry, **more: Any) -> Response:
    """The page a signed link leads to: never cached, never indexed."""
    page = site.page(request, template, token=token, sub=entry.subscription, what=entry.what, **more)
    for name, value in NO_STORE.items():
        page.headers[name] = value
    return page


def unsubscribed_page(
    site: Site, request: Request, token: str, entry: Entry, again: bool = False
) -> Response:
    return link_page(site, request, "unsubscribe.html", token, entry, again=again)


def operator(site: Site, request: Request) -> bool:
    """Whether the visitor runs the store: the one user of a local app with no accounts."""
    return site.security.visitor(request).mode == "local"


# -------------------------------------------------------------------- the link in every email
@router.get("/unsubscribe/{token}", response_class=HTMLResponse, include_in_schema=False)
def unsubscribe_link(request: Request, site: SiteDep, token: str) -> Response:
    return unsubscribed_page(site, request, token, by_token(site, token, active=False))


@router.post("/unsubscribe/{token}", include_in_schema=False)
def unsubscribe_one_click(request: Request, site: SiteDep, token: str, body: BodyText) -> Response:
    # RFC 8058: the signed link is the authority, so no CSRF token (mail clients have none).
    by_token(site, token)
    if ONE_CLICK not in body.replace("%3D", "=").replace("%3d", "="):
        raise HTTPException(400, f"a one-click unsubscribe posts {ONE_CLICK}")
    return unsubscribed_page(site, request, token, by_token(site, token, active=False))


@router.post("/unsubscribe/{token}/again", include_in_schema=False)
def subscribe_again(request: Request, site: SiteDep, _csrf: CheckedForm, token: str) -> Response:
    return unsubscribed_page(site, request, token, by_token(site, token, active=True), again=True)


# -------------------------------------------------------------------- the link in a confirmation email
def confirm_page(site: Site, request: Request, token: str, confirm: bool) -> Response:
    key = site.security.signing_key
    entry = Digests(site.context).confirmation(token, confirm=confirm, key=key)
    return link_page(site, request, "confirm.html", token, entry, posted=confirm)


@router.get("/confirm/{token}", response_class=HTMLResponse, include_in_schema=False)
def confirm_link(request: Request, site: SiteDep, token: str) -> Response:
    return confirm_page(site, request, token, confirm=False)  # shows the button, changes nothing


@router.post("/confirm/{token}", include_in_schema=False)
def confirm_button(request: Request, site: SiteDep, _csrf: CheckedForm, token: str) -> Response:
    return confirm_page(site, request, token, confirm=True)


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
        "ask_again": ASK_AGAIN,
        "kinds": subs.KIND_HELP,
        "error": error,
        "done": done,
        "form": form or {"email": digests.email_of(user) or ""},
    }
    return site.page(request, "digests.html", status, **context)


def said(entry: Entry) -> str:
    """What the reader is told once a subscription is made (or asked for)."""
    sub = entry.subscription
    if sub.state == "pending":
        return (
            f"Almost done: we emailed a confirmation link to {sub.email}. The {entry.what} digest "
            "starts once it is confirmed there."
        )
    return f"Subscribed: {entry.what}, to {sub.email}."


def too_many(
    site: Site, request: Request, user: str, exc: TooManyConfirmations, form: dict[str, str] | None = None
) -> Response:
    page = digests_page(site, request, user, exc.status, error=str(exc), form=form)
    page.headers["Retry-After"] = str(exc.retry_after)
    return page


@router.get("/digests", response_class=HTMLResponse, include_in_schema=False)
def digests(request: Request, site: SiteDep) -> Response:
    user = site.security.visitor(request).name
    if user is None:  # back here once signed in, the form filled in as asked
        return RedirectResponse(SIGN_IN + (quote(f"?{request.url.query}") if request.url.query else ""), 303)
    asked = {k: v[:200] for k in ("kind", "target", "period") if (v := request.query_params.get(k))}
    email = Digests(site.context).email_of(user) or ""
    return digests_page(site, request, user, form={"email": email, **asked})  # ?kind=author&target=ID


@router.post("/digests", include_in_schema=False)
def digests_subscribe(request: Request, site: SiteDep, form: CheckedForm) -> Response:
    user = site.security.visitor(request).name
    if user is None:
        return RedirectResponse(SIGN_IN, 303)
    shown = {key: form.get(key, "") for key in ("kind", "target", "period", "email")}
    try:
        entry = Digests(site.context).subscribe(
            user,
            shown["kind"],
            shown["target"],
            shown["email"],
            shown["period"] or None,
            operator=operator(site, request),
        )
    except SubscriptionError as exc:
        return digests_page(site, request, user, 400, error=str(exc), form=shown)
    except TooManyConfirmations as exc:
        return too_many(site, request, user, exc, form=shown)
    return digests_page(site, request, user, done=said(entry))


@router.post("/digests/{ident}/{action}", include_in_schema=False)
def digests_change(request: Request, site: SiteDep, _csrf: CheckedForm, ident: int, action: str) -> Response:
    user = site.security.visitor(request).name
    if user is None:
        return RedirectResponse(SIGN_IN, 303)
    if action not in (*ACTIONS, ASK_AGAIN):
        raise HTTPException(404, f"no action {action!r}")
    digests = Digests(site.context)
    try:
        if action == ASK_AGAIN:
            return digests_page(site, request, user, done=said(digests.ask_again(ident, user)))
        done = digests.set_active(ident, ACTIONS[action], owner=user, operator=operator(site, request))
    except TooManyConfirmations as exc:
        return too_many(site, request, user, exc)
    if done.changed and done.subscription.state == "pending":
        return digests_page(site, request, user, done=said(done.entry))
    return RedirectResponse("/digests", 303)


# -------------------------------------------------------------------- the JSON twin
# The body says what each kind needs, so a request the schema allows is one the store takes.
Email = Annotated[
    str,
    Field(
        max_length=320,
        pattern=subs.EMAIL_PATTERN,
        description="where it goes (default: your account's address); one to any other address "
        "waits for that address to confirm it",
    ),
]
Period = Literal["daily", "weekly"]


class TrendingWanted(BaseModel):
    """The day's or the week's most upvoted papers."""

    kind: Literal["daily-trending", "weekly-trending"]
    email: Email | None = None


class PersonalWanted(BaseModel):
    """Papers recommended for the user."""

    kind: Literal["personal"]
    period: Period = "weekly"
    email: Email | None = None


class AuthorWanted(BaseModel):
    """New papers by one author."""

    kind: Literal["author"]
    author: int = Field(ge=1, le=MAX_ROW_ID, description="the author's id (the number in /authors/ID)")
    period: Period = "weekly"
    email: Email | None = None


class SearchWanted(BaseModel):
    """New papers matching a saved search."""

    kind: Literal["search"]
    query: str = Field(
        max_length=500, pattern=r"^[^\x00]*[^\s\x00][^\x00]*$", description="e.g. diffusion cat:cs.CV"
    )
    period: Period = "weekly"
    email: Email | None = None


AnyWanted = TrendingWanted | PersonalWanted | AuthorWanted | SearchWanted
Wanted = Annotated[AnyWanted, Body(discriminator="kind")]


def target_of(wanted: AnyWanted) -> tuple[str, str | None]:
    """The (target, period) a subscription stores, from the request's fields for its kind."""
    if isinstance(wanted, TrendingWanted):
        return "", None  # the kind says how often
    if isinstance(wanted, AuthorWanted):
        return str(wanted.author), wanted.period
    return (wanted.query if isinstance(wanted, SearchWanted) else ""), wanted.period


def signed_in(site: Site, request: Request) -> str:
    user = site.security.visitor(request).name
    if user is None:
        raise HTTPException(401, "sign in to manage your digests")
    return user


def as_json(entry: Entry) -> dict[str, Any]:
    sub = entry.subscription
    return {**plain(sub), "what": entry.what, "state": sub.state}


@contextmanager
def api_refusals() -> Iterator[None]:
    """An author not in the store as a 404, any other subscription that cannot be made as a 400,
    too many confirmation emails as a 429 with ``Retry-After``."""
    try:
        yield
    except UnknownAuthor as exc:
        raise HTTPException(404, str(exc)) from exc
    except SubscriptionError as exc:
        raise HTTPException(400, str(exc)) from exc
    except TooManyConfirmations as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from exc


@router.get("/api/v1/digests", tags=["digests"], responses=refusals(401))
def api_digests(request: Request, site: SiteDep) -> dict[str, Any]:
    """The signed-in user's digest subscriptions, oldest first. ``state``: ``active`` (sent),
    ``pending`` (awaiting the confirmation of its address: nothing is sent until the link emailed
    there is confirmed) or ``unsubscribed``."""
    user = signed_in(site, request)
    return {"user": user, "items": [as_json(e) for e in Digests(site.context).listing(user)]}


@router.post(
    "/api/v1/digests", tags=["digests"], responses=refusals(400, 401, 403, 404, 409, 413, 429, 502, 503)
)
def api_subscribe(request: Request, site: SiteDep, wanted: Wanted) -> dict[str, Any]:
    """Subscribe the signed-in user to a digest (the same one again revives it). To any address
    but their account's it is ``pending``: a confirmation email goes there at once, and the digest
    starts once its link is confirmed. 429 (with ``Retry-After``) when that address, or this user,
    had too many confirmation emails in the last 24 hours; 409 when no address is given and the
    account has none, or a confirmation email is needed and no mail server is configured.
    Needs ``X-CSRF-Token``."""
    site.security.check_csrf(request, request.headers.get(CSRF_HEADER))
    user = signed_in(site, request)
    digests = Digests(site.context)
    email = wanted.email or digests.email_of(user)
    if not email:
        raise HTTPException(
            409, "your account has no email address: give one in email (or ask an admin to set it)"
        )
    target, period = target_of(wanted)
    with api_refusals():
        entry = digests.subscribe(user, wanted.kind, target, email, period, operator=operator(site, request))
    return {**as_json(entry), "message": said(entry)}

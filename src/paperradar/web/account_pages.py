"""Signing in and out, and the admin page where users and organisations are managed.

Sign-ins are rate-limited (see :mod:`paperradar.web.security`): failures per client and name,
per client and per name, successes per client; a refused one is a 429 saying how long to wait,
with Retry-After. A wrong name and a wrong password get the same answer in the same time. The
session cookie is HttpOnly and SameSite=Lax (Secure over HTTPS), and signing in gives the
browser a fresh CSRF cookie.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperradar.services.community import Accounts, Community
from paperradar.services.errors import ServiceError
from paperradar.store.accounts import MIN_PASSWORD, SESSION_DAYS
from paperradar.web.routing import CheckedForm, SiteDep
from paperradar.web.security import CSRF_COOKIE, SESSION_COOKIE, Wait, safe_next
from paperradar.web.site import Site

router = APIRouter(include_in_schema=False)

Change = Callable[[dict[str, str], str], str]  # (form, admin) → what was done


# -------------------------------------------------------------------- sign in / out
def login_view(site: Site, request: Request, next_: str, status: int = 200, **context: Any) -> HTMLResponse:
    has_users = Accounts(site.context).any()
    return site.page(request, "login.html", status, next=safe_next(next_), has_users=has_users, **context)


def signed_in(request: Request, back: str, token: str) -> Response:
    """Where the sign-in form wanted to go, with the new session's cookie."""
    response = RedirectResponse(back, 303)
    secure = request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    response.delete_cookie(CSRF_COOKIE)  # a new one comes with the next page
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, site: SiteDep, next_: str = "/") -> HTMLResponse:
    return login_view(site, request, request.query_params.get("next", next_))


@router.post("/login")
def login(request: Request, site: SiteDep, form: CheckedForm) -> Response:
    guard = site.security
    name, password = form.get("name", "").strip(), form.get("password", "")
    back = safe_next(form.get("next"))
    attempt = guard.begin_sign_in(guard.client(request), name)
    if isinstance(attempt, Wait):
        refused = login_view(site, request, back, 429, name=name, error=attempt.message)
        refused.headers["Retry-After"] = str(attempt.seconds)
        return refused
    token = Accounts(site.context).sign_in(name, password)
    if token is None:
        return login_view(site, request, back, 401, name=name, error="Wrong name or password.")
    attempt.succeeded()
    return signed_in(request, back, token)


@router.post("/logout")
def logout(request: Request, site: SiteDep, _csrf: CheckedForm) -> Response:
    if token := request.cookies.get(SESSION_COOKIE):
        Accounts(site.context).sign_out(token)
    response = RedirectResponse("/", 303)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


# -------------------------------------------------------------------- admin
def admin_view(site: Site, request: Request, status: int = 200, **context: Any) -> Response:
    visitor = site.security.visitor(request)
    if visitor.name is None:
        return RedirectResponse("/login?next=/admin", 303)
    if not visitor.is_admin:
        raise HTTPException(403, "only an admin manages users and organisations")
    users, orgs = Accounts(site.context).users(), Community(site.context).organisations()
    context["offer"] = Accounts(site.context).local_offer() if visitor.mode == "local" else None
    return site.page(
        request, "admin.html", status, users=users, orgs=orgs, min_password=MIN_PASSWORD, **context
    )


def admin_action(site: Site, request: Request, form: dict[str, str], change: Change) -> Response:
    """Run one admin change and show the page again with what happened (or why not)."""
    visitor = site.security.visitor(request)
    if not visitor.is_admin or visitor.name is None:
        return admin_view(site, request)  # redirects or refuses
    try:
        done = change(form, visitor.name)
    except ServiceError as exc:
        return admin_view(site, request, 400, error=str(exc))
    return admin_view(site, request, done=done)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, site: SiteDep) -> Response:
    return admin_view(site, request)


@router.post("/admin/users")
def add_user(request: Request, site: SiteDep, form: CheckedForm) -> Response:
    def change(form: dict[str, str], _by: str) -> str:
        name = form.get("name", "").strip()
        email, admin = form.get("email", "").strip(), bool(form.get("admin"))
        password, adopt = form.get("password", ""), bool(form.get("adopt_local"))  # the first run's offer
        added = Accounts(site.context).add(name, password, email=email, admin=admin, adopt_local=adopt)
        took = f" {name} took over what you made before: {added.adopted.summary()}." if added.adopted else ""
        if added.first:
            return f"Added {name}, the first account and so an admin: sign-in is now on.{took}"
        return f"Added {name}."

    return admin_action(site, request, form, change)


@router.post("/admin/users/{name}")
def change_user(request: Request, site: SiteDep, form: CheckedForm, name: str) -> Response:
    def change(form: dict[str, str], by: str) -> str:
        action, users = form.get("action"), Accounts(site.context)
        if action == "remove":
            users.remove(name, by)
            return f"Removed {name}."
        if action in ("make-admin", "revoke-admin"):
            users.set_admin(name, action == "make-admin")
            return f"{name} is {'now' if action == 'make-admin' else 'no longer'} an admin."
        if action == "password":
            users.set_password(name, form.get("password", ""))
            return f"New password set for {name}; their sessions have ended."
        raise ServiceError(f"unknown action {action!r}")

    return admin_action(site, request, form, change)


@router.post("/admin/orgs")
def add_organisation(request: Request, site: SiteDep, form: CheckedForm) -> Response:
    def change(form: dict[str, str], by: str) -> str:
        handle = form.get("handle", "").strip()
        Community(site.context).create(handle, form.get("name", "").strip(), by)
        return f"Created the organisation {handle}, with you as its admin."

    return admin_action(site, request, form, change)


@router.post("/admin/orgs/{handle}/members")
def add_member(request: Request, site: SiteDep, form: CheckedForm, handle: str) -> Response:
    def change(form: dict[str, str], _by: str) -> str:
        member, role = form.get("member", "").strip(), form.get("role", "member")
        added = Community(site.context).add_member(handle, member, role)
        return f"Added {member} to {handle}." if added else f"{member} was already in {handle}."

    return admin_action(site, request, form, change)

"""What wraps every response: the Host check, the CSRF cookie, security headers, error pages.

An error is a page (or, under ``/api/``, a JSON object) saying what went wrong — never a
traceback. The Content-Security-Policy allows only this site's own scripts and styles, so even
a title that slipped past escaping could not run anything.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from paperradar.services.errors import ServiceError
from paperradar.web.security import CSRF_COOKIE
from paperradar.web.site import Site

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI starts from an inline script; only /docs gets that.
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _problem(exc: RequestValidationError) -> str:
    """The first invalid input, named the way the user wrote it (``year: not a valid integer``)."""
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error.get("loc", ())[1:]) or "input"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid input"


async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """The middleware: refuse a foreign Host, settle the visitor, set the CSRF cookie and headers."""
    site: Site = request.app.state.site
    if refusal := site.security.check_host(request):
        return PlainTextResponse(refusal, 400)
    if not request.url.path.startswith("/static/"):
        # Who is asking, settled before the route takes a connection of its own: a route
        # that held one while asking for another could starve the pool under load.
        await run_in_threadpool(site.security.visitor, request)
    response = await call_next(request)
    seed = site.security.csrf_seed(request)  # the visitor's, or the one this page's forms carry
    if request.cookies.get(CSRF_COOKIE) != seed:
        response.set_cookie(
            CSRF_COOKIE, seed, httponly=True, samesite="strict", secure=request.url.scheme == "https"
        )
    for name, value in HEADERS.items():
        response.headers[name] = value
    response.headers.setdefault("Content-Security-Policy", DOCS_CSP if request.url.path == "/docs" else CSP)
    return response


def error(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    site: Site = request.app.state.site
    response = site.page(request, "error.html", status, code=status, message=message)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def http_error(request: Request, exc: HTTPException) -> Response:
    return error(request, exc.status_code, str(exc.detail), getattr(exc, "headers", None))


def refused(request: Request, exc: ServiceError) -> Response:
    """A service's refusal (not found, upstream down, bad request, store busy) with its own
    message, and when to try again if the service said (Retry-After)."""
    retry = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    return error(request, exc.status, str(exc), retry)


def invalid(request: Request, exc: RequestValidationError) -> Response:
    return error(request, 422, _problem(exc))


def crashed(request: Request, exc: Exception) -> Response:
    log.exception("error answering %s %s", request.method, request.url.path)
    return error(request, 500, f"something went wrong on our side ({type(exc).__name__}); it was logged")


def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="paperradar API",
        swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )


def install(app: FastAPI) -> None:
    """Wrap every response of ``app`` (whose ``state.site`` is set) and serve the API docs."""
    app.middleware("http")(guard)
    app.exception_handler(StarletteHTTPException)(http_error)
    app.exception_handler(RequestValidationError)(invalid)
    app.exception_handler(ServiceError)(refused)
    app.exception_handler(Exception)(crashed)
    app.get("/docs", include_in_schema=False)(docs)

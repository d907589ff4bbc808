"""Which methods a URL answers to: ``OPTIONS`` lists them, and a 405 names them all.

FastAPI makes one route per method, and Starlette's 405 lists only the methods of the first
route whose path matched (``Allow: PUT`` for a URL that also takes ``DELETE``). Here the
``Allow`` header is built from every route the path matches, so a client — or a schema
checker — learns the whole set.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.routing import BaseRoute, Match, Mount

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed(routes: list[BaseRoute], request: Request) -> list[str]:
    """The methods some route takes at the request's path, sorted, with OPTIONS (and HEAD for GET).

    Asked of the router itself, method by method: routes may be nested (included routers), and
    only the router knows which of them fully match. Mounted apps (static files) are left out.
    """
    methods = {
        method
        for method in METHODS
        for route in routes
        if not isinstance(route, Mount)
        and route.matches({**request.scope, "method": method})[0] == Match.FULL
    }
    if not methods:
        return []
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods | {"OPTIONS"})


async def answer_methods(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """``OPTIONS`` answers 204 with ``Allow``; any 405 gets the full ``Allow``."""
    routes = request.app.router.routes
    if request.method == "OPTIONS" and (methods := allowed(routes, request)):
        return Response(status_code=204, headers={"Allow": ", ".join(methods)})
    response = await call_next(request)
    if response.status_code == 405 and (methods := allowed(routes, request)):
        response.headers["Allow"] = ", ".join(methods)
    return response


def install(app: FastAPI) -> None:
    app.middleware("http")(answer_methods)

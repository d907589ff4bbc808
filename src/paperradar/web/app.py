"""The web app: server-rendered pages (Jinja2, autoescaped) and the JSON API under ``/api/v1``.

One store per app; every page has a JSON twin with the same data, and FastAPI documents the API
at ``/docs`` (OpenAPI). Everything shown comes from :mod:`paperradar.analysis`; the app only
chooses, pages and renders. The routes live in routers, one module per area; :func:`create_app`
only makes what they share (a :class:`~paperradar.web.site.Site`) and wires them, and
:mod:`paperradar.web.routing` says how a route is written.
"""

from __future__ import annotations

import os

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from paperradar import __version__
from paperradar.services.community import ENV_LOCAL
from paperradar.services.context import AppContext
from paperradar.web import (
    account_pages,
    actions,
    api,
    digest_pages,
    feed_pages,
    hardening,
    library_pages,
    limits,
    map_pages,
    methods,
    pages,
    recommend_pages,
)
from paperradar.web.routing import inputs_are_text
from paperradar.web.security import Security
from paperradar.web.site import HERE, Site


def create_app(db: str | Engine | None = None, *, local: bool = True) -> FastAPI:
    """The app over one store. ``local``: it listens on a loopback address only, so with no
    accounts in the store it acts as the one local user (see :mod:`paperradar.web.security`).
    The config file is read once, at the first fetch (see :mod:`paperradar.services.context`)."""
    context = AppContext.open(db, lock_timeout=limits.WRITE_WAIT)  # then 503, not a hang
    app = FastAPI(
        title="paperradar",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(inputs_are_text)],
    )
    # What every route is handed (routing.SiteDep); the hardening finds it there too.
    guard = Security(context.engine, local=local, trusted_proxies=lambda: context.config.trusted_proxies)
    app.state.site = Site(context, guard)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(actions.router)
    app.include_router(account_pages.router)
    app.include_router(library_pages.router)
    app.include_router(recommend_pages.router)
    app.include_router(digest_pages.router)
    limits.install(app)  # innermost: its refusals pass through the guard like any answer
    methods.install(app)  # inside the guard, so its answers get the same headers
    hardening.install(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(feed_pages.router)
    app.include_router(map_pages.router)
    return app


def app_from_env() -> FastAPI:
    """The app of one uvicorn worker: the store from ``$PAPERRADAR_DB``, the mode from
    ``$PAPERRADAR_LOCAL`` (``paperradar serve --workers N`` sets both)."""
    return create_app(None, local=os.environ.get(ENV_LOCAL, "1") == "1")

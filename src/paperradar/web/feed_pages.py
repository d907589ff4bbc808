"""The RSS and Atom URLs: ``…/feed.rss`` or ``…/feed.atom`` after a day, trending, an author,
an organisation or a search. The documents themselves are built in :mod:`paperradar.web.feeds`,
which the CLI shares.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy import Connection

from paperradar.analysis.daily import Window, feed, trending
from paperradar.web import feeds, searching
from paperradar.web.feeds import Format
from paperradar.web.routing import SiteDep, organisation_of, profile_of
from paperradar.web.site import PER_PAGE, Site

router = APIRouter(include_in_schema=False)


def feed_response(
    site: Site, request: Request, form: str, listing: Callable[[Connection], feeds.Listing]
) -> Response:
    if form not in feeds.FORMATS:
        raise HTTPException(404, "feeds come as .rss or .atom")
    kind: Format = "rss" if form == "rss" else "atom"
    with site.reading() as conn:
        document = listing(conn).document(kind, str(request.base_url))
    return Response(document, media_type=feeds.MEDIA_TYPES[kind])


@router.get("/daily/{day}/feed.{form}")
def daily_feed(request: Request, site: SiteDep, day: dt.date, form: str) -> Response:
    return feed_response(site, request, form, lambda conn: feeds.daily_listing(day, feed(conn, day, day)))


@router.get("/trending/feed.{form}")
def trending_feed(request: Request, site: SiteDep, form: str, window: Window = "day") -> Response:
    now = dt.datetime.now(dt.UTC)
    return feed_response(
        site,
        request,
        form,
        lambda conn: feeds.trending_listing(window, trending(conn, window, now, PER_PAGE)),
    )


@router.get("/authors/{author_id}/feed.{form}")
def author_feed(request: Request, site: SiteDep, author_id: int, form: str) -> Response:
    return feed_response(site, request, form, lambda conn: feeds.author_listing(profile_of(conn, author_id)))


@router.get("/orgs/{handle}/feed.{form}")
def organisation_feed(request: Request, site: SiteDep, handle: str, form: str) -> Response:
    return feed_response(
        site, request, form, lambda conn: feeds.organisation_listing(organisation_of(conn, handle))
    )


@router.get("/search/feed.{form}")
def search_feed(
    request: Request, site: SiteDep, form: str, q: str = Query(..., min_length=1, max_length=2000)
) -> Response:
    return feed_response(
        site,
        request,
        form,
        lambda conn: feeds.search_listing(q, searching.feed_cards(site, conn, q), dt.date.today()),
    )

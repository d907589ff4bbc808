"""The RSS and Atom URLs: ``…/feed.rss`` or ``…/feed.atom`` after a day, trending, an author,
an organisation or a search. What each feed holds, and the document itself, come from
:mod:`paperradar.services.feed`, which ``paperradar feed`` shares.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from paperradar.analysis.daily import Window
from paperradar.services.feed import DEFAULT_WINDOW, FORMATS, Feed, Format, Listing
from paperradar.web.routing import FeedDay, RowId, SiteDep
from paperradar.web.site import PER_PAGE

router = APIRouter(include_in_schema=False)
MEDIA_TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml"}


def feed_response(request: Request, form: str, listing: Callable[[], Listing]) -> Response:
    """The ``listing`` as an RSS or Atom document (``form``), linking back to this site."""
    if form not in FORMATS:
        raise HTTPException(404, "feeds come as .rss or .atom")
    kind: Format = "rss" if form == "rss" else "atom"
    return Response(listing().document(kind, str(request.base_url)), media_type=MEDIA_TYPES[kind])


@router.get("/daily/{day}/feed.{form}")
def daily_feed(request: Request, site: SiteDep, day: FeedDay, form: str) -> Response:
    return feed_response(request, form, lambda: Feed(site.context).daily_listing(day))


@router.get("/trending/feed.{form}")
def trending_feed(request: Request, site: SiteDep, form: str, window: Window = DEFAULT_WINDOW) -> Response:
    """The trending page's list as a feed: the same window, moment and counts."""
    return feed_response(request, form, lambda: Feed(site.context).trending_listing(window))


@router.get("/authors/{author_id}/feed.{form}")
def author_feed(request: Request, site: SiteDep, author_id: RowId, form: str) -> Response:
    return feed_response(request, form, lambda: Feed(site.context).author_listing(author_id))


@router.get("/orgs/{handle}/feed.{form}")
def organisation_feed(request: Request, site: SiteDep, handle: str, form: str) -> Response:
    return feed_response(request, form, lambda: Feed(site.context).organisation_listing(handle))


@router.get("/search/feed.{form}")
def search_feed(
    request: Request, site: SiteDep, form: str, q: str = Query(..., min_length=1, max_length=2000)
) -> Response:
    return feed_response(request, form, lambda: Feed(site.context).search_listing(q, PER_PAGE))

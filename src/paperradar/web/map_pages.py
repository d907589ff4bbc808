"""The map of the corpus (``/map``) and its data, ``/api/v1/map``.

The page is a canvas drawn by ``static/map.js`` from the JSON twin (no inline script): every
placed work a point coloured by its primary category, the visitor's saved papers ringed, a box
that highlights the titles that match, and a click that opens the paper. The coordinates come
from ``paperradar index`` (see :mod:`paperradar.search.atlas`).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from paperradar.services.atlas import Cartographer
from paperradar.web.routing import SiteDep, refusals

NO_MAP = "No works are on the map yet: run `paperradar index` (it embeds the works and places them)."

router = APIRouter()


@router.get("/api/v1/map", tags=["search"], responses=refusals())
def api_map(request: Request, site: SiteDep) -> dict[str, Any]:
    """Every work on the map (at most 20,000, evenly sampled): ``id``, ``x``, ``y``, its
    ``category`` (one of ``categories``: the ten commonest primary categories, then "other"),
    ``title``, ``href`` (its page) and ``in_library`` (the visitor saved it). ``total``: works
    placed; ``message`` says what to do when there are none."""
    found = Cartographer(site.context).corpus_map(site.security.visitor(request).name)
    return {
        "total": found.total,
        "categories": found.categories,
        "points": [asdict(point) for point in found.points],
        "message": None if found.points else NO_MAP,
    }


@router.get("/map", response_class=HTMLResponse, include_in_schema=False)
def corpus_map(request: Request, site: SiteDep) -> Response:
    placed = Cartographer(site.context).placed()
    return site.page(request, "map.html", placed=placed, no_map=NO_MAP)

"""The "For you" page and ``/api/v1/recommendations``: the signed-in user's recommendations.

The model learns from the user's saves and "not for me"s (see
:mod:`paperradar.analysis.recommend`); each card says why it is there, and its *Not for me*
button (a plain form to ``/papers/{id}/dislike``, see :mod:`paperradar.web.actions`) takes it
away and teaches the model, so the page that comes back is already different.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperradar.services.recommending import Radar, explained, overview
from paperradar.web.routing import SiteDep, refusals
from paperradar.web.site import plain

LIMIT = 20

router = APIRouter()


@router.get("/api/v1/recommendations", tags=["library"], responses=refusals(401))
def api_recommendations(
    request: Request, site: SiteDep, limit: int = Query(LIMIT, ge=1, le=200)
) -> dict[str, Any]:
    """Papers for the signed-in user, each with its reason (the saved paper it is most like,
    the words that weighed most), from a model trained on their saves and "not for me"s.
    ``message`` says why there are none (nothing saved yet); ``notes`` what the model
    could not use (no embeddings yet: tf-idf only)."""
    user = site.security.visitor(request).name
    if user is None:
        raise HTTPException(401, "sign in to see your recommendations")
    found = Radar(site.context).for_you(user, limit)
    return {
        **overview(found.result),
        "user": user,
        "items": [{**plain(card), **explained(item)} for card, item in found.items],
    }


@router.get("/for-you", response_class=HTMLResponse, include_in_schema=False)
def for_you(request: Request, site: SiteDep) -> Response:
    user = site.security.visitor(request).name
    if user is None:
        return RedirectResponse("/login?next=/for-you", 303)
    found = Radar(site.context).for_you(user, LIMIT)
    marks = site.marks_of(request, [card.work_id for card, _ in found.items])
    return site.page(
        request, "for_you.html", user=user, result=found.result, results=found.items, marks=marks
    )

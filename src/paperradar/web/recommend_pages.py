"""The "For you" page and ``/api/v1/recommendations``: the signed-in user's recommendations.

The model learns from the user's saves and "not for me"s (see
:mod:`paperradar.analysis.recommend`); each card says why it is there, and its *Not for me*
button (a plain form to ``/papers/{id}/dislike``, see :mod:`paperradar.web.actions`) takes it
away and teaches the model, so the page that comes back is already different.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperradar.analysis.cards import Card, cards
from paperradar.analysis.recommend import Recommendation, Recommendations, recommend
from paperradar.web.routing import SiteDep
from paperradar.web.site import Site, plain

LIMIT = 20

router = APIRouter()


def recommendations_of(
    site: Site, user: str, limit: int
) -> tuple[Recommendations, list[tuple[Card, Recommendation]]]:
    """The user's recommendations, and the card of each that is still in the store."""
    result = recommend(site.engine, user, limit)
    with site.reading() as conn:
        shown = cards(conn, [i.work_id for i in result.items], dt.date.today())
    return result, [(shown[i.work_id], i) for i in result.items if i.work_id in shown]


@router.get("/api/v1/recommendations", tags=["library"])
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
    result, items = recommendations_of(site, user, limit)
    return {
        "user": user,
        "features": result.features,
        "saved": result.saved,
        "disliked": result.disliked,
        "notes": result.notes,
        "message": result.message,
        "items": [
            {
                **plain(card),
                "score": round(item.score, 4),
                "reason": item.reason,
                "nearest_saved": item.nearest_saved,
                "nearest_saved_title": item.nearest_title,
                "similarity": round(item.similarity, 4),
                "terms": item.terms,
            }
            for card, item in items
        ],
    }


@router.get("/for-you", response_class=HTMLResponse, include_in_schema=False)
def for_you(request: Request, site: SiteDep) -> Response:
    user = site.security.visitor(request).name
    if user is None:
        return RedirectResponse("/login?next=/for-you", 303)
    result, items = recommendations_of(site, user, LIMIT)
    with site.reading() as conn:
        marks = site.marks(conn, user, [card.work_id for card, _ in items])
    return site.page(request, "for_you.html", user=user, result=result, results=items, marks=marks)

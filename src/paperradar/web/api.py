"""The JSON API of the reading side under ``/api/v1``: daily papers, submissions, authors,
papers, search, trending and organisations — each the twin of a page in :mod:`paperradar.web.pages`.

FastAPI documents it at ``/docs`` (OpenAPI); a route's docstring is its description there.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from paperradar.analysis.daily import Span, Window
from paperradar.services.feed import Feed
from paperradar.services.profiles import Profiles
from paperradar.services.searching import Search
from paperradar.services.submissions import Submissions
from paperradar.web.actions import actor
from paperradar.web.routing import FeedDay, IsoDateTime, Offset, PageNumber, RowId, SiteDep, Text, refusals
from paperradar.web.security import CSRF_HEADER
from paperradar.web.site import PER_PAGE, plain

router = APIRouter(prefix="/api/v1")
MAX_QUERY = 4000  # characters: up to 12 bytes each percent-encoded, within the HTTP server's request line


class Submission(BaseModel):
    id: Text = Field(min_length=1, max_length=300, description="arXiv id or URL, DOI, or internal id")


@router.get("/daily/{day}", tags=["daily"], responses=refusals())
def api_daily(
    site: SiteDep,
    day: FeedDay,
    span: Span = "day",
    offset: Offset = 0,
    limit: int = Query(PER_PAGE, ge=1, le=200),
) -> Any:
    """The papers of a day, or of the week ending on it, or of its month (Hugging Face features,
    local submissions, arXiv announcements), most upvoted first.
    ``upvotes`` = ``upvotes_huggingface`` + ``upvotes_local``."""
    shown = Feed(site.context).daily(day, span)
    return {
        "first": shown.first,
        "last": shown.last,
        "total": len(shown.items),
        "offset": offset,
        "items": [plain(i.as_dict()) for i in shown.items[offset : offset + limit]],
    }


@router.post("/submissions", tags=["daily"], responses=refusals(400, 401, 403, 404, 413, 429, 502, 503))
def api_submit(request: Request, site: SiteDep, submission: Submission) -> Any:
    """Put a paper (arXiv id or URL, DOI or internal id) on today's feed as the signed-in user;
    a paper the corpus lacks is fetched from arXiv. The first submission of a paper counts.
    Needs ``X-CSRF-Token``."""
    site.security.check_csrf(request, request.headers.get(CSRF_HEADER))
    user = actor(site, request, "submit papers", "submissions")
    return plain(Submissions(site.context).submit(submission.id.strip(), user).as_dict())


# ---------------------------------------------------------------------- authors
@router.get("/authors/{author_id}", tags=["authors"], responses=refusals(404))
def api_author(site: SiteDep, author_id: RowId, page: PageNumber = 1) -> Any:
    """An author's profile: every figure with its provenance, and one page of paper cards."""
    return JSONResponse(plain(Profiles(site.context).profile(author_id, page).as_dict()))


@router.get("/authors", tags=["authors"], responses=refusals())
def api_find_authors(site: SiteDep, q: str = Query(..., min_length=1, max_length=200)) -> Any:
    """Authors a name may mean (case, accents, initials and "Last, First" forgiven)."""
    return {"query": q, "matches": plain(Profiles(site.context).find(q))}


@router.get("/authors/{author_id}/similar", tags=["authors"], responses=refusals(404, 409))
def api_similar_authors(site: SiteDep, author_id: RowId) -> Any:
    """Authors whose papers are closest in meaning to this author's (stored embeddings)."""
    Profiles(site.context).profile(author_id)  # 404 for an unknown author
    found = Search(site.context).similar_to(author_id)
    if found is None:
        raise HTTPException(409, "no embeddings yet: run `paperradar index` first")
    return {"author_id": author_id, "similar": plain(found)}


# ---------------------------------------------------------------------- papers and search
@router.get("/papers/{ident:work}", tags=["papers"], responses=refusals(404))
def api_paper(site: SiteDep, ident: str) -> Any:
    """Everything every source said about one work (arXiv id, DOI or internal id)."""
    return JSONResponse(plain(Profiles(site.context).work_detail(ident)))


@router.get("/search", tags=["search"], responses=refusals())
def api_search(
    site: SiteDep,
    q: str = Query(..., min_length=1, max_length=MAX_QUERY),
    offset: Offset = 0,
    limit: int = Query(20, ge=1, le=200),
) -> Any:
    """Keyword + meaning (hybrid) search with the filters au: ti: cat: year: has:code.

    Pages (``offset``, ``limit``) through the top 200 results; ``total`` counts those, and
    ``facets`` counts them by primary category, year and code (``complete`` is false when
    there were more than 200). A facet value's ``term`` is the filter that selects it, to add
    to the query. Queries over 2,000 characters are cut, with a note saying so; over 4,000 are
    refused (422), so that the URL stays within what the HTTP server reads."""
    page = Search(site.context).page(q, offset, limit)
    return {
        "query": q,
        "notes": page.notes,
        "offset": offset,
        "limit": limit,
        "total": page.facets.counted,
        "results": plain(page.cards),
        "facets": plain(page.facets),
    }


# ---------------------------------------------------------------------- trending and organisations
@router.get("/trending", tags=["daily"], responses=refusals())
def api_trending(
    site: SiteDep, window: Window = "day", at: IsoDateTime | None = None, limit: int = Query(30, ge=1, le=200)
) -> Any:
    """Papers by upvotes fading with a 24-hour half-life, over the votes of the window."""
    now = at if at and at.tzinfo else (at.replace(tzinfo=dt.UTC) if at else dt.datetime.now(dt.UTC))
    found = Feed(site.context).trending(window, now, limit)
    return {
        "window": window,
        "as_of": now,
        "items": [
            {
                **plain(f.card),
                "score": f.score,
                "upvotes_huggingface": f.hf_upvotes,
                "upvotes_local": f.local_votes,
            }
            for f in found
        ],
    }


@router.get("/orgs/{handle}", tags=["organisations"], responses=refusals(404))
def api_organisation(request: Request, site: SiteDep, handle: str) -> Any:
    """An organisation: its papers (listed by Hugging Face or tagged by members) and how many
    members it has; who they are (``members``, and who tagged each paper) only for its members
    and admins, ``null`` for everyone else."""
    visitor = site.security.visitor(request)
    return plain(Feed(site.context).organisation_for(handle, visitor.name, visitor.is_admin).as_dict())

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
from paperradar.services.feed import DAILY_PAGE, DEFAULT_WINDOW, TRENDING_LIMIT, Feed
from paperradar.services.profiles import Profiles, ProfileSort
from paperradar.services.searching import Search, Sort
from paperradar.services.submissions import Submissions
from paperradar.web.actions import actor
from paperradar.web.routing import FeedDay, IsoDateTime, Offset, PageNumber, RowId, SiteDep, Text, refusals
from paperradar.web.security import CSRF_HEADER
from paperradar.web.site import plain

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
    limit: int = Query(DAILY_PAGE, ge=1, le=200),
) -> Any:
    """The papers of a day, or of the week ending on it, or of its month (Hugging Face features,
    local submissions, arXiv announcements), most upvoted first.
    ``upvotes`` = ``upvotes_huggingface`` + ``upvotes_local``. By default a page holds what
    ``/daily/{day}`` shows: page N is ``offset`` = (N − 1) × ``limit``; ``page`` and ``pages``
    say where it is, ``previous`` and ``next`` link the neighbouring pages (``null``: none)."""
    shown = Feed(site.context).daily(day, span, offset, limit)
    return {
        "first": shown.first,
        "last": shown.last,
        "span": span,
        "total": shown.total,
        "offset": offset,
        "limit": limit,
        "page": shown.page,
        "pages": shown.pages,
        "previous": _daily_link(day, span, max(0, offset - limit), limit) if offset else None,
        "next": _daily_link(day, span, offset + limit, limit) if shown.more else None,
        "items": [plain(i.as_dict()) for i in shown.items],
    }


def _daily_link(day: dt.date, span: str, offset: int, limit: int) -> str:
    return f"/api/v1/daily/{day}?span={span}&offset={offset}&limit={limit}"


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
def api_author(site: SiteDep, author_id: RowId, page: PageNumber = 1, sort: ProfileSort = "year") -> Any:
    """An author's profile: every figure with its provenance, its ids elsewhere (linked), and one
    page of paper cards, newest first or (``sort=citations``) most cited first."""
    return JSONResponse(plain(Profiles(site.context).profile(author_id, page, sort=sort).as_dict()))


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
def api_paper(
    site: SiteDep,
    ident: str,
    refs: int = Query(1, ge=1, le=100_000, description="the page of its references (20 a page)"),
    cites: int = Query(1, ge=1, le=100_000, description="the page of the works citing it (20 a page)"),
) -> Any:
    """Everything every source said about one work (arXiv id, DOI or internal id), and what its
    page adds: ``links``, ``cite`` (BibTeX, APA), ``upvotes``, ``organisations``,
    ``submitted_here``, a page of ``reference_list`` and of ``citing_works``,
    ``citations_per_year`` and ``related`` papers."""
    return JSONResponse(plain(Profiles(site.context).paper(ident, None, refs, cites).as_dict()))


@router.get("/search", tags=["search"], responses=refusals())
def api_search(
    site: SiteDep,
    q: str = Query(..., min_length=1, max_length=MAX_QUERY),
    offset: Offset = 0,
    limit: int = Query(20, ge=1, le=200),
    sort: Sort = "relevance",
) -> Any:
    """Keyword + meaning (hybrid) search with the filters au: ti: cat: year: has:code.

    Pages (``offset``, ``limit``) through the top 200 results, by relevance or ``sort``ed
    ``newest`` or most ``cited`` first; ``total`` counts those, and ``facets`` counts them by
    primary category, year and code (``complete`` is false when there were more than 200). A
    facet value's ``term`` is the filter that selects it, to add to the query. Each result says
    which ranking found it (``found_by``: ``keywords``, ``meaning``, ``both`` or ``exact``) and
    its rank in each. ``did_you_mean`` is the query with misspelt words corrected (or null);
    when nothing is found, ``why_empty`` gives the reasons and the ``nearest`` query that finds
    papers. Queries over 2,000 characters are cut, with a note saying so; over 4,000 are
    refused (422), so that the URL stays within what the HTTP server reads."""
    page = Search(site.context).page(q, offset, limit, sort)
    how = ("found_by", "lexical_rank", "dense_rank", "similarity", "citations")
    return {
        "query": q,
        "notes": page.notes,
        "did_you_mean": page.did_you_mean,
        "sort": page.sort,
        "offset": offset,
        "limit": limit,
        "total": page.facets.counted,
        "results": [
            {**plain(c), **{key: getattr(page.found[c.work_id], key) for key in how}} for c in page.cards
        ],
        "facets": plain(page.facets),
        "why_empty": plain(page.why_empty),
    }


# ---------------------------------------------------------------------- trending and organisations
@router.get("/trending", tags=["daily"], responses=refusals())
def api_trending(
    site: SiteDep,
    window: Window = DEFAULT_WINDOW,
    at: IsoDateTime | None = None,
    limit: int = Query(TRENDING_LIMIT, ge=1, le=200),
) -> Any:
    """Papers by upvotes fading with a 24-hour half-life, over the votes of the window before
    ``as_of``: the same list, moment and counts as ``/trending``, its feed and the home page's box.
    ``as_of`` is ``at`` if given, else now — or, when the corpus's newest featured day is over a
    week old (``stale``), that day's end. ``upvotes`` = ``upvotes_huggingface`` + ``upvotes_local``,
    every vote (as on the paper's card); ``score`` counts those of the window."""
    moment = at.replace(tzinfo=at.tzinfo or dt.UTC) if at else None
    return plain(Feed(site.context).trending_now(window, limit, moment).as_dict())


@router.get("/orgs", tags=["organisations"], responses=refusals())
def api_organisations(site: SiteDep) -> Any:
    """Every organisation with a page, by name: its handle (any case finds it), how many papers
    and how many members it has (who they are is on its page, for its members and admins only)."""
    found = Feed(site.context).organisations()
    return {"total": len(found), "organisations": [o.as_dict() for o in found]}


@router.get("/orgs/{handle}", tags=["organisations"], responses=refusals(404))
def api_organisation(request: Request, site: SiteDep, handle: str) -> Any:
    """An organisation: its papers (listed by Hugging Face or tagged by members) and how many
    members it has; who they are (``members``, and who tagged each paper) only for its members
    and admins, ``null`` for everyone else."""
    visitor = site.security.visitor(request)
    return plain(Feed(site.context).organisation_for(handle, visitor.name, visitor.is_admin).as_dict())

"""The reading side in the browser: the daily feed (the home page), trending, a paper, authors,
organisations, search and the metrics explainer — and the daily page's submit form.

Every page has a JSON twin in :mod:`paperradar.web.api` with the same data.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperradar.analysis.ai_score import LABELS, WEIGHTS
from paperradar.analysis.daily import SPANS, WINDOWS, Span, Window
from paperradar.analysis.metrics import MIN_WORKS
from paperradar.analysis.novelty import WINDOW_MONTHS, K
from paperradar.identity import ids
from paperradar.search import facets
from paperradar.search.query import parse
from paperradar.services.community import FirstRun
from paperradar.services.feed import DEFAULT_WINDOW, Feed
from paperradar.services.profiles import Profiles, ProfileSort
from paperradar.services.searching import SORTS, ResultPage, Search, sort_named
from paperradar.services.submissions import Submissions
from paperradar.web.actions import actor
from paperradar.web.routing import CheckedForm, FeedDay, PageNumber, RowId, SiteDep
from paperradar.web.site import PER_PAGE, Site

router = APIRouter(include_in_schema=False)


def daily_view(site: Site, request: Request, day: dt.date, span: Span, page: int, home: bool) -> HTMLResponse:
    """A page of a day's (week's, month's) papers; the home page adds the trending box."""
    shown = Feed(site.context).daily_page(day, span, page, with_trending=home)
    step = {"day": dt.timedelta(days=1), "week": dt.timedelta(days=7)}.get(span)
    return site.page(
        request,
        "daily.html",
        day=day,
        first=shown.first,
        last=shown.last,
        span=span,
        spans=SPANS,
        previous=day - step if step else shown.first - dt.timedelta(days=1),
        following=day + step if step else shown.last + dt.timedelta(days=1),
        shown=shown,
        marks=site.marks_of(request, [i.card.work_id for i in shown.items]),
    )


# ---------------------------------------------------------------------- daily papers
@router.get("/", response_class=HTMLResponse)
def home(request: Request, site: SiteDep, page: PageNumber = 1) -> HTMLResponse:
    if (first := FirstRun(site.context)).empty():  # a new store: how to get papers, not an empty day
        return site.page(request, "first_run.html", steps=first.steps())
    return daily_view(site, request, Feed(site.context).latest_day(), "day", page, home=page == 1)


@router.get("/daily/{day}", response_class=HTMLResponse)
def daily_page(
    request: Request, site: SiteDep, day: FeedDay, span: Span = "day", page: PageNumber = 1
) -> HTMLResponse:
    return daily_view(site, request, day, span, page, home=False)


@router.post("/submit")
def submit_form(request: Request, site: SiteDep, form: CheckedForm) -> Response:
    if site.security.visitor(request).name is None:
        return RedirectResponse("/login?next=/", 303)
    ident = form.get("id", "").strip()
    if not ident:
        raise HTTPException(400, "give an arXiv id or URL to submit")
    user = actor(site, request, "submit papers", "submissions")
    done = Submissions(site.context).submit(ident, user)
    # The paper's page, with a notice (base.html) of the day's feed it is on and who put it there.
    shown = quote(ids.arxiv_id(ident) or str(done.work_id), safe="/")
    by = "" if done.submitter == user else f"&by={quote(done.submitter)}"
    return RedirectResponse(f"/papers/{shown}?submitted={done.day}{by}", 303)


# ---------------------------------------------------------------------- authors
@router.get("/authors", response_class=HTMLResponse)
def authors_page(
    request: Request, site: SiteDep, q: str = Query(..., min_length=1, max_length=200)
) -> Response:
    """A name from a byline: straight to the profile when only one person fits."""
    matches = Profiles(site.context).find(q)
    if len(matches) == 1:
        return RedirectResponse(f"/authors/{matches[0]['id']}", 303)
    return site.page(request, "authors.html", q=q, matches=matches, status=200 if matches else 404)


@router.get("/authors/{author_id}", response_class=HTMLResponse)
def author_page(
    request: Request,
    site: SiteDep,
    author_id: RowId,
    page_number: PageNumber = 1,
    sort: ProfileSort = "year",
) -> HTMLResponse:
    """Newest papers first, or (``?sort=citations``) the most cited."""
    profile = Profiles(site.context).profile(author_id, page_number, sort=sort)
    marks = site.marks_of(request, [w.card.work_id for w in profile.works])
    years = sorted(profile.series)
    return site.page(
        request,
        "author.html",
        p=profile,
        years=years,
        counts=[profile.series[y] for y in years],
        embedded=site.searcher.semantic_ready(),
        marks=marks,
    )


@router.get("/authors/{author_id}/similar", response_class=HTMLResponse)
def similar_page(request: Request, site: SiteDep, author_id: RowId) -> HTMLResponse:
    """Kept off the profile itself (a vector search costs more than the rest of the page):
    the profile's script inlines this list, and without script it is a link away."""
    profile = Profiles(site.context).profile(author_id)
    similar = Search(site.context).similar_to(author_id)
    return site.page(request, "similar.html", p=profile, similar=similar)


# ---------------------------------------------------------------------- search
@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    site: SiteDep,
    q: str = "",
    cat: str = "",
    year_from: str = Query("", alias="from"),
    year_to: str = Query("", alias="to"),
    code: str = "",
    page_number: str = Query("1", alias="page"),
    sort: str = "relevance",
) -> HTMLResponse:
    # Every control is read leniently: what cannot be used is ignored with a note, never a 422.
    query, notes = facets.from_form(q, cat, year_from, year_to, code not in ("", "0", "off", "false"))
    number = int(page_number) if page_number.isascii() and page_number.isdigit() else 0
    if not 1 <= number <= 10_000:
        notes.append(f"ignored page {page_number[:20]!r}: showing the first page")
        number = 1
    if (order := sort_named(sort)) is None:
        notes.append(f"ignored sort {sort[:20]!r}: sort by {', '.join(SORTS)}; showing by relevance")
        order = "relevance"
    result: ResultPage | None = None
    if query.strip():
        result = Search(site.context).page(query, (number - 1) * PER_PAGE, PER_PAGE, order)
        notes = list(dict.fromkeys([*notes, *result.notes]))
    return site.page(
        request,
        "search.html",
        query=query,
        words=facets.words_of(query),
        parsed=parse(query),
        results=result.cards if result else [],
        found=result.found if result else {},
        did_you_mean=result.did_you_mean if result else None,
        why_empty=result.why_empty if result else None,
        notes=notes,
        facets=result.facets if result else None,
        page_number=number,
        per_page=PER_PAGE,
        refine=facets.refine,
        sort=order,
        sorts=SORTS,
    )


# ---------------------------------------------------------------------- papers
@router.get("/papers/{ident:work}", response_class=HTMLResponse)
def paper_page(
    request: Request,
    site: SiteDep,
    ident: str,
    refs: int = Query(1, ge=1, le=100_000, description="the page of its references"),
    cites: int = Query(1, ge=1, le=100_000, description="the page of the works citing it"),
) -> HTMLResponse:
    paper = Profiles(site.context).paper(ident, site.security.visitor(request).name, refs, cites)
    years = sorted(paper.per_year.series)
    return site.page(
        request,
        "paper.html",
        p=paper,
        years=years,
        counts=[paper.per_year.series[y] for y in years],
        d=paper.detail,
        c=paper.card,
        upvotes=paper.hf_upvotes + paper.local_votes,
        hf_upvotes=paper.hf_upvotes,
        local_votes=paper.local_votes,
        related=paper.related,
        member_of=paper.member_of,
        marks=paper.marks,
    )


# ---------------------------------------------------------------------- trending and organisations
@router.get("/trending", response_class=HTMLResponse)
def trending_page(request: Request, site: SiteDep, window: Window = DEFAULT_WINDOW) -> HTMLResponse:
    found = Feed(site.context).trending_now(window)
    marks = site.marks_of(request, [f.card.work_id for f in found.items])
    return site.page(request, "trending.html", windows=WINDOWS, found=found, marks=marks)


@router.get("/orgs", response_class=HTMLResponse)
def organisations_page(request: Request, site: SiteDep) -> HTMLResponse:
    """The directory of organisations: members counted, never named."""
    return site.page(request, "orgs.html", orgs=Feed(site.context).organisations())


@router.get("/orgs/{handle}", response_class=HTMLResponse)
def organisation_html(request: Request, site: SiteDep, handle: str) -> HTMLResponse:
    visitor = site.security.visitor(request)
    shown = Feed(site.context).organisation_for(handle, visitor.name, visitor.is_admin)
    return site.page(request, "org.html", org=shown.page, shown=shown)


@router.get("/metrics", response_class=HTMLResponse)
def metrics_page(request: Request, site: SiteDep) -> HTMLResponse:
    return site.page(
        request,
        "metrics.html",
        k=K,
        window=WINDOW_MONTHS,
        min_works=MIN_WORKS,
        weights=list(WEIGHTS.items()),
        labels=LABELS,
    )

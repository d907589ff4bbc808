"""The reading side in the browser: the daily feed (the home page), trending, a paper, authors,
organisations, search and the metrics explainer — and the daily page's submit form.

Every page has a JSON twin in :mod:`paperradar.web.api` with the same data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection

from paperradar.analysis import profiles
from paperradar.analysis.ai_score import LABELS, WEIGHTS
from paperradar.analysis.cards import cards
from paperradar.analysis.daily import WINDOWS, Span, Window, days_of, feed, trending, upvotes
from paperradar.analysis.metrics import MIN_WORKS
from paperradar.analysis.novelty import WINDOW_MONTHS, K
from paperradar.search import facets
from paperradar.search.query import parse
from paperradar.store import community, queries
from paperradar.web import searching
from paperradar.web.routing import CheckedForm, SiteDep, organisation_of, profile_of, work_id_of
from paperradar.web.site import PER_PAGE, Site
from paperradar.web.submissions import submit_paper, submitter

router = APIRouter(include_in_schema=False)


def latest_day(conn: Connection) -> dt.date:
    """Today, or the newest day something was featured when today has nothing yet."""
    newest = queries.newest_featured_day(conn)
    return min(dt.date.today(), newest) if newest else dt.date.today()


def daily_view(site: Site, request: Request, day: dt.date, span: Span, home: bool) -> HTMLResponse:
    first, last = days_of(day, span)
    with site.reading() as conn:
        items = feed(conn, first, last)
        evening = dt.datetime.combine(last, dt.time(23, 59), dt.UTC)
        hot = trending(conn, "week", evening, 10) if home else []
        marks = site.marks(conn, site.security.visitor(request).name, [i.card.work_id for i in items])
    step = {"day": dt.timedelta(days=1), "week": dt.timedelta(days=7)}.get(span)
    return site.page(
        request,
        "daily.html",
        day=day,
        first=first,
        last=last,
        span=span,
        previous=day - step if step else first - dt.timedelta(days=1),
        following=day + step if step else last + dt.timedelta(days=1),
        items=items[: PER_PAGE * 4],
        trending=hot,
        total=len(items),
        marks=marks,
    )


# ---------------------------------------------------------------------- daily papers
@router.get("/", response_class=HTMLResponse)
def home(request: Request, site: SiteDep) -> HTMLResponse:
    with site.reading() as conn:
        day = latest_day(conn)
    return daily_view(site, request, day, "day", home=True)


@router.get("/daily/{day}", response_class=HTMLResponse)
def daily_page(request: Request, site: SiteDep, day: dt.date, span: Span = "day") -> HTMLResponse:
    return daily_view(site, request, day, span, home=False)


@router.post("/submit")
def submit_form(request: Request, site: SiteDep, form: CheckedForm) -> Response:
    if site.security.visitor(request).name is None:
        return RedirectResponse("/login?next=/", 303)
    ident = form.get("id", "").strip()
    if not ident:
        raise HTTPException(400, "give an arXiv id or URL to submit")
    done = submit_paper(site, ident, submitter(site, request))
    return RedirectResponse(f"/daily/{done['day']}", 303)


# ---------------------------------------------------------------------- authors
@router.get("/authors", response_class=HTMLResponse)
def authors_page(
    request: Request, site: SiteDep, q: str = Query(..., min_length=1, max_length=200)
) -> Response:
    """A name from a byline: straight to the profile when only one person fits."""
    with site.reading() as conn:
        matches = profiles.find(conn, q)
    if len(matches) == 1:
        return RedirectResponse(f"/authors/{matches[0]['id']}", 303)
    return site.page(request, "authors.html", q=q, matches=matches, status=200 if matches else 404)


@router.get("/authors/{author_id}", response_class=HTMLResponse)
def author_page(
    request: Request, site: SiteDep, author_id: int, page_number: int = Query(1, ge=1, alias="page")
) -> HTMLResponse:
    with site.reading() as conn:
        profile = profile_of(conn, author_id, page_number)
        shown = [w.card.work_id for w in profile.works]
        marks = site.marks(conn, site.security.visitor(request).name, shown)
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
def similar_page(request: Request, site: SiteDep, author_id: int) -> HTMLResponse:
    """Kept off the profile itself (a vector search costs more than the rest of the page):
    the profile's script inlines this list, and without script it is a link away."""
    with site.reading() as conn:
        profile = profile_of(conn, author_id)
    return site.page(request, "similar.html", p=profile, similar=searching.similar_to(site, author_id))


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
) -> HTMLResponse:
    # Every control is read leniently: what cannot be used is ignored with a note, never a 422.
    query, notes = facets.from_form(q, cat, year_from, year_to, code not in ("", "0", "off", "false"))
    number = int(page_number) if page_number.isascii() and page_number.isdigit() else 0
    if not 1 <= number <= 10_000:
        notes.append(f"ignored page {page_number[:20]!r}: showing the first page")
        number = 1
    found: list[Any] = []
    counted: facets.Facets | None = None
    if query.strip():
        found, more, counted = searching.results(site, query, (number - 1) * PER_PAGE, PER_PAGE)
        notes = list(dict.fromkeys([*notes, *more]))
    return site.page(
        request,
        "search.html",
        query=query,
        words=facets.words_of(query),
        parsed=parse(query),
        results=found,
        notes=notes,
        facets=counted,
        page_number=number,
        per_page=PER_PAGE,
        refine=facets.refine,
    )


# ---------------------------------------------------------------------- papers
@router.get("/papers/{ident:path}", response_class=HTMLResponse)
def paper_page(request: Request, site: SiteDep, ident: str) -> HTMLResponse:
    user = site.security.visitor(request).name
    with site.reading() as conn:
        work_id = work_id_of(conn, ident)
        detail = queries.work_detail(conn, work_id)
        card = cards(conn, [work_id], dt.date.today())[work_id]
        related = site.searcher.related(work_id, 8).hits if site.searcher.semantic_ready() else []
        neighbours = cards(conn, [h.work_id for h in related], dt.date.today())
        hf, local = upvotes(conn, work_id)
        marks = site.marks(conn, user, [work_id, *neighbours])
        member_of = community.memberships(conn, user) if user else []
    return site.page(
        request,
        "paper.html",
        d=detail,
        c=card,
        upvotes=hf + local,
        hf_upvotes=hf,
        local_votes=local,
        related=[neighbours[h.work_id] for h in related if h.work_id in neighbours],
        member_of=member_of,
        marks=marks,
    )


# ---------------------------------------------------------------------- trending and organisations
@router.get("/trending", response_class=HTMLResponse)
def trending_page(request: Request, site: SiteDep, window: Window = "week") -> HTMLResponse:
    now = dt.datetime.now(dt.UTC)
    with site.reading() as conn:
        found = trending(conn, window, now, PER_PAGE)
        if not found:  # a corpus not synced lately: show the window ending with its newest day
            now = dt.datetime.combine(latest_day(conn), dt.time(23, 59), dt.UTC)
            found = trending(conn, window, now, PER_PAGE)
        marks = site.marks(conn, site.security.visitor(request).name, [f.card.work_id for f in found])
    return site.page(
        request, "trending.html", window=window, windows=WINDOWS, as_of=now, items=found, marks=marks
    )


@router.get("/orgs/{handle}", response_class=HTMLResponse)
def organisation_html(request: Request, site: SiteDep, handle: str) -> HTMLResponse:
    with site.reading() as conn:
        org = organisation_of(conn, handle)
    return site.page(request, "org.html", org=org)


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

"""The web app: server-rendered pages (Jinja2, autoescaped) and the JSON API under ``/api/v1``.

One store per app; every page has a JSON twin with the same data, and FastAPI documents the API
at ``/docs`` (OpenAPI). Everything shown comes from :mod:`paperradar.analysis`; the app only
chooses, pages and renders.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, func, select
from starlette.concurrency import run_in_threadpool

from paperradar import __version__
from paperradar.analysis import profiles
from paperradar.analysis.ai_score import LABELS, WEIGHTS
from paperradar.analysis.cards import cards
from paperradar.analysis.daily import (
    WINDOWS,
    OrganisationPage,
    Span,
    Window,
    days_of,
    feed,
    organisation_page,
    trending,
    upvotes,
)
from paperradar.analysis.metrics import MIN_WORKS
from paperradar.analysis.novelty import WINDOW_MONTHS, K
from paperradar.config import ConfigError, config_path, load_config
from paperradar.identity import ids
from paperradar.records import UnreadableInput
from paperradar.search import facets
from paperradar.search.hybrid import Searcher
from paperradar.search.query import parse
from paperradar.search.similar_authors import SimilarAuthor, similar_authors
from paperradar.sources.http import UpstreamError
from paperradar.store import community, queries
from paperradar.store import schema as t
from paperradar.store.database import open_store
from paperradar.sync import fetcher
from paperradar.sync.arxiv_api import fetch_work
from paperradar.web import (
    account_pages,
    actions,
    digest_pages,
    feeds,
    hardening,
    library_pages,
    recommend_pages,
)
from paperradar.web.feeds import Format
from paperradar.web.security import CSRF_FIELD, CSRF_HEADER, Security
from paperradar.web.site import HERE, Site, plain

PER_PAGE = 30
ENV_LOCAL = "PAPERRADAR_LOCAL"  # "1": the server listens on loopback only (set by `serve --workers`)


class Submission(BaseModel):
    id: str = Field(min_length=1, max_length=300, description="arXiv id or URL, DOI, or internal id")


def create_app(db: str | Engine | None = None, *, local: bool = True) -> FastAPI:
    """The app over one store. ``local``: it listens on a loopback address only, so with no
    accounts in the store it acts as the one local user (see :mod:`paperradar.web.security`)."""
    engine = db if isinstance(db, Engine) else open_store(db)
    app = FastAPI(title="paperradar", version=__version__, docs_url=None, redoc_url=None)
    site = Site(engine, Security(engine, local=local))
    reading, page = site.reading, site.page
    searcher = Searcher(engine)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(actions.router(site))
    app.include_router(account_pages.router(site))
    app.include_router(library_pages.router(site))
    app.include_router(recommend_pages.router(site))
    app.include_router(digest_pages.router(site))
    hardening.install(app, site)

    def latest_day(conn: Connection) -> dt.date:
        """Today, or the newest day something was featured when today has nothing yet."""
        newest = conn.execute(select(func.max(t.community.c.featured_day))).scalar()
        return min(dt.date.today(), newest) if newest else dt.date.today()

    # ------------------------------------------------------------------ daily papers
    @app.get("/api/v1/daily/{day}", tags=["daily"])
    def api_daily(
        day: dt.date,
        span: Span = "day",
        offset: int = Query(0, ge=0),
        limit: int = Query(PER_PAGE, ge=1, le=200),
    ) -> Any:
        """The papers of a day, or of the week ending on it, or of its month (Hugging Face features,
        local submissions, arXiv announcements), most upvoted first.
        ``upvotes`` = ``upvotes_huggingface`` + ``upvotes_local``."""
        first, last = days_of(day, span)
        with reading() as conn:
            items = feed(conn, first, last)
        return {
            "first": first,
            "last": last,
            "total": len(items),
            "offset": offset,
            "items": [plain(i.as_dict()) for i in items[offset : offset + limit]],
        }

    def daily_view(request: Request, day: dt.date, span: Span, home: bool) -> HTMLResponse:
        first, last = days_of(day, span)
        with reading() as conn:
            items = feed(conn, first, last)
            hot = (
                trending(conn, "week", dt.datetime.combine(last, dt.time(23, 59), dt.UTC), 10) if home else []
            )
            marks = site.marks(conn, site.security.visitor(request).name, [i.card.work_id for i in items])
        step = {"day": dt.timedelta(days=1), "week": dt.timedelta(days=7)}.get(span)
        previous = day - step if step else first - dt.timedelta(days=1)
        following = day + step if step else last + dt.timedelta(days=1)
        return page(
            request,
            "daily.html",
            day=day,
            first=first,
            last=last,
            span=span,
            previous=previous,
            following=following,
            items=items[: PER_PAGE * 4],
            trending=hot,
            total=len(items),
            marks=marks,
        )

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        with reading() as conn:
            day = latest_day(conn)
        return daily_view(request, day, "day", home=True)

    @app.get("/daily/{day}", response_class=HTMLResponse, include_in_schema=False)
    def daily_page(request: Request, day: dt.date, span: Span = "day") -> HTMLResponse:
        return daily_view(request, day, span, home=False)

    # ------------------------------------------------------------------ submissions
    def submit_paper(ident: str, user: str) -> dict[str, Any]:
        """Put a paper on today's feed; one the store lacks is fetched from arXiv first."""
        with reading() as conn:
            work_id = queries.resolve_work(conn, ident)
        if work_id is None:
            arxiv = ids.arxiv_id(ident)
            if arxiv is None:
                raise HTTPException(404, f"no work {ident!r} in the corpus, and it is not an arXiv id or URL")
            try:
                with fetcher(load_config(config_path()), "arxiv_api") as client:
                    work_id = fetch_work(engine, client, arxiv)
            except (UpstreamError, ConfigError, UnreadableInput, ValueError) as exc:
                raise HTTPException(
                    502, f"{arxiv} is not in the corpus and arXiv could not be asked: {exc}"
                ) from exc
            if work_id is None:
                raise HTTPException(404, f"arXiv does not know {arxiv}")
        with site.writing() as conn:
            first, day = community.submit(conn, work_id, user, dt.date.today())
        return {"work_id": work_id, "day": day, "submitter": first}

    def submitter(request: Request) -> str:
        user = site.security.visitor(request).name
        if user is None:
            raise HTTPException(401, "sign in to submit papers")
        site.security.votes.check(user, "submissions")
        return user

    @app.post("/submit", include_in_schema=False)
    async def submit_form(request: Request) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        site.security.check_csrf(request, form.get(CSRF_FIELD))
        if site.security.visitor(request).name is None:
            return RedirectResponse("/login?next=/", 303)
        ident = form.get("id", "").strip()
        if not ident:
            raise HTTPException(400, "give an arXiv id or URL to submit")
        done = await run_in_threadpool(submit_paper, ident, submitter(request))
        return RedirectResponse(f"/daily/{done['day']}", 303)

    @app.post("/api/v1/submissions", tags=["daily"])
    def api_submit(request: Request, submission: Submission) -> Any:
        """Put a paper (arXiv id or URL, DOI or internal id) on today's feed as the signed-in user;
        a paper the corpus lacks is fetched from arXiv. The first submission of a paper counts.
        Needs ``X-CSRF-Token``."""
        site.security.check_csrf(request, request.headers.get(CSRF_HEADER))
        return plain(submit_paper(submission.id.strip(), submitter(request)))

    def feed_response(
        request: Request, form: str, listing: Callable[[Connection], feeds.Listing]
    ) -> Response:
        if form not in feeds.FORMATS:
            raise HTTPException(404, "feeds come as .rss or .atom")
        kind: Format = "rss" if form == "rss" else "atom"
        with reading() as conn:
            document = listing(conn).document(kind, str(request.base_url))
        return Response(document, media_type=feeds.MEDIA_TYPES[kind])

    @app.get("/daily/{day}/feed.{form}", include_in_schema=False)
    def daily_feed(request: Request, day: dt.date, form: str) -> Response:
        return feed_response(request, form, lambda conn: feeds.daily_listing(day, feed(conn, day, day)))

    @app.get("/trending/feed.{form}", include_in_schema=False)
    def trending_feed(request: Request, form: str, window: Window = "day") -> Response:
        now = dt.datetime.now(dt.UTC)
        return feed_response(
            request, form, lambda conn: feeds.trending_listing(window, trending(conn, window, now, PER_PAGE))
        )

    @app.get("/authors/{author_id}/feed.{form}", include_in_schema=False)
    def author_feed(request: Request, author_id: int, form: str) -> Response:
        return feed_response(
            request, form, lambda conn: feeds.author_listing(load_profile(conn, author_id, 1))
        )

    @app.get("/orgs/{handle}/feed.{form}", include_in_schema=False)
    def organisation_feed(request: Request, handle: str, form: str) -> Response:
        return feed_response(
            request, form, lambda conn: feeds.organisation_listing(load_organisation(conn, handle))
        )

    @app.get("/search/feed.{form}", include_in_schema=False)
    def search_feed(
        request: Request, form: str, q: str = Query(..., min_length=1, max_length=2000)
    ) -> Response:
        def listing(conn: Connection) -> feeds.Listing:
            searcher.lexical.catch_up(engine)
            hits = searcher.search(q, PER_PAGE).hits
            shown = cards(conn, [h.work_id for h in hits], dt.date.today())
            return feeds.search_listing(q, [c for h in hits if (c := shown.get(h.work_id))], dt.date.today())

        return feed_response(request, form, listing)

    # ------------------------------------------------------------------ authors
    def load_profile(conn: Connection, author_id: int, page_number: int) -> profiles.Profile:
        found = profiles.profile(conn, author_id, page=page_number)
        if found is None:
            raise HTTPException(404, f"no author {author_id}")
        return found

    @app.get("/api/v1/authors/{author_id}", tags=["authors"])
    def api_author(author_id: int, page: int = Query(1, ge=1)) -> Any:
        """An author's profile: every figure with its provenance, and one page of paper cards."""
        with reading() as conn:
            return JSONResponse(plain(load_profile(conn, author_id, page).as_dict()))

    @app.get("/api/v1/authors", tags=["authors"])
    def api_find_authors(q: str = Query(..., min_length=1, max_length=200)) -> Any:
        """Authors a name may mean (case, accents, initials and "Last, First" forgiven)."""
        with reading() as conn:
            return {"query": q, "matches": plain(profiles.find(conn, q))}

    @app.get("/authors", response_class=HTMLResponse, include_in_schema=False)
    def authors_page(request: Request, q: str = Query(..., min_length=1, max_length=200)) -> Response:
        """A name from a byline: straight to the profile when only one person fits."""
        with reading() as conn:
            matches = profiles.find(conn, q)
        if len(matches) == 1:
            return RedirectResponse(f"/authors/{matches[0]['id']}", 303)
        return page(request, "authors.html", q=q, matches=matches, status=200 if matches else 404)

    @app.get("/authors/{author_id}", response_class=HTMLResponse, include_in_schema=False)
    def author_page(
        request: Request, author_id: int, page_number: int = Query(1, ge=1, alias="page")
    ) -> HTMLResponse:
        with reading() as conn:
            profile = load_profile(conn, author_id, page_number)
            marks = site.marks(
                conn, site.security.visitor(request).name, [w.card.work_id for w in profile.works]
            )
        years = sorted(profile.series)
        return page(
            request,
            "author.html",
            p=profile,
            years=years,
            counts=[profile.series[y] for y in years],
            embedded=searcher.semantic_ready(),
            marks=marks,
        )

    def similar_to(author_id: int) -> list[SimilarAuthor] | None:
        """People whose papers are closest in meaning; None before `paperradar index` ran."""
        if not searcher.semantic_ready():
            return None
        return similar_authors(engine, searcher.vectors, author_id, 8)

    @app.get("/authors/{author_id}/similar", response_class=HTMLResponse, include_in_schema=False)
    def similar_page(request: Request, author_id: int) -> HTMLResponse:
        """Kept off the profile itself (a vector search costs more than the rest of the page):
        the profile's script inlines this list, and without script it is a link away."""
        with reading() as conn:
            profile = load_profile(conn, author_id, 1)
        return page(request, "similar.html", p=profile, similar=similar_to(author_id))

    @app.get("/api/v1/authors/{author_id}/similar", tags=["authors"])
    def api_similar_authors(author_id: int) -> Any:
        """Authors whose papers are closest in meaning to this author's (stored embeddings)."""
        with reading() as conn:
            load_profile(conn, author_id, 1)  # 404 for an unknown author
        found = similar_to(author_id)
        if found is None:
            raise HTTPException(409, "no embeddings yet: run `paperradar index` first")
        return {"author_id": author_id, "similar": plain(found)}

    # ------------------------------------------------------------------ papers
    @app.get("/api/v1/papers/{ident:path}", tags=["papers"])
    def api_paper(ident: str) -> Any:
        """Everything every source said about one work (arXiv id, DOI or internal id)."""
        with reading() as conn:
            work_id = queries.resolve_work(conn, ident)
            if work_id is None:
                raise HTTPException(404, f"no work {ident!r}")
            return JSONResponse(plain(queries.work_detail(conn, work_id)))

    # ------------------------------------------------------------------ search
    def run_search(q: str, offset: int, limit: int) -> tuple[list[Any], list[str], facets.Facets]:
        """One page of the top ``facets.DEPTH`` results, and the facets of all of those."""
        searcher.lexical.catch_up(engine)
        result = searcher.search(q, facets.DEPTH + 1)  # one more tells whether the list is cut
        hits = [h.work_id for h in result.hits[: facets.DEPTH]]
        wanted = hits[offset : offset + limit]
        with reading() as conn:
            counted = facets.count(conn, hits, complete=len(result.hits) <= facets.DEPTH)
            shown = cards(conn, wanted, dt.date.today())
        return [shown[w] for w in wanted if w in shown], result.notes, counted

    @app.get("/api/v1/search", tags=["search"])
    def api_search(
        q: str = Query(..., min_length=1, max_length=20_000),
        offset: int = Query(0, ge=0),
        limit: int = Query(20, ge=1, le=200),
    ) -> Any:
        """Keyword + meaning (hybrid) search with the filters au: ti: cat: year: has:code.

        Pages (``offset``, ``limit``) through the top 200 results; ``total`` counts those, and
        ``facets`` counts them by primary category, year and code (``complete`` is false when
        there were more than 200). A facet value's ``term`` is the filter that selects it, to add
        to the query. Queries over 2,000 characters are cut, with a note saying so."""
        found, notes, counted = run_search(q, offset, limit)
        return {
            "query": q,
            "notes": notes,
            "offset": offset,
            "limit": limit,
            "total": counted.counted,
            "results": plain(found),
            "facets": plain(counted),
        }

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(
        request: Request,
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
            found, more, counted = run_search(query, (number - 1) * PER_PAGE, PER_PAGE)
            notes = list(dict.fromkeys([*notes, *more]))
        return page(
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

    @app.get("/papers/{ident:path}", response_class=HTMLResponse, include_in_schema=False)
    def paper_page(request: Request, ident: str) -> HTMLResponse:
        with reading() as conn:
            work_id = queries.resolve_work(conn, ident)
            if work_id is None:
                raise HTTPException(404, f"no work {ident!r}")
            detail = queries.work_detail(conn, work_id)
            card = cards(conn, [work_id], dt.date.today())[work_id]
            related = searcher.related(work_id, 8).hits if searcher.semantic_ready() else []
            neighbours = cards(conn, [h.work_id for h in related], dt.date.today())
            hf, local = upvotes(conn, work_id)
            shown = [work_id, *neighbours]
            user = site.security.visitor(request).name
            marks = site.marks(conn, user, shown)
            member_of = community.memberships(conn, user) if user else []
        return page(
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

    # ------------------------------------------------------------------ trending and organisations
    @app.get("/api/v1/trending", tags=["daily"])
    def api_trending(
        window: Window = "day", at: dt.datetime | None = None, limit: int = Query(30, ge=1, le=200)
    ) -> Any:
        """Papers by upvotes fading with a 24-hour half-life, over the votes of the window."""
        now = at if at and at.tzinfo else (at.replace(tzinfo=dt.UTC) if at else dt.datetime.now(dt.UTC))
        with reading() as conn:
            found = trending(conn, window, now, limit)
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

    @app.get("/trending", response_class=HTMLResponse, include_in_schema=False)
    def trending_page(request: Request, window: Window = "week") -> HTMLResponse:
        now = dt.datetime.now(dt.UTC)
        with reading() as conn:
            found = trending(conn, window, now, PER_PAGE)
            if not found:  # a corpus not synced lately: show the window ending with its newest day
                now = dt.datetime.combine(latest_day(conn), dt.time(23, 59), dt.UTC)
                found = trending(conn, window, now, PER_PAGE)
            marks = site.marks(conn, site.security.visitor(request).name, [f.card.work_id for f in found])
        return page(
            request, "trending.html", window=window, windows=WINDOWS, as_of=now, items=found, marks=marks
        )

    def load_organisation(conn: Connection, handle: str) -> OrganisationPage:
        org_id = community.organisation_id(conn, handle)
        if org_id is None:
            raise HTTPException(404, f"no organisation {handle!r}")
        return organisation_page(conn, org_id)

    @app.get("/api/v1/orgs/{handle}", tags=["organisations"])
    def api_organisation(handle: str) -> Any:
        """An organisation: its members and papers (listed by Hugging Face or tagged by members)."""
        with reading() as conn:
            org = load_organisation(conn, handle)
        return {
            "handle": org.handle,
            "name": org.name,
            "source": org.source,
            "members": [{"user": u, "role": r} for u, r in org.members],
            "papers": [plain(i.as_dict()) for i in org.papers],
        }

    @app.get("/orgs/{handle}", response_class=HTMLResponse, include_in_schema=False)
    def organisation_html(request: Request, handle: str) -> HTMLResponse:
        with reading() as conn:
            org = load_organisation(conn, handle)
        return page(request, "org.html", org=org)

    @app.get("/metrics", response_class=HTMLResponse, include_in_schema=False)
    def metrics_page(request: Request) -> HTMLResponse:
        return page(
            request,
            "metrics.html",
            k=K,
            window=WINDOW_MONTHS,
            min_works=MIN_WORKS,
            weights=list(WEIGHTS.items()),
            labels=LABELS,
        )

    return app


def app_from_env() -> FastAPI:
    """The app of one uvicorn worker: the store from ``$PAPERRADAR_DB``, the mode from
    ``$PAPERRADAR_LOCAL`` (``paperradar serve --workers N`` sets both)."""
    return create_app(None, local=os.environ.get(ENV_LOCAL, "1") == "1")

"""``paperradar feed``: RSS 2.0 or Atom for a day, trending, an author, an organisation or a saved search."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer

from paperradar.analysis import profiles
from paperradar.analysis.cards import cards
from paperradar.analysis.daily import WINDOWS, feed, organisation_page, trending
from paperradar.cli.app import app, err, store_engine
from paperradar.search.hybrid import Searcher
from paperradar.store import community
from paperradar.web.feeds import (
    FORMATS,
    Format,
    author_listing,
    daily_listing,
    organisation_listing,
    search_listing,
    trending_listing,
)

KINDS = ("daily", "trending", "author", "org", "search")


@app.command("feed")
def feed_command(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="daily, trending, author or search.")],
    what: Annotated[
        str | None,
        typer.Argument(
            help="daily: a date (default today); trending: day|week|month; author: a name or id; "
            "org: a handle; search: the query."
        ),
    ] = None,
    form: Annotated[str, typer.Option("--format", "-f", help="rss (2.0) or atom.")] = "atom",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file (default: stdout).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Entries.")] = 50,
    base_url: Annotated[
        str, typer.Option("--base-url", help="Where the web app is served, for the feed's link.")
    ] = "http://127.0.0.1:8000",
) -> None:
    """Print a feed a reader can follow: a day's papers, trending, an author's papers, or a saved search.

    Example: [cyan]paperradar feed daily 2026-06-12 --format rss -o daily.xml[/]

    Or: [cyan]paperradar feed author "Natalie Mackraz"[/]   [cyan]paperradar feed search "diffusion"[/]
    """
    if kind not in KINDS:
        err.print(f"[red]error:[/] the feed kind is daily, trending, author, org or search, not {kind!r}")
        raise typer.Exit(2)
    if form not in FORMATS:
        err.print(f"[red]error:[/] --format must be rss or atom, not {form!r}")
        raise typer.Exit(2)
    engine = store_engine(ctx)
    now = dt.datetime.now(dt.UTC)
    chosen: Format = form  # type: ignore[assignment]
    with engine.connect() as conn:
        if kind == "daily":
            day = dt.date.fromisoformat(what) if what else now.date()
            listing = daily_listing(day, feed(conn, day, day)[:limit])
        elif kind == "trending":
            window = what or "day"
            if window not in WINDOWS:
                err.print(f"[red]error:[/] trending is over day, week or month, not {window!r}")
                raise typer.Exit(2)
            listing = trending_listing(window, trending(conn, window, now, limit))  # type: ignore[arg-type]
        elif kind == "author":
            matches = profiles.find(conn, what or "")
            if len(matches) != 1:
                err.print(
                    f"[red]error:[/] {len(matches)} authors match {what!r}: name one (see paperradar author)"
                )
                raise typer.Exit(1)
            profile = profiles.profile(conn, matches[0]["id"], per_page=limit)
            assert profile is not None
            listing = author_listing(profile)
        elif kind == "org":
            org_id = community.organisation_id(conn, what or "")
            if org_id is None:
                err.print(f"[red]error:[/] no organisation {what!r}")
                raise typer.Exit(1)
            page = organisation_page(conn, org_id)
            page.papers[limit:] = []
            listing = organisation_listing(page)
        else:
            if not what:
                err.print("[red]error:[/] give the search query")
                raise typer.Exit(2)
            searcher = Searcher(engine)
            searcher.lexical.catch_up(engine)
            hits = searcher.search(what, limit).hits
            shown = cards(conn, [h.work_id for h in hits], now.date())
            listing = search_listing(what, [c for h in hits if (c := shown.get(h.work_id))], now.date())
    document = listing.document(chosen, base_url)
    if out:
        out.write_bytes(document)
    else:
        sys.stdout.buffer.write(document)

"""``paperradar feed``: RSS 2.0 or Atom for a day, trending, an author, an organisation or a saved search."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer

from paperradar.analysis.daily import WINDOWS, Window
from paperradar.cli.app import app, context_of, exit_with_error, refused
from paperradar.services.feed import DEFAULT_WINDOW, FORMATS, Feed, Format, Listing

KINDS = ("daily", "trending", "author", "org", "search")


def _listing(feed: Feed, kind: str, what: str | None, limit: int) -> Listing:
    """The list a feed of ``kind`` holds; a usage error exits 2."""
    now = dt.datetime.now(dt.UTC)
    if kind == "daily":
        return feed.daily_listing(dt.date.fromisoformat(what) if what else now.date(), limit)
    if kind == "trending":
        window = what or DEFAULT_WINDOW
        if window not in WINDOWS:
            exit_with_error(f"trending is over day, week or month, not {window!r}", 2)
        chosen: Window = window  # type: ignore[assignment]
        return feed.trending_listing(chosen, None, limit)  # as the web app shows it
    if kind == "author":
        return feed.named_author_listing(what or "", limit)
    if kind == "org":
        return feed.organisation_listing(what or "", limit)
    if not what:
        exit_with_error("give the search query", 2)
    return feed.search_listing(what, limit)


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
        exit_with_error(f"the feed kind is daily, trending, author, org or search, not {kind!r}", 2)
    if form not in FORMATS:
        exit_with_error(f"--format must be rss or atom, not {form!r}", 2)
    chosen: Format = form  # type: ignore[assignment]
    with refused():
        listing = _listing(Feed(context_of(ctx)), kind, what, limit)
    document = listing.document(chosen, base_url)
    if out:
        out.write_bytes(document)
    else:
        sys.stdout.buffer.write(document)

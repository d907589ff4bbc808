"""``paperradar recommend`` and ``paperradar dislike``: recommendations that learn from the library."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from paperradar.cli.app import app, console, context_of, err, print_json, progress_bar, refused
from paperradar.cli.library import IdArgument
from paperradar.services.recommending import Radar, Ranked, overview
from paperradar.store import accounts

User = Annotated[
    str | None,
    typer.Option("--user", "-u", help="Whose library (default: you, as in the web app on localhost)."),
]
Undo = Annotated[bool, typer.Option("--undo", help='Take the "not for me" back.')]


def _refresh(radar: Radar, rebuild: bool, say: bool) -> None:
    """Build or bring up to date the tf-idf features under a progress bar."""
    with progress_bar() as progress:
        task = progress.add_task("tf-idf features", total=None)
        done = radar.refresh(rebuild, lambda n: progress.advance(task, n))
    if say:
        err.print(f"tf-idf features: {done.added:,} works added, {done.total:,} in all")


@app.command("recommend")
def recommend_command(
    ctx: typer.Context,
    user: User = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=500, help="How many.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON, with each reason.")] = False,
    refresh: Annotated[
        bool,
        typer.Option("--refresh", help="Bring the tf-idf features up to date first (builds them once)."),
    ] = False,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="With --refresh: fit the vocabulary anew and rebuild.")
    ] = False,
) -> None:
    """Papers for a user: a linear model over tf-idf and embedding features, trained on their
    saved papers (positives), their "not for me"s (negatives) and a sample of the corpus.

    Each paper comes with why: the saved paper it is most like and the words that weighed
    most. Save papers in the web app or with [cyan]paperradar library[/]; say "not for me"
    with [cyan]paperradar dislike ID[/]. A large corpus needs its features built once:
    [cyan]paperradar recommend --refresh[/] (new works are added as they arrive).

    Example: [cyan]paperradar recommend --user ada -n 10[/]   [cyan]paperradar recommend --json[/]
    """
    who = user or accounts.local_user()
    radar = Radar(context_of(ctx))
    if refresh or not radar.ready():
        _refresh(radar, rebuild, say=not as_json or refresh)
    found = radar.ranked(who, limit)
    if as_json:
        print_json(_as_json(who, found))
    else:
        _print(who, found)


def _as_json(who: str, found: Ranked) -> dict[str, object]:
    seconds = round(found.result.seconds, 3)
    return {**overview(found.result), "user": who, "seconds": seconds, "results": found.rows}


def _print(who: str, found: Ranked) -> None:
    result = found.result
    for note in result.notes:
        err.print(f"[yellow]note:[/] {escape(note)}")
    if result.message:
        console.print(escape(result.message))
        return
    console.print(
        f"For [bold]{escape(who)}[/] [dim](from {result.saved} saved, {result.disliked} not for me; "
        f"{result.features})[/]"
    )
    for i, row in enumerate(found.rows, start=1):
        ident = row["arxiv_id"] or row["doi"] or f"id {row['id']}"
        where = " · ".join(str(x) for x in (ident, row["primary_category"], row["year"]) if x)
        console.print(
            f"{i:>2}. [bold]{escape(row['title'] or '')}[/] [dim]{escape(where)}[/]\n"
            f"    [dim italic]{escape(row['reason'])}[/]",
            highlight=False,
        )


@app.command()
def dislike(
    ctx: typer.Context,
    ident: IdArgument,
    undo: Undo = False,
    user: User = None,
) -> None:
    """Say a paper is not for you: recommendations stop showing it and learn from it (papers
    like it move down). Disliking a saved paper unsaves it.

    Example: [cyan]paperradar dislike 2104.12255[/]   [cyan]paperradar dislike 2104.12255 --undo[/]
    """
    who = user or accounts.local_user()
    with refused():
        changed = Radar(context_of(ctx)).dislike(who, ident, undo)
    if undo:
        console.print(f"{ident}: no longer marked not for {who}" if changed else f"{ident} was not disliked")
    else:
        console.print(f"{ident}: not for {who}" if changed else f"{ident} was already marked not for {who}")

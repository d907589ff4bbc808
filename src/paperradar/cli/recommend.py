"""``paperradar recommend`` and ``paperradar dislike``: recommendations that learn from the library."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from paperradar.analysis.recommend import Recommendations, recommend, recommender
from paperradar.cli.app import app, console, err, print_json, progress_bar, store_engine, work_or_exit
from paperradar.store import accounts, library, queries
from paperradar.store.database import writing

User = Annotated[
    str | None,
    typer.Option("--user", "-u", help="Whose library (default: you, as in the web app on localhost)."),
]


def _rows(ctx: typer.Context, found: Recommendations) -> list[dict[str, Any]]:
    with store_engine(ctx).connect() as conn:
        summaries = queries.work_summaries(conn, [r.work_id for r in found.items])
    return [
        {
            **summaries[r.work_id],
            "score": round(r.score, 4),
            "reason": r.reason,
            "nearest_saved": r.nearest_saved,
            "nearest_saved_title": r.nearest_title,
            "similarity": round(r.similarity, 4),
            "terms": r.terms,
        }
        for r in found.items
        if r.work_id in summaries  # merged into another work since the features were built
    ]


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
    engine = store_engine(ctx)
    who = user or accounts.local_user()
    matrix = recommender(engine).matrix
    if refresh or not matrix.ready():
        with progress_bar() as progress:
            task = progress.add_task("tf-idf features", total=None)
            step = matrix.rebuild if rebuild else matrix.catch_up
            added = step(engine, lambda n: progress.advance(task, n))
        if not as_json or refresh:
            err.print(f"tf-idf features: {added:,} works added, {len(matrix):,} in all")
    found = recommend(engine, who, limit, build_limit=None)
    rows = _rows(ctx, found)
    if as_json:
        print_json(
            {
                "user": who,
                "features": found.features,
                "saved": found.saved,
                "disliked": found.disliked,
                "notes": found.notes,
                "message": found.message,
                "seconds": round(found.seconds, 3),
                "results": rows,
            }
        )
        return
    for note in found.notes:
        err.print(f"[yellow]note:[/] {escape(note)}")
    if found.message:
        console.print(escape(found.message))
        return
    console.print(
        f"For [bold]{escape(who)}[/] [dim](from {found.saved} saved, {found.disliked} not for me; "
        f"{found.features})[/]"
    )
    for i, row in enumerate(rows, start=1):
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
    ident: Annotated[str, typer.Argument(metavar="ID", help="arXiv id, DOI or internal id.")],
    undo: Annotated[bool, typer.Option("--undo", help='Take the "not for me" back.')] = False,
    user: User = None,
) -> None:
    """Say a paper is not for you: recommendations stop showing it and learn from it (papers
    like it move down). Disliking a saved paper unsaves it.

    Example: [cyan]paperradar dislike 2104.12255[/]   [cyan]paperradar dislike 2104.12255 --undo[/]
    """
    who = user or accounts.local_user()
    with writing(store_engine(ctx)) as conn:
        work_id = work_or_exit(conn, ident)
        changed = (library.undo_dislike if undo else library.dislike)(conn, who, work_id)
    if undo:
        console.print(f"{ident}: no longer marked not for {who}" if changed else f"{ident} was not disliked")
    else:
        console.print(f"{ident}: not for {who}" if changed else f"{ident} was already marked not for {who}")

"""``paperradar map``: place the embedded works on the map of the corpus (the web app's /map)."""

from __future__ import annotations

from typing import Annotated

import typer

from paperradar.cli.app import app, console, context_of, err, switch
from paperradar.services.atlas import Cartographer


@app.command("map")
def map_command(
    ctx: typer.Context,
    refit: Annotated[
        bool, switch("--refit", "Fit the projection anew on today's corpus and place every work again.")
    ] = False,
) -> None:
    """Give the embedded works their place on the map of the corpus (shown at /map).

    [cyan]paperradar index[/] does this after embedding; new works are placed without moving
    the others. [cyan]--refit[/] fits the map anew (every point may move).

    Example: [cyan]paperradar map --refit[/]
    """
    maps = Cartographer(context_of(ctx))
    placed = maps.place(refit=refit)
    if placed is None:
        err.print("[yellow]`paperradar index` is running on this database; it places new works itself[/]")
        raise typer.Exit(1)
    total = maps.placed()
    if not total:
        err.print("[red]error:[/] no embeddings yet: run `paperradar index` first, then `paperradar map`")
        raise typer.Exit(1)
    console.print(f"map: {placed:,} works placed, {total:,} on the map (see /map in `paperradar serve`)")

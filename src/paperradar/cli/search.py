"""Search commands: hybrid search, related papers, similar authors, and building the indexes."""

from __future__ import annotations

import shlex
from dataclasses import asdict
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, TaskID
from rich.status import Status

from paperradar.cli.app import (
    AsJson,
    app,
    console,
    context_of,
    err,
    print_json,
    progress_bar,
    refused,
    switch,
)
from paperradar.search.hybrid import Hit, Mode
from paperradar.services.indexing import Ended, Indexer, IndexRound, IndexWatch, Stage
from paperradar.services.searching import SORTS, AuthorsLike, Found, Search, Sort, sort_named
from paperradar.text import plural, printable


def _print(found: Found, as_json: bool, empty: str, sort: Sort = "relevance") -> None:
    if as_json:
        nothing = found.why_empty
        print_json(
            {
                "mode": found.mode,
                "notes": found.notes,
                "did_you_mean": found.did_you_mean,
                "sort": sort,
                "results": found.rows,
                "why_empty": None if nothing is None else asdict(nothing),
            }
        )
        return
    for note in found.notes:
        err.print(f"[yellow]note:[/] {escape(note)}")
    if found.did_you_mean:
        err.print(f"[yellow]did you mean:[/] {escape(printable(found.did_you_mean, newlines=False))}")
    if not found.rows:
        _print_empty(found, empty)
    for i, row in enumerate(found.rows, start=1):
        ident = row["arxiv_id"] or row["doi"] or f"id {row['id']}"
        where = " · ".join(str(x) for x in (ident, row["primary_category"], row["year"]) if x)
        code = " [green]Code[/]" if row["has_code"] else ""
        why = Hit(row["id"], 0, row["lexical_rank"], row["dense_rank"], pinned=row["pinned"]).ranks()
        sim = f" {row['similarity']:.2f}" if row["similarity"] is not None and not row["lexical_rank"] else ""
        cited = f" · {plural(row['citations'], 'citation')}" if sort == "cited" and row["citations"] else ""
        console.print(
            f"{i:>2}. [bold]{escape(printable(row['title'] or '', newlines=False))}[/] "
            f"[dim]{escape(printable(where))}[/]{code} "
            f"[dim italic]{why}{sim}{cited}[/]",
            highlight=False,
        )


def _print_empty(found: Found, empty: str) -> None:
    """Nothing found: say why, and the nearest query that finds papers."""
    why = found.why_empty
    if why is None or not why.reasons:
        console.print(empty)
        return
    console.print(
        f"{escape(printable(empty))}: {escape(printable('; '.join(why.reasons)))}.", highlight=False
    )
    if why.nearest:
        nearest = why.nearest
        console.print(
            f"try: [cyan]paperradar search {escape(shlex.quote(printable(nearest.query, newlines=False)))}[/]"
            f" ({nearest.papers}, {escape(printable(nearest.change))})",
            highlight=False,
        )


def _mode(mode: str) -> Mode:
    if mode not in ("hybrid", "lexical", "semantic"):
        err.print(f"[red]error:[/] --mode must be hybrid, lexical or semantic, not {mode!r}")
        raise typer.Exit(2)
    return mode  # type: ignore[return-value]


def _sort(sort: str) -> Sort:
    if (order := sort_named(sort)) is None:
        err.print(f"[red]error:[/] --sort must be {', '.join(SORTS)}, not {sort!r}")
        raise typer.Exit(2)
    return order


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[
        str,
        typer.Argument(
            help='Words (all must match for the keyword side), "a phrase", -excluded, a OR b, and the '
            "filters au:name ti:word cat:cs.LG year:2023..2025 has:code."
        ),
    ],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="How many results.")] = 10,
    mode: Annotated[str, typer.Option(help="hybrid (keywords + meaning), lexical, or semantic.")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON, with each ranking's rank.")] = False,
    sort: Annotated[
        str, typer.Option(help="relevance, newest, or cited (most cited first), of the top 200 results.")
    ] = "relevance",
) -> None:
    """Search titles, abstracts and authors by keywords and by meaning, fused by reciprocal rank.

    An exact arXiv id, DOI or title comes first. Semantic search covers the works embedded so
    far (see [cyan]paperradar index[/]); until then results are ranked by keywords. A misspelt
    word gets a "did you mean"; a search that finds nothing says why, and what would find papers.

    Example: [cyan]paperradar search 'state space models cat:cs.LG year:2023..2025 has:code'[/]
    """
    order = _sort(sort)
    found = Search(context_of(ctx)).search(query, limit, _mode(mode), order)
    _print(found, as_json, f"no works match {query!r}", order)


@app.command()
def related(
    ctx: typer.Context,
    ident: Annotated[str, typer.Argument(metavar="ID", help="arXiv id, DOI or internal id.")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="How many.")] = 10,
    mode: Annotated[
        str, typer.Option(help="hybrid (meaning + shared words), semantic, or lexical.")
    ] = "hybrid",
    as_json: AsJson = False,
) -> None:
    """Papers like a paper: nearest neighbours of its stored vector, fused with the papers that
    share its most telling words (no model call).

    Example: [cyan]paperradar related 2104.12255 -n 5[/]
    """
    with refused():
        found = Search(context_of(ctx)).related(ident, limit, _mode(mode))
    if not as_json:
        console.print(f"Related to [bold]{escape(printable(found.title or ident, newlines=False))}[/]")
    _print(found.found, as_json, "nothing related found")


@app.command("similar-authors")
def similar_authors_command(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help='A name ("Dijkstra", "Dijkstra, E. W."), an id, or s2:1723755.')
    ],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=200, help="How many.")] = 10,
    as_json: AsJson = False,
) -> None:
    """Authors whose papers are closest in meaning to an author's papers.

    Example: [cyan]paperradar similar-authors "Natalie Mackraz"[/]
    """
    with refused():
        found = Search(context_of(ctx)).authors_like(name, limit)
    matches = found.matches
    if len(matches) > 1 and not as_json:
        others = ", ".join(
            f"{m['name']} (id {m['id']}, {plural(m['papers'], 'paper')})" for m in matches[1:6]
        )
        err.print(f"[yellow]note:[/] {len(matches)} authors match; showing the most prolific.")
        err.print(f"      others: {escape(printable(others, newlines=False))}")
    if found.similar is None:
        err.print("[red]error:[/] no vectors yet: run `paperradar index` first")
        raise typer.Exit(1)
    if as_json:
        print_json({"author": found.author, "similar": _similar_json(found)})
        return
    _print_similar(found)


def _similar_json(found: AuthorsLike) -> list[dict[str, object]]:
    return [
        {**a.__dict__, "score": round(a.score, 4), "closest_title": found.closest.get(a.closest_work)}
        for a in found.similar or []
    ]


def _print_similar(found: AuthorsLike) -> None:
    author = found.author
    about = f"id {author['id']}, {plural(author['papers'], 'paper')}"
    console.print(f"Authors closest to [bold]{escape(printable(author['name']))}[/] [dim]({about})[/]")
    if not found.similar:
        console.print("no similar authors found (their works have no vectors yet?)")
    for i, a in enumerate(found.similar or [], start=1):
        tag = " [dim](co-author)[/]" if a.coauthor else ""
        closest = found.closest.get(a.closest_work) or ""
        console.print(
            f"{i:>2}. [bold]{escape(printable(a.name))}[/]{tag} [dim]{a.score:.2f} · "
            f"{plural(a.close_works, 'close work')} · e.g. {escape(printable(closest, newlines=False))}[/]",
            highlight=False,
        )


@app.command()
def index(
    ctx: typer.Context,
    rebuild: Annotated[
        bool, switch("--rebuild", "Throw the derived indexes away and build them anew.")
    ] = False,
    embed: Annotated[bool, switch("--embed/--no-embed", "Also embed works for semantic search.")] = True,
    limit: Annotated[int | None, typer.Option(min=1, help="Embed at most this many works now.")] = None,
    follow: Annotated[bool, switch("--follow", "Keep going: index new works as they arrive.")] = False,
    every: Annotated[float, typer.Option(min=1, help="With --follow: seconds between looks.")] = 60,
) -> None:
    """Bring the keyword index, the embeddings and the vector index up to date with the store.

    Embedding is incremental and resumable: stop it at any time and the next run carries on;
    keyword search works at once and semantic search fills in as works are embedded.

    Example: [cyan]paperradar index[/]   [cyan]paperradar index --follow &[/]

    Or: [cyan]paperradar index --rebuild[/]
    """
    with IndexView() as view:
        ended = Indexer(context_of(ctx), view.watch).run(
            rebuild=rebuild, embed=embed, limit=limit, follow=follow, every=every
        )
    print_index_end(ended)


class IndexView:
    """Shows an index run as it goes (a status line or a bar per stage), then each stage's line;
    also for `sync all` and `demo`, which end with an index run."""

    def __init__(self) -> None:
        self._live: list[Progress | Status] = []
        self._task: TaskID | None = None
        self.watch = IndexWatch(began=self._began, advanced=self._advanced, ended=self._ended)

    def __enter__(self) -> IndexView:
        return self

    def __exit__(self, *_exc: object) -> None:
        while self._live:
            self._live.pop().stop()

    def _began(self, stage: Stage, total: int | None) -> None:
        if stage in ("keyword index", "embedding model"):
            live: Progress | Status = console.status(
                "keyword index…" if stage == "keyword index" else "loading the embedding model…"
            )
        else:
            live = progress_bar()
            self._task = live.add_task(stage, total=total)
        live.start()
        self._live.append(live)

    def _advanced(self, n: int) -> None:
        bar = self._live[-1]
        if isinstance(bar, Progress) and self._task is not None:
            bar.advance(self._task, n)

    def _ended(self, stage: Stage, done: IndexRound) -> None:
        self._live.pop().stop()
        _print_stage(stage, done)


def _print_stage(stage: Stage, done: IndexRound) -> None:
    if stage == "keyword index" and (done.keyword or done.rebuild):
        console.print(f"keyword index: {done.keyword:,} works (re)indexed")
    elif stage == "embedding" and (result := done.embedded) is not None:
        console.print(
            f"embeddings: {result.embedded:,} works embedded"
            + (f", {result.unchanged:,} unchanged" if result.unchanged else "")
            + (f", {result.empty:,} without text" if result.empty else "")
            + f" [dim]({done.model})[/]"
        )
    elif stage == "vector index" and (done.added or done.rebuild):
        console.print(f"vector index: {done.added:,} vectors added, {done.vectors:,} in all")
    elif stage == "vector index" and not done.keyword and not done.pending:
        console.print(f"up to date: {done.vectors:,} works searchable by meaning [dim]({done.model})[/]")


def print_index_end(ended: Ended | None) -> None:
    """What an index run that did not simply end says: another run has it, or it was stopped."""
    if ended == "busy":
        err.print("[yellow]another `paperradar index` is running on this database and keeps it up to date[/]")
    elif ended == "stopped":
        err.print("[yellow]stopped; the next `paperradar index` carries on where this one ended[/]")

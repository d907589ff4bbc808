"""Search commands: hybrid search, related papers, similar authors, and building the indexes."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer
from filelock import FileLock, Timeout
from rich.markup import escape

from paperradar.cli.app import app, console, err, print_json, progress_bar, store_engine
from paperradar.search.embedding_job import count_pending, embed_pending
from paperradar.search.hybrid import Hit, Mode, Searcher, SearchResult
from paperradar.search.similar_authors import similar_authors
from paperradar.store import queries
from paperradar.text import plural


def _describe(hit: Hit) -> str:
    if hit.pinned:
        return f"exact {hit.pinned}"
    parts = []
    if hit.lexical_rank:
        parts.append(f"words #{hit.lexical_rank}")
    if hit.dense_rank:
        parts.append(f"meaning #{hit.dense_rank}")
    return " · ".join(parts)


def _rows(ctx: typer.Context, result: SearchResult) -> list[dict[str, Any]]:
    with store_engine(ctx).connect() as conn:
        summaries = queries.work_summaries(conn, [h.work_id for h in result.hits])
    rows = []
    for hit in result.hits:
        if hit.work_id not in summaries:  # merged into another work since it was indexed
            continue
        rows.append(
            {
                **summaries[hit.work_id],
                "score": round(hit.score, 5),
                "lexical_rank": hit.lexical_rank,
                "dense_rank": hit.dense_rank,
                "similarity": None if hit.similarity is None else round(hit.similarity, 4),
                "pinned": hit.pinned,
            }
        )
    return rows


def _print(result: SearchResult, rows: list[dict[str, Any]], as_json: bool, empty: str) -> None:
    if as_json:
        print_json({"mode": result.mode, "notes": result.notes, "results": rows})
        return
    for note in result.notes:
        err.print(f"[yellow]note:[/] {escape(note)}")
    if not rows:
        console.print(empty)
    for i, row in enumerate(rows, start=1):
        ident = row["arxiv_id"] or row["doi"] or f"id {row['id']}"
        where = " · ".join(str(x) for x in (ident, row["primary_category"], row["year"]) if x)
        code = " [green]Code[/]" if row["has_code"] else ""
        why = _describe(Hit(row["id"], 0, row["lexical_rank"], row["dense_rank"], pinned=row["pinned"]))
        sim = f" {row['similarity']:.2f}" if row["similarity"] is not None and not row["lexical_rank"] else ""
        console.print(
            f"{i:>2}. [bold]{escape(row['title'] or '')}[/] [dim]{escape(where)}[/]{code} "
            f"[dim italic]{why}{sim}[/]",
            highlight=False,
        )


def _mode(mode: str) -> Mode:
    if mode not in ("hybrid", "lexical", "semantic"):
        err.print(f"[red]error:[/] --mode must be hybrid, lexical or semantic, not {mode!r}")
        raise typer.Exit(2)
    return mode  # type: ignore[return-value]


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
) -> None:
    """Search titles, abstracts and authors by keywords and by meaning, fused by reciprocal rank.

    An exact arXiv id, DOI or title comes first. Semantic search covers the works embedded so
    far (see [cyan]paperradar index[/]); until then results are ranked by keywords.

    Example: [cyan]paperradar search 'state space models cat:cs.LG year:2023..2025 has:code'[/]
    """
    engine = store_engine(ctx)
    searcher = Searcher(engine)
    searcher.lexical.catch_up(engine)
    result = searcher.search(query, limit, _mode(mode))
    _print(result, _rows(ctx, result), as_json, f"no works match {query!r}")


@app.command()
def related(
    ctx: typer.Context,
    ident: Annotated[str, typer.Argument(metavar="ID", help="arXiv id, DOI or internal id.")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="How many.")] = 10,
    mode: Annotated[
        str, typer.Option(help="hybrid (meaning + shared words), semantic, or lexical.")
    ] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Papers like a paper: nearest neighbours of its stored vector, fused with the papers that
    share its most telling words (no model call).

    Example: [cyan]paperradar related 2104.12255 -n 5[/]
    """
    engine = store_engine(ctx)
    with engine.connect() as conn:
        work_id = queries.resolve_work(conn, ident)
        title = queries.work_summaries(conn, [work_id]).get(work_id, {}).get("title") if work_id else None
    if work_id is None:
        err.print(
            f"[red]error:[/] no work {ident!r} in the store (try an arXiv id, a DOI or `paperradar search`)"
        )
        raise typer.Exit(1)
    result = Searcher(engine).related(work_id, limit, _mode(mode))
    if not as_json:
        console.print(f"Related to [bold]{escape(title or ident)}[/]")
    _print(result, _rows(ctx, result), as_json, "nothing related found")


@app.command("similar-authors")
def similar_authors_command(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help='A name ("Dijkstra", "Dijkstra, E. W."), an id, or s2:1723755.')
    ],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=200, help="How many.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Authors whose papers are closest in meaning to an author's papers.

    Example: [cyan]paperradar similar-authors "Natalie Mackraz"[/]
    """
    engine = store_engine(ctx)
    with engine.connect() as conn:
        matches = queries.find_authors(conn, name)
    if not matches:
        err.print(f"[red]error:[/] no author matches {name!r}")
        raise typer.Exit(1)
    author = matches[0]
    if len(matches) > 1 and not as_json:
        others = ", ".join(
            f"{m['name']} (id {m['id']}, {plural(m['papers'], 'paper')})" for m in matches[1:6]
        )
        err.print(f"[yellow]note:[/] {len(matches)} authors match; showing the most prolific.")
        err.print(f"      others: {escape(others)}")
    searcher = Searcher(engine)
    if not searcher.semantic_ready():
        err.print("[red]error:[/] no vectors yet: run `paperradar index` first")
        raise typer.Exit(1)
    found = similar_authors(engine, searcher.vectors, author["id"], limit)
    with engine.connect() as conn:
        titles = queries.work_summaries(conn, [a.closest_work for a in found])
    if as_json:
        print_json(
            {
                "author": author,
                "similar": [
                    {
                        **a.__dict__,
                        "score": round(a.score, 4),
                        "closest_title": titles.get(a.closest_work, {}).get("title"),
                    }
                    for a in found
                ],
            }
        )
        return
    about = f"id {author['id']}, {plural(author['papers'], 'paper')}"
    console.print(f"Authors closest to [bold]{escape(author['name'])}[/] [dim]({about})[/]")
    if not found:
        console.print("no similar authors found (their works have no vectors yet?)")
    for i, a in enumerate(found, start=1):
        tag = " [dim](co-author)[/]" if a.coauthor else ""
        closest = titles.get(a.closest_work, {}).get("title") or ""
        console.print(
            f"{i:>2}. [bold]{escape(a.name)}[/]{tag} [dim]{a.score:.2f} · "
            f"{plural(a.close_works, 'close work')} · e.g. {escape(closest)}[/]",
            highlight=False,
        )


@app.command()
def index(
    ctx: typer.Context,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Throw the derived indexes away and build them anew.")
    ] = False,
    embed: Annotated[
        bool, typer.Option("--embed/--no-embed", help="Also embed works for semantic search.")
    ] = True,
    limit: Annotated[int | None, typer.Option(min=1, help="Embed at most this many works now.")] = None,
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep going: index new works as they arrive.")
    ] = False,
    every: Annotated[float, typer.Option(min=1, help="With --follow: seconds between looks.")] = 60,
) -> None:
    """Bring the keyword index, the embeddings and the vector index up to date with the store.

    Embedding is incremental and resumable: stop it at any time and the next run carries on;
    keyword search works at once and semantic search fills in as works are embedded.

    Example: [cyan]paperradar index[/]   [cyan]paperradar index --follow &[/]

    Or: [cyan]paperradar index --rebuild[/]
    """
    engine = store_engine(ctx)
    searcher = Searcher(engine)
    lock = FileLock(str(searcher.vectors.path) + ".lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        err.print("[yellow]another `paperradar index` is running on this database and keeps it up to date[/]")
        raise typer.Exit(0) from None
    try:
        while True:
            _index_once(engine, searcher, rebuild, embed, limit)
            if not follow:
                return
            rebuild = False
            time.sleep(every)
    except KeyboardInterrupt:
        err.print("[yellow]stopped; the next `paperradar index` carries on where this one ended[/]")
    finally:
        lock.release()


def _index_once(engine: Any, searcher: Searcher, rebuild: bool, embed: bool, limit: int | None) -> None:
    lexical = searcher.lexical
    with console.status("keyword index…"):
        done = lexical.rebuild(engine) if rebuild else lexical.catch_up(engine)
    if done or rebuild:
        console.print(f"keyword index: {done:,} works (re)indexed")
    if not embed:
        return
    embedder = searcher.embedder
    pending = count_pending(engine, embedder.name)
    if limit is not None:
        pending = min(pending, limit)
    if pending:
        with progress_bar() as progress:
            task = progress.add_task("embedding", total=pending)
            with console.status("loading the embedding model…"):
                embedder.embed(["warm up"])
            result = embed_pending(engine, embedder, lambda n: progress.advance(task, n), limit)
        console.print(
            f"embeddings: {result.embedded:,} works embedded"
            + (f", {result.unchanged:,} unchanged" if result.unchanged else "")
            + (f", {result.empty:,} without text" if result.empty else "")
            + f" [dim]({embedder.name})[/]"
        )
    vectors = searcher.vectors
    with progress_bar() as progress:
        task = progress.add_task("vector index", total=None)
        if rebuild:
            added = vectors.rebuild(engine, embedder.name, lambda n: progress.advance(task, n))
        else:
            added = vectors.catch_up(engine, embedder.name, lambda n: progress.advance(task, n))
    if added or rebuild:
        console.print(f"vector index: {added:,} vectors added, {len(vectors):,} in all")
    elif not done and not pending:
        console.print(f"up to date: {len(vectors):,} works searchable by meaning [dim]({embedder.name})[/]")

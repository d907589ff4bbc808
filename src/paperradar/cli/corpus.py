"""Corpus commands: import files, look at what is stored, search it, build the demo."""

from __future__ import annotations

import datetime as dt
import shutil
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from platformdirs import user_data_path
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from paperradar.cli.app import SAMPLE, app, console, err, file_summary, print_json, store_engine
from paperradar.cli.authors import refresh
from paperradar.ingest import BATCH_SIZE, FileResult, expand, import_file
from paperradar.search.lexical import LexicalIndex, index_dir
from paperradar.sources import all_formats
from paperradar.store import queries
from paperradar.store.database import describe, is_demo_store, mark_demo_store


@app.command("import")
def import_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path], typer.Argument(help="Files or folders to import (folders are read recursively).")
    ],
    format_name: Annotated[
        str | None, typer.Option("--format", "-f", help="Skip detection; see `paperradar formats`.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the per-file results as JSON.")] = False,
    batch_size: Annotated[
        int, typer.Option(min=1, help="Records per transaction (each commit is a resumable checkpoint).")
    ] = BATCH_SIZE,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Processes parsing a JSON-lines file beside the writer (0: none). "
            "Default: one per other core, for files of 32 MiB and more.",
        ),
    ] = None,
    cites: Annotated[
        str | None,
        typer.Option(
            "--cites",
            metavar="ID",
            help="The paper whose Semantic Scholar references or citations pages these files are "
            "(a paperId, arXiv:…, DOI:…, CorpusId:…, as in the request), so their citation edges are "
            "stored. Not needed for paperradar's own recorded answers: their URL names it.",
        ),
    ] = None,
    as_of_text: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="DATE",
            help="When the files' statements were true (ISO date or date and time, UTC), for records "
            "that do not say; of two statements of one source the fresher wins. Default: now.",
        ),
    ] = None,
) -> None:
    """Import files in any supported format; re-running is safe and an interrupted import resumes.

    Bad records are quarantined with their line or record number and the reason; every good
    record of the same file is kept. The exit status is non-zero only when nothing could be read
    (every file unreadable, or every record quarantined). paperradar's own recorded answers (its
    HTTP cache files) import as they are, dated by when they were retrieved.

    Example: [cyan]paperradar import arxiv-metadata-oai-snapshot.json.gz daily_papers.json refs.bib[/]

    The citation edges of a references page of arXiv:2106.15928, saved on 1 May 2024:
    [cyan]paperradar import --cites arXiv:2106.15928 --as-of 2024-05-01 references.json[/]
    """
    as_of = _as_of(as_of_text)
    if cites is not None:
        from paperradar.sources.semantic_scholar import page_paper

        try:
            page_paper(cites)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--cites") from exc
    engine = store_engine(ctx)
    files = list(expand(paths))
    if not files:
        err.print(f"[red]error:[/] nothing to import: {', '.join(map(str, paths))} not found or empty")
        raise typer.Exit(2)
    results: list[FileResult] = []
    follower = LexicalIndex(index_dir(engine)).follow(engine)
    with Progress(
        TextColumn("[bold blue]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[items]:,} records"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=as_json,
    ) as progress:
        for path in files:
            task = progress.add_task(path.name, total=path.stat().st_size if path.exists() else None, items=0)

            def report(_path: Path, done: int, total: int | None, items: int, task: Any = task) -> None:
                progress.update(task, completed=done, total=total, items=items)

            result = import_file(
                engine,
                path,
                format_name,
                progress=report,
                batch_size=batch_size,
                after_batch=follower.step,
                workers=workers,
                as_of=as_of,
                cites=cites,
            )
            progress.remove_task(task)
            results.append(result)
            if not as_json:
                _print_result(result)
    follower.close()
    if as_json:
        print_json(
            [
                {
                    "path": str(r.path),
                    "format": r.format,
                    "error": r.error,
                    "records": r.items,
                    "resumed_after": r.resumed_from,
                    "notes": r.counts.notes,
                    **r.counts.as_dict(),
                }
                for r in results
            ]
        )
    elif len(results) > 1:
        _print_totals(results)
    if not any(r.read_anything for r in results):
        raise typer.Exit(1)


def _as_of(value: str | None) -> dt.datetime | None:
    """``--as-of``: a date (its start, UTC) or a date and time (UTC unless it names a zone)."""
    if value is None:
        return None
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not a date like 2024-05-01 or a time like 2024-05-01T14:30Z", param_hint="--as-of"
        ) from exc
    when = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
    if when > dt.datetime.now(dt.UTC):
        # A statement dated in the future would stay the freshest forever, whatever came later.
        raise typer.BadParameter(f"{value} is in the future", param_hint="--as-of")
    return when


def _shown(path: Path) -> str:
    """A path as short as it can be while still telling the user which file it is."""
    for root in (Path.cwd(), SAMPLE):
        try:
            return str(path.resolve().relative_to(root))
        except ValueError:
            continue
    return str(path)


def _print_result(result: FileResult) -> None:
    if result.error:
        reason = result.error.removeprefix(f"{result.path}: ")
        err.print(f"[red]✗[/] {escape(_shown(result.path))}: {escape(reason)}")
        return
    resumed = f" (resumed after position {result.resumed_from})" if result.resumed_from is not None else ""
    console.print(
        f"[green]✓[/] {escape(_shown(result.path))} [dim]{result.format}[/]{resumed}: {file_summary(result)}"
    )
    for note in result.counts.notes:
        console.print(f"    [yellow]note:[/] {escape(note)}")
    if result.counts.quarantined:
        console.print("    [dim]see them with[/] paperradar quarantine")


def _print_totals(results: list[FileResult]) -> None:
    ok = [r for r in results if r.ok]
    total = FileResult(Path("total"))
    for r in ok:
        total.counts.add(r.counts)
    failed = len(results) - len(ok)
    line = f"[bold]{len(ok)} files imported[/]" + (f", [red]{failed} unreadable[/]" if failed else "")
    console.print(f"{line}: {file_summary(total)}")


@app.command()
def formats() -> None:
    """List the input formats `paperradar import` understands.

    Example: [cyan]paperradar formats[/]
    """
    table = Table("format", "source", "what")
    for fmt in all_formats():
        table.add_row(fmt.name, fmt.source, fmt.description)
    console.print(table)


@app.command()
def stats(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Counts of works, authors, ids, citations, code links and community data, by source.

    Example: [cyan]paperradar stats --json[/]
    """
    engine = store_engine(ctx)
    with engine.connect() as conn:
        data = queries.stats(conn)
    if as_json:
        print_json(data)
        return
    console.print(f"[bold]{describe(engine)}[/]")
    table = Table("what", "count", "by source / scheme", box=None)
    for key, value in data.items():
        if isinstance(value, dict):
            table.add_row(key, f"{sum(value.values()):,}", ", ".join(f"{k} {v:,}" for k, v in value.items()))
        else:
            table.add_row(key, f"{value:,}", "")
    console.print(table)


@app.command()
def show(
    ctx: typer.Context,
    ident: Annotated[
        str, typer.Argument(help="arXiv id (any version), DOI, scheme:value (s2:…, openalex:W…) or id.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Everything every source said, as JSON.")] = False,
) -> None:
    """Show one work with everything every source said about it.

    Example: [cyan]paperradar show 2104.12255[/]   [cyan]paperradar show 10.1103/PhysRevD.76.013009 --json[/]
    """
    engine = store_engine(ctx)
    with engine.connect() as conn:
        work_id = queries.resolve_work(conn, ident)
        if work_id is None:
            err.print(f"[red]error:[/] no work {ident!r} in {describe(engine)}")
            raise typer.Exit(1)
        detail = queries.work_detail(conn, work_id)
    if as_json:
        print_json(detail)
    else:
        _print_work(detail)


def _print_work(d: dict[str, Any]) -> None:
    console.print(f"[bold]{escape(d['title'] or '(no title)')}[/]", highlight=False)
    meta = [d.get("primary_category"), str(d["published"] or d["year"] or ""), d.get("latest_version")]
    console.print("[dim]" + " · ".join(m for m in meta if m) + f" · id {d['id']}[/]")
    names = [
        a["name"] + (f" ({', '.join(a['affiliations'])})" if a["affiliations"] else "") for a in d["authors"]
    ]
    if names:
        console.print(", ".join(names), markup=False, highlight=False)
    if d["abstract"]:
        console.print(d["abstract"], markup=False, highlight=False)
    table = Table(box=None, show_header=False)
    table.add_row("ids", escape(", ".join(f"{i['scheme']}:{i['value']}" for i in d["ids"])))
    if d["versions"]:
        table.add_row(
            "versions",
            ", ".join(f"{v['version']} {str(v['date'] or '')[:10]}".strip() for v in d["versions"]),
        )
    for key in ("categories", "journal_ref", "venue", "comments", "license"):
        if d.get(key):
            table.add_row(key, escape(" ".join(d[key]) if isinstance(d[key], list) else str(d[key])))
    for link in d["code"]:
        table.add_row(
            "code", f"{escape(link['url'] or '(code badge, no address)')} [dim]({link['source']})[/]"
        )
    for c in d["citations"]:
        table.add_row("citations", f"{c['citations']} [dim]({c['source']}, as of {str(c['as_of'])[:10]})[/]")
    for c in d["community"]:
        day = f"featured {c['featured_day']} · " if c["featured_day"] else ""
        org = f" · {escape(c['organisation'])}" if c["organisation"] else ""
        table.add_row("community", f"{day}{c['upvotes'] or 0} upvotes{org} [dim]({c['source']})[/]")
    if d["references"] or d["cited_by"]:
        table.add_row("citation graph", f"{d['references']} references, cited by {d['cited_by']} works here")
    table.add_row(
        "sources",
        ", ".join(f"{v['source']} [dim](seen {str(v['seen_at'])[:19]})[/]" for v in d["source_records"]),
    )
    console.print(table)


class NotStored(StrEnum):
    quarantined = "quarantined"
    skipped = "skipped"


@app.command()
def quarantine(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="How many to list, newest first.")] = 50,
    only: Annotated[
        NotStored | None,
        typer.Option(help="Only the unreadable records (quarantined) or only those read but not stored."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List what imports did not store, with file, location and reason: records that could not be
    read (quarantined) and records that were read but are not stored (skipped, e.g. an OpenAlex
    concept or a reference Semantic Scholar could not resolve).

    Example: [cyan]paperradar quarantine --limit 10[/]   [cyan]paperradar quarantine --only skipped --json[/]
    """
    with store_engine(ctx).connect() as conn:
        rows = queries.quarantined(conn, limit, only.value if only else None)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print(f"[green]nothing {only.value if only else 'quarantined or skipped'}[/]")
    for row in rows:
        where = f"{escape(row['file'])} [bold]{escape(row['location'])}[/]"
        kind = "[red]quarantined[/]" if row["kind"] == "quarantined" else "[yellow]skipped[/]"
        console.print(f"{kind} {where}: {escape(row['reason'])}", highlight=False)


@app.command()
def demo(
    ctx: typer.Context,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the interfaces after building.")
    ] = True,
    path: Annotated[
        Path | None,
        typer.Option(
            "--path", help="Where to build the demo database (default: demo.db in your data folder)."
        ),
    ] = None,
    embed: Annotated[
        bool, typer.Option("--embed/--no-embed", help="Embed the sample for semantic search.")
    ] = True,
) -> None:
    """Build a fresh demo database from the bundled sample corpus of real records.

    The demo never touches your own database: it builds (and rebuilds) its own file.

    Example: [cyan]paperradar demo --no-serve[/]
    """
    target = (path or user_data_path("paperradar", appauthor=False) / "demo.db").expanduser().resolve()
    if target.exists() and not is_demo_store(target):
        err.print(f"[red]error:[/] {target} exists and is not a demo database; choose another --path")
        raise typer.Exit(2)
    for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(Path(f"{target}.index"), ignore_errors=True)
    state = ctx.ensure_object(dict)
    state["db"] = str(target)
    state.pop("engine", None)
    mark_demo_store(store_engine(ctx))
    console.print(f"Building the demo corpus in [bold]{target}[/] from the bundled sample")
    import_command(ctx, [SAMPLE], None, False, BATCH_SIZE)
    stats(ctx, False)
    if embed:
        from paperradar.cli.search import index

        console.print("\nEmbedding the sample for semantic search (once; about a minute on two cores)")
        index(ctx, rebuild=False, embed=True, limit=None, follow=False, every=60)
    console.print("\nComputing paper novelty and author metrics")
    refresh(ctx, full=True, novelty=embed, as_json=False)
    from paperradar.search.tfidf import term_dir

    added = term_dir(store_engine(ctx)).catch_up(store_engine(ctx))
    console.print(f"recommendations: tf-idf features of {added:,} works (for the For you page)")
    console.print(
        f"\nTry:  [cyan]paperradar --db {target} show 2606.00467[/]\n"
        f'      [cyan]paperradar --db {target} search "language models"[/]\n'
        f"      [cyan]paperradar --db {target} related 2606.00467[/]\n"
        f'      [cyan]paperradar --db {target} author "Natalie Mackraz"[/]\n'
        f"      [cyan]paperradar --db {target} daily 2026-06-12[/]\n"
        f"      [cyan]paperradar --db {target} stats[/]"
    )
    if serve:
        from paperradar.cli.community import serve as serve_web  # the web stack loads only when asked

        serve_web(ctx, host="127.0.0.1", port=8000)

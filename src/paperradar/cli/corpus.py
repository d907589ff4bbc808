"""Corpus commands: import files, look at what is stored, build the demo."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from shlex import quote
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from paperradar.cli.app import (
    SAMPLE,
    AsJson,
    app,
    console,
    context_of,
    err,
    file_summary,
    misused,
    print_json,
    print_metrics_refresh,
    refresh_with_progress,
    refused,
    switch,
)
from paperradar.cli.search import IndexView, print_index_end
from paperradar.ingest import BATCH_SIZE, FileResult
from paperradar.services.context import AppContext
from paperradar.services.imports import (
    Corpus,
    Importer,
    ImportReport,
    ImportWatch,
    NotADemo,
    NothingToImport,
    clear_demo,
)
from paperradar.services.indexing import Indexer
from paperradar.services.profiles import Profiles
from paperradar.sources import all_formats
from paperradar.sources.semantic_scholar import page_paper
from paperradar.text import printable

Workers = Annotated[
    int | None,
    typer.Option(
        min=0,
        help="Processes parsing a JSON-lines file beside the writer (0: none). "
        "Default: one per other core, for files of 32 MiB and more.",
    ),
]
Cites = Annotated[
    str | None,
    typer.Option(
        "--cites",
        metavar="ID",
        help="The paper whose Semantic Scholar references or citations pages these files are "
        "(a paperId, arXiv:…, DOI:…, CorpusId:…, as in the request), so their citation edges are "
        "stored. Not needed for paperradar's own recorded answers: their URL names it.",
    ),
]
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="When the files' statements were true (ISO date or date and time, UTC), for records "
        "that do not say; of two statements of one source the fresher wins. Default: now.",
    ),
]


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
    workers: Workers = None,
    cites: Cites = None,
    as_of_text: AsOf = None,
    wait: Annotated[
        bool,
        switch(
            "--wait/--no-wait",
            "While another import runs into the same store, wait for it to finish, or (--no-wait) "
            "exit at once with status 1.",
        ),
    ] = True,
) -> None:
    """Import files in any supported format; re-running is safe and an interrupted import resumes.

    Bad records are quarantined with their line or record number and the reason; every good
    record of the same file is kept. The exit status is non-zero only when nothing could be read
    (every file unreadable, or every record quarantined), or when another import was running
    into the store and --no-wait was given. paperradar's own recorded answers (its HTTP cache
    files) import as they are, dated by when they were retrieved.

    Example: [cyan]paperradar import arxiv-metadata-oai-snapshot.json.gz daily_papers.json refs.bib[/]

    The citation edges of a references page of arXiv:2106.15928, saved on 1 May 2024:
    [cyan]paperradar import --cites arXiv:2106.15928 --as-of 2024-05-01 references.json[/]
    """
    as_of = _as_of(as_of_text)
    _check_cites(cites)
    options = {"format_name": format_name, "batch_size": batch_size, "workers": workers, "cites": cites}
    report = _import(context_of(ctx), paths, as_json, as_of=as_of, wait=wait, **options)
    if not report.read_anything:
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


def _check_cites(cites: str | None) -> None:
    """``--cites`` names a paper the way a Semantic Scholar request does, or is refused."""
    if cites is None:
        return
    try:
        page_paper(cites)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--cites") from exc


def _import(context: AppContext, paths: list[Path], as_json: bool = False, **options: Any) -> ImportReport:
    """Import ``paths`` (``options``: those of :meth:`Importer.run`) under the progress bar, each
    file's line as it ends, then the totals (or, ``as_json``, the per-file results as JSON)."""
    with refused(), misused(NothingToImport), ImportView(quiet=as_json) as view:
        report = Importer(context, view.watch).run(paths, **options)
    if as_json:
        print_json([_file_json(result) for result in report.files])
    elif len(report.files) > 1:
        _print_totals(report)
    return report


class ImportView:
    """The import's progress bar (a task per file, gone when the file is done) and each file's line."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet
        self.progress = Progress(
            TextColumn("[bold blue]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[items]:,} records"),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=quiet,
        )
        self._task = TaskID(0)
        self.watch = ImportWatch(
            waiting=self._waiting, started=self._started, progress=self._progress, finished=self._finished
        )

    def __enter__(self) -> ImportView:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.progress.live.is_started:
            self.progress.stop()

    def _waiting(self, message: str) -> None:
        err.print(f"[yellow]{escape(message)}[/]")  # on stderr, as the bar: --json output stays clean

    def _started(self, path: Path, size: int | None) -> None:
        self.progress.start()  # at the first file (again at the others: a no-op)
        self._task = self.progress.add_task(path.name, total=size, items=0)

    def _progress(self, _path: Path, done: int, total: int | None, items: int) -> None:
        self.progress.update(self._task, completed=done, total=total, items=items)

    def _finished(self, result: FileResult) -> None:
        self.progress.remove_task(self._task)
        if not self.quiet:
            _print_result(result)


def _file_json(result: FileResult) -> dict[str, Any]:
    return {
        "path": str(result.path),
        "format": result.format,
        "error": result.error,
        "records": result.items,
        "resumed_after": result.resumed_from,
        "notes": result.counts.notes,
        **result.counts.as_dict(),
    }


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


def _print_totals(report: ImportReport) -> None:
    failed = report.unreadable
    ok = len(report.files) - failed
    line = f"[bold]{ok} files imported[/]" + (f", [red]{failed} unreadable[/]" if failed else "")
    console.print(f"{line}: {file_summary(report.total)}")


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
def stats(ctx: typer.Context, as_json: AsJson = False) -> None:
    """Counts of works, authors, ids, citations, code links and community data, by source.

    Example: [cyan]paperradar stats --json[/]
    """
    corpus = Corpus(context_of(ctx))
    if as_json:
        print_json(corpus.stats())
    else:
        _print_stats(corpus)


def _print_stats(corpus: Corpus) -> None:
    data = corpus.stats()
    console.print(f"[bold]{corpus.name}[/]")
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
    with refused():
        detail = Profiles(context_of(ctx)).work_detail(ident)
    if as_json:
        print_json(detail)
    else:
        _print_work(detail)


def _print_work(d: dict[str, Any]) -> None:
    console.print(
        f"[bold]{escape(printable(d['title'] or '(no title)', newlines=False))}[/]", highlight=False
    )
    meta = [d.get("primary_category"), str(d["published"] or d["year"] or ""), d.get("latest_version")]
    console.print("[dim]" + " · ".join(m for m in meta if m) + f" · id {d['id']}[/]")
    names = [
        a["name"] + (f" ({', '.join(a['affiliations'])})" if a["affiliations"] else "") for a in d["authors"]
    ]
    if names:
        console.print(printable(", ".join(names), newlines=False), markup=False, highlight=False)
    if d["abstract"]:
        console.print(printable(d["abstract"]), markup=False, highlight=False)
    console.print(_work_table(d))


def _work_table(d: dict[str, Any]) -> Table:
    table = Table(box=None, show_header=False)
    table.add_row("ids", escape(printable(", ".join(f"{i['scheme']}:{i['value']}" for i in d["ids"]))))
    if d["versions"]:
        table.add_row(
            "versions",
            ", ".join(f"{v['version']} {str(v['date'] or '')[:10]}".strip() for v in d["versions"]),
        )
    for key in ("categories", "journal_ref", "venue", "comments", "license"):
        if d.get(key):
            value = " ".join(d[key]) if isinstance(d[key], list) else str(d[key])
            table.add_row(key, escape(printable(value, newlines=False)))
    for link in d["code"]:
        table.add_row(
            "code",
            f"{escape(printable(link['url'] or '(code badge, no address)'))} [dim]({link['source']})[/]",
        )
    for c in d["citations"]:
        table.add_row("citations", f"{c['citations']} [dim]({c['source']}, as of {str(c['as_of'])[:10]})[/]")
    for c in d["community"]:
        day = f"featured {c['featured_day']} · " if c["featured_day"] else ""
        org = f" · {escape(printable(c['organisation']))}" if c["organisation"] else ""
        table.add_row("community", f"{day}{c['upvotes'] or 0} upvotes{org} [dim]({c['source']})[/]")
    if d["references"] or d["cited_by"]:
        table.add_row("citation graph", f"{d['references']} references, cited by {d['cited_by']} works here")
    table.add_row(
        "sources",
        ", ".join(f"{v['source']} [dim](seen {str(v['seen_at'])[:19]})[/]" for v in d["source_records"]),
    )
    return table


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
    as_json: AsJson = False,
) -> None:
    """List what imports did not store, with file, location and reason: records that could not be
    read (quarantined) and records that were read but are not stored (skipped, e.g. an OpenAlex
    concept or a reference Semantic Scholar could not resolve).

    Example: [cyan]paperradar quarantine --limit 10[/]   [cyan]paperradar quarantine --only skipped --json[/]
    """
    rows = Corpus(context_of(ctx)).not_stored(limit, only.value if only else None)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print(f"[green]nothing {only.value if only else 'quarantined or skipped'}[/]")
    for row in rows:
        where = f"{escape(row['file'])} [bold]{escape(row['location'])}[/]"
        kind = "[red]quarantined[/]" if row["kind"] == "quarantined" else "[yellow]skipped[/]"
        console.print(f"{kind} {where}: {escape(printable(row['reason']))}", highlight=False)


DEMO_PATH = "Where to build the demo database (default: demo.db in your data folder)."


@app.command()
def demo(
    ctx: typer.Context,
    serve: Annotated[bool, switch("--serve/--no-serve", "Start the interfaces after building.")] = True,
    path: Annotated[Path | None, typer.Option("--path", help=DEMO_PATH)] = None,
    embed: Annotated[bool, switch("--embed/--no-embed", "Embed the sample for semantic search.")] = True,
) -> None:
    """Build a fresh demo database from the bundled sample corpus of real records.

    The demo never touches your own database: it builds (and rebuilds) its own file.

    Example: [cyan]paperradar demo --no-serve[/]
    """
    with misused(NotADemo):
        target = clear_demo(path)
    context = _demo_context(ctx, target)
    console.print(f"Building the demo corpus in [bold]{target}[/] from the bundled sample")
    _import(context, [SAMPLE])
    _print_stats(Corpus(context))
    if embed:
        console.print("\nEmbedding the sample for semantic search (once; about a minute on two cores)")
        with IndexView() as view:
            ended = Indexer(context, view.watch).run()
        print_index_end(ended)
    console.print("\nComputing paper novelty and author metrics")
    print_metrics_refresh(refresh_with_progress(context, full=True, novelty=embed))
    added = Indexer(context).terms()
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
        from paperradar.cli.community import serve_app  # the web stack loads only when asked

        serve_app(context, "127.0.0.1", 8000)
        return
    serve_it = escape(f"paperradar serve --db {quote(str(target))}")
    console.print(f"\nThen open it in the web app:\n      [cyan]{serve_it}[/]", highlight=False)


def _demo_context(ctx: typer.Context, target: Path) -> AppContext:
    """The demo store at ``target``, from now on this run's store, flagged as a disposable demo."""
    state = ctx.ensure_object(dict)
    state["db"] = str(target)
    state.pop("context", None)
    context = context_of(ctx)
    Importer(context).mark_demo()
    return context

"""Keeping the radar fresh: `paperradar sync …`, `paperradar enrich` and `paperradar config …`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.status import Status

from paperradar.cli.app import app, console, context_of, counts_summary, err, misused, refused
from paperradar.cli.search import IndexView, print_index_end
from paperradar.config import ConfigError, config_path, init_config, load_config
from paperradar.config import describe as describe_config
from paperradar.services.enriching import FEATURED, Enricher, Outcome, Result, Step, SyncWatch, Tick
from paperradar.services.syncing import NoSetToHarvest, Syncer, SyncReport
from paperradar.sync.arxiv_api import QueryResult
from paperradar.sync.arxiv_oai import HarvestResult
from paperradar.sync.enrich import EnrichResult
from paperradar.sync.hf_papers import DailyResult

sync_app = typer.Typer(help="Fetch new and changed papers from the upstream services.")
app.add_typer(sync_app, name="sync")


def _day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date like 2026-11-23") from exc


_COUNTED = {"harvest": "{task.completed:,} records", "categories": "{task.completed:,} of {task.total:,} "}
"""The steps shown with a bar (the others with a status line), and what the bar counts."""


class SyncView:
    """Shows a sync as it goes: a bar or a status line while a step runs, then its ✓, ✗ or · line."""

    def __init__(self) -> None:
        self._live: Progress | Status | None = None
        self._task = TaskID(0)
        self.watch = SyncWatch(started=self._started, advanced=self._advanced, ended=self._ended)

    def __enter__(self) -> SyncView:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop()

    def _started(self, step: Step, total: int | None) -> None:
        if step.kind in _COUNTED:
            bar = Progress(
                TextColumn("[bold blue]{task.description}"),
                BarColumn(),
                TextColumn(_COUNTED[step.kind] + step.unit),
                TimeRemainingColumn(),
                console=err,
                transient=True,
            )
            self._task = bar.add_task(step.label, total=total)
            self._live = bar
        elif step.kind == "enrich":
            self._live = console.status(f"{step.label}: {total or 0:,} {step.unit} to look up…")
        else:
            self._live = console.status(f"{step.label}…")
        self._live.start()

    def _advanced(self, tick: Tick) -> None:
        if isinstance(self._live, Progress):
            self._live.update(self._task, completed=tick.done, total=tick.total)
        elif self._live is not None:
            self._live.update(_ticked(tick))

    def _ended(self, outcome: Outcome) -> None:
        if outcome.failed and outcome.step.kind == "harvest":  # said while its bar still shows
            _print_outcome(outcome)
            self._stop()
        else:
            self._stop()
            _print_outcome(outcome)

    def _stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


def _ticked(tick: Tick) -> str:
    """A status line's progress: a Hugging Face day, an arXiv API page, a look-up's batch."""
    step = tick.step
    if step.kind == "daily":
        return f"Hugging Face {tick.day}: {tick.done} papers"
    if step.kind == "query":
        return f"{step.label}: {tick.done:,} of {tick.total or '?'}"
    return f"{step.label}: {tick.done:,} of {tick.total or 0:,} {step.unit}"


def _print_outcome(outcome: Outcome) -> None:
    step, result = outcome.step, outcome.result
    if outcome.error is not None:
        what = f"{step.label} {step.unit}" if step.kind == "enrich" else step.label
        err.print(f"[red]✗[/] {escape(what)}: {escape(str(outcome.error))}")
        if step.unit == FEATURED:
            err.print(
                "    the Hugging Face papers are stored; the next sync or "
                "[cyan]paperradar enrich arxiv[/] adds their categories"
            )
    elif result is None:
        console.print(f"[dim]·[/] {step.label}: every one has them, nothing to ask")
    else:
        console.print(f"[green]✓[/] {_done(step, result)}")
        notes = result.counts.notes if isinstance(result, EnrichResult) else []
        for note in notes:
            console.print(f"    [yellow]note:[/] {escape(note)}")


def _done(step: Step, result: Result) -> str:
    """What a step that succeeded did, in one line."""
    label, counts = escape(step.label), counts_summary(result.counts)
    if isinstance(result, HarvestResult):
        resumed = " (resumed an interrupted harvest)" if result.resumed else ""
        window = f"{result.window[0] or 'the beginning'} → {result.window[1]}"
        pages = f"{result.pages} page{'s' * (result.pages != 1)}"
        return f"{label} {window}{resumed}: {pages}, {result.records:,} records: {counts}"
    if isinstance(result, DailyResult):
        resumed = f" (resumed after {result.resumed_after})" if result.resumed_after else ""
        return f"{label}{resumed}: {result.papers} papers: {counts}"
    if isinstance(result, QueryResult):
        of = f" of {result.total:,}" if result.total is not None else ""
        return f"{label}: {result.entries:,}{of} entries: {counts}"
    resumed = " (resumed an interrupted run)" if result.resumed else ""
    authors = step.unit == "authors"
    asked = f"{result.requested:,}{' authors' if authors else ''} asked, {result.found:,} found"
    stored = f"{result.counts.authors:,} author reports stored" if authors else counts
    return f"{label}{resumed}: {asked}, {result.not_found:,} unknown there: {stored}"


@sync_app.command("arxiv")
def sync_arxiv(
    ctx: typer.Context,
    sets: Annotated[
        list[str] | None,
        typer.Option("--set", help="OAI-PMH set, e.g. cs or physics:hep-th (default: config)."),
    ] = None,
    from_day: Annotated[
        str | None, typer.Option("--from", help="First day (default: where the last harvest ended).")
    ] = None,
    until_day: Annotated[str | None, typer.Option("--until", help="Last day (default: today).")] = None,
    metadata_prefix: Annotated[
        str, typer.Option("--prefix", help="arXivRaw (versions and dates) or arXiv (affiliations).")
    ] = "arXivRaw",
) -> None:
    """Harvest arXiv by OAI-PMH, incrementally: each run continues from the last, an interrupted
    one resumes with its resumptionToken. arXiv asks for one request every 3 s.

    Example: [cyan]paperradar sync arxiv --set cs --from 2026-11-01[/]
    """
    from_date, until = _day(from_day), _day(until_day)
    with refused(ConfigError), misused(NoSetToHarvest), SyncView() as view:
        syncer = Syncer(context_of(ctx), view.watch)
        report = syncer.arxiv(sets or (), from_date=from_date, until=until, prefix=metadata_prefix)
    if not report.successes:
        raise typer.Exit(1)


@sync_app.command("arxiv-query")
def sync_arxiv_query(
    ctx: typer.Context,
    query: Annotated[
        str | None, typer.Argument(help="arXiv search, e.g. 'all:diffusion AND cat:cs.LG'.")
    ] = None,
    ids: Annotated[
        list[str] | None, typer.Option("--id", help="An arXiv id to fetch (repeat for more).")
    ] = None,
    max_results: Annotated[int, typer.Option("--max", min=1, help="At most this many entries.")] = 100,
) -> None:
    """Fetch the results of an arXiv API search, or papers by id, into the store.

    Example: [cyan]paperradar sync arxiv-query 'ti:"diffusion models" AND cat:cs.LG' --max 300[/]
    """
    if not query and not ids:
        raise typer.BadParameter("give a search query or at least one --id")
    with refused(ConfigError), SyncView() as view:
        report = Syncer(context_of(ctx), view.watch).arxiv_query(query, ids or (), max_results)
    if report.failures:
        raise typer.Exit(1)


@sync_app.command("hf")
def sync_hf(
    ctx: typer.Context,
    date: Annotated[str | None, typer.Option("--date", help="One day, e.g. 2026-06-12.")] = None,
    from_day: Annotated[str | None, typer.Option("--from", help="First day of a range.")] = None,
    until_day: Annotated[
        str | None, typer.Option("--until", help="Last day of a range (default: today).")
    ] = None,
    categories: Annotated[
        bool,
        typer.Option(
            "--categories/--no-categories",
            help="Then ask the arXiv API for the categories of featured papers that lack them.",
        ),
    ] = True,
) -> None:
    """Fetch Hugging Face daily papers (featured day, upvotes, submitter, organisation, code) by day,
    then the arXiv categories Hugging Face does not give (from the arXiv API, 100 papers a request),
    so `cat:` filters, novelty and the AI Score cover the daily feed.

    Without dates: the last `huggingface.days_back` days of the config. Syncing a day again
    refreshes its upvotes. If arXiv fails, the days stay stored and only the categories wait for
    the next run (or `paperradar enrich arxiv`); --no-categories skips arXiv altogether.

    Example: [cyan]paperradar sync hf --from 2026-06-08 --until 2026-06-12[/]
    """
    if date is not None and (from_day or until_day):
        raise typer.BadParameter("give either --date or --from/--until")
    first, last = _day(date) or _day(from_day), _day(date) or _day(until_day)
    with refused(ConfigError), SyncView() as view:
        report = Syncer(context_of(ctx), view.watch).hf(first, last, categories=categories)
    if not report.successes:  # Hugging Face itself failed; an arXiv failure alone costs only categories
        raise typer.Exit(1)


@sync_app.command("all")
def sync_all(ctx: typer.Context) -> None:
    """Run every sync the config asks for, e.g. from cron: each arXiv set of `arxiv.sets` from
    where it stopped, the last `huggingface.days_back` days of Hugging Face, arXiv categories
    (arXiv API) for works that lack them, then citations from Semantic Scholar and OpenAlex for
    works that have none yet. A failing source does not stop the others; the exit status is
    non-zero only when every one failed. Last, what is new is embedded for semantic search (as
    `paperradar index` does).

    Example: [cyan]paperradar sync all[/]   (cron: [cyan]0 6 * * * paperradar sync all[/])
    """
    with refused(ConfigError), SyncView() as view, IndexView() as indexing:
        syncer = Syncer(context_of(ctx), view.watch)
        report = syncer.all(synced=_print_synced, indexing=indexing.watch)
    if report.attempted and not report.successes:
        raise typer.Exit(1)
    print_index_end(report.indexed)


def _print_synced(report: SyncReport) -> None:
    if not report.attempted:
        console.print(
            "nothing to sync: set arxiv.sets or enable sources in the config (paperradar config init)"
        )
    else:
        console.print(f"[bold]{len(report.successes)} of {report.attempted} syncs done[/]")


ENRICHED = {"s2": "semantic_scholar", "semantic_scholar": "semantic_scholar", "openalex": "openalex"}


@app.command()
def enrich(
    ctx: typer.Context,
    service: Annotated[
        str, typer.Argument(help="s2 (Semantic Scholar), openalex, or arxiv (categories from the arXiv API).")
    ],
    missing_only: Annotated[
        bool, typer.Option("--missing-only", help="Only works without citation data from that service.")
    ] = False,
    refresh: Annotated[
        bool,
        typer.Option("--all", help="arxiv: every work with an arXiv id, not only those without categories."),
    ] = False,
    author: Annotated[
        str | None,
        typer.Option("--author", help="Only works of this author (name part, S2/OpenAlex id, ORCID)."),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most this many works.")] = None,
    authors: Annotated[
        bool, typer.Option("--authors", help="Enrich authors instead: the service's h-index, i10, counts.")
    ] = False,
) -> None:
    """Add citation counts and author ids from Semantic Scholar (`s2`), or citation counts, counts
    per year, references, author ids and institutions from OpenAlex, through their batch
    endpoints; with --authors, the metrics they report per author
    (S2 hIndex, OpenAlex summary_stats). `arxiv` asks the arXiv API, 100 ids a request, for the
    categories of works known by arXiv id without them (Hugging Face, BibTeX), which `cat:`,
    novelty and the AI Score need. An interrupted run resumes after its last batch.

    Example: [cyan]paperradar enrich s2 --missing-only --limit 5000[/]
    or [cyan]paperradar enrich openalex --authors[/]
    or [cyan]paperradar enrich arxiv --limit 1000[/]
    """
    _check_enrich(service, refresh=refresh, author=author, authors=authors)
    with refused(ConfigError), SyncView() as view:
        enricher = Enricher(context_of(ctx), view.watch)
        if service == "arxiv":
            outcome = enricher.categories(refresh=refresh, limit=limit)
        else:
            outcome = enricher.look_up(
                ENRICHED[service], authors=authors, missing_only=missing_only, limit=limit, author=author
            )
    if outcome.failed:
        raise typer.Exit(1)


def _check_enrich(service: str, *, refresh: bool, author: str | None, authors: bool) -> None:
    """The options of `paperradar enrich` that do not go together."""
    if service not in (*ENRICHED, "arxiv"):
        raise typer.BadParameter(f"{service!r}: choose s2 or openalex (citations), or arxiv (categories)")
    if service == "arxiv" and (author is not None or authors):
        raise typer.BadParameter("--author and --authors are for s2 and openalex, not arxiv")
    if service != "arxiv" and refresh:
        raise typer.BadParameter(
            "--all is for arxiv: s2 and openalex ask about every work unless --missing-only"
        )


config_app = typer.Typer(help="Show or create the configuration file (sources, keys, contact email).")
app.add_typer(config_app, name="config")


@config_app.command("show")
def config_show() -> None:
    """Print the configuration in effect (file, then environment), API keys masked.

    Example: [cyan]paperradar config show[/]
    """
    path = config_path()
    with refused(ConfigError):
        console.print(describe_config(load_config(path), path), markup=False, highlight=False)


@config_app.command("init")
def config_init(
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented config.toml with every setting and its default.

    Example: [cyan]paperradar config init[/], then edit the file it names.
    """
    with refused(ConfigError):
        written = init_config(config_path(), force=force)
    console.print(f"wrote {written}; edit it, then check it with [cyan]paperradar config show[/]")

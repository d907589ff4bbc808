"""Keeping the radar fresh: `paperradar sync …` and `paperradar config …`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from functools import partial
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from paperradar.cli.app import app, console, counts_summary, err, store_engine
from paperradar.config import SOURCE_LABELS, Config, ConfigError, config_path, init_config, load_config
from paperradar.config import describe as describe_config
from paperradar.records import UnreadableInput
from paperradar.search.lexical import LexicalIndex, index_dir
from paperradar.sync import fetcher
from paperradar.sync.arxiv_api import run_query
from paperradar.sync.arxiv_oai import harvest
from paperradar.sync.enrich import (
    EnrichResult,
    arxiv_works_to_enrich,
    authors_to_enrich,
    enrich_arxiv,
    enrich_openalex,
    enrich_openalex_authors,
    enrich_s2,
    enrich_s2_authors,
    works_to_enrich,
)
from paperradar.sync.hf_papers import sync_days
from paperradar.sync.http import Fetcher, UpstreamError

sync_app = typer.Typer(help="Fetch new and changed papers from the upstream services.")
app.add_typer(sync_app, name="sync")


def _day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date like 2026-11-23") from exc


SYNC_ERRORS = (UpstreamError, UnreadableInput, ValueError)
ENRICH_PER_RUN = 5000  # works `sync all` enriches per service and run: a backlog clears over days
"""What one source can fail with without stopping the others: each is said in one line."""
ARXIV_CATEGORIES = "arXiv API categories"


class Session:
    """What the sync commands share: the config, the store, and the keyword index following it."""

    def __init__(self, ctx: typer.Context) -> None:
        self.config = _load_config()
        self.engine = store_engine(ctx)
        self.follower = LexicalIndex(index_dir(self.engine)).follow(self.engine)
        self.failures: list[str] = []
        self.successes: list[str] = []

    def client(self, source: str) -> Fetcher:
        return fetcher(self.config, source, lambda message: err.print(f"[yellow]{escape(message)}[/]"))

    def ok(self, line: str) -> None:
        self.successes.append(line)
        console.print(f"[green]✓[/] {line}")

    def failed(self, what: str, exc: BaseException) -> None:
        self.failures.append(what)
        err.print(f"[red]✗[/] {escape(what)}: {escape(str(exc))}")

    def close(self) -> None:
        self.follower.close()


def _arxiv_set(
    session: Session, set_spec: str, from_date: dt.date | None, until: dt.date | None, prefix: str
) -> None:
    with Progress(
        TextColumn("[bold blue]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} records"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task(f"arXiv {set_spec}", total=None)
        try:
            with session.client("arxiv_oai") as client:
                result = harvest(
                    session.engine,
                    client,
                    set_spec,
                    from_date=from_date,
                    until=until,
                    metadata_prefix=prefix,
                    categories=session.config.arxiv_categories,
                    on_page=lambda _pages, records, size: progress.update(
                        task, completed=records, total=size
                    ),
                    after_batch=session.follower.step,
                )
        except SYNC_ERRORS as exc:
            session.failed(f"arXiv {set_spec}", exc)
            return
    resumed = " (resumed an interrupted harvest)" if result.resumed else ""
    window = f"{result.window[0] or 'the beginning'} → {result.window[1]}"
    session.ok(
        f"arXiv {escape(set_spec)} {window}{resumed}: {result.pages} page{'s' * (result.pages != 1)}, "
        f"{result.records:,} records: {counts_summary(result.counts)}"
    )


def _hf_days(session: Session, first: dt.date, last: dt.date, *, categories: bool) -> EnrichResult | None:
    """Sync the days, then (``categories``) ask arXiv for what Hugging Face leaves out: the
    categories of featured papers. The days are stored first, so an arXiv failure costs only the
    categories, which the next run or `paperradar enrich arxiv` fills in."""
    span = f"{first}" if first == last else f"{first} → {last}"
    try:
        with console.status(f"Hugging Face {span}…") as status, session.client("huggingface") as client:
            result = sync_days(
                session.engine,
                client,
                first,
                last,
                on_day=lambda day, papers: status.update(f"Hugging Face {day}: {papers} papers"),
                after_batch=session.follower.step,
            )
    except SYNC_ERRORS as exc:
        session.failed(f"Hugging Face {span}", exc)
        return None
    resumed = f" (resumed after {result.resumed_after})" if result.resumed_after else ""
    session.ok(f"Hugging Face {span}{resumed}: {result.papers} papers: {counts_summary(result.counts)}")
    if not categories:
        return None
    return _arxiv_categories(
        session,
        featured_only=True,
        if_failed="the Hugging Face papers are stored; the next sync or "
        "[cyan]paperradar enrich arxiv[/] adds their categories",
    )


def _arxiv_categories(
    session: Session,
    *,
    featured_only: bool = False,
    refresh: bool = False,
    limit: int | None = None,
    skip: Collection[str] = (),
    if_failed: str = "",
) -> EnrichResult | None:
    """Ask the arXiv API, 100 ids a request, for the categories of works that lack them (of all
    works with ``refresh``; of Hugging Face's featured ones with ``featured_only``), and say what
    it did. ``skip``: arXiv ids already asked in this session; ``if_failed``: what to add to a
    failure. ``None`` when there was nothing to ask or it failed."""
    what = "Hugging Face papers" if featured_only else "works"
    label = f"{ARXIV_CATEGORIES} of {what}"
    try:
        todo = arxiv_works_to_enrich(
            session.engine, refresh=refresh, featured_only=featured_only, limit=limit
        )
        todo = [work for work in todo if work[1]["arxiv"] not in skip]
        if not todo:
            console.print(f"[dim]·[/] {label}: every one has them, nothing to ask")
            return None
        with (
            Progress(
                TextColumn("[bold blue]{task.description}"),
                BarColumn(),
                TextColumn("{task.completed:,} of {task.total:,} " + what),
                TimeRemainingColumn(),
                console=err,
                transient=True,
            ) as progress,
            session.client("arxiv_api") as client,
        ):
            task = progress.add_task(label, total=len(todo))
            result = enrich_arxiv(
                session.engine,
                client,
                todo,
                selection=f"{what} refresh={refresh} limit={limit}",
                on_batch=lambda done, total: progress.update(task, completed=done, total=total),
                after_batch=session.follower.step,
            )
    except SYNC_ERRORS as exc:
        session.failed(label, exc)
        if if_failed:
            err.print(f"    {if_failed}")
        return None
    resumed = " (resumed an interrupted run)" if result.resumed else ""
    session.ok(
        f"{label}{resumed}: {result.requested:,} asked, {result.found:,} found, "
        f"{result.not_found:,} unknown there: {counts_summary(result.counts)}"
    )
    for note in result.counts.notes:
        console.print(f"    [yellow]note:[/] {escape(note)}")
    return result


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
    session = Session(ctx)
    chosen = sets or list(session.config.arxiv_sets)
    if not chosen:
        session.close()
        err.print("[red]error:[/] no set to harvest: pass --set cs, or set arxiv.sets in the config")
        raise typer.Exit(2)
    try:
        for set_spec in chosen:
            _arxiv_set(session, set_spec, from_date, until, metadata_prefix)
    finally:
        session.close()
    if not session.successes:
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
    session = Session(ctx)
    label = query or ",".join(ids or [])
    try:
        with console.status(f"arXiv API {label}…") as status, session.client("arxiv_api") as client:
            result = run_query(
                session.engine,
                client,
                search=query,
                ids=ids or (),
                max_results=max_results,
                on_page=lambda done, total: status.update(f"arXiv API {label}: {done:,} of {total or '?'}"),
                after_batch=session.follower.step,
            )
    except SYNC_ERRORS as exc:
        session.failed(f"arXiv API {label}", exc)
        raise typer.Exit(1) from exc
    finally:
        session.close()
    of = f" of {result.total:,}" if result.total is not None else ""
    session.ok(f"arXiv API {escape(label)}: {result.entries:,}{of} entries: {counts_summary(result.counts)}")


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
    session = Session(ctx)
    first, last = _hf_window(session.config, _day(date) or _day(from_day), _day(date) or _day(until_day))
    try:
        _hf_days(session, first, last, categories=categories)
    finally:
        session.close()
    if not session.successes:  # Hugging Face itself failed; an arXiv failure alone costs only categories
        raise typer.Exit(1)


def _hf_window(config: Config, first: dt.date | None, last: dt.date | None) -> tuple[dt.date, dt.date]:
    """The days asked for, or the last ``huggingface.days_back`` days up to today."""
    today = dt.datetime.now(dt.UTC).date()
    return first or today - dt.timedelta(days=config.hf_days_back - 1), last or today


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
    session = Session(ctx)
    sources = session.config.sources
    try:
        if sources["arxiv_oai"].enabled:
            for set_spec in session.config.arxiv_sets:
                _arxiv_set(session, set_spec, None, None, "arXivRaw")
        categories = sources["arxiv_api"].enabled
        unknown: list[str] = []
        if sources["huggingface"].enabled:
            featured = _hf_days(session, *_hf_window(session.config, None, None), categories=categories)
            unknown = featured.unknown if featured is not None else []
        arxiv_failed = any(what.startswith(ARXIV_CATEGORIES) for what in session.failures)
        if categories and not arxiv_failed:  # the rest of the corpus (imports, S2), a slice per run
            _arxiv_categories(session, limit=ENRICH_PER_RUN, skip=set(unknown))
        for source in ("semantic_scholar", "openalex"):  # citations for what is new since last time
            if sources[source].enabled:
                _enrich(session, source, missing_only=True, author=None, limit=ENRICH_PER_RUN)
    finally:
        session.close()
    attempted = len(session.successes) + len(session.failures)
    if attempted == 0:
        console.print(
            "nothing to sync: set arxiv.sets or enable sources in the config (paperradar config init)"
        )
        return
    console.print(f"[bold]{len(session.successes)} of {attempted} syncs done[/]")
    if not session.successes:
        raise typer.Exit(1)
    from paperradar.cli.search import index

    index(ctx, rebuild=False, embed=True, limit=None, follow=False, every=60)


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
    """Add citation counts, references, counts per year and author ids from Semantic Scholar or
    OpenAlex, through their batch endpoints; with --authors, the metrics they report per author
    (S2 hIndex, OpenAlex summary_stats). `arxiv` asks the arXiv API, 100 ids a request, for the
    categories of works known by arXiv id without them (Hugging Face, BibTeX), which `cat:`,
    novelty and the AI Score need. An interrupted run resumes after its last batch.

    Example: [cyan]paperradar enrich s2 --missing-only --limit 5000[/]
    or [cyan]paperradar enrich openalex --authors[/]
    or [cyan]paperradar enrich arxiv --limit 1000[/]
    """
    names = {"s2": "semantic_scholar", "semantic_scholar": "semantic_scholar", "openalex": "openalex"}
    if service not in (*names, "arxiv"):
        raise typer.BadParameter(f"{service!r}: choose s2 or openalex (citations), or arxiv (categories)")
    if service == "arxiv" and (author is not None or authors):
        raise typer.BadParameter("--author and --authors are for s2 and openalex, not arxiv")
    if service != "arxiv" and refresh:
        raise typer.BadParameter(
            "--all is for arxiv: s2 and openalex ask about every work unless --missing-only"
        )
    session = Session(ctx)
    try:
        if service == "arxiv":
            _arxiv_categories(session, refresh=refresh, limit=limit)
        else:
            _enrich(
                session,
                names[service],
                missing_only=missing_only,
                limit=limit,
                author=author,
                authors=authors,
            )
    finally:
        session.close()
    if session.failures:
        raise typer.Exit(1)


def _enrich(
    session: Session,
    source: str,
    *,
    missing_only: bool,
    limit: int | None,
    author: str | None = None,
    authors: bool = False,
) -> None:
    """Enrich works (or, with ``authors``, authors) from S2 or OpenAlex and say what it did."""
    label = SOURCE_LABELS[source]
    what = "authors" if authors else "works"
    try:
        if authors:
            todo = authors_to_enrich(session.engine, source, missing_only=missing_only, limit=limit)
            run = partial(enrich_s2_authors if source == "semantic_scholar" else enrich_openalex_authors)
        else:
            todo = works_to_enrich(
                session.engine, source, missing_only=missing_only, author=author, limit=limit
            )
            run = partial(
                enrich_s2 if source == "semantic_scholar" else enrich_openalex,
                after_batch=session.follower.step,
            )
        with (
            console.status(f"{label}: {len(todo):,} {what} to look up…") as status,
            session.client(source) as client,
        ):
            result = run(
                session.engine,
                client,
                todo,
                selection=f"{what} missing_only={missing_only} author={author} limit={limit}",
                on_batch=lambda done, total: status.update(f"{label}: {done:,} of {total:,} {what}"),
            )
    except SYNC_ERRORS as exc:
        session.failed(f"{label} {what}", exc)
        return
    resumed = " (resumed an interrupted run)" if result.resumed else ""
    asked = f"{result.requested:,}{' authors' if authors else ''} asked, {result.found:,} found"
    stored = f"{result.counts.authors:,} author reports stored" if authors else counts_summary(result.counts)
    session.ok(f"{label}{resumed}: {asked}, {result.not_found:,} unknown there: {stored}")
    for note in result.counts.notes:
        console.print(f"    [yellow]note:[/] {escape(note)}")


def _load_config() -> Config:
    try:
        return load_config(config_path())
    except ConfigError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc


config_app = typer.Typer(help="Show or create the configuration file (sources, keys, contact email).")
app.add_typer(config_app, name="config")


@config_app.command("show")
def config_show() -> None:
    """Print the configuration in effect (file, then environment), API keys masked.

    Example: [cyan]paperradar config show[/]
    """
    path = config_path()
    try:
        console.print(describe_config(load_config(path), path), markup=False, highlight=False)
    except ConfigError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc


@config_app.command("init")
def config_init(
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented config.toml with every setting and its default.

    Example: [cyan]paperradar config init[/], then edit the file it names.
    """
    try:
        written = init_config(config_path(), force=force)
    except ConfigError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    console.print(f"wrote {written}; edit it, then check it with [cyan]paperradar config show[/]")

"""Keeping the radar fresh: `paperradar sync …` and `paperradar config …`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from paperradar.cli.app import app, console, counts_summary, err, store_engine
from paperradar.config import Config, ConfigError, config_path, init_config, load_config
from paperradar.config import describe as describe_config
from paperradar.records import UnreadableInput
from paperradar.search.lexical import LexicalIndex, index_dir
from paperradar.sources.http import UpstreamError
from paperradar.sync import fetcher
from paperradar.sync.arxiv_api import run_query
from paperradar.sync.arxiv_oai import harvest
from paperradar.sync.hf_papers import sync_days

sync_app = typer.Typer(help="Fetch new and changed papers from the upstream services.")
app.add_typer(sync_app, name="sync")


def _day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date like 2026-11-23") from exc


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
    config = _load_config()
    chosen = sets or list(config.arxiv_sets)
    if not chosen:
        err.print("[red]error:[/] no set to harvest: pass --set cs, or set arxiv.sets in the config")
        raise typer.Exit(2)
    engine = store_engine(ctx)
    follower = LexicalIndex(index_dir(engine)).follow(engine)
    failed = 0
    with Progress(
        TextColumn("[bold blue]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} records"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as progress:
        for set_spec in chosen:
            task = progress.add_task(f"arXiv {set_spec}", total=None)

            def on_page(_pages: int, records: int, size: int | None, task: Any = task) -> None:
                progress.update(task, completed=records, total=size)

            def on_event(message: str) -> None:
                progress.console.print(f"[yellow]{escape(message)}[/]")

            try:
                with fetcher(config, "arxiv_oai", on_event) as client:
                    result = harvest(
                        engine,
                        client,
                        set_spec,
                        from_date=_day(from_day),
                        until=_day(until_day),
                        metadata_prefix=metadata_prefix,
                        on_page=on_page,
                        after_batch=follower.step,
                    )
            except (UpstreamError, UnreadableInput) as exc:
                failed += 1
                err.print(f"[red]✗[/] arXiv {escape(set_spec)}: {escape(str(exc))}")
                continue
            finally:
                progress.remove_task(task)
            resumed = " (resumed an interrupted harvest)" if result.resumed else ""
            window = f"{result.window[0] or 'the beginning'} → {result.window[1]}"
            console.print(
                f"[green]✓[/] arXiv {escape(set_spec)} {window}{resumed}: {result.pages} pages, "
                f"{result.records:,} records: {counts_summary(result.counts)}"
            )
    follower.close()
    if failed == len(chosen):
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
    config = _load_config()
    engine = store_engine(ctx)
    follower = LexicalIndex(index_dir(engine)).follow(engine)
    label = query or ",".join(ids or [])
    try:
        with (
            console.status(f"arXiv API {label}…") as status,
            fetcher(
                config, "arxiv_api", lambda message: err.print(f"[yellow]{escape(message)}[/]")
            ) as client,
        ):
            result = run_query(
                engine,
                client,
                search=query,
                ids=ids or (),
                max_results=max_results,
                on_page=lambda done, total: status.update(f"arXiv API {label}: {done:,} of {total or '?'}"),
                after_batch=follower.step,
            )
    except (UpstreamError, UnreadableInput, ValueError) as exc:
        err.print(f"[red]✗[/] arXiv API {escape(label)}: {escape(str(exc))}")
        raise typer.Exit(1) from exc
    finally:
        follower.close()
    of = f" of {result.total:,}" if result.total is not None else ""
    summary = counts_summary(result.counts)
    console.print(f"[green]✓[/] arXiv API {escape(label)}: {result.entries:,}{of} entries: {summary}")


@sync_app.command("hf")
def sync_hf(
    ctx: typer.Context,
    date: Annotated[str | None, typer.Option("--date", help="One day, e.g. 2026-06-12.")] = None,
    from_day: Annotated[str | None, typer.Option("--from", help="First day of a range.")] = None,
    until_day: Annotated[
        str | None, typer.Option("--until", help="Last day of a range (default: today).")
    ] = None,
) -> None:
    """Fetch Hugging Face daily papers (featured day, upvotes, submitter, organisation, code) by day.

    Without dates: the last `huggingface.days_back` days of the config. Syncing a day again
    refreshes its upvotes.

    Example: [cyan]paperradar sync hf --from 2026-06-08 --until 2026-06-12[/]
    """
    config = _load_config()
    today = dt.datetime.now(dt.UTC).date()
    if date is not None and (from_day or until_day):
        raise typer.BadParameter("give either --date or --from/--until")
    first = _day(date) or _day(from_day) or today - dt.timedelta(days=config.hf_days_back - 1)
    last = _day(date) or _day(until_day) or today
    engine = store_engine(ctx)
    follower = LexicalIndex(index_dir(engine)).follow(engine)
    span = f"{first}" if first == last else f"{first} → {last}"
    try:
        with (
            console.status(f"Hugging Face {span}…") as status,
            fetcher(
                config, "huggingface", lambda message: err.print(f"[yellow]{escape(message)}[/]")
            ) as client,
        ):

            def on_day(day: dt.date, papers: int) -> None:
                status.update(f"Hugging Face {day}: {papers} papers")

            result = sync_days(engine, client, first, last, on_day=on_day, after_batch=follower.step)
    except (UpstreamError, UnreadableInput, ValueError) as exc:
        err.print(f"[red]✗[/] Hugging Face {span}: {escape(str(exc))}")
        raise typer.Exit(1) from exc
    finally:
        follower.close()
    resumed = f" (resumed after {result.resumed_after})" if result.resumed_after else ""
    summary = counts_summary(result.counts)
    console.print(f"[green]✓[/] Hugging Face {span}{resumed}: {result.papers} papers: {summary}")


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

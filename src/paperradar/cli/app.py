"""The ``paperradar`` command's shared parts: the Typer app, consoles, the store it opens."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from paperradar import __version__
from paperradar.analysis.novelty import NoveltyResult
from paperradar.ingest import FileResult
from paperradar.records import UnreadableInput
from paperradar.services.context import AppContext
from paperradar.services.errors import ServiceError
from paperradar.services.profiles import MetricsRefresh, Profiles
from paperradar.store.database import ENV_DB
from paperradar.store.writer import Counts
from paperradar.text import plural

app = typer.Typer(
    help="paperradar: your own research radar over arXiv, Hugging Face, OpenAlex and Semantic Scholar.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_show_locals=False,
)
SAMPLE = Path(__file__).parent.parent / "data" / "sample"
console = Console(soft_wrap=True)  # long paths and titles stay on one line when piped
err = Console(stderr=True, soft_wrap=True)


def context_of(ctx: typer.Context) -> AppContext:
    """The services' context for this run: the store of ``--db``, opened once; the config read
    at its first use; waits and retries of the HTTP clients printed on stderr."""
    state: dict[str, Any] = ctx.ensure_object(dict)
    if "context" not in state:
        state["context"] = AppContext.open(
            state.get("db"), on_event=lambda message: err.print(f"[yellow]{escape(message)}[/]")
        )
    context: AppContext = state["context"]
    return context


def _version(value: bool) -> None:
    if value:
        console.print(f"paperradar {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar=ENV_DB,
            help="Database URL or SQLite file path (default: a SQLite file in your user data folder).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """[bold]paperradar[/]: one local corpus for papers, authors, citations and community signals.

    Example: [cyan]paperradar demo --no-serve[/], then [cyan]paperradar show 2104.12255[/]
    """
    ctx.ensure_object(dict)["db"] = db


AsJson = Annotated[bool, typer.Option("--json", help="Print as JSON.")]
"""The ``--json`` switch of a command whose JSON needs no more words."""


def switch(flags: str, what: str) -> Any:
    """An on/off option in one line: ``serve: Annotated[bool, switch("--serve/--no-serve", "…")] = True``."""
    return typer.Option(flags, help=what)


def exit_with_error(message: str, code: int = 1) -> NoReturn:
    """Say ``error: …`` on stderr and exit with ``code`` (2: the command was asked wrongly)."""
    err.print(f"[red]error:[/] {escape(message)}")
    raise typer.Exit(code)


@contextmanager
def misused(*errors: type[Exception]) -> Iterator[None]:
    """Like :func:`refused`, for a command asked for what cannot be (nothing to import, no set to
    harvest): ``error: …`` and exit 2. Put it inside ``refused``, which would exit 1."""
    try:
        yield
    except errors as exc:
        exit_with_error(str(exc), 2)


def progress_bar() -> Progress:
    """The progress bar of long commands (on stderr, gone when done)."""
    return Progress(
        TextColumn("[bold blue]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


@contextmanager
def refused(*errors: type[Exception]) -> Iterator[None]:
    """Turn an expected refusal (an unknown author, a taken handle…) into ``error: …`` and exit 1.

    Put it outside ``writing(...)``: the transaction rolls back first, so nothing half-done stays.
    A service's refusal (:class:`~paperradar.services.errors.ServiceError`) is always one.
    """
    caught: tuple[type[Exception], ...] = (ServiceError, *errors)
    try:
        yield
    except caught as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc


def print_json(data: Any) -> None:
    console.print_json(json.dumps(data, default=str, ensure_ascii=False))


def file_summary(result: FileResult) -> str:
    return counts_summary(result.counts)


_OPTIONAL_COUNTS = (
    ("updated", "updated"),
    ("unchanged", "unchanged"),
    ("authors", "author records"),
    ("organisations", "organisations"),
    ("citations", "citation edges"),
    ("skipped", "skipped"),
    ("id_conflicts", "kept a second weak id"),
)


def counts_summary(c: Counts) -> str:
    """``12 new · 3 merged · … · 0 quarantined``: the counts that are not zero, and always those three."""
    parts = [f"{c.new} new", f"{c.merged} merged"]
    parts += [f"{n} {label}" for name, label in _OPTIONAL_COUNTS if (n := getattr(c, name))]
    parts.append(f"[{'red' if c.quarantined else 'green'}]{c.quarantined} quarantined[/]")
    return " · ".join(parts)


def refresh_with_progress(context: AppContext, *, full: bool, novelty: bool) -> MetricsRefresh:
    """``metrics refresh`` under its progress bar: paper novelty, then the authors' figures."""
    with progress_bar() as progress:
        stages: dict[str, TaskID] = {}  # one bar per stage, so no stage shows another's total

        def advance(what: str, count: int, total: int | None) -> None:
            if what not in stages:
                for earlier in stages.values():
                    progress.update(earlier, visible=False)
                stages[what] = progress.add_task(what, total=total)
            progress.update(stages[what], completed=count, total=total)

        return Profiles(context).refresh_metrics(full, novelty, advance)


def print_metrics_refresh(done: MetricsRefresh) -> None:
    """What ``metrics refresh`` did, in two lines: paper novelty, then the authors recomputed."""
    nv = done.novelty
    if isinstance(nv, NoveltyResult):
        console.print(
            f"novelty: {plural(nv.computed, 'paper')} scored "
            f"({nv.without_predecessor:,} with no earlier work "
            f"to compare with, {nv.skipped:,} without a category or date)"
        )
    elif nv:
        console.print(f"novelty: {nv}")
    authors = done.authors
    kind = "every author" if authors.full else "authors touched since the last run"
    console.print(
        f"metrics: {plural(authors.authors, 'author')} recomputed ({kind}) "
        f"in {sum(authors.seconds.values()):.1f} s; "
        f"{plural(authors.distributions, 'peer distribution')}"
    )


def run() -> None:  # pragma: no cover - console entry point
    try:
        app()
    except UnreadableInput as exc:
        err.print(f"[red]error:[/] {exc}")
        raise SystemExit(1) from exc

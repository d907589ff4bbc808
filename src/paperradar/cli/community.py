"""Daily papers and community commands: the day's feed, trending, upvotes and submissions."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.markup import escape

from paperradar.analysis.daily import WINDOWS, FeedItem, Window
from paperradar.cli.app import AsJson, app, console, context_of, err, exit_with_error, print_json, refused
from paperradar.config import ConfigError
from paperradar.services.community import ENV_LOCAL, Accounts, Community, FirstRun
from paperradar.services.context import AppContext
from paperradar.services.feed import DEFAULT_WINDOW, Feed, organisation_data
from paperradar.services.submissions import Submissions
from paperradar.store import accounts
from paperradar.store.database import ENV_DB
from paperradar.text import plural, printable


def _user(value: str | None) -> str:
    return value or accounts.local_user()


UserOption = Annotated[
    str | None,
    typer.Option(
        "--user", help=f"Who votes or submits (default: ${accounts.ENV_USER}, else your login name)."
    ),
]


def _date(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        exit_with_error(f"{text!r} is not a date (YYYY-MM-DD)", 2)


def _print_item(item: FeedItem, abstracts: bool) -> None:
    card = item.card
    head = " · ".join(x for x in (card.tag, card.date) if x)
    code = "  [green]Code[/]" if card.has_code else ""
    console.print(f"\n[bold]{escape(printable(card.title, newlines=False))}[/]", highlight=False)
    if abstracts and card.abstract:
        abstract = textwrap.shorten(printable(card.abstract), 300, placeholder=" …")
        console.print(f"[dim]{escape(abstract)}[/]", highlight=False)
    who = f"[magenta]{escape(printable(item.organisation))}[/]" if item.organisation else None
    if who is None and card.n_authors:
        who = plural(card.n_authors, "author")
    votes = f"▲ {item.upvotes}" + (
        f" [dim]({item.hf_upvotes} HF + {item.local_votes} here)[/]" if item.local_votes else ""
    )
    parts = [p for p in (who, escape(head) if head else None, votes) if p]
    console.print(" · ".join(parts) + code + f"  [dim]{escape(item.why)}[/]", highlight=False)


@app.command()
def daily(
    ctx: typer.Context,
    day: Annotated[
        str | None, typer.Argument(metavar="[DATE]", help="The day, YYYY-MM-DD (default: today).")
    ] = None,
    week: Annotated[bool, typer.Option("--week", help="The seven days ending on DATE.")] = False,
    month: Annotated[bool, typer.Option("--month", help="The calendar month of DATE.")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, help="Items to print (0: all).")] = 30,
    abstracts: Annotated[
        bool, typer.Option("--abstracts/--no-abstracts", help="Print the abstracts.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Every item as JSON.")] = False,
) -> None:
    """The papers of a day (or week, or month): featured on Hugging Face, submitted here, or announced
    on arXiv; most upvoted first. Upvotes are Hugging Face's plus local votes.

    Example: [cyan]paperradar daily 2026-06-12[/]   [cyan]paperradar daily 2026-06-12 --week[/]
    """
    with refused():
        found = Feed(context_of(ctx)).daily(_date(day), "week" if week else "month" if month else "day")
    first, last, items = found.first, found.last, found.items
    shown = items[:limit] if limit else items
    if as_json:
        print_json({"first": first, "last": last, "total": len(items), "items": [i.as_dict() for i in shown]})
        return
    span = f"{first:%a %b %-d, %Y}" if first == last else f"{first:%b %-d} – {last:%b %-d, %Y}"
    console.print(f"[bold]Daily papers · {span}[/]  [dim]{plural(len(items), 'paper')}[/]")
    console.print(
        "[dim]Get trending papers in your email inbox: "
        "paperradar digest subscribe daily-trending --email you@example.org[/]"
    )
    previous, following = first - dt.timedelta(days=1), last + dt.timedelta(days=1)
    console.print(f"[dim]← paperradar daily {previous}   ·   paperradar daily {following} →[/]")
    for item in shown:
        _print_item(item, abstracts)
    if limit and len(items) > limit:
        console.print(f"\n[dim]… and {len(items) - limit:,} more (-n 0 shows all)[/]")


@app.command("trending")
def trending_command(
    ctx: typer.Context,
    window: Annotated[str, typer.Option(help="day, week or month: the votes counted.")] = DEFAULT_WINDOW,
    at: Annotated[
        str | None,
        typer.Option("--at", help="As of this day's end, YYYY-MM-DD (default: as the web app shows it)."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON, with each score.")] = False,
) -> None:
    """Papers by upvotes that fade with a 24-hour half-life: score = Σ 0.5^(age in hours / 24).

    Example: [cyan]paperradar trending --window week[/]   [cyan]paperradar trending --at 2026-06-12[/]
    """
    if window not in WINDOWS:
        exit_with_error(f"--window must be day, week or month, not {window!r}", 2)
    moment = dt.datetime.combine(_date(at), dt.time(23, 59, 59), dt.UTC) if at else None
    chosen: Window = window  # type: ignore[assignment]
    shown = Feed(context_of(ctx)).trending_now(chosen, limit, moment)  # one "as of" with the web app
    now, found = shown.as_of, shown.items
    if as_json:
        print_json(
            {
                "window": window,
                "as_of": now,
                "items": [
                    {
                        **f.card.as_dict(),
                        "score": round(f.score, 4),
                        "upvotes_huggingface": f.hf_upvotes,
                        "upvotes_local": f.local_votes,
                        "latest_vote": f.latest_vote,
                    }
                    for f in found
                ],
            }
        )
        return
    console.print(f"[bold]Trending · past {window} to {now:%Y-%m-%d %H:%M} UTC[/]")
    if not found:
        console.print(f"no upvotes in the {window} before {now:%Y-%m-%d} (try --window month, or --at DATE)")
    for i, f in enumerate(found, start=1):
        votes = f.hf_upvotes + f.local_votes
        console.print(
            f"{i:>2}. [bold]{escape(printable(f.card.title, newlines=False))}[/] "
            f"[dim]{f.score:.2f} · ▲ {votes}[/]",
            highlight=False,
        )


@app.command()
def upvote(
    ctx: typer.Context,
    ident: Annotated[str, typer.Argument(metavar="ID", help="arXiv id, DOI or internal id.")],
    undo: Annotated[bool, typer.Option("--undo", help="Take your vote back.")] = False,
    user: UserOption = None,
) -> None:
    """Upvote a paper: one vote per user, shown on top of Hugging Face's count.

    Example: [cyan]paperradar upvote 2606.00467[/]   [cyan]paperradar upvote 2606.00467 --undo[/]
    """
    voter = _user(user)
    with refused():
        marked = Submissions(context_of(ctx)).mark(ident, voter, "vote", undo)
    changed, total = marked.changed, marked.local_votes
    if undo:
        console.print(f"vote {'taken back' if changed else 'was not there'}; {plural(total, 'local vote')}")
    else:
        console.print(
            f"{'upvoted' if changed else 'already upvoted'} as {voter}; {plural(total, 'local vote')}"
        )


@app.command()
def submit(
    ctx: typer.Context,
    ident: Annotated[
        str, typer.Argument(metavar="ID", help="arXiv id or URL (or a DOI of a paper in the store).")
    ],
    day: Annotated[str | None, typer.Option("--day", help="The feed day (default: today).")] = None,
    fetch: Annotated[
        bool, typer.Option("--fetch/--no-fetch", help="Fetch a paper the store lacks from the arXiv API.")
    ] = True,
    user: UserOption = None,
) -> None:
    """Put a paper on a day's feed (the first submission of a paper counts). A paper the store does
    not have yet is fetched from arXiv first.

    Example: [cyan]paperradar submit https://arxiv.org/abs/2606.00467[/]
    """
    submitter, on_day = _user(user), _date(day)
    with refused(), console.status(f"submitting {ident}…"):
        done = Submissions(context_of(ctx)).submit(ident, submitter, on_day, fetch)
    first, on = done.submitter, done.day
    if first == submitter:
        console.print(f"on the feed of {on} (submitted by {first})")
    else:
        console.print(f"already submitted by {first} for {on}")


org_app = typer.Typer(
    no_args_is_help=True,
    help="Organisations: a lab or reading group with members and the papers they tag.\n\n"
    "Example: [cyan]paperradar org create apple-ml --name 'Apple Machine Learning Research'[/]",
)
app.add_typer(org_app, name="org")


@org_app.command("create")
def org_create(
    ctx: typer.Context,
    handle: Annotated[str, typer.Argument(help="Short handle, e.g. apple-ml.")],
    name: Annotated[str, typer.Option("--name", help="The full name.")],
    user: UserOption = None,
) -> None:
    """Create an organisation; you become its admin.

    Example: [cyan]paperradar org create apple-ml --name 'Apple Machine Learning Research'[/]
    """
    with refused():
        Community(context_of(ctx)).create(handle, name, _user(user))
    console.print(f"organisation {handle} created, admin {_user(user)}")


@org_app.command("add-member")
def org_add_member(
    ctx: typer.Context,
    handle: Annotated[str, typer.Argument(help="The organisation.")],
    member: Annotated[str, typer.Argument(help="The user to add.")],
) -> None:
    """Add a member to an organisation.

    Example: [cyan]paperradar org add-member apple-ml ada[/]
    """
    with refused():
        added = Community(context_of(ctx)).add_member(handle, member)
    console.print(f"{member} {'added to' if added else 'is already in'} {handle}")


@org_app.command("tag")
def org_tag(
    ctx: typer.Context,
    handle: Annotated[str, typer.Argument(help="The organisation.")],
    ident: Annotated[str, typer.Argument(metavar="ID", help="arXiv id, DOI or internal id.")],
    user: UserOption = None,
) -> None:
    """Tag a paper to an organisation (members only).

    Example: [cyan]paperradar org tag apple-ml 2310.17722[/]
    """
    with refused():
        added = Community(context_of(ctx)).tag(handle, ident, _user(user))
    console.print(f"{ident} {'tagged to' if added else 'was already tagged to'} {handle}")


@org_app.command("show")
def org_show(
    ctx: typer.Context,
    handle: Annotated[str, typer.Argument(help="The organisation (local or Hugging Face handle).")],
    as_json: AsJson = False,
) -> None:
    """An organisation's page: its members and papers, newest first.

    Example: [cyan]paperradar org show CohereLabs[/]
    """
    with refused():
        page = Feed(context_of(ctx)).organisation(handle)
    if as_json:
        print_json(organisation_data(page))
        return
    console.print(
        f"[bold]{escape(printable(page.name))}[/] [magenta]{escape(printable(page.handle))}[/]  "
        f"[dim]{page.source}[/]"
    )
    if page.members:
        console.print("Members: " + escape(", ".join(f"{u} ({r})" for u, r in page.members)))
    console.print(f"[bold]{plural(len(page.papers), 'Paper')}[/]")
    for item in page.papers:
        _print_item(item, abstracts=False)


@app.command()
def serve(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="The store to serve (as `paperradar --db`, which it overrides).", show_default=False
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8000,
    digests: Annotated[
        int,
        typer.Option(
            "--digests",
            metavar="MINUTES",
            min=0,
            help="Also send the due email digests now and every MINUTES (0: not; cron works too).",
        ),
    ] = 0,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes (each opens the store on its own).")
    ] = 1,
) -> None:
    """Serve the web app and its JSON API (/api/v1, documented at /docs).

    On a loopback address with no accounts it acts as you, with no sign-in; on any other address,
    or once `paperradar user add` made an account, everyone signs in. An empty store says how to
    get papers into it.

    Example: [cyan]paperradar serve --port 8000[/]   [cyan]paperradar serve --host 0.0.0.0 --digests 15[/]
    """
    if db is not None:
        state = ctx.ensure_object(dict)
        state["db"] = db
        state.pop("context", None)
    context = context_of(ctx)
    if not digests:
        serve_app(context, host, port, workers)
        return
    from paperradar.cli.digest import digest_schedule

    with digest_schedule(context, digests):
        serve_app(context, host, port, workers)


def serve_app(context: AppContext, host: str, port: int, workers: int = 1) -> None:
    """Run the web app under uvicorn until Ctrl-C, saying who it acts as. Each process builds the
    app from the environment (the store's URL, whether it listens on loopback only): the command
    only names the app, and an app could not be handed to another worker process anyway."""
    import uvicorn

    local = is_loopback(host)
    with refused(ConfigError):  # X-Forwarded-For and -Proto are believed from these proxies only
        proxies = [str(network) for network in context.config.trusted_proxies]
    has_users = Accounts(context).server_starting()
    shown = f"[{host}]" if ":" in host else host
    console.print(f"paperradar on [bold]http://{shown}:{port}/[/] (Ctrl-C stops)")
    if local and not has_users:
        console.print(f"no accounts: acting as {accounts.local_user()}, no sign-in (localhost only)")
    elif not has_users:
        err.print(
            "[yellow]no accounts yet[/]: nobody can sign in; add one: [cyan]paperradar user add NAME[/]"
        )
    _print_first_steps(context)
    url = context.engine.url.render_as_string(hide_password=False)
    with _environment({ENV_DB: url, ENV_LOCAL: "1" if local else "0"}):
        uvicorn.run(
            "paperradar.web.app:app_from_env",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level="warning",
            timeout_worker_healthcheck=30,
            proxy_headers=bool(proxies),
            forwarded_allow_ips=proxies,
        )


def _print_first_steps(context: AppContext) -> None:
    """On an empty store, the ways to get papers, as commands to copy (the home page shows them too)."""
    first = FirstRun(context)
    if not first.empty():
        return
    console.print(
        "[yellow]this store has no papers yet[/]; any of these brings some in (then reload the page):"
    )
    for step in first.steps():
        console.print(f"  {escape(step.what)}:\n    [cyan]{escape(step.command)}[/]", highlight=False)


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` in the environment while the block runs (worker processes inherit them)."""
    before = {name: os.environ.get(name) for name in values}
    os.environ |= values
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach ``host`` (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False

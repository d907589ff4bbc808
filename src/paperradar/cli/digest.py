"""``paperradar digest``: email digests (trending, personal, an author, a saved search), sent once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.markup import escape

from paperradar.cli.app import app, console, context_of, err, print_json, progress_bar, refused
from paperradar.digest.send import (
    ALREADY,
    BUSY,
    EMPTY,
    FAILED,
    GAVE_UP,
    NOT_TRIED,
    SENT,
    WOULD_SEND,
    Outcome,
    RunReport,
)
from paperradar.services.context import AppContext
from paperradar.services.digests import Digests, Entry, NoMailServer, Sending
from paperradar.store import accounts
from paperradar.store import subscriptions as subs
from paperradar.store.subscriptions import SubscriptionError
from paperradar.text import one_line, plural

CRON = "15 6 * * *  paperradar digest send"
digest_app = typer.Typer(
    no_args_is_help=True,
    help="Email digests: daily or weekly trending, personal recommendations, an author's new papers, "
    "a saved search. Each goes out once per subscription and period, however often `send` runs, with a "
    "one-click unsubscribe link. Run `send` from cron, or let `paperradar serve --digests` run it.\n\n"
    "Example: [cyan]paperradar digest subscribe daily-trending --email ada@example.org[/]   "
    f"cron: [cyan]{CRON}[/]",
)
app.add_typer(digest_app, name="digest")

SendPeriod = Annotated[
    str | None, typer.Option("--period", help="Only daily or only weekly digests (default: both).")
]
DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Compose and render every due digest; send and record nothing.")
]
At = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="Send the periods containing this day, YYYY-MM-DD (default: yesterday's daily digest and "
        "last week's weekly one).",
    ),
]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="A line for every digest.")]
ListUser = Annotated[str | None, typer.Option("--user", help="Only this user's (default: everyone's).")]
ShowAll = Annotated[bool, typer.Option("--all", help="Unsubscribed ones too.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print as JSON, with each one's send log.")]


def _day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        err.print(f"[red]error:[/] {text!r} is not a date (YYYY-MM-DD)")
        raise typer.Exit(2) from None


def _period_option(value: str | None) -> str | None:
    if value is not None and value not in subs.PERIODS:
        err.print(f"[red]error:[/] --period must be daily or weekly, not {value!r}")
        raise typer.Exit(2)
    return value


_STYLE = {
    SENT: "green",
    WOULD_SEND: "green",
    FAILED: "red",
    NOT_TRIED: "red",
    GAVE_UP: "red",
    EMPTY: "dim",
    ALREADY: "dim",
    BUSY: "yellow",
}


def _line(o: Outcome) -> str:
    """One digest's outcome on one line (stored values with line breaks in them too)."""
    sub = o.job.subscription
    style = _STYLE.get(o.status, "")
    papers = f" · {plural(o.papers, 'paper')}" if o.papers else ""
    what, to, detail = (escape(one_line(x, 500)) for x in (sub.describe(), sub.email, o.detail))
    return f"[{style}]{o.status:>11}[/] #{sub.id} {what} · {o.job.period.key} · {to}{papers} [dim]{detail}[/]"


@digest_app.command("send")
def send_command(
    ctx: typer.Context,
    period: SendPeriod = None,
    dry_run: DryRun = False,
    at: At = None,
    verbose: Verbose = False,
) -> None:
    """Send the due digests over SMTP (the smtp section of the config file). Each subscription gets
    one email per period: a repeated run sends nothing again, digests the server refused (or a
    crashed run left unfinished) are retried by the next run, and empty digests are not sent.

    Safe to run as often as you like, e.g. from cron: [cyan]15 6 * * * paperradar digest send[/]

    Example: [cyan]paperradar digest send --dry-run[/]
    [cyan]paperradar digest send --period daily --at 2026-06-12[/]
    """
    chosen, day = _period_option(period), _day(at)
    digests = Digests(context_of(ctx))
    with refused(), progress_bar() as progress:
        task = progress.add_task("digests", total=None)

        def planned(n: int) -> None:
            progress.update(task, total=n)

        def done(outcome: Outcome) -> None:
            progress.advance(task)
            if verbose or dry_run or outcome.status in (SENT, FAILED, GAVE_UP):
                progress.console.print(_line(outcome), highlight=False)

        run = digests.preview if dry_run else digests.send
        sending = run(chosen, day, on_outcome=done, on_plan=planned)
    _summary(sending, dry_run)


def _summary(sending: Sending, dry_run: bool) -> None:
    report = sending.report
    counts = report.counts()
    keys = ", ".join(d.key for d in sending.due)
    if not report.outcomes:
        console.print(f"no active subscriptions for {keys} (paperradar digest subscribe …)")
        return
    order = (WOULD_SEND, SENT, FAILED, NOT_TRIED, GAVE_UP, EMPTY, ALREADY, BUSY)
    summary = " · ".join(f"{counts[s]} {s}" for s in order if counts.get(s))
    console.print(f"{'dry run, ' if dry_run else ''}{keys}: {summary}")
    if report.stopped:
        err.print(f"[red]stopped:[/] {escape(report.stopped)}; the rest go out with the next run")
    if counts.get(FAILED):
        err.print(f"[red]{counts[FAILED]} failed[/] (the reasons are above); the next run tries them again")
    if counts.get(FAILED) or report.stopped:
        raise typer.Exit(1)


@digest_app.command("subscribe")
def subscribe_command(
    ctx: typer.Context,
    kind: Annotated[
        str,
        typer.Argument(metavar="KIND", help="daily-trending, weekly-trending, personal, author or search."),
    ],
    target: Annotated[
        str | None,
        typer.Argument(
            metavar="[TARGET]", help="For author: the author (id or name); for search: the query."
        ),
    ] = None,
    email: Annotated[
        str | None, typer.Option("--email", help="Where it goes (default: the user's account email).")
    ] = None,
    user: Annotated[
        str | None,
        typer.Option("--user", help=f"Whose (default: ${accounts.ENV_USER}, else your login name)."),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option("--period", help="daily or weekly (fixed for the trending kinds; default weekly)."),
    ] = None,
) -> None:
    """Subscribe to a digest. Subscribing to the same thing again revives it.

    Made here, by who runs the store, a subscription is confirmed at once, whatever the address (and
    a pending one is confirmed): no confirmation email. On the web, a signed-in user's subscription
    to any address but their account's waits for that address to confirm it (double opt-in).

    Example: [cyan]paperradar digest subscribe weekly-trending --email ada@example.org[/]
    [cyan]paperradar digest subscribe author "Natalie Mackraz" --email ada@example.org[/]
    [cyan]paperradar digest subscribe search 'diffusion cat:cs.CV' --period daily --email ada@example.org[/]
    """
    owner = user or accounts.local_user()
    chosen = _period_option(period)
    if kind == "author" and target and not target.isdigit():
        from paperradar.cli.authors import one_author

        target = str(one_author(ctx, target, as_json=False))
    digests = Digests(context_of(ctx))
    if email is None:
        email = digests.email_of(owner)
        if not email:
            err.print(f"[red]error:[/] no email for {owner}: pass --email you@example.org")
            raise typer.Exit(2)
    with refused(SubscriptionError):
        sub = digests.subscribe(owner, kind, target or "", email, chosen, operator=True).subscription
    console.print(f"subscribed #{sub.id}: {escape(sub.describe())} to {escape(sub.email)} (user {owner})")


@digest_app.command("list")
def list_command(
    ctx: typer.Context, user: ListUser = None, show_all: ShowAll = False, as_json: AsJson = False
) -> None:
    """The subscriptions, with when each was last sent; those awaiting their address's confirmation
    (made on the web) say so, and are not sent until it comes.

    Example: [cyan]paperradar digest list[/]   [cyan]paperradar digest list --user ada --all --json[/]
    """
    found = Digests(context_of(ctx)).listing(user, active=None if show_all else True, sends=True)
    if as_json:
        print_json([_as_json(e) for e in found])
        return
    if not found:
        console.print("no subscriptions (paperradar digest subscribe daily-trending --email you@example.org)")
        return
    for e in found:
        s = e.subscription
        sent = [x for x in e.sends if x.status == "sent"]
        last = f"last sent {sent[-1].period_key}" if sent else "not sent yet"
        state = {"active": "", "pending": " [yellow](awaiting confirmation)[/]"}.get(
            s.state, " [red](unsubscribed)[/]"
        )
        console.print(
            f"[bold]#{s.id}[/] {escape(e.what)} → {escape(s.email)} "
            f"[dim]user {escape(s.owner)} · {last}[/]{state}",
            highlight=False,
        )


def _as_json(entry: Entry) -> dict[str, object]:
    s = entry.subscription
    sends = [x.__dict__ for x in entry.sends]
    return {**s.__dict__, "what": entry.what, "active": s.active, "state": s.state, "sends": sends}


@digest_app.command("unsubscribe")
def unsubscribe_command(
    ctx: typer.Context,
    ident: Annotated[int, typer.Argument(metavar="ID", help="The subscription (see `digest list`).")],
) -> None:
    """End a subscription (it stays listed with --all; subscribing again revives it).

    Example: [cyan]paperradar digest unsubscribe 3[/]
    """
    with refused():
        done = Digests(context_of(ctx)).set_active(ident, False)
    state = "unsubscribed" if done.changed else "was not active"
    console.print(f"#{ident} {escape(done.subscription.describe())}: {state}")


def _said(report: RunReport) -> None:
    counts = report.counts()
    if counts.get(SENT) or counts.get(FAILED) or report.stopped:
        sent, failed = counts.get(SENT, 0), counts.get(FAILED, 0)
        console.print(
            f"digests: {sent} sent, {failed} failed" + (f"; {report.stopped}" if report.stopped else "")
        )


@contextmanager
def digest_schedule(context: AppContext, minutes: int) -> Iterator[None]:
    """For ``paperradar serve --digests MINUTES``: :meth:`Digests.schedule
    <paperradar.services.digests.Digests.schedule>` with its runs reported on the console (no mail
    server configured: exit 2)."""
    digests = Digests(context)
    with refused():
        try:
            running = digests.schedule(minutes, on_report=_said)
        except NoMailServer as exc:
            err.print(f"[red]error:[/] {escape(str(exc))}")
            raise typer.Exit(2) from exc
    console.print(f"sending due email digests every {plural(minutes, 'minute')}")
    with running:
        yield

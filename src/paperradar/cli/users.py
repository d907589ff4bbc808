"""``paperradar user``: accounts for a shared server (a laptop needs none)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape

from paperradar.cli.app import app, console, context_of, print_json, refused
from paperradar.services.community import Accounts
from paperradar.store.accounts import ENV_USER, LocalData

user_app = typer.Typer(
    no_args_is_help=True,
    help="Accounts for the web app. With none, `paperradar serve` on localhost acts as you, with no "
    "sign-in; the first account turns sign-in on.\n\n"
    "Example: [cyan]paperradar user add ada --admin[/]",
)
app.add_typer(user_app, name="user")

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input (for scripts).")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user name (letters, digits, . _ -).")],
    admin: Annotated[bool, typer.Option("--admin", help="May manage users and organisations.")] = False,
    email: Annotated[str | None, typer.Option(help="Where digests go.")] = None,
    password_stdin: PasswordStdin = False,
    adopt_local: Annotated[
        bool | None,
        typer.Option(
            "--adopt-local/--no-adopt-local",
            help="The first account only: take over the library, tags, notes, votes, submissions, "
            f"digests and memberships made with no accounts (as ${ENV_USER}, else your login name), "
            "which nobody acts as once sign-in is on. Default: asked; yes with --password-stdin.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Add an account (asks for its password). The first account is always an admin, and is
    offered the library you made before there were accounts.

    Example: [cyan]paperradar user add ada --admin --email ada@example.org[/]
    """
    users = Accounts(context_of(ctx))
    offer = users.local_offer(name)
    if offer is not None and adopt_local is None:
        adopt_local = password_stdin or _ask_adoption(offer, name)
    password = _password(password_stdin)
    with refused():
        added = users.add(name, password, email=email, admin=admin, adopt_local=bool(adopt_local))
    role = "admin" if added.user.is_admin else "user"
    console.print(f"added {name} ({role})" + (": sign-in is now on in the web app" if added.first else ""))
    local = escape(offer.name) if offer else "the local user"
    if added.adopted is not None:
        console.print(f"{name} took over what {local} made before accounts: {added.adopted.summary()}")
    elif offer is not None and added.first:
        console.print(f"kept under {local} (only an account named so would see it): {offer.summary()}")


def _ask_adoption(offer: LocalData, name: str) -> bool:
    """Ask whether the first account takes over the local user's library (yes, unless told no)."""
    local = escape(offer.name)
    console.print(
        f"Before accounts, this store was {local}'s: {offer.summary()}. Once sign-in is on, "
        f"nobody acts as {local}, so that would be out of reach."
    )
    answer: bool = typer.confirm(f"Give it all to {name}?", default=True)
    return answer


@user_app.command("list")
def user_list(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """The accounts, with their role and last sign-in.

    Example: [cyan]paperradar user list[/]
    """
    users = Accounts(context_of(ctx)).users()
    if as_json:
        print_json([u.__dict__ for u in users])
        return
    if not users:
        console.print("no accounts: the web app on localhost acts as you, with no sign-in")
    for u in users:
        seen = f"{u.last_login_at:%Y-%m-%d %H:%M}" if u.last_login_at else "never signed in"
        console.print(f"{u.name}  {'admin' if u.is_admin else 'user'}  {u.email or '—'}  {seen}")


@user_app.command("password")
def user_password(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a new password; the user's sessions end.

    Example: [cyan]paperradar user password ada[/]
    """
    password = _password(password_stdin)
    with refused():
        Accounts(context_of(ctx)).set_password(name, password)
    console.print(f"new password set for {name}; their sessions have ended")


@user_app.command("admin")
def user_admin(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user.")],
    revoke: Annotated[bool, typer.Option("--revoke", help="Take admin away instead.")] = False,
) -> None:
    """Make a user an admin (or, with --revoke, no longer one).

    Example: [cyan]paperradar user admin ada[/]
    """
    with refused():
        Accounts(context_of(ctx)).set_admin(name, not revoke)
    console.print(f"{name} is {'no longer' if revoke else 'now'} an admin")


@user_app.command("remove")
def user_remove(ctx: typer.Context, name: Annotated[str, typer.Argument(help="The user.")]) -> None:
    """Remove an account and its private data: library, notes, tags, subscriptions, sessions,
    memberships. Their votes stay, no longer under their name.

    Example: [cyan]paperradar user remove ada[/]
    """
    with refused():
        Accounts(context_of(ctx)).remove(name)
    console.print(f"removed {name}")

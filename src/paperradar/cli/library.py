"""``paperradar library``: saved papers with tags, notes and reading status; BibTeX/Zotero in and out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from paperradar.cli.app import app, console, context_of, err, print_json, refused
from paperradar.library_files import IMPORT_FORMATS, LibraryImport
from paperradar.records import UnreadableInput
from paperradar.services.library import Change, Library, Shelf
from paperradar.store import accounts
from paperradar.store.library import LibraryError
from paperradar.text import plural, printable

library_app = typer.Typer(
    no_args_is_help=True,
    help="Your library: saved papers, tags, notes, read or not; import BibTeX or Zotero, export.\n\n"
    "Example: [cyan]paperradar library import my.bib[/]   [cyan]paperradar library list --tag to-read[/]",
)
app.add_typer(library_app, name="library")

UserOption = Annotated[
    str | None,
    typer.Option("--user", help=f"Whose library (default: ${accounts.ENV_USER}, else your login name)."),
]
IdArgument = Annotated[str, typer.Argument(metavar="ID", help="arXiv id, DOI or internal id.")]
TagOption = Annotated[str | None, typer.Option("--tag", "-t", help="Only papers with this tag.")]


def _library(ctx: typer.Context) -> Library:
    return Library(context_of(ctx))


def _owner(user: str | None) -> str:
    return user or accounts.local_user()


@library_app.command("save")
def library_save(
    ctx: typer.Context,
    idents: Annotated[list[str], typer.Argument(metavar="ID...", help="arXiv ids, DOIs or internal ids.")],
    tags: Annotated[list[str] | None, typer.Option("--tag", "-t", help="Tag them (repeatable).")] = None,
    user: UserOption = None,
) -> None:
    """Save papers to your library.

    Example: [cyan]paperradar library save 2606.13392 2606.13681 --tag attention[/]
    """
    with refused(LibraryError):
        saved = _library(ctx).save(_owner(user), idents, tags)
    for ident, new in zip(idents, saved, strict=True):
        console.print(f"{'saved' if new else 'already saved'}: {ident}")


@library_app.command("remove")
def library_remove(ctx: typer.Context, ident: IdArgument, user: UserOption = None) -> None:
    """Take a paper out of your library (its tags and note go with it).

    Example: [cyan]paperradar library remove 2606.13392[/]
    """
    with refused():
        removed = _library(ctx).remove(_owner(user), ident)
    console.print(f"removed {ident}" if removed else f"{ident} was not in your library")


def _change(ctx: typer.Context, user: str | None, ident: str, change: Change) -> list[str]:
    """Make the change; the paper's tags after it."""
    with refused(LibraryError):
        item = _library(ctx).change(_owner(user), ident, change).item
    return sorted(item.tags) if item else []  # in code-point order, as the store's tag() returns them


@library_app.command("tag")
def library_tag(
    ctx: typer.Context,
    ident: IdArgument,
    tags: Annotated[list[str], typer.Argument(metavar="TAG...", help="Tags to add (or remove).")],
    remove: Annotated[bool, typer.Option("--remove", help="Remove these tags instead.")] = False,
    user: UserOption = None,
) -> None:
    """Tag a paper (saving it if needed), or remove tags.

    Example: [cyan]paperradar library tag 2606.13392 attention to-read[/]
    """
    change = Change(remove_tags=tags) if remove else Change(add_tags=tags)
    now = _change(ctx, user, ident, change)
    console.print(f"{ident}: {', '.join(now) if now else 'no tags'}")


@library_app.command("note")
def library_note(
    ctx: typer.Context,
    ident: IdArgument,
    text: Annotated[str, typer.Argument(help='The note ("" clears it).')],
    user: UserOption = None,
) -> None:
    """Keep a note on a paper (saving it if needed).

    Example: [cyan]paperradar library note 2606.13392 "compare with Longformer"[/]
    """
    _change(ctx, user, ident, Change(note=text))
    console.print(f"note {'saved' if text.strip() else 'cleared'} on {ident}")


@library_app.command("read")
def library_read(
    ctx: typer.Context,
    ident: IdArgument,
    unread: Annotated[bool, typer.Option("--unread", help="Mark it unread again.")] = False,
    user: UserOption = None,
) -> None:
    """Mark a paper read (or, with --unread, not yet).

    Example: [cyan]paperradar library read 2606.13392[/]
    """
    _change(ctx, user, ident, Change(read=not unread))
    console.print(f"{ident} marked {'unread' if unread else 'read'}")


@library_app.command("list")
def library_list(
    ctx: typer.Context,
    tag: TagOption = None,
    unread: Annotated[bool, typer.Option("--unread", help="Only papers not read yet.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    user: UserOption = None,
) -> None:
    """Your saved papers, most recently saved first, with tags, notes and reading status.

    Example: [cyan]paperradar library list --tag to-read --unread[/]
    """
    with refused(LibraryError):
        shelf = _library(ctx).shelf(_owner(user), tag, unread)
    if as_json:
        print_json([{**card.as_dict(), **item.__dict__} for card, item in shelf.entries])
    elif not shelf.matched:
        console.print("nothing saved yet" if tag is None and not unread else "no saved paper matches")
    else:
        _print_shelf(shelf)


def _print_shelf(shelf: Shelf) -> None:
    for card, item in shelf.entries:
        state = "[green]read[/]" if item.read_at else "[yellow]unread[/]"
        ident = card.arxiv_id or card.doi or card.work_id
        console.print(f"[bold]{escape(printable(card.title, newlines=False))}[/]  [dim]{ident} · {state}[/]")
        extra = [f"tags: {', '.join(item.tags)}"] if item.tags else []
        if item.note:
            extra.append(f"note: {item.note}")
        lines = [card.byline(), *extra]
        console.print("\n".join(f"  {escape(printable(x))}" for x in lines))
    console.print(
        f"\n{plural(shelf.matched, 'paper')}"
        + (f" · tags: {', '.join(f'{name} ({n})' for name, n in shelf.tags)}" if shelf.tags else "")
    )


@library_app.command("import")
def library_import(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A BibTeX (.bib) or CSL-JSON (Zotero) export.")],
    form: Annotated[
        str | None, typer.Option("--format", help="bibtex or csl-json (default: detected).")
    ] = None,
    user: UserOption = None,
) -> None:
    """Save the papers of a BibTeX or Zotero (CSL-JSON) export that are in the corpus, with their
    tags (keywords) and notes; list the entries that are not, and why. Running it again is harmless.

    Example: [cyan]paperradar library import ~/Zotero/export.json[/]
    """
    if form is not None and form not in IMPORT_FORMATS:
        err.print(f"[red]error:[/] --format is bibtex or csl-json, not {form!r}")
        raise typer.Exit(2)
    with refused(UnreadableInput):
        report = _library(ctx).import_file(_owner(user), path, form)
    _print_import(path, report)


def _print_import(path: Path, report: LibraryImport) -> None:
    console.print(
        f"{path.name} ({report.format}): {report.saved} saved · {report.already} already in your library · "
        f"{len(report.unmatched)} not in the corpus · {len(report.problems)} unreadable"
    )
    for kind, entries in (("not matched", report.unmatched), ("unreadable", report.problems)):
        for entry in entries[:50]:
            title = f" {entry.title!r}" if entry.title else ""
            console.print(
                f"  [yellow]{kind}[/] {escape(entry.location)}{escape(printable(title))}: "
                f"{escape(printable(entry.reason))}"
            )
        if len(entries) > 50:
            console.print(f"  … and {len(entries) - 50} more {kind}")
    if report.unmatched:
        console.print(
            f"add the missing ones to the corpus with [cyan]paperradar import {path}[/], then import again"
        )


@library_app.command("export")
def library_export(
    ctx: typer.Context,
    form: Annotated[str, typer.Option("--format", "-f", help="bibtex or jsonl.")] = "bibtex",
    tag: TagOption = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here (default: stdout).")] = None,
    user: UserOption = None,
) -> None:
    """Export your library as BibTeX (tags as keywords, notes as annote) or JSON lines.

    Example: [cyan]paperradar library export -o radar.bib[/]   [cyan]paperradar library export -f jsonl[/]
    """
    if form not in ("bibtex", "jsonl"):
        err.print(f"[red]error:[/] --format is bibtex or jsonl, not {form!r}")
        raise typer.Exit(2)
    with refused(LibraryError):
        text = _library(ctx).export(_owner(user), "bibtex" if form == "bibtex" else "jsonl", tag)
    if out:
        out.write_text(text, encoding="utf-8")
        err.print(f"wrote {out}")
    else:
        sys.stdout.write(text)

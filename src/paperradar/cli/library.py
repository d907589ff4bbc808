"""``paperradar library``: saved papers with tags, notes and reading status; BibTeX/Zotero in and out."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from paperradar.analysis.cards import cards
from paperradar.cli.app import app, console, err, print_json, refused, store_engine, work_or_exit
from paperradar.library_files import IMPORT_FORMATS, import_file, to_bibtex, to_json_lines
from paperradar.records import UnreadableInput
from paperradar.store import accounts, library
from paperradar.store.database import writing
from paperradar.store.library import LibraryError
from paperradar.text import plural

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
    owner = user or accounts.local_user()
    with refused(LibraryError), writing(store_engine(ctx)) as conn:
        for ident in idents:
            work_id = work_or_exit(conn, ident)
            new = library.save(conn, owner, work_id)
            if tags:
                library.tag(conn, owner, work_id, add=tags)
            console.print(f"{'saved' if new else 'already saved'}: {ident}")


@library_app.command("remove")
def library_remove(ctx: typer.Context, ident: IdArgument, user: UserOption = None) -> None:
    """Take a paper out of your library (its tags and note go with it).

    Example: [cyan]paperradar library remove 2606.13392[/]
    """
    with writing(store_engine(ctx)) as conn:
        removed = library.unsave(conn, user or accounts.local_user(), work_or_exit(conn, ident))
    console.print(f"removed {ident}" if removed else f"{ident} was not in your library")


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
    owner = user or accounts.local_user()
    with refused(LibraryError), writing(store_engine(ctx)) as conn:
        work_id = work_or_exit(conn, ident)
        now = library.tag(conn, owner, work_id, add=[] if remove else tags, remove=tags if remove else [])
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
    with writing(store_engine(ctx)) as conn:
        library.set_note(conn, user or accounts.local_user(), work_or_exit(conn, ident), text)
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
    with writing(store_engine(ctx)) as conn:
        library.mark_read(conn, user or accounts.local_user(), work_or_exit(conn, ident), read=not unread)
    console.print(f"{ident} marked {'unread' if unread else 'read'}")


@library_app.command("list")
def library_list(
    ctx: typer.Context,
    tag: Annotated[str | None, typer.Option("--tag", "-t", help="Only papers with this tag.")] = None,
    unread: Annotated[bool, typer.Option("--unread", help="Only papers not read yet.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    user: UserOption = None,
) -> None:
    """Your saved papers, most recently saved first, with tags, notes and reading status.

    Example: [cyan]paperradar library list --tag to-read --unread[/]
    """
    owner = user or accounts.local_user()
    with refused(LibraryError), store_engine(ctx).connect() as conn:
        found = library.items(conn, owner, tag=tag, unread=True if unread else None)
        shown = cards(conn, [i.work_id for i in found], dt.date.today())
        counts = library.tag_counts(conn, owner)
    if as_json:
        print_json([{**shown[i.work_id].as_dict(), **i.__dict__} for i in found if i.work_id in shown])
        return
    if not found:
        console.print("nothing saved yet" if tag is None and not unread else "no saved paper matches")
        return
    for item in found:
        card = shown.get(item.work_id)
        if card is None:
            continue
        state = "[green]read[/]" if item.read_at else "[yellow]unread[/]"
        ident = card.arxiv_id or card.doi or card.work_id
        console.print(f"[bold]{escape(card.title)}[/]  [dim]{ident} · {state}[/]")
        extra = [f"tags: {', '.join(item.tags)}"] if item.tags else []
        if item.note:
            extra.append(f"note: {item.note}")
        console.print(f"  {escape(card.byline())}" + "".join(f"\n  {escape(x)}" for x in extra))
    console.print(
        f"\n{plural(len(found), 'paper')}"
        + (f" · tags: {', '.join(f'{name} ({n})' for name, n in counts)}" if counts else "")
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
    owner = user or accounts.local_user()
    with refused(UnreadableInput), writing(store_engine(ctx)) as conn:
        report = import_file(conn, owner, path, form)
    console.print(
        f"{path.name} ({report.format}): {report.saved} saved · {report.already} already in your library · "
        f"{len(report.unmatched)} not in the corpus · {len(report.problems)} unreadable"
    )
    for kind, entries in (("not matched", report.unmatched), ("unreadable", report.problems)):
        for entry in entries[:50]:
            title = f" {entry.title!r}" if entry.title else ""
            console.print(
                f"  [yellow]{kind}[/] {escape(entry.location)}{escape(title)}: {escape(entry.reason)}"
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
    tag: Annotated[str | None, typer.Option("--tag", "-t", help="Only papers with this tag.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here (default: stdout).")] = None,
    user: UserOption = None,
) -> None:
    """Export your library as BibTeX (tags as keywords, notes as annote) or JSON lines.

    Example: [cyan]paperradar library export -o radar.bib[/]   [cyan]paperradar library export -f jsonl[/]
    """
    if form not in ("bibtex", "jsonl"):
        err.print(f"[red]error:[/] --format is bibtex or jsonl, not {form!r}")
        raise typer.Exit(2)
    owner = user or accounts.local_user()
    with refused(LibraryError), store_engine(ctx).connect() as conn:
        text = (
            to_bibtex(conn, owner, tag)
            if form == "bibtex"
            else "".join(line + "\n" for line in to_json_lines(conn, owner, tag))
        )
    if out:
        out.write_text(text, encoding="utf-8")
        err.print(f"wrote {out}")
    else:
        sys.stdout.write(text)

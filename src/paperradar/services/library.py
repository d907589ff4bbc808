"""A reader's library as a use case: save, tag, note and read papers; list them; files in and out.

The same for the command line and the web app: each change is one transaction (a refusal, such
as an unknown paper or a bad tag, leaves nothing half-done), and tagging, noting or reading a
paper saves it. Files go through :mod:`paperradar.library_files` (BibTeX and CSL-JSON in, BibTeX
and JSON lines out). A bad tag is refused with :class:`~paperradar.store.library.LibraryError`,
an unreadable file with :class:`~paperradar.records.UnreadableInput`, as the store and the
parsers say them.

Each change is bounded, so that no one request holds the store's write lock for long: a note
holds at most :data:`MAX_NOTE` characters, a change names at most :data:`MAX_TAGS` tags (each new
one at most :data:`MAX_TAG` characters) and a save at most :data:`MAX_SAVE` papers. Past a bound
the request is refused whole with :class:`~paperradar.services.errors.TooMuch`, naming it.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy import Connection

from paperradar.analysis.cards import Card, cards
from paperradar.library_files import LibraryImport, import_file, to_bibtex, to_json_lines
from paperradar.records import UnreadableInput
from paperradar.services.context import AppContext
from paperradar.services.errors import NotFound, ServiceError, TooMuch
from paperradar.store import library, queries
from paperradar.store.library import LibraryItem

ExportFormat = Literal["bibtex", "jsonl"]
MAX_NOTE = 20_000  # characters in a note (a long abstract's worth, ten times over)
MAX_TAGS = 50  # tags one change adds and removes
MAX_TAG = 64  # characters in a new tag
MAX_SAVE = 100  # papers one save names (a library file imports any number)


def work_of(conn: Connection, ident: str) -> int:
    """The work an arXiv id, DOI or internal id names, or :class:`NotFound`."""
    work_id = queries.resolve_work(conn, ident)
    if work_id is None:
        raise NotFound(f"no work {ident!r} in the store (import or sync it first)")
    return work_id


@dataclass(frozen=True)
class Change:
    """A change to one saved paper; what is left empty (or ``None``) stays as it is."""

    add_tags: list[str] = field(default_factory=list)
    remove_tags: list[str] = field(default_factory=list)
    note: str | None = None  # "" clears the note
    read: bool | None = None


def _shown(text: str, width: int = 40) -> str:
    return repr(text if len(text) <= width else text[:width] + "…")


def within_bounds(added: Sequence[str], removed: Sequence[str] = (), note: str | None = None) -> None:
    """Refuse (:class:`TooMuch`) a change past one of the bounds, naming it, before anything is
    written. Only new tags are held to :data:`MAX_TAG`: an older, longer one can still go."""
    if len(added) + len(removed) > MAX_TAGS:
        raise TooMuch(
            f"{len(added) + len(removed)} tags in one change: at most {MAX_TAGS} at once (split the change)"
        )
    for tag in added:
        if len(cleaned := " ".join(tag.split())) > MAX_TAG:
            raise TooMuch(
                f"the tag {_shown(cleaned)} has {len(cleaned):,} characters: a tag has at most {MAX_TAG}"
            )
    if note is not None and len(note.strip()) > MAX_NOTE:
        raise TooMuch(f"the note has {len(note.strip()):,} characters: a note holds at most {MAX_NOTE:,}")


@dataclass(frozen=True)
class Changed:
    work_id: int
    item: LibraryItem | None  # the saved paper after the change


@dataclass(frozen=True)
class Shelf:
    """Saved papers, most recently saved first, each with its card."""

    entries: list[tuple[Card, LibraryItem]]  # those whose work is still in the store
    matched: int  # how many saved papers matched the filters
    tags: list[tuple[str, int]]  # every tag of the library with its count, most used first


class Library:
    """One store's libraries; every method names the owner (a user name)."""

    def __init__(self, context: AppContext) -> None:
        self.context = context

    # ------------------------------------------------------------------ changes
    def save(self, owner: str, idents: list[str], tags: list[str] | None = None) -> list[bool]:
        """Save papers (and tag them); for each, whether it is new to the library."""
        if len(idents) > MAX_SAVE:
            raise TooMuch(
                f"{len(idents)} papers in one save: at most {MAX_SAVE} at once (split them, or "
                "import a BibTeX or CSL-JSON file of them with `paperradar library import`)"
            )
        within_bounds(tags or [])
        saved = []
        with self.context.writing() as conn:
            for ident in idents:
                work_id = work_of(conn, ident)
                saved.append(library.save(conn, owner, work_id))
                if tags:
                    library.tag(conn, owner, work_id, add=tags)
        return saved

    def remove(self, owner: str, ident: str) -> bool:
        """Take a paper out (its tags and note go with it); False when it was not there."""
        with self.context.writing() as conn:
            return library.unsave(conn, owner, work_of(conn, ident))

    def change(self, owner: str, ident: str, change: Change) -> Changed:
        """Tag, untag, note or mark (un)read one paper, saving it if needed."""
        within_bounds(change.add_tags, change.remove_tags, change.note)
        with self.context.writing() as conn:
            work_id = work_of(conn, ident)
            if change.add_tags or change.remove_tags:
                library.tag(conn, owner, work_id, add=change.add_tags, remove=change.remove_tags)
            if change.note is not None:
                library.set_note(conn, owner, work_id, change.note)
            if change.read is not None:
                library.mark_read(conn, owner, work_id, change.read)
            return Changed(work_id, library.item(conn, owner, work_id))

    # ------------------------------------------------------------------ reading
    def shelf(self, owner: str, tag: str | None = None, unread: bool = False) -> Shelf:
        """The saved papers (of one tag, only unread ones), with the library's tag counts."""
        with self.context.reading() as conn:
            found = library.items(conn, owner, tag=tag, unread=True if unread else None)
            shown = cards(conn, [i.work_id for i in found], dt.date.today())
            counts = library.tag_counts(conn, owner)
        return Shelf([(shown[i.work_id], i) for i in found if i.work_id in shown], len(found), counts)

    # ------------------------------------------------------------------ files
    def import_file(self, owner: str, path: Path, form: str | None = None) -> LibraryImport:
        """Save the entries of a BibTeX or CSL-JSON file that are in the corpus; report the rest."""
        with self.context.writing() as conn:
            return import_file(conn, owner, path, form)

    def import_upload(self, owner: str, filename: str, data: bytes) -> LibraryImport:
        """:meth:`import_file` on an uploaded file; a refusal names the file, not where it was kept."""
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / Path(filename).name
            path.write_bytes(data)
            try:
                return self.import_file(owner, path)
            except UnreadableInput as exc:
                raise ServiceError(str(exc).replace(str(path), path.name)) from exc

    def export(self, owner: str, form: ExportFormat, tag: str | None = None) -> str:
        """The library (or one tag) as BibTeX or JSON lines."""
        with self.context.reading() as conn:
            if form == "bibtex":
                return to_bibtex(conn, owner, tag)
            return "".join(f"{line}\n" for line in to_json_lines(conn, owner, tag))

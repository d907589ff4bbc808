"""A library in and out of files: BibTeX and CSL-JSON (Zotero) imports, BibTeX and JSON-lines exports.

Each entry of an import is matched to a work of the corpus by arXiv id, then DOI (and the other
strong ids), then normalised title (with the year, when several works share a title). Matched
entries are saved with their tags (``keywords``) and note; the rest are listed with the reason,
so the user can add them with ``paperradar import FILE`` and import again — which changes
nothing for the entries already in the library.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from sqlalchemy import Connection

from paperradar import records as r
from paperradar.analysis.cards import Card, cards
from paperradar.identity import works as work_identity
from paperradar.records import UnreadableInput
from paperradar.sources import detect, format_by_name
from paperradar.store import library
from paperradar.store import search as store_search

IMPORT_FORMATS = ("bibtex", "csl-json")


@dataclass
class Unmatched:
    location: str  # "entry 'smith2020' (line 12)", "item 3 ('x2')"
    title: str | None
    reason: str


@dataclass
class LibraryImport:
    format: str
    saved: int = 0  # newly saved
    already: int = 0  # in the library before
    tagged: int = 0  # entries that brought tags
    unmatched: list[Unmatched] = field(default_factory=list)
    problems: list[Unmatched] = field(default_factory=list)  # entries that could not be read


def match(conn: Connection, record: r.WorkRecord) -> tuple[int | None, str]:
    """The work a library entry means, and how it was found (or why not)."""
    for scheme, value in work_identity.keys(record):
        found = store_search.works_with_id(conn, scheme, value)
        if scheme != work_identity.TITLE_SCHEME and found:
            return int(found[0]), f"by {scheme}"
        if scheme == work_identity.TITLE_SCHEME and found:
            if len(found) == 1:
                return int(found[0]), "by title"
            year = work_identity.record_year(record)
            same_year = [
                work_id
                for work_id, work_year in library.work_years(conn, found)
                if year and work_year and abs(work_year - year) <= 1
            ]
            if len(same_year) == 1:
                return int(same_year[0]), "by title and year"
            return None, f"{len(found)} works in the corpus have this title"
    if not record.ids and work_identity.title_key(record) is None:
        return None, "no arXiv id or DOI, and the title is too short to match on"
    return None, "not in the corpus (add it with `paperradar import FILE`)"


def import_file(conn: Connection, owner: str, path: Path, format_name: str | None = None) -> LibraryImport:
    """Save every entry of a BibTeX or CSL-JSON file that matches a work; report the others."""
    fmt = format_by_name(format_name) if format_name else detect(path)
    if fmt.name not in IMPORT_FORMATS:
        raise UnreadableInput(f"{path}: a library import reads BibTeX or CSL-JSON, not {fmt.name}")
    report = LibraryImport(fmt.name)
    for item in fmt.parse(path, 0):
        if item.problem is not None:
            report.problems.append(Unmatched(item.location, None, item.problem.reason))
            continue
        record = item.record
        assert isinstance(record, r.WorkRecord)
        work_id, how = match(conn, record)
        if work_id is None:
            report.unmatched.append(Unmatched(item.location, record.title, how))
            continue
        if library.save(conn, owner, work_id, origin=fmt.name):
            report.saved += 1
        else:
            report.already += 1
        keywords = record.extra.get("keywords")
        if isinstance(keywords, list) and keywords:
            library.tag(conn, owner, work_id, add=[str(k) for k in keywords if str(k).strip()])
            report.tagged += 1
        note = record.extra.get("note") or record.extra.get("annote")
        if isinstance(note, str) and note.strip():
            saved = library.item(conn, owner, work_id)
            if saved is None or not saved.note:
                library.set_note(conn, owner, work_id, note)
    return report


# ------------------------------------------------------------------------------ exports
_UNSAFE_KEY = re.compile(r"[^A-Za-z0-9]+")


def _bib_escape(text: str) -> str:
    """Braces balanced and specials escaped, so any title survives a round trip through BibTeX."""
    text = text.replace("\\", r"\textbackslash{}")
    for char in "&%$#_":
        text = text.replace(char, "\\" + char)
    return text.replace("{", r"\{").replace("}", r"\}")


def _key(card: Card, taken: set[str]) -> str:
    first = card.authors[0].split()[-1] if card.authors else "anon"
    year = card.published.year if card.published else ""
    word = next((w for w in re.findall(r"[A-Za-z]{4,}", card.title)), "paper")
    key = _UNSAFE_KEY.sub("", f"{first}{year}{word}".lower()) or f"work{card.work_id}"
    unique, n = key, 1
    while unique in taken:
        n += 1
        unique = f"{key}{chr(ord('a') + n - 2)}" if n <= 27 else f"{key}{n}"
    taken.add(unique)
    return unique


def to_bibtex(conn: Connection, owner: str, tag: str | None = None) -> str:
    """The library (or one tag) as BibTeX: arXiv ids as ``eprint``, tags as ``keywords``."""
    found = library.items(conn, owner, tag=tag)
    shown = cards(conn, [i.work_id for i in found], dt.date.today())
    taken: set[str] = set()
    entries = []
    for item in found:
        card = shown.get(item.work_id)
        if card is None:
            continue
        extra = [("keywords", ", ".join(item.tags)), ("annote", item.note or "")]
        entries.append(bibtex_entry(card, taken, extra))
    return "\n".join(entries)


def bibtex_entry(card: Card, taken: set[str], extra: Sequence[tuple[str, str]] = ()) -> str:
    """One work's BibTeX entry, keyed apart from the keys in ``taken`` (its key is added), with
    the ``extra`` fields that have a value after its own; a paper's page cites with it too."""
    names = card.authors + (["others"] if card.et_al else [])
    fields = [("title", card.title), ("author", " and ".join(names))]
    if card.published:
        fields.append(("year", str(card.published.year)))
    if card.doi:
        fields.append(("doi", card.doi))
    if card.arxiv_id:
        fields += [
            ("eprint", card.arxiv_id),
            ("archiveprefix", "arXiv"),
            ("url", f"https://arxiv.org/abs/{card.arxiv_id}"),
        ]
        if card.category:
            fields.append(("primaryclass", card.category))
    kind = "article" if card.doi and not card.arxiv_id else "misc"
    body = ",\n".join(f"  {name} = {{{_bib_escape(value)}}}" for name, value in [*fields, *extra] if value)
    return f"@{kind}{{{_key(card, taken)},\n{body}\n}}\n"


def to_json_lines(conn: Connection, owner: str, tag: str | None = None) -> Iterator[str]:
    """One JSON object per saved paper: the card, the tags, the note and the reading status."""
    found = library.items(conn, owner, tag=tag)
    shown = cards(conn, [i.work_id for i in found], dt.date.today())
    for item in found:
        card = shown.get(item.work_id)
        if card is None:
            continue
        yield orjson.dumps(
            {
                **card.as_dict(),
                "saved_at": item.saved_at,
                "tags": item.tags,
                "note": item.note,
                "read_at": item.read_at,
            }
        ).decode()

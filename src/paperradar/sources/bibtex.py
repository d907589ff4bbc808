"""BibTeX files (a user's library, a Zotero or DBLP export) → works.

``bibtexparser`` splits the file into entries and tells which blocks failed; this module
finds the identifiers a library hides in many places (``eprint``, arXiv URLs, ``journal =
{ArXiv}, volume = {abs/…}`` from Semantic Scholar and DBLP, arXiv DOIs) and turns LaTeX
escapes into plain text. Math (``$…$``) is kept verbatim, as the arXiv sources keep it.
A 10k-entry library parses whole in a few seconds, so nothing is streamed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

from bibtexparser.entrypoint import parse_string
from bibtexparser.exceptions import BlockAbortedException
from bibtexparser.middlewares.names import (
    InvalidNameError,
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry, ParsingFailedBlock
from pylatexenc.latex2text import LatexNodes2Text

from paperradar.identity.ids import arxiv_id, doi
from paperradar.records import BIBTEX, AuthorRef, Item, Problem, WorkRecord
from paperradar.sources.base import Format, head_text, open_binary

_LATEX = LatexNodes2Text(math_mode="verbatim")
_BARE_PERCENT = re.compile(r"(?<!\\)%")  # LaTeX would read it as a comment and drop the rest
_ARXIV_REF = re.compile(r"(?:arxiv\.org/(?:abs|pdf)/|arxiv:\s*|10\.48550/arxiv\.)([\w./-]+)", re.IGNORECASE)
_ARXIV_JOURNAL = re.compile(r"^\s*(?:arxiv|corr)\b", re.IGNORECASE)  # a preprint marker, not a venue
_YEAR = re.compile(r"\b(\d{4})\b")
_ENTRY_START = re.compile(r"^\s*@\w+\s*[{(]", re.MULTILINE)
_KEY_IN_RAW = re.compile(r"@\w+\s*[{(]\s*([^,\s{}()]+)\s*,")


def _plain(value: str) -> str:
    """LaTeX escapes and braces → text, whitespace collapsed; only pays for pylatexenc when needed."""
    if any(char in value for char in "\\$~%"):
        value = str(_LATEX.latex_to_text(_BARE_PERCENT.sub(r"\\%", value)))
    else:
        value = value.replace("{", "").replace("}", "")
    return " ".join(value.split())


def _names(value: str) -> tuple[list[AuthorRef], bool]:
    """``author`` field → authors as "First Last", and whether it ended in ``and others``."""
    authors: list[AuthorRef] = []
    truncated = False
    for name in split_multiple_persons_names(value):
        if name.strip().lower() == "others":
            truncated = True
            continue
        try:
            ordered = parse_single_name_into_parts(name).merge_first_name_first
        except InvalidNameError:  # "a, b, c, d": keep what was written
            ordered = name
        text = _plain(ordered)
        if text:
            authors.append(AuthorRef(name=text))
    return authors, truncated


def _arxiv(fields: dict[str, str]) -> str | None:
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "arxiv").strip().lower()
    if prefix == "arxiv" and (found := arxiv_id(fields.get("eprint"))):
        return found
    volume = fields.get("volume", "").strip()
    if _ARXIV_JOURNAL.match(fields.get("journal", "")) and volume.startswith("abs/"):
        return arxiv_id(volume[4:])
    for key in ("url", "doi", "journal", "note", "howpublished"):
        match = _ARXIV_REF.search(fields.get(key, ""))
        if match and (found := arxiv_id(match.group(1))):
            return found
    return None


def _ids(fields: dict[str, str]) -> dict[str, str]:
    ids: dict[str, str] = {}
    if found := _arxiv(fields):
        ids["arxiv"] = found
    url = fields.get("url", "")
    if found := doi(fields.get("doi")) or (doi(url) if "doi.org/" in url else None):
        ids["doi"] = found
    return ids


def _venue(fields: dict[str, str]) -> str | None:
    for key in ("journal", "journaltitle", "booktitle"):
        value = fields.get(key, "")
        if value.strip() and not _ARXIV_JOURNAL.match(value):
            return _plain(value)
    return None


def _dates(fields: dict[str, str]) -> tuple[int | None, dt.date | None]:
    """``year`` (or biblatex ``date``) → year, and a full date when ``date`` gives one."""
    date_text = fields.get("date", "").strip()
    try:
        published = dt.date.fromisoformat(date_text) if len(date_text) == 10 else None
    except ValueError:
        published = None
    year = _YEAR.search(fields.get("year") or date_text)
    return (int(year.group(1)) if year else None), published


def _record(entry: Entry) -> WorkRecord | Problem:
    fields = {field.key.lower(): str(field.value) for field in entry.fields}
    ids = _ids(fields)
    title = _plain(fields.get("title", "")) or None
    if title is None and not ids:
        return Problem("no title, DOI or arXiv id", entry.raw)
    authors, truncated = _names(fields.get("author", ""))
    year, published = _dates(fields)
    primary = fields.get("primaryclass", "").strip() or None
    keywords = [word.strip() for word in re.split(r"[,;]", fields.get("keywords", "")) if word.strip()]
    extra: dict[str, object] = {"entry_type": entry.entry_type.lower(), "key": entry.key}
    if url := fields.get("url", "").strip():
        extra["url"] = url
    if keywords:
        extra["keywords"] = keywords
    if truncated:
        extra["et_al"] = True
    return WorkRecord(
        ids=ids,
        title=title,
        abstract=_plain(fields.get("abstract", "")) or None,
        authors=authors,
        primary_category=primary,
        categories=[primary] if primary else [],
        published=published,
        year=year,
        venue=_venue(fields),
        extra=extra,
    )


def _failure(block: ParsingFailedBlock) -> tuple[str | None, str]:
    """The entry key (when it can be told) and a reason a person can act on."""
    error = block.error
    if isinstance(block, DuplicateBlockKeyBlock):
        first = block.previous_block.start_line
        where = f" (first at line {first + 1})" if first is not None else ""
        return block.key, f"duplicate entry key '{block.key}'{where}"
    if isinstance(block, DuplicateFieldKeyBlock):
        key = block.ignore_error_block.key if isinstance(block.ignore_error_block, Entry) else None
        return key, f"field given twice: {', '.join(sorted(block.duplicate_keys))}"
    match = _KEY_IN_RAW.match(block.raw or "")
    reason = error.abort_reason if isinstance(error, BlockAbortedException) else str(error)
    return (match.group(1) if match else None), f"not valid BibTeX: {reason or type(error).__name__}"


def _read_text(path: Path) -> str:
    with open_binary(path) as fh:
        data = fh.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:  # older .bib files are often Latin-1
        return data.decode("latin-1")


def parse(path: Path, start: int = 0) -> Iterator[Item]:
    """One item per entry or failed block, in file order; ``position`` is the 1-based start line."""
    library = parse_string(_read_text(path))
    for block in library.blocks:
        line = (block.start_line or 0) + 1
        if line < start:
            continue
        if isinstance(block, Entry):
            result = _record(block)
            location = f"entry '{block.key}' (line {line})"
        elif isinstance(block, ParsingFailedBlock):
            key, reason = _failure(block)
            result = Problem(reason, block.raw)
            location = f"entry '{key}' (line {line})" if key else f"line {line}"
        else:  # comments, @string and @preamble carry no work
            continue
        if isinstance(result, Problem):
            yield Item(location, line, BIBTEX, problem=result)
        else:
            yield Item(location, line, BIBTEX, record=result)


def sniff(filename: str, head: bytes) -> bool:
    if filename.lower().endswith((".bib", ".bibtex")):
        return True
    return _ENTRY_START.search(head_text(head)) is not None


FORMATS = [
    Format(
        name="bibtex",
        source=BIBTEX,
        description="BibTeX library (a .bib file, Zotero/DBLP/Semantic Scholar exports)",
        sniff=sniff,
        parse=parse,
    )
]

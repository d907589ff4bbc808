"""arXiv metadata snapshot (the Kaggle ``arxiv-metadata-oai-snapshot.json``): one JSON object a line.

This is the hot path of the bulk import (2.7M lines), so each line is decoded once with
orjson and every field is cleaned with ``str`` methods; regular expressions and the
generic e-mail date parser only run for the rare odd values.

The helpers here (:func:`record_from_object`, :func:`collapse`, :func:`clean_abstract`,
:func:`parse_rfc1123`, :func:`split_dois`, :func:`affiliations_of`) are shared by the other
arXiv parsers, since every arXiv channel writes metadata the same way.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from paperradar.identity.ids import arxiv_id, delatex, doi
from paperradar.records import ARXIV_SNAPSHOT, AuthorRef, Item, Problem, Version, WorkRecord
from paperradar.sources.base import HEAD_BYTES, Format, head_text, iter_lines

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1
    )
}
_FOOTNOTE_NUMBER = re.compile(r"\((\d+)\)")


def collapse(text: str) -> str:
    """Undo arXiv's hard line wraps (``"and\\n  LHC"``) inside a one-line field."""
    return " ".join(text.split())


def clean_abstract(text: str) -> str:
    """Join wrapped lines; arXiv marks a new paragraph with a newline and two spaces of indent."""
    paragraphs: list[str] = []
    for part in text.strip().split("\n  "):
        # str.replace is much cheaper than split/join; the full collapse only runs on odd spacing.
        part = part.replace("\n", " ")
        if "  " in part or part[:1] == " " or part[-1:] == " ":
            part = " ".join(part.split())
        if part:
            paragraphs.append(part)
    return "\n".join(paragraphs)


def parse_rfc1123(text: str) -> dt.datetime | None:
    """``'Mon, 2 Apr 2007 19:18:42 GMT'`` → aware UTC datetime (the layout of every arXiv version date)."""
    parts = text.split(" ")
    if len(parts) == 6 and parts[5] == "GMT" and len(parts[4]) == 8:
        _, day, month, year, clock, _ = parts
        number = _MONTHS.get(month)
        if number is not None and day.isdigit() and year.isdigit():
            try:
                return dt.datetime(
                    int(year),
                    number,
                    int(day),
                    int(clock[:2]),
                    int(clock[3:5]),
                    int(clock[6:]),
                    tzinfo=dt.UTC,
                )
            except ValueError:
                pass
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def _footnote_refs(affiliation: str) -> list[str] | None:
    """``'1 and 2'`` → ``['1', '2']``: arXiv's parser keeps footnote numbers where an affiliation belongs."""
    refs = affiliation.replace(" and ", ",").replace("&", ",").split(",")
    stripped = [ref.strip() for ref in refs]
    return stripped if all(ref.isdigit() for ref in stripped) else None


def _footnote_table(authors: str) -> dict[str, str]:
    """The numbered affiliations an author string ends with: ``'… ((1) CERN, (2) DESY)'``."""
    begin = authors.find("((")
    while begin != -1 and not authors[begin + 2 : begin + 3].isdigit():
        begin = authors.find("((", begin + 1)
    if begin == -1:
        return {}
    end = authors.rfind(")")
    parts = _FOOTNOTE_NUMBER.split(authors[begin + 1 : end if end > begin else len(authors)])
    return {
        number: collapse(text).strip(" ,;") for number, text in zip(parts[1::2], parts[2::2], strict=True)
    }


def affiliations_of(raw: Sequence[str], authors_text: str | None) -> list[str]:
    """Cleaned affiliations; footnote numbers are looked up in the author string's numbered list."""
    affiliations: list[str] = []
    for value in raw:
        if not value:
            continue
        refs = _footnote_refs(value)
        if refs is None:
            affiliations.append(delatex(collapse(value)))
            continue
        table = _footnote_table(authors_text) if authors_text else {}
        affiliations.extend(delatex(table[ref]) for ref in refs if table.get(ref))
    return affiliations


def _author(parsed: list[str], authors_text: str | None) -> AuthorRef | None:
    last, first = parsed[0], parsed[1]
    if " -" in first:  # arXiv's name splitter turns "C.-P." into "C. -P."
        first = first.replace(". -", ".-")
    name = f"{first} {last}" if first and last else first or last
    if len(parsed) > 2 and parsed[2]:
        name = f"{name} {parsed[2]}" if name else parsed[2]
    if not name:
        return None
    if "\\" in name or "{" in name:
        name = delatex(name)
    if "\n" in name or "  " in name:
        name = collapse(name)
    affiliations = affiliations_of(parsed[3:], authors_text) if len(parsed) > 3 else []
    return AuthorRef(name=name, affiliations=affiliations)


def _optional(value: Any) -> str | None:
    return (collapse(value) or None) if value else None


def split_dois(value: str) -> tuple[str | None, list[str]]:
    """The DOI field can hold several DOIs separated by spaces (a paper and its erratum)."""
    found: list[str] = []
    for token in value.split():
        lowered = token.lower()
        cleaned = lowered.rstrip(".,;)") if lowered.startswith("10.") and "/" in lowered else doi(lowered)
        if cleaned and cleaned not in found:
            found.append(cleaned)
    return (found[0] if found else None), found


def record_from_object(obj: dict[str, Any]) -> WorkRecord | str:
    """One snapshot object → a record, or the reason it cannot be one."""
    raw_id = obj.get("id")
    if not raw_id:
        return "missing 'id'"
    if not isinstance(raw_id, str):
        return f"invalid 'id' {raw_id!r} (not a string)"
    canonical = arxiv_id(raw_id)
    if canonical is None:
        return f"invalid 'id' {raw_id!r} (not an arXiv identifier)"
    raw_title = obj.get("title")
    title = collapse(raw_title) if isinstance(raw_title, str) else ""
    if not title:
        return "missing 'title'"

    ids = {"arxiv": canonical}
    extra: dict[str, Any] = {}
    raw_doi = obj.get("doi")
    if raw_doi:
        first, dois = split_dois(raw_doi)
        if first:
            ids["doi"] = first
        if len(dois) > 1:
            extra["dois"] = dois
    if submitter := obj.get("submitter"):
        extra["submitter"] = submitter
    if report_no := obj.get("report-no"):
        extra["report_no"] = collapse(report_no)

    authors_text = obj.get("authors")
    authors: list[AuthorRef] = []
    for parsed in obj.get("authors_parsed") or ():
        author = _author(parsed, authors_text)
        if author is not None:
            authors.append(author)

    categories = (obj.get("categories") or "").split()
    versions = [Version(v["version"], parse_rfc1123(v["created"])) for v in obj.get("versions") or ()]
    first_version = versions[0] if versions else None
    if first_version and first_version.version != "v1":
        first_version = next((v for v in versions if v.version == "v1"), first_version)
    published = first_version.date.date() if first_version and first_version.date else None
    updated: dt.date | None = None
    if update_date := obj.get("update_date"):
        try:
            updated = dt.date.fromisoformat(update_date)
        except ValueError:
            extra["update_date"] = update_date
    abstract = obj.get("abstract")

    return WorkRecord(
        ids=ids,
        title=title,
        abstract=(clean_abstract(abstract) or None) if abstract else None,
        authors=authors,
        primary_category=categories[0] if categories else None,
        categories=categories,
        comments=_optional(obj.get("comments")),
        journal_ref=_optional(obj.get("journal-ref")),
        license=obj.get("license") or None,
        published=published,
        updated=updated,
        year=published.year if published else None,
        versions=versions,
        extra=extra,
    )


def parse_line(lineno: int, line: bytes) -> Item:
    location = f"line {lineno}"
    try:
        # Without the line end, a cut line reads "unexpected end of data" rather than a control character.
        obj = orjson.loads(line.rstrip(b"\r\n"))
    except orjson.JSONDecodeError as exc:
        reason = f"not valid JSON: {exc.msg} at column {exc.colno}"
        return Item(location, lineno, ARXIV_SNAPSHOT, problem=Problem(reason, _raw(line)))
    if not isinstance(obj, dict):
        reason = f"not a JSON object (got {type(obj).__name__})"
        return Item(location, lineno, ARXIV_SNAPSHOT, problem=Problem(reason, _raw(line)))
    try:
        result = record_from_object(obj)
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        # A field of the wrong shape (e.g. "versions" not a list of objects).
        result = f"malformed field: {type(exc).__name__}: {exc}"
    if isinstance(result, str):
        return Item(location, lineno, ARXIV_SNAPSHOT, problem=Problem(result, _raw(line)))
    return Item(location, lineno, ARXIV_SNAPSHOT, record=result)


def _raw(line: bytes) -> str:
    return line.decode("utf-8", "replace").rstrip("\r\n")


def parse(path: Path, start: int = 0) -> Iterator[Item]:
    """Stream one item per non-blank line; lines before ``start`` are skipped undecoded."""
    for lineno, line in iter_lines(path, start):
        yield parse_line(lineno, line)


def sniff(filename: str, head: bytes) -> bool:
    """The first complete line is an object with a bare arXiv ``id`` and the snapshot's tell-tale keys.

    The id check matters: an OpenAlex work also has ``id`` and ``versions`` keys.
    """
    text = head_text(head)
    line, newline, _ = text.partition("\n")
    if not newline and len(head) >= HEAD_BYTES:  # the head stops inside the first line
        return False
    if not line.startswith("{"):
        return False
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    if not isinstance(obj, dict) or not ("authors_parsed" in obj or "versions" in obj):
        return False
    raw_id = obj.get("id")
    return isinstance(raw_id, str) and arxiv_id(raw_id) == raw_id


FORMATS = [
    Format(
        name="arxiv-snapshot",
        source=ARXIV_SNAPSHOT,
        description="arXiv metadata snapshot, JSON lines (Kaggle arxiv-metadata-oai-snapshot.json, .gz too)",
        sniff=sniff,
        parse=parse,
        parse_line=parse_line,
    )
]

"""arXiv API Atom feeds (``export.arxiv.org/api/query``), as served since the 2026 API update.

An entry describes the *latest* version of a paper: its id URL ends in that version,
``<published>`` is the date of v1 and ``<updated>`` the date of the version shown (the
arXiv API manual's definitions). Entries are streamed with ``iterparse`` so a saved
10,000-entry page stays cheap.

Every entry is as of the feed's own ``<updated>``: the time arXiv made the answer, which is
when what it says was true (an entry's ``<updated>`` is the date of its version, not of the answer).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from lxml import etree

from paperradar.identity.ids import delatex, split_arxiv_id
from paperradar.records import ARXIV_API, AuthorRef, Item, Problem, UnreadableInput, Version, WorkRecord
from paperradar.sources.arxiv_snapshot import clean_abstract, collapse, split_dois
from paperradar.sources.base import Format, head_text, open_binary

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_ENTRY = _ATOM + "entry"
_FEED = _ATOM + "feed"
_UPDATED = _ATOM + "updated"
_ERROR_ID = "/api/errors"
_TOTAL = re.compile(rb"<opensearch:totalResults[^>]*>(\d+)<")


def _text(element: Any) -> str:
    return collapse(str(element.text or "")) if element is not None else ""


def _timestamp(value: str, element: str) -> dt.datetime | None:
    """``2017-07-27T08:18:33Z`` → aware datetime; an unreadable value is a broken entry."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"unreadable <{element}> {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _answered(element: Any) -> dt.datetime | None:
    """The feed's ``<updated>`` in UTC; unreadable, the records are as of their import instead
    (a bad answer date is no reason to lose the entries)."""
    try:
        answered = _timestamp(_text(element), "updated")
    except ValueError:
        return None
    return answered.astimezone(dt.UTC) if answered else None


def _author(element: Any) -> AuthorRef | None:
    name = delatex(_text(element.find(_ATOM + "name")))
    if not name:
        return None
    affiliations = [_text(a) for a in element.iterchildren(_ARXIV + "affiliation")]
    return AuthorRef(name=name, affiliations=[a for a in affiliations if a])


def _record(entry: Any, entry_id: str) -> WorkRecord | str:
    parts = split_arxiv_id(entry_id)
    if parts is None:
        return f"entry <id> {entry_id!r} is not an arXiv abs URL"
    canonical, version = parts
    title = _text(entry.find(_ATOM + "title"))
    if not title:
        return "entry has no <title>"
    try:
        published = _timestamp(_text(entry.find(_ATOM + "published")), "published")
        updated = _timestamp(_text(entry.find(_ATOM + "updated")), "updated")
    except ValueError as exc:
        return str(exc)

    ids = {"arxiv": canonical}
    extra: dict[str, Any] = {}
    first_doi, dois = split_dois(_text(entry.find(_ARXIV + "doi")))
    if first_doi:
        ids["doi"] = first_doi
    if len(dois) > 1:
        extra["dois"] = dois
    versions: list[Version] = []
    if version:
        extra["version"] = version
        if version == "v1":
            versions.append(Version("v1", published))
        else:  # the entry shows a later version: <updated> is its date, <published> that of v1
            versions += [Version("v1", published), Version(version, updated)]
    for link in entry.iterchildren(_ATOM + "link"):
        kind = link.get("title") or ("abs" if link.get("rel") == "alternate" else None)
        if kind in ("pdf", "abs") and link.get("href"):
            extra[f"{kind}_url"] = link.get("href")

    categories: list[str] = []
    for category in entry.iterchildren(_ATOM + "category"):
        term = category.get("term")
        if term and term not in categories:
            categories.append(term)
    primary = entry.find(_ARXIV + "primary_category")
    primary_category = primary.get("term") if primary is not None else None
    authors = [a for a in map(_author, entry.iterchildren(_ATOM + "author")) if a is not None]
    abstract = clean_abstract(str(entry.findtext(_ATOM + "summary") or ""))
    return WorkRecord(
        ids=ids,
        title=title,
        abstract=abstract or None,
        authors=authors,
        primary_category=primary_category or (categories[0] if categories else None),
        categories=categories,
        comments=_text(entry.find(_ARXIV + "comment")) or None,
        journal_ref=_text(entry.find(_ARXIV + "journal_ref")) or None,
        published=published.date() if published else None,
        updated=updated.date() if updated else None,
        year=published.year if published else None,
        versions=versions,
        extra=extra,
    )


def parse(path: Path, start: int = 0) -> Iterator[Item]:
    """One item per ``<entry>``; an API error feed raises :class:`UnreadableInput`."""
    with open_binary(path) as fh:
        yield from _feed_items(fh, str(path), start)


def parse_response(body: bytes, name: str) -> Iterator[Item]:
    """The entries of one API answer held in memory (a live query)."""
    yield from _feed_items(io.BytesIO(body), name, 0)


def total_results(body: bytes) -> int | None:
    """``opensearch:totalResults`` of an answer: how many entries the whole query has."""
    match = _TOTAL.search(body[:4096])
    return int(match.group(1)) if match else None


def _feed_items(source: IO[bytes], name: str, start: int) -> Iterator[Item]:
    count = 0
    as_of: dt.datetime | None = None
    context = etree.iterparse(
        source, events=("end",), tag=(_ENTRY, _UPDATED), resolve_entities=False, no_network=True
    )
    try:
        for _, entry in context:
            if entry.tag == _UPDATED:  # the feed's (before its entries) or an entry's (read with it)
                parent = entry.getparent()
                if parent is not None and parent.tag == _FEED:
                    as_of = _answered(entry)
                continue
            count += 1
            entry_id = _text(entry.find(_ATOM + "id"))
            if _ERROR_ID in entry_id:
                summary = _text(entry.find(_ATOM + "summary")) or entry_id
                raise UnreadableInput(f"{name}: arXiv API error: {summary}")
            if count >= start:
                result = _record(entry, entry_id)
                location = f"entry {count}"
                if isinstance(result, str):
                    raw = etree.tostring(entry, encoding="unicode")
                    yield Item(location, count, ARXIV_API, problem=Problem(result, raw))
                else:
                    result.as_of = as_of
                    yield Item(location, count, ARXIV_API, record=result)
            entry.clear()
            while entry.getprevious() is not None:
                del entry.getparent()[0]
    except etree.XMLSyntaxError as exc:
        if count == 0:
            raise UnreadableInput(f"{name}: not XML: {exc.msg}") from exc
        reason = f"XML is malformed after entry {count}: {exc.msg}"
        yield Item(f"entry {count + 1}", count + 1, ARXIV_API, problem=Problem(reason))
        return
    if context.root is None or context.root.tag != _FEED:
        root = etree.QName(context.root).localname if context.root is not None else "nothing"
        raise UnreadableInput(f"{name}: not an Atom feed (root element <{root}>)")


def sniff(filename: str, head: bytes) -> bool:
    text = head_text(head)
    return "<feed" in text and "http://www.w3.org/2005/Atom" in text and "arxiv" in text


FORMATS = [
    Format(
        name="arxiv-api",
        source=ARXIV_API,
        description="arXiv API Atom feed (export.arxiv.org/api/query results)",
        sniff=sniff,
        parse=parse,
    )
]

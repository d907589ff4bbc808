"""Hugging Face ``GET /api/daily_papers``: the day's featured arXiv papers with their community signals.

The response is one small JSON array, so it is loaded whole. Each item nests the arXiv
paper (``paper``) inside what the daily page adds to it (submitter, comment count,
organisation); both levels are read, the nested paper first, because that is where the
API keeps the arXiv facts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import orjson

from paperradar.identity.ids import arxiv_id
from paperradar.records import (
    HUGGINGFACE,
    AuthorRef,
    CodeLink,
    Community,
    Item,
    Problem,
    UnreadableInput,
    WorkRecord,
)
from paperradar.sources import fields
from paperradar.sources.base import Format, head_text, load_json_document
from paperradar.sources.fields import JSON

_PAPER_KEY = re.compile(r'"paper"\s*:\s*\{')
# The daily-page API is loosely typed: a field of another type counts as missing, text is
# stripped, and dates come as timestamps (``2026-06-12T00:00:00.000Z``).
_text = partial(fields.text, strict=False, strip=True)
_obj = partial(fields.obj, strict=False)
_count = partial(fields.integer, strict=False)
_day = partial(fields.date, strict=False, timestamp=True)


def _author(value: object) -> AuthorRef | None:
    if not isinstance(value, dict):
        return None
    name = _text(value, "name")
    if name is None:
        return None
    handle = _text(value, "user", "user") or _text(value, "user", "name")
    return AuthorRef(name=name, ids={"hf": handle} if handle else {})


def _work(item: JSON, paper: JSON, arxiv: str) -> WorkRecord:
    authors = [ref for ref in map(_author, fields.items(paper, "authors", strict=False)) if ref is not None]
    published = _day(paper, "publishedAt")
    submitter = _obj(item, "submittedBy") or _obj(paper, "submittedOnDailyBy")
    organisation = _obj(item, "organization") or _obj(paper, "organization")
    repo = _text(paper, "githubRepo")
    keywords = fields.items(paper, "ai_keywords", strict=False)
    community = Community(
        featured_day=_day(paper, "submittedOnDailyAt") or _day(item, "publishedAt"),
        upvotes=_count(paper, "upvotes"),
        comments=_count(item, "numComments"),
        submitter=_text(submitter, "name") or _text(submitter, "user"),
        submitter_name=_text(submitter, "fullname"),
        organisation=_text(organisation, "name"),
        organisation_name=_text(organisation, "fullname"),
        ai_summary=_text(paper, "ai_summary"),
        ai_keywords=[keyword for keyword in keywords if isinstance(keyword, str)],
        project_page=_text(paper, "projectPage"),
        n_authors=len(authors),
    )
    return WorkRecord(
        ids={"arxiv": arxiv},
        title=_text(paper, "title") or _text(item, "title"),
        abstract=_text(paper, "summary") or _text(item, "summary"),
        authors=authors,
        published=published,
        year=published.year if published else None,
        code=[CodeLink(url=repo, stars=_count(paper, "githubStars"))] if repo else [],
        community=community,
    )


def _item(number: int, value: object) -> Item:
    location = f"item {number}"
    raw = orjson.dumps(value).decode()
    if not isinstance(value, dict):
        return Item(location, number, HUGGINGFACE, problem=Problem("item is not a JSON object", raw))
    paper = value.get("paper")
    if not isinstance(paper, dict):
        return Item(location, number, HUGGINGFACE, problem=Problem("item has no 'paper' object", raw))
    paper_id = paper.get("id")
    arxiv = arxiv_id(paper_id) if isinstance(paper_id, str) else None
    if arxiv is None:
        reason = f"paper.id {paper_id!r} is not an arXiv id" if paper_id else "paper has no id"
        return Item(location, number, HUGGINGFACE, problem=Problem(reason, raw))
    return Item(f"{location} (arXiv {arxiv})", number, HUGGINGFACE, record=_work(value, paper, arxiv))


def parse(path: Path, start: int = 0) -> Iterator[Item]:
    """Stream one item per daily paper; an API error body makes the whole file unreadable."""
    yield from parse_document(load_json_document(path), str(path), start)


def parse_response(body: bytes, name: str) -> Iterator[Item]:
    """The items of one ``/api/daily_papers`` answer held in memory (a live sync)."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise UnreadableInput(f"{name}: not valid JSON ({exc})") from exc
    yield from parse_document(document, name)


def parse_document(document: object, name: str, start: int = 0) -> Iterator[Item]:
    if isinstance(document, dict):
        message = document.get("error") or document.get("message")
        if message:
            raise UnreadableInput(f"Hugging Face error: {message}")
        raise UnreadableInput(f"{name}: expected a JSON array of daily papers, found an object")
    if not isinstance(document, list):
        raise UnreadableInput(f"{name}: expected a JSON array of daily papers")
    for number, value in enumerate(document, start=1):
        if number >= start:
            yield _item(number, value)


def sniff(filename: str, head: bytes) -> bool:
    """An array of objects nesting a ``paper`` together with daily-page fields."""
    text = head_text(head)
    return (
        text.startswith("[")
        and _PAPER_KEY.search(text) is not None
        and ('"submittedOnDailyAt"' in text or '"upvotes"' in text)
    )


FORMATS = [
    Format(
        name="hf-daily",
        source=HUGGINGFACE,
        description="Hugging Face daily papers (GET /api/daily_papers JSON)",
        sniff=sniff,
        parse=parse,
    )
]

"""Hugging Face ``GET /api/daily_papers``: the day's featured arXiv papers with their community signals.

The response is one small JSON array, so it is loaded whole. Each item nests the arXiv
paper (``paper``) inside what the daily page adds to it (submitter, comment count,
organisation); both levels are read, the nested paper first, because that is where the
API keeps the arXiv facts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
from paperradar.sources.base import Format, head_text, load_json_document

_PAPER_KEY = re.compile(r'"paper"\s*:\s*\{')


def _obj(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _day(value: object) -> dt.date | None:
    """``2026-06-12T00:00:00.000Z`` → its date; anything unparseable counts as unknown."""
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value).date()
    except ValueError:
        return None


def _author(value: object) -> AuthorRef | None:
    author = _obj(value)
    name = _text(author.get("name"))
    if name is None:
        return None
    user = _obj(author.get("user"))
    handle = _text(user.get("user")) or _text(user.get("name"))
    return AuthorRef(name=name, ids={"hf": handle} if handle else {})


def _work(item: dict[str, Any], paper: dict[str, Any], arxiv: str) -> WorkRecord:
    authors = [ref for ref in map(_author, paper.get("authors") or []) if ref is not None]
    published = _day(paper.get("publishedAt"))
    submitter = _obj(item.get("submittedBy")) or _obj(paper.get("submittedOnDailyBy"))
    organisation = _obj(item.get("organization")) or _obj(paper.get("organization"))
    repo = _text(paper.get("githubRepo"))
    keywords = paper.get("ai_keywords")
    community = Community(
        featured_day=_day(paper.get("submittedOnDailyAt")) or _day(item.get("publishedAt")),
        upvotes=_count(paper.get("upvotes")),
        comments=_count(item.get("numComments")),
        submitter=_text(submitter.get("name")) or _text(submitter.get("user")),
        submitter_name=_text(submitter.get("fullname")),
        organisation=_text(organisation.get("name")),
        organisation_name=_text(organisation.get("fullname")),
        ai_summary=_text(paper.get("ai_summary")),
        ai_keywords=[k for k in keywords if isinstance(k, str)] if isinstance(keywords, list) else [],
        project_page=_text(paper.get("projectPage")),
        n_authors=len(authors),
    )
    return WorkRecord(
        ids={"arxiv": arxiv},
        title=_text(paper.get("title")) or _text(item.get("title")),
        abstract=_text(paper.get("summary")) or _text(item.get("summary")),
        authors=authors,
        published=published,
        year=published.year if published else None,
        code=[CodeLink(url=repo, stars=_count(paper.get("githubStars")))] if repo else [],
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
    document = load_json_document(path)
    if isinstance(document, dict):
        message = document.get("error") or document.get("message")
        if message:
            raise UnreadableInput(f"Hugging Face error: {message}")
        raise UnreadableInput(f"{path}: expected a JSON array of daily papers, found an object")
    if not isinstance(document, list):
        raise UnreadableInput(f"{path}: expected a JSON array of daily papers")
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

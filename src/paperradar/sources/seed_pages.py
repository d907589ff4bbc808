"""The seed captures (``seed_pages/``): what a discovery site and daily listings showed, as records.

They carry no identifiers, only what a reader saw: titles, the first authors, a category
tag, dates that omit the current year, upvotes. Everything is kept as shown — including
the profile's header numbers, which are impossible (h-index 23 with 7 papers) and are
stored as a reported fact of that page, never as a metric. Matching them to real works
(by normalised title) is the store's job.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import orjson

from paperradar.records import (
    SEED_CARDS,
    SEED_LISTINGS,
    AuthorRecord,
    AuthorRef,
    CodeLink,
    Community,
    Item,
    Problem,
    UnreadableInput,
    WorkRecord,
)
from paperradar.sources import fields
from paperradar.sources.base import Format, head_text, iter_lines, load_json_document
from paperradar.sources.fields import JSON

_CS_TAG = re.compile(r"[A-Z]{2}")  # the site shows cs.LG as "LG"; other archives keep their full code
_text = partial(fields.text, keep_empty=True)  # text as shown: an empty string stays empty


def _required(obj: JSON, key: str) -> str:
    value = fields.text(obj, key)
    if value is None or not value.strip():
        raise fields.InvalidField(f"no {key!r}")
    return value


def _category(tag: str) -> str:
    return f"cs.{tag}" if _CS_TAG.fullmatch(tag) else tag


def _card(obj: object) -> WorkRecord:
    """A paper card: category tag, date, Code badge, title, first authors, affiliations, abstract."""
    if not isinstance(obj, dict):
        raise ValueError("card is not a JSON object")
    authors = obj.get("authors_shown")
    affiliations = obj.get("affiliations", [])
    if not isinstance(authors, list) or not all(isinstance(name, str) for name in authors):
        raise ValueError("'authors_shown' is not a list of names")
    if not isinstance(affiliations, list) or not all(isinstance(org, str) for org in affiliations):
        raise ValueError("'affiliations' is not a list of names")
    tag = _text(obj, "category")
    category = _category(tag) if tag else None
    published = fields.date(obj, "date_iso")  # null when the page left the year out
    return WorkRecord(
        ids={},
        title=_required(obj, "title"),
        abstract=_text(obj, "abstract"),
        authors=[AuthorRef(name=name) for name in authors],
        primary_category=category,
        categories=[category] if category else [],
        published=published,
        year=published.year if published else None,
        code=[CodeLink(url=None)] if obj.get("has_code") is True else [],
        extra={
            "et_al": obj.get("et_al") is True,
            "card_affiliations": affiliations,
            "date_text": _text(obj, "date_text"),
        },
    )


def _listing(obj: object) -> WorkRecord:
    """A daily listing item; its page date has no year, so it is kept as text, not as a featured day."""
    if not isinstance(obj, dict):
        raise ValueError("listing item is not a JSON object")
    published = fields.date(obj, "date_iso")
    return WorkRecord(
        ids={},
        title=_required(obj, "title"),
        abstract=_text(obj, "abstract"),
        published=published,
        year=published.year if published else None,
        community=Community(
            upvotes=fields.integer(obj, "upvotes"),
            n_authors=fields.integer(obj, "n_authors"),
            organisation=_text(obj, "organisation_handle"),
            organisation_name=_text(obj, "organisation_name"),
        ),
        extra={
            "date_text": _text(obj, "date_text"),
            "page_date_text": _text(obj, "page_date_text"),
            "meta_present": obj.get("meta_present") is True,
        },
    )


def _json_lines(
    path: Path, start: int, convert: Callable[[object], WorkRecord], source: str
) -> Iterator[Item]:
    for number, line in iter_lines(path, start):
        location = f"line {number}"
        raw = line.decode("utf-8", "replace").rstrip("\n")
        try:
            record = convert(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            yield Item(location, number, source, problem=Problem(f"not valid JSON ({exc})", raw))
        except ValueError as exc:
            yield Item(location, number, source, problem=Problem(str(exc), raw))
        else:
            yield Item(location, number, source, record=record)


def parse_cards(path: Path, start: int = 0) -> Iterator[Item]:
    return _json_lines(path, start, _card, SEED_CARDS)


def parse_listings(path: Path, start: int = 0) -> Iterator[Item]:
    return _json_lines(path, start, _listing, SEED_LISTINGS)


def parse_profile(path: Path, start: int = 0) -> Iterator[Item]:
    """Broken cards first (``card N``), then the author with the header as reported and the good cards.

    The author's position comes after every card's, so a resumed import still yields it.
    """
    profile = load_json_document(path)
    if not isinstance(profile, dict) or not isinstance(profile.get("papers"), list):
        raise UnreadableInput(f"{path}: not an author profile capture (no 'papers' list)")
    cards = profile["papers"]
    works: list[WorkRecord] = []
    for number, card in enumerate(cards, start=1):
        try:
            works.append(_card(card))
        except ValueError as exc:
            if number >= start:
                raw = orjson.dumps(card).decode()
                yield Item(f"card {number}", number, SEED_CARDS, problem=Problem(str(exc), raw))
    position = len(cards) + 1
    if position < start:
        return
    try:
        author = AuthorRecord(
            ids={},
            name=_required(profile, "name"),
            h_index=fields.integer(profile, "h_index"),
            works_count=fields.integer(profile, "papers_count"),
            citation_count=fields.integer(profile, "citations"),
            works=works,
        )
    except ValueError as exc:
        raw = orjson.dumps({k: v for k, v in profile.items() if k != "papers"}).decode()
        yield Item("profile", position, SEED_CARDS, problem=Problem(str(exc), raw))
    else:
        yield Item("profile", position, SEED_CARDS, record=author)


def _first_line_keys(head: bytes) -> set[str]:
    try:
        first = orjson.loads(head_text(head).split("\n", 1)[0])
    except orjson.JSONDecodeError:
        return set()
    return set(first) if isinstance(first, dict) else set()


def sniff_cards(filename: str, head: bytes) -> bool:
    return {"title_norm", "authors_shown"} <= _first_line_keys(head)


def sniff_listings(filename: str, head: bytes) -> bool:
    return {"title_norm", "page_date_text"} <= _first_line_keys(head)


def sniff_profile(filename: str, head: bytes) -> bool:
    text = head_text(head)
    return text.startswith("{") and '"papers_heading"' in text


FORMATS = [
    Format(
        name="seed-profile",
        source=SEED_CARDS,
        description="seed capture: author profile page (author_profile.json)",
        sniff=sniff_profile,
        parse=parse_profile,
    ),
    Format(
        name="seed-cards",
        source=SEED_CARDS,
        description="seed capture: paper cards, one JSON object a line (paper_cards.jsonl)",
        sniff=sniff_cards,
        parse=parse_cards,
    ),
    Format(
        name="seed-listings",
        description="seed capture: daily listing items, one JSON object a line (daily_listings.jsonl)",
        source=SEED_LISTINGS,
        sniff=sniff_listings,
        parse=parse_listings,
    ),
]

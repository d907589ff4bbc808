"""CSL-JSON (Zotero's "Export… → CSL JSON", Mendeley, citeproc) → works.

An export is one JSON array of items. Zotero files an arXiv preprint as ``"number":
"arXiv:2104.12255"``, an arXiv URL or the ``10.48550/arXiv.…`` DOI; all three are recognised.
Tags arrive in ``keyword`` (comma-separated) and the item's note in ``note``; both are kept in
``extra`` for the library import. Streamed, so a large library stays in flat memory.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from paperradar.identity.ids import arxiv_from_doi, arxiv_id, doi
from paperradar.records import CSL_JSON, AuthorRef, Item, Problem, WorkRecord
from paperradar.sources import fields
from paperradar.sources.base import Format, head_text, open_binary
from paperradar.sources.json_array import JsonArray

_ARXIV_REF = re.compile(r"(?:arxiv\.org/(?:abs|pdf)/|arxiv:\s*)([\w./-]+?)(?:\.pdf)?$", re.IGNORECASE)
# Keys only CSL uses; failing those, an array of objects with an id, a type and a title (CSL is
# asked last, after every other JSON format has declined the file).
_CSL_KEYS = ('"issued"', '"container-title"', '"citation-key"', '"date-parts"')
_FIRST_ITEM = re.compile(r'^\[\s*\{[^{}]*"(?:id|type|title)"\s*:')


def _authors(item: dict[str, Any]) -> list[AuthorRef]:
    authors = []
    for i, person in enumerate(fields.objects(item, "author")):
        literal = fields.text(person, "literal", where=f"author[{i}]", strip=True)
        given = fields.text(person, "given", where=f"author[{i}]", strip=True)
        family = fields.text(person, "family", where=f"author[{i}]", strip=True)
        name = literal or " ".join(part for part in (given, family) if part)
        if name:
            authors.append(AuthorRef(name=name))
    return authors


def _issued(item: dict[str, Any]) -> tuple[int | None, dt.date | None]:
    parts = fields.items(fields.obj(item, "issued"), "date-parts", where="issued")
    first = parts[0] if parts and isinstance(parts[0], list) else []
    numbers = [int(p) for p in first if isinstance(p, int | str) and str(p).isdigit()]
    if not numbers:
        raw = fields.text(fields.obj(item, "issued"), "raw", where="issued") or ""
        year = re.search(r"\b(\d{4})\b", raw)
        return (int(year.group(1)) if year else None), None
    try:
        published = dt.date(*numbers[:3]) if len(numbers) >= 3 else None
    except ValueError:
        published = None
    return numbers[0], published


def _ids(item: dict[str, Any]) -> dict[str, str]:
    ids: dict[str, str] = {}
    given_doi = doi(fields.text(item, "DOI", strict=False))
    if given_doi:
        ids["doi"] = given_doi
    for text in (fields.text(item, "number", strict=False), fields.text(item, "URL", strict=False)):
        match = _ARXIV_REF.search((text or "").strip())
        if match and (found := arxiv_id(match.group(1))):
            ids["arxiv"] = found
            break
    if "arxiv" not in ids and (found := arxiv_from_doi(given_doi)):
        ids["arxiv"] = found
    return ids


def _record(value: object) -> WorkRecord:
    if not isinstance(value, dict):
        raise fields.InvalidField(f"item is {fields.kind_of(value)}, expected an object")
    ids = _ids(value)
    title = fields.text(value, "title", strip=True)
    if not title and not ids:
        raise fields.InvalidField("no title, DOI or arXiv id")
    year, published = _issued(value)
    keywords = [k.strip() for k in re.split(r"[,;]", fields.text(value, "keyword") or "") if k.strip()]
    extra: dict[str, object] = {"type": fields.text(value, "type") or "document"}
    for key, name in (("id", "key"), ("URL", "url"), ("note", "note")):
        if (found := value.get(key)) not in (None, ""):
            extra[name] = str(found)
    if keywords:
        extra["keywords"] = keywords
    return WorkRecord(
        ids=ids,
        title=title,
        abstract=fields.text(value, "abstract", strip=True),
        authors=_authors(value),
        published=published,
        year=year,
        venue=fields.text(value, "container-title", strip=True),
        extra=extra,
    )


def parse(path: Path, start: int = 0) -> Iterator[Item]:
    """One item per element of the array; ``position`` is the 1-based element number."""
    with open_binary(path) as stream:
        for number, value in JsonArray(stream, str(path)):
            if number < start:
                continue
            key = value.get("id") if isinstance(value, dict) else None
            location = f"item {number}" + (f" ({key!r})" if isinstance(key, str | int) else "")
            if isinstance(value, Problem):
                yield Item(location, number, CSL_JSON, problem=value)
                continue
            try:
                record = _record(value)
            except fields.InvalidField as exc:
                raw = json.dumps(value, ensure_ascii=False)
                yield Item(location, number, CSL_JSON, problem=Problem(str(exc), raw))
            else:
                yield Item(location, number, CSL_JSON, record=record)


def sniff(filename: str, head: bytes) -> bool:
    text = head_text(head).lstrip()
    if not text.startswith("[") or '"type"' not in text:
        return False
    return any(key in text for key in _CSL_KEYS) or ('"title"' in text and bool(_FIRST_ITEM.match(text)))


FORMATS = [
    Format(
        name="csl-json",
        source=CSL_JSON,
        description="CSL-JSON library (Zotero, Mendeley or citeproc export)",
        sniff=sniff,
        parse=parse,
    )
]

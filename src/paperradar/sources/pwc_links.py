"""Papers-with-Code ``links-between-papers-and-code.json``: which repository implements which paper.

The real file is one ~100 MB JSON array, so it is streamed element by element
(:class:`~paperradar.sources.json_array.JsonArray`), in constant memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from paperradar.identity.ids import arxiv_id
from paperradar.records import PAPERS_WITH_CODE, CodeLink, Item, Problem, WorkRecord
from paperradar.sources import fields
from paperradar.sources.base import Format, head_text, open_binary
from paperradar.sources.json_array import JsonArray

_SLUG = re.compile(r"paperswithcode\.com/paper/([^/?#\s]+)")


def _record(value: object) -> WorkRecord:
    """One link → the paper it is about, carrying the repository; ``ValueError`` says what is missing."""
    if not isinstance(value, dict):
        raise ValueError("record is not a JSON object")
    repo = fields.text(value, "repo_url", strict=False, strip=True)
    if repo is None:
        raise ValueError("no repo_url")
    ids: dict[str, str] = {}
    given = value.get("paper_arxiv_id")
    if given:
        arxiv = arxiv_id(given) if isinstance(given, str) else None
        if arxiv is None:
            raise ValueError(f"paper_arxiv_id {given!r} is not an arXiv id")
        ids["arxiv"] = arxiv
    paper_url = fields.text(value, "paper_url", strict=False)
    slug = _SLUG.search(paper_url) if paper_url else None
    if slug:
        ids["pwc"] = slug.group(1)
    if not ids:
        raise ValueError("neither paper_arxiv_id nor a paperswithcode.com/paper/ URL")
    framework = fields.text(value, "framework", strict=False)
    return WorkRecord(
        ids=ids,
        title=fields.text(value, "paper_title", strict=False, strip=True),
        code=[
            CodeLink(
                url=repo,
                is_official=fields.boolean(value, "is_official", strict=False),
                framework=framework if framework != "none" else None,
            )
        ],
        extra={
            key: flag
            for key in ("mentioned_in_paper", "mentioned_in_github")
            if (flag := fields.boolean(value, key, strict=False)) is not None
        },
    )


def parse(path: Path, start: int = 0) -> Iterator[Item]:
    """Stream the links one by one, in constant memory."""
    with open_binary(path) as stream:
        for number, value in JsonArray(stream, str(path)):
            if number < start:
                continue
            location = f"record {number}"
            if isinstance(value, Problem):
                yield Item(location, number, PAPERS_WITH_CODE, problem=value)
                continue
            try:
                record = _record(value)
            except ValueError as exc:
                raw = json.dumps(value, ensure_ascii=False)
                yield Item(location, number, PAPERS_WITH_CODE, problem=Problem(str(exc), raw))
            else:
                yield Item(location, number, PAPERS_WITH_CODE, record=record)


def sniff(filename: str, head: bytes) -> bool:
    text = head_text(head)
    return text.startswith("[") and '"repo_url"' in text and '"paper_url"' in text


FORMATS = [
    Format(
        name="pwc-links",
        source=PAPERS_WITH_CODE,
        description="Papers-with-Code links-between-papers-and-code.json (streamed)",
        sniff=sniff,
        parse=parse,
    )
]

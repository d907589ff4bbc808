"""Papers-with-Code ``links-between-papers-and-code.json``: which repository implements which paper.

The real file is one ~100 MB JSON array, so it is streamed: :class:`_ArrayReader` decodes
one element at a time from a sliding text buffer (``json.JSONDecoder.raw_decode``), which
keeps memory flat without a streaming-JSON dependency. A broken element becomes a
:class:`~paperradar.records.Problem` and reading resumes at the next ``}, {``; a file cut
short ends with a problem saying so, after every complete record before the cut.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from paperradar.identity.ids import arxiv_id
from paperradar.records import PAPERS_WITH_CODE, CodeLink, Item, Problem, UnreadableInput, WorkRecord
from paperradar.sources import fields
from paperradar.sources.base import Format, head_text, open_binary

_CHUNK = 1 << 20
# A record is well under 1 KiB: this much text that still does not decode is a broken element.
_MAX_PENDING = 1 << 20
_NEXT_ELEMENT = re.compile(r"\}\s*,\s*(?=\{)")
_SLUG = re.compile(r"paperswithcode\.com/paper/([^/?#\s]+)")


class _ArrayReader:
    """Yield ``(number, value)`` for each element of a JSON array, or ``(number, Problem)``."""

    def __init__(self, stream: IO[bytes], name: str) -> None:
        self._stream = stream
        self._name = name
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._json = json.JSONDecoder()
        self._buf = ""
        self._pos = 0
        self._eof = False
        self._stopped = False

    def _fill(self) -> None:
        """Append the next chunk, dropping the text already consumed."""
        data = self._stream.read(_CHUNK)
        self._eof = not data
        self._buf = self._buf[self._pos :] + self._utf8.decode(data, final=self._eof)
        self._pos = 0

    def _next_char(self) -> str | None:
        """The next non-blank character (not consumed), or ``None`` at the end of the file."""
        while True:
            while self._pos < len(self._buf) and self._buf[self._pos] in " \t\r\n\ufeff":
                self._pos += 1
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if self._eof:
                return None
            self._fill()

    def _decode(self, number: int) -> object:
        while True:
            try:
                value, end = self._json.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if not self._eof and len(self._buf) - self._pos < _MAX_PENDING:
                    self._fill()
                    continue
                return self._skip_broken(number, exc)
            if end == len(self._buf) and not self._eof:  # a bare number might continue in the next chunk
                self._fill()
                continue
            self._pos = end
            return value

    def _skip_broken(self, number: int, exc: json.JSONDecodeError) -> Problem:
        """Step over a broken element to the next ``}, {``; without one, nothing more can be read."""
        found = _NEXT_ELEMENT.search(self._buf, self._pos)
        if found is None:
            raw = self._buf[self._pos :]
            self._stopped = True
            return Problem(f"not valid JSON ({exc.msg}) and nothing readable follows (truncated file?)", raw)
        raw = self._buf[self._pos : found.start() + 1]
        self._pos = found.start() + 1
        return Problem(f"not valid JSON ({exc.msg})", raw)

    def __iter__(self) -> Iterator[tuple[int, object]]:
        if self._next_char() != "[":
            raise UnreadableInput(f"{self._name}: not a JSON array (expected '[' at the start)")
        self._pos += 1
        number = 0
        while not self._stopped:
            char = self._next_char()
            if char == "]":
                return
            if number and char == ",":
                self._pos += 1
                char = self._next_char()
            elif number and char is not None:
                yield (
                    number + 1,
                    Problem(f"expected ',' or ']' after record {number}", self._buf[self._pos :][:200]),
                )
                return
            if char is None:
                yield number + 1, Problem(f"file ends after record {number} (truncated download?)")
                return
            number += 1
            yield number, self._decode(number)


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
        for number, value in _ArrayReader(stream, str(path)):
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

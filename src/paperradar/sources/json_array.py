"""A JSON array read one element at a time, in constant memory, surviving broken elements.

A real Papers-with-Code file is one ~100 MB array; a Zotero CSL-JSON export can be large too.
Elements are decoded from a sliding text buffer (``json.JSONDecoder.raw_decode``), so no
streaming-JSON dependency is needed. A broken element becomes a
:class:`~paperradar.records.Problem` and reading resumes at the next ``}, {``; a file cut
short ends with a problem saying so, after every complete element before the cut.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import IO

from paperradar.records import Problem, UnreadableInput

_CHUNK = 1 << 20
# A record is well under 1 KiB: this much text that still does not decode is a broken element.
_MAX_PENDING = 1 << 20
_NEXT_ELEMENT = re.compile(r"\}\s*,\s*(?=\{)")


class JsonArray:
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

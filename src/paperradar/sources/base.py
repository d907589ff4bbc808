"""What every source parser shares: the ``Format`` contract and streaming file helpers.

A format is a name, a cheap ``sniff`` over the first bytes of a file, and a ``parse``
generator that streams :class:`~paperradar.records.Item` objects. Parsers never touch
the store; they only describe what the file says, or why a part of it is unreadable.
"""

from __future__ import annotations

import gzip
import io
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import orjson

from paperradar.records import Item, UnreadableInput

HEAD_BYTES = 64 * 1024

Parser = Callable[[Path, int], Iterator[Item]]
"""``parse(path, start)``: stream the items of ``path``; items with ``position < start``
may be skipped cheaply (used to resume an interrupted import)."""

LineParser = Callable[[int, bytes], Item]
"""``parse_line(line_number, line)``: the item of one line of a line-oriented format."""

Sniffer = Callable[[str, bytes], bool]
"""``sniff(filename, head)``: does this file look like the format? ``head`` is the first
64 KiB, already decompressed when the file is gzip."""


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    source: str
    description: str
    sniff: Sniffer
    parse: Parser
    parse_line: LineParser | None = None  # JSON-lines formats: lets big files be parsed in parallel


_open_files: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()


def open_binary(path: Path) -> IO[bytes]:
    """Open a file for streaming, transparently decompressing gzip."""
    if not path.exists():
        raise UnreadableInput(f"{path}: file not found")
    if path.is_dir():
        raise UnreadableInput(f"{path}: is a directory")
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        unzipped = gzip.GzipFile(filename=path, mode="rb")
        _open_files[str(path)] = unzipped.fileobj
        return unzipped  # type: ignore[return-value]
    raw = path.open("rb")
    _open_files[str(path)] = raw
    return raw


def bytes_read(path: Path) -> int | None:
    """How far into the (compressed) file a parser has read: drives progress bars
    without parsers having to report anything."""
    raw = _open_files.get(str(path))
    try:
        return raw.tell() if raw is not None and not raw.closed else None
    except (OSError, ValueError):
        return None


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    try:
        with open_binary(path) as fh:
            return fh.read(size)
    except (OSError, EOFError) as exc:  # truncated gzip, permission…
        raise UnreadableInput(f"{path}: cannot read ({exc})") from exc


def iter_lines(path: Path, start: int = 0) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, line)`` for non-blank lines, 1-based, streaming.

    Lines before ``start`` are skipped without decoding. A truncated gzip member ends
    the stream with :class:`UnreadableInput` only if nothing was read.
    """
    with open_binary(path) as fh:
        reader = (
            fh if isinstance(fh, io.BufferedReader) else io.BufferedReader(cast(io.RawIOBase, fh), 1 << 20)
        )
        lineno = 0
        try:
            for line in reader:
                lineno += 1
                if lineno < start or not line.strip():
                    continue
                yield lineno, line
        except (EOFError, gzip.BadGzipFile, OSError) as exc:
            raise UnreadableInput(
                f"{path}: compressed stream is damaged after line {lineno} ({exc})"
            ) from exc


def load_json_document(path: Path) -> object:
    """Load a whole (small) JSON document, or explain why it is not one."""
    with open_binary(path) as fh:
        data = fh.read()
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise UnreadableInput(f"{path}: not valid JSON ({exc})") from exc


def head_text(head: bytes) -> str:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").decode("utf-8", "replace")

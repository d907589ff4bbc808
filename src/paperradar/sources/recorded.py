"""Recorded answers: paperradar's own HTTP cache files (:mod:`paperradar.sync.http`), importable as is.

A cache file is one JSON header line (``v``, ``status``, ``url``, ``headers``, ``stored_at``,
``length``, ``sha256``) and then the body exactly as the service sent it. Importing one imports
the body, of whatever service, detected like any file, with two facts only the header knows:
when the answer was retrieved (the as-of time of its statements) and which URL was asked (for a
Semantic Scholar references or citations page, the paper the page belongs to).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from paperradar.records import UnreadableInput
from paperradar.sources.base import open_binary, read_head

FORMAT_VERSION = 1  # http._CACHE_FORMAT: a newer paperradar's files may mean something else
_HEADER_START = b'{"v":'
_HEADER_KEYS = {"v", "status", "url", "headers", "stored_at", "length", "sha256"}
# The body's file name: some formats are told apart by it (BibTeX by ``.bib``).
_SUFFIXES = {"json": ".json", "xml": ".xml", "atom": ".xml", "bibtex": ".bib", "x-bibtex": ".bib"}


@dataclass(frozen=True, slots=True)
class Recorded:
    """One recorded answer; ``body`` is a file holding its body alone, for the parsers."""

    url: str
    status: int
    retrieved: dt.datetime
    body: Path

    @property
    def described(self) -> str:
        where = self.url.split("?", 1)[0]
        return f"recorded answer of {where}, retrieved {self.retrieved:%Y-%m-%d %H:%M} UTC"


def _header(path: Path) -> dict[str, object] | None:
    """The header of a cache file, or ``None`` when ``path`` is no such file."""
    try:
        head = read_head(path)
    except UnreadableInput:
        return None  # detection says why, as for any file
    if not head.startswith(_HEADER_START):
        return None
    line = head.partition(b"\n")[0]
    try:
        meta = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return meta if isinstance(meta, dict) and meta.keys() >= _HEADER_KEYS else None


def _suffix(headers: object) -> str:
    content_type = headers.get("content-type", "") if isinstance(headers, dict) else ""
    subtype = str(content_type).split(";", 1)[0].rpartition("/")[2].rpartition("+")[2].strip().lower()
    return _SUFFIXES.get(subtype, "")


@contextlib.contextmanager
def unpacked(path: Path) -> Iterator[Recorded | None]:
    """The recorded answer in ``path``, its body in a temporary file while the context lasts;
    ``None`` when ``path`` is not a recorded answer. A damaged one is :class:`UnreadableInput`."""
    meta = _header(path) if path.is_file() else None
    if meta is None:
        yield None
        return
    if meta["v"] != FORMAT_VERSION:
        raise UnreadableInput(
            f"{path}: a recorded answer in format v{meta['v']}, which this paperradar does not know "
            f"(it reads v{FORMAT_VERSION}); import it with the paperradar that recorded it"
        )
    with open_binary(path) as fh:
        body = fh.read().partition(b"\n")[2]
    length, digest = meta["length"], meta["sha256"]
    if length != len(body) or digest != hashlib.sha256(body).hexdigest():
        raise UnreadableInput(
            f"{path}: a recorded answer whose body was cut or changed "
            f"(the header says {length} bytes, the file holds {len(body)})"
        )
    try:
        retrieved = dt.datetime.fromtimestamp(float(str(meta["stored_at"])), dt.UTC)
        status = int(str(meta["status"]))
    except (ValueError, OverflowError, OSError) as exc:
        raise UnreadableInput(f"{path}: a recorded answer with a broken header ({exc})") from exc
    with tempfile.TemporaryDirectory(prefix="paperradar-recorded-") as folder:
        target = Path(folder) / f"answer{_suffix(meta['headers'])}"
        target.write_bytes(body)
        yield Recorded(str(meta["url"]), status, retrieved, target)

"""Upstream formats → normalised records. One module per upstream; this package finds the right one.

Each source module exposes ``FORMATS: list[Format]``; :func:`detect` asks each format's
``sniff`` in registry order (most specific first) which one a file is.
"""

from __future__ import annotations

from pathlib import Path

from paperradar.records import UnreadableInput
from paperradar.sources.base import Format, read_head


def all_formats() -> list[Format]:
    # Imported here so that a broken optional parser cannot stop `paperradar --help`.
    from paperradar.sources import (
        arxiv_api,
        arxiv_oai,
        arxiv_snapshot,
        bibtex,
        csl_json,
        hf_papers,
        openalex,
        pwc_links,
        seed_pages,
        semantic_scholar,
    )

    formats: list[Format] = []
    for module in (
        seed_pages,
        hf_papers,
        pwc_links,
        semantic_scholar,
        openalex,
        arxiv_oai,
        arxiv_api,
        arxiv_snapshot,
        bibtex,
        csl_json,
    ):
        formats.extend(module.FORMATS)
    return formats


def format_by_name(name: str) -> Format:
    formats = all_formats()
    for fmt in formats:
        if fmt.name == name:
            return fmt
    known = ", ".join(f.name for f in formats)
    raise UnreadableInput(f"unknown format {name!r}; known formats: {known}")


def detect(path: Path) -> Format:
    """The format of ``path``, or :class:`UnreadableInput` saying why none fits."""
    head = read_head(path)
    if not head.strip():
        raise UnreadableInput(f"{path}: file is empty")
    for fmt in all_formats():
        if fmt.sniff(path.name, head):
            return fmt
    preview = head[:60].decode("utf-8", "replace").replace("\n", " ")
    raise UnreadableInput(
        f"{path}: unknown format (starts with {preview!r}); use --format, see `paperradar formats`"
    )

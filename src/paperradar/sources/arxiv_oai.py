"""arXiv OAI-PMH responses (``metadataPrefix`` ``arXiv``, ``arXivRaw`` and ``oai_dc``).

Responses are streamed with ``lxml.etree.iterparse`` and every ``<record>`` is dropped
once read, so a multi-GB harvest dump parses in flat memory. The metadata of each record
is turned into the same field dictionary as a snapshot line and goes through
:func:`~paperradar.sources.arxiv_snapshot.record_from_object`, so all three arXiv
channels clean titles, authors and DOIs identically.

A saved HTTP recording of a harvest (a JSON array of interactions) is a second format:
the body of every ``200`` answer is parsed like a response file.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO, Any

from lxml import etree

from paperradar.identity.ids import delatex
from paperradar.records import ARXIV_OAI, AuthorRef, Item, Problem, Skipped, UnreadableInput, WorkRecord
from paperradar.sources.arxiv_snapshot import (
    affiliations_of,
    collapse,
    parse_rfc1123,
    record_from_object,
)
from paperradar.sources.base import Format, head_text, load_json_document, open_binary

_OAI = "{http://www.openarchives.org/OAI/2.0/}"
_RECORD = _OAI + "record"
_ERROR = _OAI + "error"
_SET = _OAI + "set"
_TOKEN = _OAI + "resumptionToken"
_ARXIV = "{http://arxiv.org/OAI/arXiv/}"
_ARXIV_RAW = "{http://arxiv.org/OAI/arXivRaw/}"
_OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
_DC = "{http://purl.org/dc/elements/1.1/}"

_DELETED = "deleted upstream (OAI header status=deleted)"

# Optional arXiv elements kept in WorkRecord.extra (report-no and submitter are kept by
# record_from_object).
_EXTRA_FIELDS = {"proxy": "proxy", "msc-class": "msc_class", "acm-class": "acm_class"}


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _text(element: Any) -> str:
    return str(element.text or "") if element is not None else ""


def _release(element: Any) -> None:
    """Free a parsed element and the already-read siblings the tree still holds."""
    element.clear()
    while element.getprevious() is not None:
        del element.getparent()[0]


def _iterparse(source: IO[bytes], tags: tuple[str, ...]) -> Any:
    return etree.iterparse(
        source, events=("end",), tag=tags, resolve_entities=False, no_network=True, huge_tree=True
    )


# --- metadata formats -------------------------------------------------------------------


def _arxiv_author(author: Any) -> list[str]:
    """``<author>`` → the snapshot's ``authors_parsed`` row ``[last, first, suffix, affiliation…]``."""
    row = ["", "", ""]
    for child in author:
        if not isinstance(child.tag, str):
            continue
        name = _local(child.tag)
        if name == "keyname":
            row[0] = _text(child)
        elif name == "forenames":
            row[1] = _text(child)
        elif name == "suffix":
            row[2] = _text(child)
        elif name == "affiliation":
            row.append(_text(child))
    return row


def _simple_fields(payload: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for child in payload:
        if isinstance(child.tag, str):
            fields[_local(child.tag)] = _text(child)
    return fields


def _date(fields: dict[str, Any], name: str) -> dt.date | None:
    value = fields.get(name, "").strip()
    return dt.date.fromisoformat(value) if value else None


def _from_arxiv(payload: Any) -> WorkRecord | str:
    fields = _simple_fields(payload)
    authors = payload.find(_ARXIV + "authors")
    if authors is not None:
        fields["authors_parsed"] = [_arxiv_author(a) for a in authors if isinstance(a.tag, str)]
    try:
        created, updated = _date(fields, "created"), _date(fields, "updated")
    except ValueError as exc:
        return f"unreadable date in <created>/<updated>: {exc}"
    record = _build(fields)
    if isinstance(record, WorkRecord):
        record.published, record.updated = created, updated
        record.year = created.year if created else None
    return record


def split_authors(text: str) -> list[AuthorRef]:
    """arXivRaw's author string → authors: ``'A, B, and C (Oxford)'``.

    Splits on top-level ``,`` and ``and``; a parenthesised group after a name is its
    affiliation, and footnote numbers ``(1 and 2)`` are looked up in the trailing
    ``((1) …, (2) …)`` list.
    """
    text = collapse(text)
    pieces: list[str] = []
    depth = begin = i = 0
    while i < len(text):
        char = text[i]
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif depth == 0 and char == ",":
            pieces.append(text[begin:i])
            begin = i + 1
        elif depth == 0 and text.startswith(" and ", i):
            pieces.append(text[begin:i])
            begin = i + 5
            i += 4
        i += 1
    pieces.append(text[begin:])

    authors: list[AuthorRef] = []
    for piece in pieces:
        piece = piece.strip()
        if piece.startswith("and "):
            piece = piece[4:]
        name, _, rest = piece.partition("(")
        name = delatex(name).strip()
        if not name:
            continue
        groups = _paren_groups("(" + rest) if rest else []
        notes = [group for group in groups if not group.startswith("(")]  # "((1) …)" is the footnote list
        authors.append(AuthorRef(name=name, affiliations=affiliations_of(notes, text) if notes else []))
    return authors


def _paren_groups(text: str) -> list[str]:
    """The contents of the top-level ``(…)`` groups of ``text``."""
    groups: list[str] = []
    depth = start = 0
    for index, char in enumerate(text):
        if char == "(":
            if depth == 0:
                start = index + 1
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0:
                groups.append(text[start:index].strip())
    return groups


def _from_arxiv_raw(payload: Any) -> WorkRecord | str:
    fields = _simple_fields(payload)
    versions: list[dict[str, str]] = []
    for element in payload.iterchildren(_ARXIV_RAW + "version"):
        label = element.get("version") or f"v{len(versions) + 1}"
        created = _text(element.find(_ARXIV_RAW + "date"))
        if parse_rfc1123(created) is None:
            return f"version {label}: unreadable <date> {created!r}"
        size = _text(element.find(_ARXIV_RAW + "size"))
        versions.append({"version": label, "created": created, "size": size})
    fields["versions"] = versions
    record = _build(fields)
    if isinstance(record, WorkRecord):
        record.authors = split_authors(fields.get("authors", ""))
        for version, raw in zip(record.versions, versions, strict=True):
            version.size = raw["size"] or None
        if len(record.versions) > 1 and record.versions[-1].date:  # like <updated> of the arXiv prefix
            record.updated = record.versions[-1].date.date()
    return record


def _from_oai_dc(payload: Any) -> WorkRecord | str:
    """Dublin Core as arXiv writes it: creators "Last, First", the abs URL and ``doi:`` as identifiers."""
    fields: dict[str, Any] = {"authors_parsed": []}
    subjects: list[str] = []
    dates: list[dt.date] = []
    for child in payload:
        if not isinstance(child.tag, str) or not child.tag.startswith(_DC):
            continue
        name, value = _local(child.tag), _text(child).strip()
        if not value:
            continue
        if name == "title":
            fields["title"] = value
        elif name == "creator":
            last, _, first = value.partition(",")
            fields["authors_parsed"].append([last.strip(), first.strip(), ""])
        elif name == "subject":
            subjects.append(value)
        elif name == "description":
            if value.startswith("Comment:"):
                fields["comments"] = value.removeprefix("Comment:")
            else:
                fields.setdefault("abstract", value)
        elif name == "date":
            try:
                dates.append(dt.date.fromisoformat(value[:10]))
            except ValueError:
                return f"unreadable <dc:date> {value!r}"
        elif name == "identifier":
            if value.startswith("doi:"):
                fields["doi"] = value.removeprefix("doi:")
            elif "arxiv.org/abs/" in value.lower():  # older records write http://arXiv.org/abs/…
                fields["id"] = value
            elif not value.startswith(("http://", "https://")):
                fields["journal-ref"] = value  # arXiv lists the journal reference as an identifier
        elif name == "rights":
            fields["license"] = value
    if "id" not in fields:
        return "no arXiv abs URL among the <dc:identifier> elements"
    record = _build(fields)
    if isinstance(record, WorkRecord):
        if subjects:
            record.extra["subjects"] = subjects  # subject names ("Mathematics - Combinatorics"), not codes
        if dates:
            record.published, record.updated, record.year = dates[0], dates[-1], dates[0].year
    return record


def _build(fields: dict[str, Any]) -> WorkRecord | str:
    if not fields.get("id", "").strip():
        return "metadata has no <id>"
    if not fields.get("title", "").strip():
        return "metadata has no <title>"
    record = record_from_object(fields)
    if isinstance(record, WorkRecord):
        for name, key in _EXTRA_FIELDS.items():
            if value := collapse(fields.get(name) or ""):
                record.extra[key] = value
    return record


_BUILDERS = {
    _ARXIV + "arXiv": _from_arxiv,
    _ARXIV_RAW + "arXivRaw": _from_arxiv_raw,
    _OAI_DC + "dc": _from_oai_dc,
}


# --- records and responses ------------------------------------------------------------


def _record_item(record: Any, number: int, position: int, prefix: str) -> Item:
    """``number`` counts records within this response, ``position`` across a whole recording."""
    header = record.find(_OAI + "header")
    identifier = collapse(_text(header.find(_OAI + "identifier"))) if header is not None else ""
    location = f"{prefix}record {number}" + (f" ({identifier})" if identifier else "")

    def problem(reason: str) -> Item:
        raw = etree.tostring(record, encoding="unicode")
        return Item(location, position, ARXIV_OAI, problem=Problem(reason, raw))

    if header is None:
        return problem("record has no <header>")
    if header.get("status") == "deleted":
        return Item(location, position, ARXIV_OAI, record=Skipped(_DELETED))
    metadata = record.find(_OAI + "metadata")
    payload = None if metadata is None else next((c for c in metadata if isinstance(c.tag, str)), None)
    if payload is None:
        return problem("record has no <metadata>")
    builder = _BUILDERS.get(payload.tag)
    if builder is None:
        return problem(f"unsupported metadata format <{payload.tag}>")
    result = builder(payload)
    if isinstance(result, str):
        return problem(result)
    datestamp = _text(header.find(_OAI + "datestamp")).strip()
    if datestamp:
        result.extra["oai_datestamp"] = datestamp
    return Item(location, position, ARXIV_OAI, record=result)


def _response_items(
    source: IO[bytes], name: str, start: int, offset: int, prefix: str
) -> Generator[Item, None, int]:
    """Items of one OAI-PMH response; returns how many positions it used (for the next response)."""
    count = sets = 0
    context = _iterparse(source, (_RECORD, _ERROR, _SET))
    try:
        for _, element in context:
            if element.tag == _RECORD:
                count += 1
                if offset + count >= start:
                    yield _record_item(element, count, offset + count, prefix)
            elif element.tag == _SET:
                sets += 1
            else:
                code = element.get("code") or "unknown"
                if code == "noRecordsMatch":  # an empty answer, not a failure
                    return 0
                raise UnreadableInput(f"{name}: OAI-PMH error {code}: {collapse(_text(element))}")
            _release(element)
    except etree.XMLSyntaxError as exc:
        if count == 0:
            raise UnreadableInput(f"{name}: not XML: {exc.msg}") from exc
        # The file is cut or damaged after some good records: keep those, report the rest.
        position = offset + count + 1
        reason = f"XML is malformed after record {count}: {exc.msg}"
        yield Item(f"{prefix}record {count + 1}", position, ARXIV_OAI, problem=Problem(reason))
        return count + 1
    if context.root is None or context.root.tag != _OAI + "OAI-PMH":
        root = _local(context.root.tag) if context.root is not None else "nothing"
        raise UnreadableInput(f"{name}: not an OAI-PMH response (root element <{root}>)")
    if sets and not count:
        if offset + 1 >= start:
            reason = f"ListSets response: {sets} sets, no records"
            yield Item(f"{prefix}ListSets", offset + 1, ARXIV_OAI, record=Skipped(reason))
        return 1
    return count


def parse(path: Path, start: int = 0) -> Iterator[Item]:
    """Stream the records of one OAI-PMH response file; ``position`` is the record number."""
    with open_binary(path) as fh:
        yield from _response_items(fh, str(path), start, 0, "")


def parse_recording(path: Path, start: int = 0) -> Iterator[Item]:
    """Records of every ``200`` answer in a recorded harvest; positions continue across answers."""
    interactions = load_json_document(path)
    if not isinstance(interactions, list):
        raise UnreadableInput(f"{path}: not an HTTP recording (expected a JSON array of interactions)")
    offset = 0
    for number, interaction in enumerate(interactions, start=1):
        if not isinstance(interaction, dict) or interaction.get("status") != 200:
            continue  # 503 "Retry-After" and other non-answers carry no records
        body = interaction.get("response")
        prefix = f"interaction {number}, "
        if not isinstance(body, str):
            offset += 1
            problem = Problem(f"response body is {type(body).__name__}, not XML text", str(body))
            yield Item(f"{prefix}response", offset, ARXIV_OAI, problem=problem)
            continue
        name = f"{path} (interaction {number})"
        offset += yield from _response_items(io.BytesIO(body.encode()), name, start, offset, prefix)


def parse_response(body: bytes, name: str) -> Iterator[Item]:
    """Records of one OAI-PMH response held in memory (a page of a live harvest)."""
    yield from _response_items(io.BytesIO(body), name, 0, 0, "")


def resumption_token(path: Path) -> tuple[str | None, int | None, int | None]:
    """``(token, completeListSize, cursor)`` of a ListRecords response, for the next harvest request.

    The token is ``None`` on the last page (arXiv sends an empty ``<resumptionToken/>``).
    """
    with open_binary(path) as fh:
        return _resumption_token(fh, str(path))


def resumption_token_of(body: bytes, name: str) -> tuple[str | None, int | None, int | None]:
    """:func:`resumption_token` of a response held in memory."""
    return _resumption_token(io.BytesIO(body), name)


def _resumption_token(source: IO[bytes], name: str) -> tuple[str | None, int | None, int | None]:
    token: str | None = None
    size: int | None = None
    cursor: int | None = None
    try:
        for _, element in _iterparse(source, (_RECORD, _TOKEN)):
            if element.tag == _TOKEN:
                token = _text(element).strip() or None
                size = _int(element.get("completeListSize"))
                cursor = _int(element.get("cursor"))
            _release(element)
    except etree.XMLSyntaxError as exc:
        raise UnreadableInput(f"{name}: not XML: {exc.msg}") from exc
    return token, size, cursor


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def sniff(filename: str, head: bytes) -> bool:
    text = head_text(head)
    return text.startswith("<") and "<OAI-PMH" in text


def sniff_recording(filename: str, head: bytes) -> bool:
    text = head_text(head)
    return text.startswith("[") and '"rawHeaders"' in text and "OAI-PMH" in text


FORMATS = [
    Format(
        name="arxiv-oai",
        source=ARXIV_OAI,
        description="arXiv OAI-PMH response (metadataPrefix arXiv, arXivRaw or oai_dc)",
        sniff=sniff,
        parse=parse,
    ),
    Format(
        name="arxiv-oai-recording",
        source=ARXIV_OAI,
        description="recorded arXiv OAI-PMH HTTP interactions (JSON array with status, rawHeaders, response)",
        sniff=sniff_recording,
        parse=parse_recording,
    ),
]

"""arXiv OAI-PMH responses (``metadataPrefix`` ``arXiv``, ``arXivRaw`` and ``oai_dc``).

Responses are streamed with ``lxml.etree.iterparse`` and every ``<record>`` is dropped
once read, so a multi-GB harvest dump parses in flat memory. The metadata of each record
is turned into the same field dictionary as a snapshot line and goes through
:func:`~paperradar.sources.arxiv_snapshot.record_from_object`, so all three arXiv
channels clean titles, authors and DOIs identically.

Every record is as of its header's ``<datestamp>`` (the day arXiv last changed it), whatever
the metadata prefix. A saved ListRecords page that ends in a ``resumptionToken`` is one page
of a longer list: after its records comes a :class:`~paperradar.records.Note` saying so
(pages fetched by a live harvest, :func:`parse_response`, carry no note: the harvest follows
the token itself).

A saved HTTP recording of a harvest (a JSON array of interactions) is a second format:
the body of every ``200`` answer is parsed like a response file.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

from lxml import etree

from paperradar.identity.ids import delatex
from paperradar.records import (
    ARXIV_OAI,
    AuthorRef,
    Item,
    Note,
    Problem,
    Skipped,
    UnreadableInput,
    WorkRecord,
)
from paperradar.sources.arxiv_categories import category_of_subject, is_category, set_hints
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
_SET_SPEC = _OAI + "setSpec"
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


def _from_arxiv(payload: Any, sets: list[str]) -> WorkRecord | str:
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


def _from_arxiv_raw(payload: Any, sets: list[str]) -> WorkRecord | str:
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


def _from_oai_dc(payload: Any, sets: list[str]) -> WorkRecord | str:
    """Dublin Core as arXiv writes it: creators "Last, First", the abs URL and ``doi:`` as identifiers.

    Categories come from the ``<dc:subject>`` names (:mod:`~paperradar.sources.arxiv_categories`
    maps them to codes; MSC and ACM classes, also written as subjects, map to none), in the
    order arXiv lists them. arXiv lists the primary category first, so the first subject that
    names a category is ``primary_category``. Categories the ``setSpec`` headers name exactly
    (``cs:cs:LG``, ``physics:hep-th``) are added after them: since 2024 arXiv writes one subject
    per distinct name, so a cs.LG paper cross-listed in stat.ML has one "Machine Learning"
    subject and both sets. When no subject names a category, the sets' archives (``cs``,
    ``physics:astro-ph`` → ``astro-ph``) are the categories, the first one primary: coarser
    than a category, but all the record says.
    """
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
            # The abstract comes first; the comments follow, as "Comment: …" until 2024, bare since.
            if value.startswith("Comment:"):
                fields["comments"] = value.removeprefix("Comment:")
            elif "abstract" in fields:
                fields.setdefault("comments", value)
            else:
                fields["abstract"] = value
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
            record.extra["subjects"] = subjects  # as written ("Mathematics - Combinatorics", "05C15")
        record.categories = _dc_categories(subjects, sets)
        record.primary_category = record.categories[0] if record.categories else None
        if dates:
            record.published, record.updated, record.year = dates[0], dates[-1], dates[0].year
    return record


def _dc_categories(subjects: list[str], sets: list[str]) -> list[str]:
    """Category codes of an oai_dc record, primary first (see :func:`_from_oai_dc`)."""
    hints = set_hints(sets)
    codes: list[str] = []
    for subject in subjects:
        code = category_of_subject(subject, hints)
        if code and code not in codes:
            codes.append(code)
    codes += [hint for hint in hints if is_category(hint) and hint not in codes]
    return codes or hints


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


_BUILDERS: dict[str, Callable[[Any, list[str]], WorkRecord | str]] = {
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
    datestamp = _text(header.find(_OAI + "datestamp")).strip()
    try:
        as_of = _datestamp(datestamp) if datestamp else None
    except ValueError:
        return problem(f"unreadable <datestamp> {datestamp!r}")
    result = builder(payload, [_text(spec) for spec in header.iterchildren(_SET_SPEC)])
    if isinstance(result, str):
        return problem(result)
    if datestamp:
        result.extra["oai_datestamp"] = datestamp
    result.as_of = as_of
    return Item(location, position, ARXIV_OAI, record=result)


def _datestamp(value: str) -> dt.datetime:
    """An OAI datestamp as an aware UTC time: a day (arXiv's granularity) is its midnight UTC."""
    parsed = dt.datetime.fromisoformat(value)
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


class Partial(NamedTuple):
    """A list page that the ``resumptionToken`` at its end continues."""

    records: int  # on this page
    token: str
    size: int | None  # completeListSize, when the repository says
    cursor: int | None
    expires: str | None

    def note(self) -> Note:
        known = (
            f"{self.records:,} of {self.size:,} records"
            if self.size is not None
            else f"{self.records:,} records"
        )
        if self.cursor is not None:
            known += f" (cursor {self.cursor:,})"
        until = f" (valid until {self.expires})" if self.expires else ""
        return Note(
            f"a partial list: {known}; the rest follow resumptionToken {self.token}{until}"
            " — `paperradar sync arxiv` harvests them all"
        )


def _partial(token: Any, records: int) -> Partial | None:
    text = collapse(_text(token))
    if not text or not records:
        return None
    size, cursor = _int(token.get("completeListSize")), _int(token.get("cursor"))
    return Partial(records, text, size, cursor, token.get("expirationDate") or token.get("expires"))


def _response_items(
    source: IO[bytes], name: str, start: int, offset: int, prefix: str
) -> Generator[Item, None, tuple[int, Partial | None]]:
    """Items of one OAI-PMH response; returns how many positions it used (for the next response)
    and, for a page that a resumptionToken continues, what the token says."""
    count = sets = 0
    token: Any = None
    context = _iterparse(source, (_RECORD, _ERROR, _SET, _TOKEN))
    try:
        for _, element in context:
            if element.tag == _RECORD:
                count += 1
                if offset + count >= start:
                    yield _record_item(element, count, offset + count, prefix)
            elif element.tag == _SET:
                sets += 1
            elif element.tag == _TOKEN:
                token = element
                continue  # read once the page is done: its records are counted by then
            else:
                code = element.get("code") or "unknown"
                if code == "noRecordsMatch":  # an empty answer, not a failure
                    return 0, None
                raise UnreadableInput(f"{name}: OAI-PMH error {code}: {collapse(_text(element))}")
            _release(element)
    except etree.XMLSyntaxError as exc:
        if count == 0:
            raise UnreadableInput(f"{name}: not XML: {exc.msg}") from exc
        # The file is cut or damaged after some good records: keep those, report the rest.
        position = offset + count + 1
        reason = f"XML is malformed after record {count}: {exc.msg}"
        yield Item(f"{prefix}record {count + 1}", position, ARXIV_OAI, problem=Problem(reason))
        return count + 1, None
    if context.root is None or context.root.tag != _OAI + "OAI-PMH":
        root = _local(context.root.tag) if context.root is not None else "nothing"
        raise UnreadableInput(f"{name}: not an OAI-PMH response (root element <{root}>)")
    if sets and not count:
        if offset + 1 >= start:
            reason = f"ListSets response: {sets} sets, no records"
            yield Item(f"{prefix}ListSets", offset + 1, ARXIV_OAI, record=Skipped(reason))
        return 1, None
    return count, None if token is None else _partial(token, count)


def _note_item(partial: Partial | None, position: int, start: int, prefix: str) -> Iterator[Item]:
    """The note of a partial page, after its records (so record positions never move)."""
    if partial is not None and position >= start:
        yield Item(f"{prefix}resumptionToken", position, ARXIV_OAI, record=partial.note())


def parse(path: Path, start: int = 0) -> Iterator[Item]:
    """Stream the records of one OAI-PMH response file; ``position`` is the record number, and a
    partial page's note comes last, at the position after its last record."""
    with open_binary(path) as fh:
        used, partial = yield from _response_items(fh, str(path), start, 0, "")
    yield from _note_item(partial, used + 1, start, "")


def parse_recording(path: Path, start: int = 0) -> Iterator[Item]:
    """Records of every ``200`` answer in a recorded harvest; positions continue across answers.

    Only the last answer's token matters: a recording of a whole harvest is complete although
    each of its pages but the last ends in a token."""
    interactions = load_json_document(path)
    if not isinstance(interactions, list):
        raise UnreadableInput(f"{path}: not an HTTP recording (expected a JSON array of interactions)")
    offset = 0
    partial: Partial | None = None
    last = ""
    for number, interaction in enumerate(interactions, start=1):
        if not isinstance(interaction, dict) or interaction.get("status") != 200:
            continue  # 503 "Retry-After" and other non-answers carry no records
        body = interaction.get("response")
        prefix = f"interaction {number}, "
        if not isinstance(body, str):
            offset += 1
            problem = Problem(f"response body is {type(body).__name__}, not XML text", str(body))
            yield Item(f"{prefix}response", offset, ARXIV_OAI, problem=problem)
            partial = None
            continue
        name = f"{path} (interaction {number})"
        used, partial = yield from _response_items(io.BytesIO(body.encode()), name, start, offset, prefix)
        offset, last = offset + used, prefix
    yield from _note_item(partial, offset + 1, start, last)


def parse_response(body: bytes, name: str) -> Iterator[Item]:
    """Records of one OAI-PMH response held in memory (a page of a live harvest, which follows
    the resumptionToken itself: no partial-list note)."""
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

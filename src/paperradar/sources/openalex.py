"""OpenAlex: API responses (one entity or a list page), snapshot part files and snapshot manifests.

The API and the S3 snapshot write entities in the same JSON schema, so one mapping serves
both; only the framing differs (a document versus JSON lines). paperradar stores works,
authors and institutions; the other entity kinds (sources, concepts, topics, funders,
publishers…) are well-formed but become :class:`~paperradar.records.Skipped` items so that
an import reports them instead of quarantining them.

A field of the wrong type turns its record into a :class:`~paperradar.records.Problem`
rather than being silently dropped: OpenAlex data is regular, so a surprise there means
the file is not what it claims to be. A field that is *absent* is another matter: a page
asked with ``select=`` (``select=ids``, ``select=id,display_name``) leaves most fields out,
and they stay ``None`` so that the sparse record never erases what a full one said.

Works and authors are as of their ``updated_date``. A list page that is one page of a longer
list ends with a :class:`~paperradar.records.Note` saying how much is missing and how to ask
for it; an OpenAlex error body (``{"error": …, "message": …}``) makes the file unreadable with
OpenAlex's own words.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from paperradar.identity.ids import arxiv_from_doi, arxiv_id, doi, orcid, pmcid, pmid
from paperradar.records import (
    OPENALEX,
    AuthorRecord,
    AuthorRef,
    Item,
    Note,
    OrganisationRecord,
    Problem,
    Record,
    Skipped,
    UnreadableInput,
    WorkRecord,
)
from paperradar.sources import fields
from paperradar.sources.base import Format, head_text, iter_lines, load_json_document
from paperradar.sources.fields import JSON

_PREFIX = "https://openalex.org/"
_KINDS = {
    "W": "work",
    "A": "author",
    "I": "institution",
    "S": "source",
    "C": "concept",
    "F": "funder",
    "P": "publisher",
    "T": "topic",
}
_TOP_CONCEPTS = 5
_TOP_TOPICS = 3
_MAX_ABSTRACT_WORDS = 100_000  # a larger position means a broken index, not an abstract
_MANIFEST_START = re.compile(r'^\{\s*"entries"\s*:')
_PAGE_START = re.compile(r'^\{\s*"meta"\s*:\s*(\{[^{}]*\})')  # meta is flat: count, page, next_cursor…
_ERROR_KEYS = {"error", "message"}
_MAX_MESSAGE = 500  # "x is not a valid field. Valid fields are …" lists hundreds of fields


def _counts_by_year(obj: JSON) -> dict[int, int]:
    counts: dict[int, int] = {}
    for entry in fields.objects(obj, "counts_by_year"):
        year, cited = fields.integer(entry, "year"), fields.integer(entry, "cited_by_count")
        if year is not None and cited is not None:
            counts[year] = cited
    return counts


def _short(value: str | None) -> str | None:
    """``https://openalex.org/W123`` → ``W123`` (bare ids pass through)."""
    return value.removeprefix(_PREFIX) if value else None


def _last_segment(value: str | None) -> str | None:
    """``https://ror.org/00jmfr291`` → ``00jmfr291``."""
    return value.rstrip("/").rsplit("/", 1)[-1] if value else None


def _as_of(entity: JSON) -> dt.datetime | None:
    """``updated_date`` (``2024-01-15T05:23:11.862735``, or a bare day in older snapshots) in UTC."""
    value = fields.text(entity, "updated_date")
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise fields.InvalidField(f"updated_date is {value!r}, expected a date and time") from None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


# --- works ---------------------------------------------------------------------------------


def _abstract(work: JSON) -> str | None:
    """Rebuild the text from ``abstract_inverted_index`` ({word: [positions]}), which OpenAlex
    publishes instead of the abstract itself. Words go straight into their slots: this runs
    for every work of a snapshot."""
    index = fields.obj(work, "abstract_inverted_index")
    if not index:
        return None
    try:
        size = 1 + max(max(positions) for positions in index.values())
        if size > _MAX_ABSTRACT_WORDS:
            raise ValueError(size)
        words = [""] * size
        for word, positions in index.items():
            for position in positions:
                words[position] = word
    except (TypeError, ValueError, IndexError):
        raise fields.InvalidField("abstract_inverted_index is not a map of words to word positions") from None
    return " ".join(word for word in words if word) or None


def _authorship(authorship: JSON) -> AuthorRef | None:
    name = fields.text(authorship, "author", "display_name") or fields.text(authorship, "raw_author_name")
    if name is None:
        return None
    ids: dict[str, str] = {}
    openalex_id = _short(fields.text(authorship, "author", "id"))
    if openalex_id:
        ids["openalex"] = openalex_id
    orcid_id = orcid(fields.text(authorship, "author", "orcid"))
    if orcid_id:
        ids["orcid"] = orcid_id
    affiliations = [
        inst_name
        for inst in fields.objects(authorship, "institutions")
        if (inst_name := fields.text(inst, "display_name"))
    ]
    if not affiliations:
        # Older snapshots have one raw string, newer ones a list.
        affiliations = fields.texts(authorship, "raw_affiliation_strings")
        single = fields.text(authorship, "raw_affiliation_string")
        if not affiliations and single:
            affiliations = [single]
    return AuthorRef(name=name, affiliations=affiliations, ids=ids)


def _arxiv_from_locations(work: JSON) -> str | None:
    """arXiv id of a copy hosted on arXiv: OpenAlex lists it as a location, not in ``ids``."""
    locations = fields.objects(work, "locations") or [fields.obj(work, "primary_location")]
    for location in locations:
        landing = fields.text(location, "landing_page_url")
        for url in (landing, fields.text(location, "pdf_url")):
            if url and "arxiv.org/" in url and (found := arxiv_id(url)):
                return found
        source = fields.text(location, "source", "display_name")
        if landing and source and source.startswith("arXiv"):
            found = arxiv_id(landing) or arxiv_from_doi(landing)
            if found:
                return found
    return None


def _work_ids(work: JSON, openalex_id: str) -> dict[str, str]:
    ids = {"openalex": openalex_id}
    given = fields.obj(work, "ids")
    work_doi = doi(fields.text(work, "doi") or fields.text(given, "doi"))
    if work_doi:
        ids["doi"] = work_doi
    mag = given.get("mag")
    if isinstance(mag, int | str) and not isinstance(mag, bool) and str(mag):
        ids["mag"] = str(mag)
    elif mag is not None:
        raise fields.InvalidField(f"ids.mag is {fields.describe(mag)}, expected a number")
    pubmed = pmid(fields.text(given, "pmid"))
    if pubmed:
        ids["pmid"] = pubmed
    pmc = pmcid(fields.text(given, "pmcid"))
    if pmc:
        ids["pmcid"] = pmc
    arxiv = arxiv_id(fields.text(given, "arxiv")) or arxiv_from_doi(work_doi) or _arxiv_from_locations(work)
    if arxiv:
        ids["arxiv"] = arxiv
    return ids


def _work(work: JSON, openalex_id: str) -> WorkRecord:
    authors: list[AuthorRef] = []
    for index, authorship in enumerate(fields.objects(work, "authorships")):
        try:
            ref = _authorship(authorship)
        except fields.InvalidField as exc:
            raise fields.InvalidField(f"authorships[{index}]: {exc}") from None
        if ref is not None:
            authors.append(ref)
    references = [
        {"openalex": short} for ref in fields.texts(work, "referenced_works") if (short := _short(ref))
    ]
    extra: dict[str, Any] = {}
    for key in ("type", "language"):
        value = fields.text(work, key)
        if value:
            extra[key] = value
    concepts = [name for c in fields.objects(work, "concepts") if (name := fields.text(c, "display_name"))]
    if concepts:
        extra["concepts"] = concepts[:_TOP_CONCEPTS]
    topics = [name for t in fields.objects(work, "topics") if (name := fields.text(t, "display_name"))]
    if topics:
        extra["topics"] = topics[:_TOP_TOPICS]
    retracted = fields.boolean(work, "is_retracted")
    if retracted is not None:
        extra["is_retracted"] = retracted
    oa_url = fields.text(work, "open_access", "oa_url")
    if oa_url:
        extra["oa_url"] = oa_url
    published = fields.date(work, "publication_date", timestamp=True)
    year = fields.integer(work, "publication_year")
    return WorkRecord(
        ids=_work_ids(work, openalex_id),
        title=fields.text(work, "display_name") or fields.text(work, "title"),
        abstract=_abstract(work),
        authors=authors,
        license=fields.text(work, "primary_location", "license"),
        published=published,
        year=year if year is not None else (published.year if published else None),
        venue=fields.text(work, "primary_location", "source", "display_name"),
        citation_count=fields.integer(work, "cited_by_count"),
        reference_count=fields.integer(work, "referenced_works_count"),
        counts_by_year=_counts_by_year(work),
        references=references,
        extra=extra,
        as_of=_as_of(work),
    )


# --- authors and institutions ------------------------------------------------------------


def _latest_year(affiliation: JSON) -> int:
    years = [year for year in fields.items(affiliation, "years") if isinstance(year, int)]
    return max(years, default=0)


def _author(author: JSON, openalex_id: str) -> AuthorRecord | Skipped:
    """OpenAlex's tombstones (``"Deleted Author"``, no works) are kept as ordinary authors:
    their id is real and may still appear on older works.

    An author a ``select=`` left without ``display_name`` is skipped: an author is stored
    under a name, and an empty one would replace the real one."""
    if "display_name" not in author:
        return Skipped(
            reason=f"OpenAlex author {openalex_id} without display_name (a select= page): "
            "an author is stored with a name"
        )
    name = fields.text(author, "display_name")
    if name is None:
        raise fields.InvalidField("author has no display_name")
    ids = {"openalex": openalex_id}
    orcid_id = orcid(fields.text(author, "orcid") or fields.text(author, "ids", "orcid"))
    if orcid_id:
        ids["orcid"] = orcid_id
    # Most recent first: the last known institutions, then the dated history newest first.
    institutions = fields.objects(author, "last_known_institutions") or [
        fields.obj(author, "last_known_institution")
    ]
    history = sorted(fields.objects(author, "affiliations"), key=_latest_year, reverse=True)
    institutions += [fields.obj(entry, "institution") for entry in history]
    affiliations: list[str] = []
    for institution in institutions:
        inst_name = fields.text(institution, "display_name")
        if inst_name and inst_name not in affiliations:
            affiliations.append(inst_name)
    return AuthorRecord(
        ids=ids,
        name=name,
        aliases=[alias for alias in fields.texts(author, "display_name_alternatives") if alias != name],
        affiliations=affiliations,
        works_count=fields.integer(author, "works_count"),
        citation_count=fields.integer(author, "cited_by_count"),
        h_index=fields.integer(author, "summary_stats", "h_index"),
        i10_index=fields.integer(author, "summary_stats", "i10_index"),
        counts_by_year=_counts_by_year(author),
        as_of=_as_of(author),
    )


def _institution(institution: JSON, openalex_id: str) -> OrganisationRecord:
    name = fields.text(institution, "display_name")
    if name is None:
        raise fields.InvalidField("institution has no display_name")
    ids = {"openalex": openalex_id}
    ror = _last_segment(fields.text(institution, "ror") or fields.text(institution, "ids", "ror"))
    if ror:
        ids["ror"] = ror
    acronyms = fields.texts(institution, "display_name_acronyms")
    return OrganisationRecord(
        ids=ids,
        name=name,
        short_name=acronyms[0] if acronyms else None,
        country=fields.text(institution, "country_code"),
        kind=fields.text(institution, "type"),
        homepage=fields.text(institution, "homepage_url"),
    )


def _entity(obj: JSON) -> Record:
    """Map one entity by the kind its id names (``W…`` work, ``A…`` author, ``I…`` institution);
    ``select=ids`` results have no ``id`` but ``ids.openalex``."""
    entity_id = fields.text(obj, "id") or fields.text(obj, "ids", "openalex")
    if entity_id is None:
        raise fields.InvalidField("entity has no id")
    short = entity_id.removeprefix(_PREFIX)
    if short[1:].isdigit():
        kind = _KINDS.get(short[0].upper(), "unknown")
        if kind == "work":
            return _work(obj, short)
        if kind == "author":
            return _author(obj, short)
        if kind == "institution":
            return _institution(obj, short)
    elif short != entity_id and "/" in short:
        kind = short.split("/", 1)[0]  # "keywords/…", "subfields/…"
    else:
        raise fields.InvalidField(f"id {entity_id!r} is not an OpenAlex id")
    return Skipped(reason=f"OpenAlex {kind} entity: paperradar stores works, authors and institutions")


def parse_entity(value: object, location: str, position: int) -> Item:
    if not isinstance(value, dict):
        problem = Problem(
            f"expected a JSON object, found {fields.kind_of(value)}", orjson.dumps(value).decode()
        )
        return Item(location, position, OPENALEX, problem=problem)
    try:
        return Item(location, position, OPENALEX, record=_entity(value))
    except fields.InvalidField as exc:
        return Item(location, position, OPENALEX, problem=Problem(str(exc), orjson.dumps(value).decode()))


# --- formats -------------------------------------------------------------------------------


def parse_api(path: Path, start: int = 0) -> Iterator[Item]:
    """One entity (location ``entity``) or a list page (``result N``, in page order, then the
    page's note at the position after its last result)."""
    document = load_json_document(path)
    if isinstance(document, dict) and isinstance(document.get("results"), list):
        results = document["results"]
        for number, value in enumerate(results, start=1):
            if number >= start:
                yield parse_entity(value, f"result {number}", number)
        groups = document.get("group_by")
        if not results and isinstance(groups, list) and groups and start <= 1:
            reason = f"OpenAlex group_by answer ({len(groups)} groups): counts, no entities to store"
            yield Item("group_by", 1, OPENALEX, record=Skipped(reason=reason))
        note = _page_note(fields.obj(document, "meta", strict=False), results)
        if note is not None and len(results) + 1 >= start:
            yield Item("list page", len(results) + 1, OPENALEX, record=note)
    elif isinstance(document, dict) and ("id" in document or "ids" in document):
        if start <= 1:
            yield parse_entity(document, "entity", 1)
    elif isinstance(document, dict) and isinstance(document.get("error"), str):
        raise UnreadableInput(_error_text(document))
    else:
        found = (
            f"keys {', '.join(sorted(document))}" if isinstance(document, dict) else fields.kind_of(document)
        )
        raise UnreadableInput(f"{path}: not an OpenAlex entity or list page (found {found})")


def _error_text(document: JSON) -> str:
    """``OpenAlex error: Invalid query parameters error.: foo is not a valid field.``"""
    parts = [str(document[key]).strip() for key in ("error", "message") if document.get(key)]
    text = ": ".join(part for part in parts if part) or "no message"
    if len(text) > _MAX_MESSAGE:
        text = text[: _MAX_MESSAGE - 1].rstrip() + "…"
    return f"OpenAlex error: {text}"


_PLURALS = {"work": "works", "author": "authors", "institution": "institutions", "source": "sources"}


def _listed(results: list[Any]) -> str:
    """What a page lists (``works``), from its results' ids; ``results`` when mixed or unknown."""
    kinds = set()
    for value in results:
        entity_id = None
        if isinstance(value, dict):
            entity_id = fields.text(value, "id", strict=False) or fields.text(
                value, "ids", "openalex", strict=False
            )
        short = (entity_id or "").removeprefix(_PREFIX)
        kinds.add(_KINDS.get(short[:1].upper(), "") if short[1:].isdigit() else "")
    kind = kinds.pop() if len(kinds) == 1 else ""
    return _PLURALS.get(kind, f"{kind} entities" if kind else "results")


def _page_note(meta: JSON, results: list[Any]) -> Note | None:
    """Say that a page is part of a longer list: ``page 1: 25 of 10,338 works; more follow
    next_cursor …``. An empty page (the end of a cursor harvest) says nothing."""
    if not results:
        return None
    count = fields.integer(meta, "count", strict=False)
    page = fields.integer(meta, "page", strict=False)
    per_page = fields.integer(meta, "per_page", strict=False)
    cursor = fields.text(meta, "next_cursor", strict=False)
    listed = len(results)
    before = (page - 1) * per_page if page and per_page else 0
    if cursor:
        rest = f"more follow next_cursor {cursor}"
    elif page and count is not None and count > before + listed:
        rest = f"more follow on page {page + 1}"
    elif count is not None and count > listed:
        rest = "the others were on earlier pages"
    else:
        return None
    where = f"page {page}" if page else "a cursor page"
    total = f" of {count:,}" if count is not None else ""
    return Note(f"{where}: {listed:,}{total} {_listed(results)}; {rest}")


def parse_snapshot(path: Path, start: int = 0) -> Iterator[Item]:
    """One entity a line, as in ``snapshot/<kind>/updated_date=…/part_NNN.gz``."""
    for lineno, line in iter_lines(path, start):
        yield parse_snapshot_line(lineno, line)


def parse_snapshot_line(lineno: int, line: bytes) -> Item:
    location = f"line {lineno}"
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raw = line.decode("utf-8", "replace").rstrip("\r\n")
        problem = Problem(f"not valid JSON: {exc.msg} at column {exc.colno}", raw)
        return Item(location, lineno, OPENALEX, problem=problem)
    return parse_entity(value, location, lineno)


def parse_manifest(path: Path, start: int = 0) -> Iterator[Item]:
    """A manifest only lists part files; say so, with its size, rather than import nothing silently."""
    document = load_json_document(path)
    entries = document.get("entries") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise UnreadableInput(f"{path}: not an OpenAlex snapshot manifest (no 'entries' list)")
    if start > 1:
        return
    records = 0
    for entry in entries:
        meta = entry.get("meta") if isinstance(entry, dict) else None
        count = meta.get("record_count") if isinstance(meta, dict) else None
        if isinstance(count, int):
            records += count
    reason = (
        f"OpenAlex snapshot manifest listing {len(entries)} parts ({records} records); import the part files"
    )
    yield Item("manifest", 1, OPENALEX, record=Skipped(reason=reason))


def _first_line(text: str) -> object:
    """The first line decoded as JSON, or ``None`` when it is incomplete or not JSON."""
    line, newline, _ = text.partition("\n")
    if not newline:
        return None
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return None


def _is_manifest(text: str) -> bool:
    return _MANIFEST_START.match(text) is not None and "s3://openalex/" in text


def sniff_manifest(filename: str, head: bytes) -> bool:
    """``{"entries": [{"url": "s3://openalex/…"`` (the files have no extension)."""
    return _is_manifest(head_text(head))


def _is_snapshot(filename: str, text: str) -> bool:
    if not text.startswith("{") or _PREFIX not in text or _is_manifest(text):
        return False
    # Snapshot parts are "part_NNN.gz"; "W123.json.gz" is a compressed API response.
    part_file = filename.startswith("part_") or (
        filename.endswith(".gz") and not filename.endswith(".json.gz")
    )
    first = _first_line(text)
    if first is None:  # the head ends inside a long first line, or the document is pretty-printed
        return part_file and "\n" not in text
    if not isinstance(first, dict) or "results" in first:
        return False
    more_lines = text.partition("\n")[2].lstrip().startswith("{")
    return part_file or more_lines


def sniff_snapshot(filename: str, head: bytes) -> bool:
    """JSON lines of OpenAlex entities: a part file name, or several entity lines."""
    return _is_snapshot(filename, head_text(head))


def _is_list_page(text: str) -> bool:
    """``{"meta": {"count": …}, "results": [`` even when no result names an OpenAlex id (an
    empty last cursor page, a ``select=`` page without ids)."""
    match = _PAGE_START.match(text)
    if match is None or '"results"' not in text:
        return False
    try:
        meta = orjson.loads(match.group(1))
    except orjson.JSONDecodeError:
        return False
    return isinstance(meta, dict) and isinstance(meta.get("count"), int)


def _is_error(text: str) -> bool:
    """OpenAlex's error body: exactly ``error`` and ``message`` (Semantic Scholar's have one key)."""
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return (
        isinstance(document, dict)
        and set(document) == _ERROR_KEYS
        and all(isinstance(value, str) for value in document.values())
    )


def sniff_api(filename: str, head: bytes) -> bool:
    """A JSON object mentioning ``https://openalex.org/`` ids that is not a snapshot or manifest,
    a list page, or an OpenAlex error body."""
    text = head_text(head)
    if not text.startswith("{"):
        return False
    if _is_list_page(text) or _is_error(text):
        return True
    return _PREFIX in text and not _is_manifest(text) and not _is_snapshot(filename, text)


FORMATS = [
    Format(
        name="openalex-manifest",
        source=OPENALEX,
        description="OpenAlex snapshot manifest (lists part files; nothing to import by itself)",
        sniff=sniff_manifest,
        parse=parse_manifest,
    ),
    Format(
        name="openalex-snapshot",
        source=OPENALEX,
        description="OpenAlex snapshot part file: works or authors as JSON lines (.gz or plain)",
        sniff=sniff_snapshot,
        parse=parse_snapshot,
        parse_line=parse_snapshot_line,
    ),
    Format(
        name="openalex-api",
        source=OPENALEX,
        description="OpenAlex API response: one entity (W…, A…, I…), a list page with results, or an error",
        sniff=sniff_api,
        parse=parse_api,
    ),
]

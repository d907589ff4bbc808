"""Semantic Scholar Graph API response bodies: papers, authors, their pages, batches and errors.

The Graph API answers every endpoint with a different envelope, so the one format here
recognises the body by its shape rather than by the endpoint that produced it:

* a paper (``paperId``) or an author (``authorId``);
* a batch (``POST /paper/batch``, ``/author/batch``): a list in which ``null`` marks an id
  S2 did not find, reported as :class:`~paperradar.records.Skipped`;
* pages with ``data`` (author papers, paper authors, search, bulk search with ``token``,
  references and citations) and recommendations (``recommendedPapers``);
* error bodies (``{"error": …}``, ``{"message": …}``), which make the file unreadable.

Nothing a paper embeds is dropped: its ``references`` and ``citations`` (``fields=references,…``)
yield each listed paper and a :class:`~paperradar.records.CitationRecord` per edge, and
authors with S2's own figures (``authors.hIndex``, ``paperCount``, ``citationCount``) yield an
:class:`~paperradar.records.AuthorRecord` so the figures are stored, not only the name.

References and citations pages list the *other* end of each edge; the page's own paper
is named only in the request URL, which a saved body does not keep. So each entry
yields that other paper as a :class:`~paperradar.records.WorkRecord`, and a
:class:`~paperradar.records.CitationRecord` (with contexts, intents and
``isInfluential``) only when the caller passes ``paper_id`` (the id used in the
request: a paperId or ``DOI:…``, ``arXiv:…``, ``CorpusId:…``…): an edge with an
anonymous end could never be attached to anything. Without it, the page ends with a
:class:`~paperradar.records.Note` saying so. References S2 could not resolve
(``paperId`` null and no external ids) are skipped, with a reason naming them: their
"title" is usually a fragment of the citation string.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from paperradar.identity.ids import arxiv_id, doi, orcid, pmcid, pmid
from paperradar.records import (
    SEMANTIC_SCHOLAR,
    AuthorRecord,
    AuthorRef,
    CitationRecord,
    Item,
    Note,
    Problem,
    Record,
    Skipped,
    UnreadableInput,
    WorkRecord,
)
from paperradar.sources import fields
from paperradar.sources.base import Format, head_text, load_json_document
from paperradar.sources.fields import JSON

# externalIds key → (WorkRecord.ids key, normaliser).
_EXTERNAL_IDS: dict[str, tuple[str, Callable[[str], str | None]]] = {
    "DOI": ("doi", doi),
    "ArXiv": ("arxiv", arxiv_id),
    "MAG": ("mag", str),
    "PubMed": ("pmid", pmid),
    "PubMedCentral": ("pmcid", pmcid),
    "DBLP": ("dblp", str),
    "ACL": ("acl", str),
    "CorpusId": ("s2_corpus", str),
}
# Prefixes the Graph API accepts in place of a paperId (``/paper/arXiv:2106.15928``).
_ID_PREFIXES = {
    prefix: _EXTERNAL_IDS[name]
    for prefix, name in (
        ("doi", "DOI"),
        ("arxiv", "ArXiv"),
        ("mag", "MAG"),
        ("pmid", "PubMed"),
        ("pmcid", "PubMedCentral"),
        ("acl", "ACL"),
        ("corpusid", "CorpusId"),
    )
}

_BATCH_START = re.compile(r'\[\s*(?:null\s*,\s*)*(?:null\s*\]|\{\s*"(\w+)")')
_OBJECT_START = re.compile(r'\{\s*"(\w+)"')
_RECORD_KEYS = {"paperId", "authorId", "recommendedPapers"}
_PAGE_KEYS = {"offset", "total", "next", "token", "data"}
_ERROR_KEYS = {"error", "message"}


# --- papers ------------------------------------------------------------------------------


def _paper_ids(paper: JSON) -> dict[str, str]:
    ids: dict[str, str] = {}
    paper_id = fields.text(paper, "paperId")
    if paper_id:
        ids["s2"] = paper_id
    for name, value in fields.obj(paper, "externalIds").items():
        mapping = _EXTERNAL_IDS.get(name)
        if mapping is None or value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise fields.InvalidField(f"externalIds.{name} is {fields.describe(value)}, expected an id")
        key, normalise = mapping
        canonical = normalise(str(value))
        if canonical:
            ids[key] = canonical
    corpus = fields.integer(paper, "corpusId")
    if corpus is not None:
        ids["s2_corpus"] = str(corpus)
    return ids


def _paper_authors(paper: JSON) -> list[AuthorRef]:
    authors = []
    for index, author in enumerate(fields.objects(paper, "authors", allow_null=False)):
        name = fields.text(author, "name", where=f"authors[{index}]")
        if name:
            author_id = fields.text(author, "authorId", where=f"authors[{index}]")
            authors.append(AuthorRef(name=name, ids={"s2": author_id} if author_id else {}))
    return authors


def _paper(paper: JSON) -> WorkRecord:
    """Any paper object, whatever ``fields=`` the request asked for (absent fields stay empty)."""
    extra: dict[str, Any] = {}
    studies = fields.texts(paper, "fieldsOfStudy")
    if studies:
        extra["fields_of_study"] = studies
    s2_fields: list[str] = []
    for index, entry in enumerate(fields.objects(paper, "s2FieldsOfStudy", allow_null=False)):
        category = fields.text(entry, "category", where=f"s2FieldsOfStudy[{index}]")
        if category and category not in s2_fields:
            s2_fields.append(category)
    if s2_fields:
        extra["s2_fields_of_study"] = s2_fields
    types = fields.texts(paper, "publicationTypes")
    if types:
        extra["publication_types"] = types
    oa_url = fields.text(paper, "openAccessPdf", "url")
    if oa_url:
        extra["oa_url"] = oa_url
    tldr = fields.text(paper, "tldr", "text")
    if tldr:
        extra["tldr"] = tldr
    published = fields.date(paper, "publicationDate")
    year = fields.integer(paper, "year")
    return WorkRecord(
        ids=_paper_ids(paper),
        title=fields.text(paper, "title"),
        abstract=fields.text(paper, "abstract"),
        authors=_paper_authors(paper),
        published=published,
        year=year if year is not None else (published.year if published else None),
        venue=fields.text(paper, "venue")
        or fields.text(paper, "journal", "name")
        or fields.text(paper, "publicationVenue", "name"),
        citation_count=fields.integer(paper, "citationCount"),
        influential_citation_count=fields.integer(paper, "influentialCitationCount"),
        reference_count=fields.integer(paper, "referenceCount"),
        extra=extra,
    )


# --- authors -----------------------------------------------------------------------------


def _author(author: JSON) -> tuple[AuthorRecord, list[tuple[int, str, str]]]:
    """The author, and ``(index, reason, raw)`` for each listed paper that could not be read:
    one bad paper should not cost the author and the other few hundred."""
    author_id = fields.text(author, "authorId")
    name = fields.text(author, "name")
    if author_id is None or name is None:
        raise fields.InvalidField("author has no authorId" if author_id is None else "author has no name")
    ids = {"s2": author_id}
    external = fields.obj(author, "externalIds")
    orcid_id = orcid(fields.text(author, "externalIds", "ORCID"))
    if orcid_id:
        ids["orcid"] = orcid_id
    dblp = external.get("DBLP")  # S2 gives authors a list of DBLP names
    dblp_name = dblp[0] if isinstance(dblp, list) and dblp else dblp
    if isinstance(dblp_name, str) and dblp_name:
        ids["dblp"] = dblp_name
    elif dblp_name is not None:
        raise fields.InvalidField(
            f"externalIds.DBLP is {fields.describe(dblp)}, expected a name or a list of names"
        )
    works: list[WorkRecord] = []
    bad: list[tuple[int, str, str]] = []
    for index, paper in enumerate(fields.items(author, "papers")):
        try:
            if not isinstance(paper, dict):
                raise fields.InvalidField(f"expected a JSON object, found {fields.kind_of(paper)}")
            works.append(_paper(paper))
        except fields.InvalidField as exc:
            bad.append((index, str(exc), orjson.dumps(paper).decode()))
    record = AuthorRecord(
        ids=ids,
        name=name,
        aliases=fields.texts(author, "aliases"),
        affiliations=fields.texts(author, "affiliations"),
        works_count=fields.integer(author, "paperCount"),
        citation_count=fields.integer(author, "citationCount"),
        h_index=fields.integer(author, "hIndex"),
        works=works,
        homepage=fields.text(author, "homepage"),
    )
    return record, bad


# --- entries -----------------------------------------------------------------------------

Found = tuple[str, Record | Problem]
"""One thing an entry gave, and where inside the entry it was (``""``: the entry itself)."""

_FIGURES = ("hIndex", "paperCount", "citationCount")
_EMBEDDED = (("references", "reference"), ("citations", "citation"))
_PAPER_SHA = re.compile(r"[0-9a-fA-F]{40}")


def _raw(value: object) -> str:
    return orjson.dumps(value).decode()


def _inside(where: str, part: str) -> str:
    return f"{where} {part}" if where and part else where or part


def _named(ids: dict[str, str]) -> str:
    """A paper's id as a reason names it: the paperId, else ``scheme:value``."""
    if "s2" in ids:
        return ids["s2"]
    return ", ".join(f"{scheme}:{value}" for scheme, value in ids.items())


def _unresolved(kind: str, work: WorkRecord) -> str:
    what = repr(work.title) if work.title else "without a title"
    return f"unresolved {kind} {what} (Semantic Scholar has no paper for it)"


def _figured_authors(paper: JSON, where: str = "") -> Iterator[Found]:
    """An :class:`AuthorRecord` for each author S2 gave figures for (``authors.hIndex`` …), so the
    figures are stored; authors with only a name and an id stay plain AuthorRefs of the paper."""
    for index, author in enumerate(fields.objects(paper, "authors", allow_null=False)):
        if all(author.get(key) is None for key in _FIGURES):
            continue
        at = _inside(where, f"authors[{index}]")
        try:
            record, _ = _author(author)
        except fields.InvalidField as exc:
            yield at, Problem(str(exc), _raw(author))
        else:
            yield at, record


def _linked(paper: JSON, ids: dict[str, str]) -> Iterator[Found]:
    """The papers ``paper`` embeds as ``references`` and ``citations``, their figured authors and
    an edge each: one unreadable or unresolved entry costs only itself, never the paper."""
    this = WorkRecord(ids=dict(ids))
    for key, kind in _EMBEDDED:
        try:
            listed = fields.items(paper, key)
        except fields.InvalidField as exc:
            yield key, Problem(str(exc), _raw(paper.get(key)))
            continue
        for index, other in enumerate(listed):
            at = f"{key}[{index}]"
            try:
                if not isinstance(other, dict):
                    raise fields.InvalidField(f"expected a JSON object, found {fields.kind_of(other)}")
                work = _paper(other)
                authors = list(_figured_authors(other, at))
            except fields.InvalidField as exc:
                yield at, Problem(str(exc), _raw(other))
                continue
            if not work.ids:
                yield at, Skipped(reason=f"{at} of {_named(ids)}: {_unresolved(kind, work)}")
                continue
            yield at, work
            yield from authors
            citing, cited = (this, work) if key == "references" else (work, this)
            yield at, CitationRecord(citing, cited)


def _citation(entry: JSON, location: str, page_paper: dict[str, str] | None) -> Iterator[Found]:
    """The other end of a references/citations entry, then the edge when the page's paper is known."""
    key = "citedPaper" if "citedPaper" in entry else "citingPaper"
    kind = "reference" if key == "citedPaper" else "citation"
    other = entry[key]
    if not isinstance(other, dict):
        raise fields.InvalidField(f"{key} is {fields.describe(other)}, expected an object")
    contexts = fields.texts(entry, "contexts")
    intents = fields.texts(entry, "intents")
    influential = fields.boolean(entry, "isInfluential")
    work = _paper(other)
    if not work.ids:
        of = f" ({kind}s of {_named(page_paper)})" if page_paper else ""
        yield "", Skipped(reason=f"{location}{of}: {_unresolved(kind, work)}")
        return
    yield "", work
    yield from _figured_authors(other, key)
    if page_paper is not None:
        this = WorkRecord(ids=dict(page_paper))
        citing, cited = (this, work) if key == "citedPaper" else (work, this)
        edge = CitationRecord(citing, cited, is_influential=influential, intents=intents, contexts=contexts)
        yield "", edge


def parse_entry(
    value: object, location: str, position: int, page_paper: dict[str, str] | None
) -> Iterator[Item]:
    """The items of one paper, author or references/citations entry, all at ``position``."""
    if not isinstance(value, dict):
        problem = Problem(f"expected a JSON object, found {fields.kind_of(value)}", _raw(value))
        yield Item(location, position, SEMANTIC_SCHOLAR, problem=problem)
        return
    found: list[Found]
    try:
        if "citedPaper" in value or "citingPaper" in value:
            found = list(_citation(value, location, page_paper))
        elif "paperId" in value:
            if not fields.text(value, "paperId"):
                raise fields.InvalidField("paper has no paperId")
            work = _paper(value)
            found = [("", work), *_figured_authors(value), *_linked(value, work.ids)]
        elif "authorId" in value:
            author, bad = _author(value)
            found = [("", author), *((f"papers[{i}]", Problem(why, raw)) for i, why, raw in bad)]
        else:
            raise fields.InvalidField(
                "not a paper, an author or a citation (no paperId, authorId or citedPaper)"
            )
    except fields.InvalidField as exc:
        yield Item(location, position, SEMANTIC_SCHOLAR, problem=Problem(str(exc), _raw(value)))
        return
    for at, thing in found:
        where = _inside(location, at)
        if isinstance(thing, Problem):
            yield Item(where, position, SEMANTIC_SCHOLAR, problem=thing)
        else:
            yield Item(where, position, SEMANTIC_SCHOLAR, record=thing)


def page_paper(paper_id: str | None) -> dict[str, str] | None:
    """Ids of the paper a references/citations page belongs to, from the id used in the request.

    A bare id must be a paperId: a bare arXiv id or DOI taken for one would make a paper that
    does not exist, so those need their prefix (``arXiv:``, ``DOI:``), as the Graph API wants."""
    if paper_id is None:
        return None
    prefix, colon, rest = paper_id.strip().partition(":")
    if not colon:
        if _PAPER_SHA.fullmatch(prefix):
            return {"s2": prefix.lower()}
        raise ValueError(
            f"cannot tell which paper {paper_id!r} names: give a Semantic Scholar paperId "
            "(40 hex digits) or a prefixed id (arXiv:…, DOI:…, CorpusId:…)"
        )
    mapping = _ID_PREFIXES.get(prefix.lower())
    canonical = mapping[1](rest) if mapping else None
    if mapping is None or canonical is None:
        raise ValueError(
            f"cannot tell which paper {paper_id!r} names: "
            "use a paperId, arXiv:…, DOI:…, CorpusId:…, MAG:…, ACL:…, PMID:… or PMCID:…"
        )
    return {mapping[0]: canonical}


_PAGE_URL = re.compile(r"/paper/([^/?#]+)/(citations|references)/?(?:[?#]|$)")


def page_paper_in_url(url: str) -> str | None:
    """The paper id of a ``/paper/{id}/citations`` or ``/references`` request URL (a recorded
    answer keeps it), as the request named it."""
    match = _PAGE_URL.search(url)
    return urllib.parse.unquote(match.group(1)) if match else None


def citation_page(document: object) -> str | None:
    """``"references"`` or ``"citations"`` for the body of such a page, else ``None``."""
    values = document.get("data") if isinstance(document, dict) else None
    for entry in values if isinstance(values, list) else ():
        if isinstance(entry, dict):
            if "citedPaper" in entry:
                return "references"
            if "citingPaper" in entry:
                return "citations"
    return None


def _unattached(kind: str, works: int) -> Note:
    return Note(
        f"this {kind} page does not say whose {kind} it lists: {works:,} listed works imported, "
        f"their citation edges not stored; to store them, import it again with --cites ID "
        f"(the paper the page was requested for: a paperId, arXiv:…, DOI:… or CorpusId:…)"
    )


def _error_text(document: JSON) -> str | None:
    for key in ("error", "message"):
        value = document.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def parse(path: Path, start: int = 0, paper_id: str | None = None) -> Iterator[Item]:
    """Stream the records of one Graph API response body.

    ``paper_id`` names the paper of a references/citations page (see the module docstring);
    without it those pages yield the listed papers and a note, but no citation edges.
    """
    ids = page_paper(paper_id)
    document = load_json_document(path)
    if ids is not None and citation_page(document) is None:
        raise UnreadableInput(
            f"{path}: not a Semantic Scholar references or citations page, "
            f"so it lists no papers citing or cited by {paper_id}"
        )
    if isinstance(document, list):
        for number, value in enumerate(document, start=1):
            if number < start:
                continue
            if value is None:
                skipped = Skipped(reason=f"not found (null slot {number} in batch)")
                yield Item(f"record {number}", number, SEMANTIC_SCHOLAR, record=skipped)
            else:
                yield from parse_entry(value, f"record {number}", number, ids)
        return
    if not isinstance(document, dict):
        raise UnreadableInput(f"{path}: not a Semantic Scholar response (found {fields.kind_of(document)})")
    if "paperId" in document or "authorId" in document:
        if start <= 1:
            yield from parse_entry(document, "record 1", 1, ids)
        return
    for key in ("data", "recommendedPapers"):
        values = document.get(key)
        if isinstance(values, list):
            listed = 0
            for index, value in enumerate(values):
                if index + 1 >= start:
                    location = f"{key}[{index}]"
                    for item in parse_entry(value, location, index + 1, ids):
                        if item.location == location and isinstance(item.record, WorkRecord):
                            listed += 1
                        yield item
            kind = citation_page(document)
            if ids is None and kind is not None and listed:
                yield Item(key, len(values), SEMANTIC_SCHOLAR, record=_unattached(kind, listed))
            return
    message = _error_text(document)
    if message is not None:
        raise UnreadableInput(f"Semantic Scholar error: {message}")
    keys = ", ".join(sorted(document)) or "none"
    raise UnreadableInput(f"{path}: not a Semantic Scholar response (top-level keys: {keys})")


def sniff(filename: str, head: bytes) -> bool:
    """Recognise the envelope by its first key (S2 writes ids first), or a one-key error body."""
    text = head_text(head)
    batch = _BATCH_START.match(text)
    if batch is not None:  # its first object is a paper or an author, or every slot is null
        return batch.group(1) in (None, "paperId", "authorId")
    match = _OBJECT_START.match(text)
    if match is None:
        return False
    first = match.group(1)
    if first in _RECORD_KEYS:
        return True
    if first in _PAGE_KEYS:
        return '"paperId"' in text or '"authorId"' in text
    if first in _ERROR_KEYS:
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError:
            return False
        return isinstance(document, dict) and len(document) == 1 and _error_text(document) is not None
    return False


FORMATS = [
    Format(
        name="s2-api",
        source=SEMANTIC_SCHOLAR,
        description="Semantic Scholar Graph API response (paper, author, batch, page, search, error)",
        sniff=sniff,
        parse=parse,
    )
]

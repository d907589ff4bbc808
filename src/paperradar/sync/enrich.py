"""Enrichment: ask Semantic Scholar, OpenAlex and the arXiv API about works the store already holds.

All three have batch look-ups (S2 ``POST /paper/batch``, up to 500 ids; OpenAlex
``GET /works?filter=doi:a|b``, up to 50 values; arXiv ``id_list=a,b``, 100 ids a request here),
so a corpus of thousands of works costs a handful of requests instead of one per work. S2 and
OpenAlex bring citations; arXiv brings the categories that papers known only by their arXiv id
(Hugging Face, BibTeX) lack. Each answer goes through the source's own parser
and the store's writer, which merges it with the stored work through its arXiv id / DOI and
files the citation counts, counts per year, reference lists and author ids under that source.

Works are processed in id order and each chunk is written with a checkpoint naming the last
work it covered, in one transaction: an enrichment stopped half-way (Ctrl-C, a network error)
resumes after the last committed chunk on the next run of the same selection.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar
from urllib.parse import quote

import orjson
from sqlalchemy import Engine

from paperradar.records import (
    ARXIV_API,
    OPENALEX,
    SEMANTIC_SCHOLAR,
    AuthorRecord,
    Item,
    Skipped,
    UnreadableInput,
    WorkRecord,
)
from paperradar.sources import arxiv_api, openalex, semantic_scholar
from paperradar.store import enrichment, uncategorised
from paperradar.store.writer import Changes, Counts
from paperradar.sync import SyncRun
from paperradar.sync.http import Fetcher, Response

__all__ = [
    "ARXIV_BATCH_LIMIT",
    "OPENALEX_BATCH_LIMIT",
    "S2_AUTHOR_BATCH_LIMIT",
    "S2_BATCH_LIMIT",
    "S2_FIELDS",
    "EnrichResult",
    "Enrichment",
    "arxiv_works_to_enrich",
    "authors_to_enrich",
    "enrich_arxiv",
    "enrich_openalex",
    "enrich_openalex_authors",
    "enrich_s2",
    "enrich_s2_authors",
    "works_to_enrich",
]

S2_BATCH_LIMIT: Final = 500  # ids per POST /paper/batch: S2 rejects more
OPENALEX_BATCH_LIMIT: Final = 50  # values OR-ed in one OpenAlex filter
ARXIV_BATCH_LIMIT: Final = 100
"""Ids per arXiv ``id_list`` request: a URL of ~1.5 kB, a page of the modest size arXiv asks for."""
OPENALEX_PER_PAGE: Final = 100
"""Twice the batch: OpenAlex sometimes holds two works under one DOI, and a duplicate must not
push the wanted work off the only page we ask for."""
S2_FIELDS: Final = (
    "paperId,externalIds,title,year,publicationDate,venue,"
    "citationCount,influentialCitationCount,referenceCount,authors"
)

_SOURCES: Final = {"s2": SEMANTIC_SCHOLAR, SEMANTIC_SCHOLAR: SEMANTIC_SCHOLAR, OPENALEX: OPENALEX}
_LABELS: Final = {SEMANTIC_SCHOLAR: "Semantic Scholar", OPENALEX: "OpenAlex", ARXIV_API: "arXiv API"}
# Ids each service can look a work up by (the others are useless to it).
_LOOKUP_SCHEMES: Final = {SEMANTIC_SCHOLAR: ("arxiv", "doi", "s2"), OPENALEX: ("doi", "arxiv", "openalex")}
_ARXIV_DOI_PREFIX: Final = "10.48550/arxiv."

WorkIds = tuple[int, dict[str, str]]
"""A work id and its external ids by scheme, as :func:`works_to_enrich` returns them."""
BatchCallback = Callable[[int, int], None]
"""``on_batch(works done, works to do)``, after each committed chunk."""


@dataclass
class EnrichResult:
    requested: int = 0  # works asked about in this run
    found: int = 0  # … that the service knew
    not_found: int = 0
    counts: Counts = field(default_factory=Counts)
    resumed: bool = False  # an unfinished run of the same selection was continued
    unknown: list[str] = field(default_factory=list)  # ids the service said it does not know (arXiv)


# --------------------------------------------------------------------------- selection


def _id_of(scheme: str) -> Callable[[dict[str, str]], tuple[str, str] | None]:
    """The key that asks by the ``scheme`` id alone (none when the work or author lacks it)."""

    def key(ids: dict[str, str]) -> tuple[str, str] | None:
        return (scheme, ids[scheme]) if scheme in ids else None

    return key


def _source(name: str) -> str:
    try:
        return _SOURCES[name]
    except KeyError:
        raise ValueError(f"cannot enrich from {name!r}: use s2 or openalex") from None


def _pick(scheme: str, values: list[str]) -> str:
    """One value per scheme; of several DOIs, a publisher's before arXiv's own (it is the one
    OpenAlex files the work under, and the one S2 knows when arXiv's is missing)."""
    if scheme == "doi":
        values = sorted(values, key=lambda v: (v.startswith(_ARXIV_DOI_PREFIX), v))
    else:
        values = sorted(values)
    return values[0]


def works_to_enrich(
    engine: Engine, source: str, *, missing_only: bool, author: str | None, limit: int | None
) -> list[WorkIds]:
    """Works ``source`` can be asked about, in work id order, with their ids by scheme.

    ``missing_only`` leaves out works that already have citation counts from ``source``;
    ``author`` keeps works with an author whose name contains it (case-insensitive) or whose
    S2 / OpenAlex id or ORCID it is.
    """
    source = _source(source)
    if limit is not None and limit < 0:
        raise ValueError(f"limit must not be negative, not {limit}")
    with engine.connect() as conn:
        found = enrichment.works_to_enrich(
            conn, source, _LOOKUP_SCHEMES[source], missing_only=missing_only, author=author, limit=limit
        )
    return [(w, {s: _pick(s, vs) for s, vs in sorted(ids.items())}) for w, ids in found]


# --------------------------------------------------------------------------- the common run


@dataclass(frozen=True, slots=True)
class _Lookup:
    work_id: int
    scheme: str  # the id the service is asked by: arxiv, doi, s2, openalex
    value: str

    def claim(self, record: WorkRecord) -> None:
        """The service answered for this id, so the answer is this work even when the record it
        sent leaves that id out (an arXiv DOI, say): the writer then finds the work by it."""
        record.ids.setdefault(self.scheme, self.value)


@dataclass
class _Answer:
    """One chunk's answer: items to write, what to fingerprint it by, and what was found."""

    items: list[Item]
    body: bytes
    url: str
    found: int
    not_found: int
    notes: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


Asker = Callable[[list[_Lookup], int], _Answer]
"""``ask(chunk, position of the chunk's first work)``."""
_Key = TypeVar("_Key", bound=Hashable)
"""What an answer is matched to its lookup by (an arXiv id; a scheme and an id)."""


def _enrich(
    engine: Engine,
    works: Sequence[WorkIds],
    *,
    source: str,
    key: Callable[[dict[str, str]], tuple[str, str] | None],
    ask: Asker,
    chunk_size: int,
    limit: int,
    selection: str,
    on_batch: BatchCallback | None,
    after_batch: Callable[[Changes], None] | None,
    what: str = "works",
) -> EnrichResult:
    """Ask about ``works`` (or authors: ``what``) chunk by chunk, each chunk written with its checkpoint."""
    if not 1 <= chunk_size <= limit:
        raise ValueError(f"chunk_size must be between 1 and {limit}, not {chunk_size}")
    label = _LABELS[source]
    checkpoint = f"sync:enrich:{source}" + ("" if what == "works" else f":{what}")
    result = EnrichResult()
    with SyncRun(
        engine,
        source=source,
        origin=f"sync:enrich:{source}",
        checkpoint=checkpoint,
        target=f"{label} enrichment of {len(works)} {what}" + (f" ({selection})" if selection else ""),
        format_name=f"{source}-enrich",
        after_batch=after_batch,
    ) as run:
        position = 0
        earlier = run.resumable
        if earlier is not None and earlier.state and earlier.state.get("selection", "") == selection:
            last = int(earlier.state.get("last_work_id") or 0)
            works = [w for w in works if w[0] > last]
            position, result.resumed = earlier.position, True
        todo = [_Lookup(work_id, *found) for work_id, ids in works if (found := key(ids)) is not None]
        if len(todo) < len(works):
            run.counts.notes.append(f"works without an id {label} can look up: {len(works) - len(todo)}")
        batches = [todo[i : i + chunk_size] for i in range(0, len(todo), chunk_size)]
        if not batches:  # nothing (left) to ask: an unfinished earlier run is finished now
            state: dict[str, Any] = {"last_work_id": None, "selection": selection}
            run.write([], b"", label, position, True, state)
        for number, chunk in enumerate(batches, start=1):
            answer = ask(chunk, position + 1)
            position += len(chunk)
            state = {"last_work_id": chunk[-1].work_id, "selection": selection}
            run.write(answer.items, answer.body, answer.url, position, number == len(batches), state)
            run.counts.notes.extend(answer.notes)
            result.requested += len(chunk)
            result.found += answer.found
            result.not_found += answer.not_found
            result.unknown += answer.unknown
            if on_batch is not None:
                on_batch(result.requested, len(todo))
        if result.unknown:
            run.counts.notes.append(_unknown_note(label, result.unknown))
    result.counts = run.counts
    return result


@dataclass(frozen=True)
class Enrichment:
    """One kind of enrichment: a service asked about works (or authors, ``what``) by the id
    ``key`` picks, with the requests ``asker`` makes, at most ``limit`` ids a request.

    Called as ``enrich(engine, fetcher, works, chunk_size=…, selection=…, on_batch=…,
    after_batch=…)``; see :meth:`__call__`.
    """

    source: str
    key: Callable[[dict[str, str]], tuple[str, str] | None]
    asker: Callable[[Fetcher], Asker]
    limit: int
    what: str = "works"

    def __call__(
        self,
        engine: Engine,
        fetcher: Fetcher,
        works: Sequence[WorkIds],
        *,
        chunk_size: int | None = None,
        selection: str = "",
        on_batch: BatchCallback | None = None,
        after_batch: Callable[[Changes], None] | None = None,
    ) -> EnrichResult:
        """Ask about ``works`` ``chunk_size`` at a time (default: as many as a request takes).

        ``fetcher`` points at the service's API. ``selection`` names how ``works`` were chosen
        (the command's options): an unfinished earlier run resumes only when it matches.
        """
        return _enrich(
            engine,
            works,
            source=self.source,
            key=self.key,
            ask=self.asker(fetcher),
            chunk_size=self.limit if chunk_size is None else chunk_size,
            limit=self.limit,
            selection=selection,
            on_batch=on_batch,
            after_batch=after_batch,
            what=self.what,
        )


def _unknown_note(label: str, unknown: list[str], shown: int = 20) -> str:
    """Which ids the service did not know, so a user can look at them (typos, withdrawn papers)."""
    more = f" and {len(unknown) - shown:,} more" if len(unknown) > shown else ""
    return f"{label} does not know {len(unknown):,} id{'s' * (len(unknown) != 1)}: " + (
        ", ".join(unknown[:shown]) + more
    )


def _decode(response: Response, label: str) -> Any:
    try:
        return response.json()
    except orjson.JSONDecodeError as exc:
        raise UnreadableInput(f"{label} answered {response.url} with something that is not JSON") from exc


def _answer(items: list[Item], responses: list[Response], found: int, not_found: int) -> _Answer:
    """A chunk's answer, fingerprinted by the bodies of all the requests it took."""
    body = b"\n".join(response.content for response in responses)
    return _Answer(items, body, " ".join(response.url for response in responses), found, not_found)


def _claimed(
    items: Iterable[Item], lookups: Mapping[_Key, _Lookup], keys_of: Callable[[WorkRecord], list[_Key]]
) -> tuple[list[Item], set[_Key], int]:
    """Each work record taken as the answer to the first of its keys that was asked and not
    answered yet (claimed by that lookup, located by its id); other items kept as they are.
    Returns the items kept, the keys answered, and how many records were left out."""
    kept: list[Item] = []
    answered: set[_Key] = set()
    strays = 0
    for item in items:
        record = item.record
        if isinstance(record, WorkRecord):
            wanted = next((k for k in keys_of(record) if k in lookups and k not in answered), None)
            if wanted is None:
                strays += 1
                continue
            answered.add(wanted)
            lookup = lookups[wanted]
            lookup.claim(record)
            item.location = f"{lookup.scheme}:{lookup.value}"
        kept.append(item)
    return kept, answered, strays


# --------------------------------------------------------------------------- Semantic Scholar


def _s2_key(ids: dict[str, str]) -> tuple[str, str] | None:
    for scheme in ("arxiv", "doi", "s2"):
        if scheme in ids:
            return scheme, ids[scheme]
    return None


def _s2_id(lookup: _Lookup) -> str:
    """The id as the Graph API takes it: ``ARXIV:2104.12255``, ``DOI:10.1/x`` or a bare paperId."""
    prefix = {"arxiv": "ARXIV:", "doi": "DOI:"}.get(lookup.scheme, "")
    return prefix + lookup.value


def _ask_s2(
    fetcher: Fetcher,
    endpoint: str = "paper/batch",
    fields: str = S2_FIELDS,
    as_id: Callable[[_Lookup], str] = _s2_id,
) -> Asker:
    def ask(chunk: list[_Lookup], first: int) -> _Answer:
        wanted = [as_id(lookup) for lookup in chunk]
        response = fetcher.post_json(endpoint, {"ids": wanted}, {"fields": fields})
        papers = _decode(response, "Semantic Scholar")
        if isinstance(papers, dict) and (message := papers.get("error") or papers.get("message")):
            raise UnreadableInput(f"Semantic Scholar error: {message}")
        if not isinstance(papers, list) or len(papers) != len(chunk):
            got = f"{len(papers)} answers" if isinstance(papers, list) else "no list"
            raise UnreadableInput(f"Semantic Scholar answered {got} for a batch of {len(chunk)} ids")
        items: list[Item] = []
        found = 0
        for offset, (lookup, name, paper) in enumerate(zip(chunk, wanted, papers, strict=True)):
            if paper is None:  # S2's null slot: it does not know this id
                skipped = Skipped(reason=f"Semantic Scholar does not know {name}")
                items.append(Item(name, first + offset, SEMANTIC_SCHOLAR, record=skipped))
                continue
            found += 1
            for item in semantic_scholar.parse_entry(paper, name, first + offset, None):
                if isinstance(item.record, WorkRecord):
                    lookup.claim(item.record)
                items.append(item)
        return _Answer(items, response.content, response.url, found, len(chunk) - found)

    return ask


# --------------------------------------------------------------------------- OpenAlex


def _openalex_key(ids: dict[str, str]) -> tuple[str, str] | None:
    """Its own id when the store has it (OpenAlex may hold two works under one DOI), else the
    DOI, else the DOI arXiv minted for the preprint."""
    if "openalex" in ids:
        return "openalex", ids["openalex"]
    if "doi" in ids:
        return "doi", ids["doi"]
    if "arxiv" in ids:
        return "doi", _ARXIV_DOI_PREFIX + ids["arxiv"].lower()
    return None


def _page_results(response: Response) -> list[Any]:
    page = _decode(response, "OpenAlex")
    results = page.get("results") if isinstance(page, dict) else None
    if not isinstance(results, list):
        raise UnreadableInput(f"OpenAlex answered {response.url} with no list of results")
    return results


def _openalex_keys(record: WorkRecord) -> list[tuple[str, str]]:
    return [(s, record.ids[s]) for s in ("openalex", "doi") if s in record.ids]


def _ask_openalex(fetcher: Fetcher) -> Asker:
    def ask(chunk: list[_Lookup], first: int) -> _Answer:
        by_key = {(lookup.scheme, lookup.value): lookup for lookup in chunk}
        results: list[Any] = []
        responses: list[Response] = []
        # Commas and pipes are the filter syntax's own separators: such DOIs are asked alone.
        alone = [k for k in by_key if k[0] == "doi" and ("," in k[1] or "|" in k[1])]
        for scheme in ("doi", "openalex"):
            values = [v for s, v in by_key if s == scheme and (s, v) not in alone]
            if values:
                params: dict[str, str | int] = {
                    "filter": f"{scheme}:{'|'.join(values)}",
                    "per-page": OPENALEX_PER_PAGE,
                }
                response = fetcher.get("works", params)
                results += _page_results(response)
                responses.append(response)
        for _, value in alone:
            response = fetcher.get(f"works/doi:{quote(value, safe='/')}", allow_status={404})
            if response.status == 200:
                results.append(_decode(response, "OpenAlex"))
                responses.append(response)
        parsed = [
            openalex.parse_entity(value, f"result {offset + 1}", first + offset)
            for offset, value in enumerate(results)
        ]
        # Left out: a second work under a DOI already answered, or one not asked for.
        items, answered, duplicates = _claimed(parsed, by_key, _openalex_keys)
        answer = _answer(items, responses, len(answered), len(chunk) - len(answered))
        if duplicates:
            answer.notes.append(f"OpenAlex had {duplicates} more works under ids already answered; left out")
        return answer

    return ask


# --------------------------------------------------------------------------- authors

S2_AUTHOR_BATCH_LIMIT = 1000
S2_AUTHOR_FIELDS = "name,aliases,affiliations,homepage,paperCount,citationCount,hIndex,externalIds"


def authors_to_enrich(
    engine: Engine, source: str, *, missing_only: bool, limit: int | None
) -> list[tuple[int, dict[str, str]]]:
    """(author id, {scheme: id}) of authors the service knows by id (S2 authorId, OpenAlex A…);
    with ``missing_only``, those it has not reported an h-index for yet."""
    source = _source(source)
    scheme = "s2" if source == SEMANTIC_SCHOLAR else "openalex"
    with engine.connect() as conn:
        return enrichment.authors_to_enrich(conn, source, scheme, missing_only=missing_only, limit=limit)


def _ask_s2_authors(fetcher: Fetcher) -> Asker:
    return _ask_s2(fetcher, "author/batch", S2_AUTHOR_FIELDS, lambda lookup: lookup.value)


def _ask_openalex_authors(fetcher: Fetcher) -> Asker:
    def ask(chunk: list[_Lookup], first: int) -> _Answer:
        wanted = {lookup.value for lookup in chunk}
        params: dict[str, str | int] = {
            "filter": f"openalex:{'|'.join(sorted(wanted))}",
            "per-page": OPENALEX_PER_PAGE,
        }
        response = fetcher.get("authors", params)
        items = [
            openalex.parse_entity(value, f"result {offset + 1}", first + offset)
            for offset, value in enumerate(_page_results(response))
        ]
        found = {
            rec.ids.get("openalex")
            for item in items
            if isinstance(rec := item.record, AuthorRecord) and rec.ids.get("openalex") in wanted
        }
        return _Answer(items, response.content, response.url, len(found), len(chunk) - len(found))

    return ask


# --------------------------------------------------------------------------- arXiv categories

_BAD_ID = re.compile(r"incorrect id format for (\S+)")


def arxiv_works_to_enrich(
    engine: Engine, *, refresh: bool = False, featured_only: bool = False, limit: int | None = None
) -> list[WorkIds]:
    """Works to ask the arXiv API about: those with an arXiv id and no categories (every one with
    ``refresh``; only Hugging Face's featured ones with ``featured_only``), in work id order."""
    with engine.connect() as conn:
        found = uncategorised.arxiv_works(conn, refresh=refresh, featured_only=featured_only, limit=limit)
    return [(work_id, {"arxiv": arxiv}) for work_id, arxiv in found]


def _ask_arxiv(fetcher: Fetcher) -> Asker:
    def ask(chunk: list[_Lookup], first: int) -> _Answer:
        wanted = {lookup.value: lookup for lookup in chunk}
        rejected: list[str] = []
        responses: list[Response] = []
        while True:
            asked = [value for value in wanted if value not in rejected]
            if not asked:
                items: list[Item] = []
                break
            # max_results defaults to 10: it must cover the batch or arXiv leaves papers out.
            params: dict[str, str | int] = {"id_list": ",".join(asked), "start": 0, "max_results": len(asked)}
            response = fetcher.get("", params, allow_status={400})
            responses.append(response)
            try:
                items = list(arxiv_api.parse_response(response.content, f"arXiv API ({len(asked)} ids)"))
                break
            except UnreadableInput as exc:
                # One id arXiv cannot parse fails the whole list: leave it out and ask for the rest.
                bad = _BAD_ID.search(str(exc))
                if bad is None or bad.group(1) not in asked:
                    raise
                rejected.append(bad.group(1))
        for offset, item in enumerate(items):
            item.position = first + offset
        kept, answered, strays = _claimed(items, wanted, lambda record: [record.ids.get("arxiv", "")])
        unknown = [value for value in wanted if value not in answered]
        for offset, value in enumerate(unknown, start=len(items)):
            reason = f"arXiv API does not know {value}" + (" (malformed id)" if value in rejected else "")
            kept.append(Item(f"arxiv:{value}", first + offset, ARXIV_API, record=Skipped(reason=reason)))
        answer = _answer(kept, responses, len(answered), len(unknown))
        answer.unknown = unknown
        if strays:
            answer.notes.append(f"arXiv API answered {strays} entries for ids not asked for; left out")
        return answer

    return ask


# --------------------------------------------------------------------------- the enrichments

#: Citation counts, reference counts and author ids for works from S2's batch endpoint, 500 a
#: request (``fetcher`` at the Graph API, ``…/graph/v1``).
enrich_s2 = Enrichment(SEMANTIC_SCHOLAR, _s2_key, _ask_s2, S2_BATCH_LIMIT)

#: Citations per year, references, author ids and institutions for works from OpenAlex, looked
#: up by OpenAlex id, DOI, or arXiv's DOI, 50 to a request.
enrich_openalex = Enrichment(OPENALEX, _openalex_key, _ask_openalex, OPENALEX_BATCH_LIMIT)

#: S2's reported h-index, paper and citation counts, affiliations and other ids per author
#: (``POST /author/batch``, up to 1,000 a request); stored as S2's reports beside our own.
enrich_s2_authors = Enrichment(
    SEMANTIC_SCHOLAR, _id_of("s2"), _ask_s2_authors, S2_AUTHOR_BATCH_LIMIT, what="authors"
)

#: OpenAlex's ``summary_stats`` (h-index, i10-index), works and citation counts, citations per
#: year and institutions per author, 50 authors a request.
enrich_openalex_authors = Enrichment(
    OPENALEX, _id_of("openalex"), _ask_openalex_authors, OPENALEX_BATCH_LIMIT, what="authors"
)

#: Categories (and the rest of arXiv's own metadata) for works by arXiv id, 100 a request
#: (``fetcher`` at the API, ``…/api/query``). Answers are arXiv API records, so arXiv's
#: precedence over Hugging Face or BibTeX applies; ids arXiv does not know are counted in
#: ``not_found``, listed in ``unknown`` and in a note.
enrich_arxiv = Enrichment(ARXIV_API, _id_of("arxiv"), _ask_arxiv, ARXIV_BATCH_LIMIT)

"""Normalised records: the one contract between `sources` (parsers) and `store`.

Every parser turns its upstream format into these plain dataclasses, so the store
never needs to know what arXiv, OpenAlex or Semantic Scholar look like. They are
slotted dataclasses rather than pydantic models because the bulk import builds
millions of them per minute.

Identifier conventions (keys of ``WorkRecord.ids`` / ``AuthorRef.ids``):

works:   ``arxiv`` (bare id without version, e.g. ``2104.12255`` or ``astro-ph/0601001``),
         ``doi`` (lower-case, no ``https://doi.org/``), ``s2`` (paperId sha), ``s2_corpus``,
         ``openalex`` (``W…``), ``mag``, ``pmid``, ``pmcid``, ``dblp``, ``acl``, ``pwc`` (PwC slug)
authors: ``orcid`` (``0000-0002-…``), ``openalex`` (``A…``), ``s2`` (authorId), ``hf`` (HF user name)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NamedTuple

# Source names, used as provenance everywhere in the store.
ARXIV_SNAPSHOT = "arxiv_snapshot"
ARXIV_OAI = "arxiv_oai"
ARXIV_API = "arxiv_api"
HUGGINGFACE = "huggingface"
OPENALEX = "openalex"
SEMANTIC_SCHOLAR = "semantic_scholar"
PAPERS_WITH_CODE = "paperswithcode"
BIBTEX = "bibtex"
CSL_JSON = "csl_json"
# The seed captures are two sites: a discovery site (profile page + paper cards) and daily
# listing pages; each is its own source, so their differing details never overwrite each other.
SEED_CARDS = "seed_cards"
SEED_LISTINGS = "seed_listings"


@dataclass(slots=True)
class AuthorRef:
    """One author as written on one work (an authorship)."""

    name: str
    affiliations: list[str] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Version:
    version: str  # "v1", "v2", …
    date: dt.datetime | None = None
    size: str | None = None


@dataclass(slots=True)
class CodeLink:
    url: str | None  # None: the source says code exists but gave no address (a captured "Code" badge)
    is_official: bool | None = None
    framework: str | None = None
    stars: int | None = None


@dataclass(slots=True)
class Community:
    """What a community site (Hugging Face daily papers, a seed listing) says about a work."""

    featured_day: dt.date | None = None
    upvotes: int | None = None
    comments: int | None = None
    submitter: str | None = None  # user name on that site
    submitter_name: str | None = None
    organisation: str | None = None  # handle, e.g. "CohereLabs"
    organisation_name: str | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] = field(default_factory=list)
    project_page: str | None = None
    n_authors: int | None = None


@dataclass(slots=True)
class WorkRecord:
    """One source's view of one work. Fields a source does not know stay ``None``/empty."""

    ids: dict[str, str]
    title: str | None = None
    abstract: str | None = None
    authors: list[AuthorRef] = field(default_factory=list)
    primary_category: str | None = None
    categories: list[str] = field(default_factory=list)
    comments: str | None = None
    journal_ref: str | None = None
    license: str | None = None
    published: dt.date | None = None  # first version / publication date
    updated: dt.date | None = None
    year: int | None = None
    versions: list[Version] = field(default_factory=list)
    venue: str | None = None
    # Citation facts as reported by the source (as of the record's time).
    citation_count: int | None = None
    influential_citation_count: int | None = None
    reference_count: int | None = None
    counts_by_year: dict[int, int] = field(default_factory=dict)
    references: list[dict[str, str]] = field(default_factory=list)  # ids of cited works
    code: list[CodeLink] = field(default_factory=list)
    community: Community | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # source-specific leftovers worth keeping
    # When the source's statement was true (OpenAlex ``updated_date``, an OAI datestamp, the time a
    # Semantic Scholar answer was retrieved); ``None``: as of the import. Of two statements of one
    # source, the fresher wins, whatever order the files are imported in.
    as_of: dt.datetime | None = None


@dataclass(slots=True)
class AuthorRecord:
    """A source's author entity (S2 author, OpenAlex author) with its reported metrics."""

    ids: dict[str, str]
    name: str
    aliases: list[str] = field(default_factory=list)
    affiliations: list[str] = field(default_factory=list)
    works_count: int | None = None
    citation_count: int | None = None
    h_index: int | None = None
    i10_index: int | None = None
    counts_by_year: dict[int, int] = field(default_factory=dict)
    works: list[WorkRecord] = field(default_factory=list)  # works listed with the author, if any
    homepage: str | None = None
    as_of: dt.datetime | None = None  # as WorkRecord.as_of


@dataclass(slots=True)
class CitationRecord:
    """A citation edge: ``citing`` cites ``cited``. Either end may carry full metadata."""

    citing: WorkRecord
    cited: WorkRecord
    is_influential: bool | None = None
    intents: list[str] = field(default_factory=list)
    contexts: list[str] = field(default_factory=list)


@dataclass(slots=True)
class OrganisationRecord:
    """An institution or community organisation (OpenAlex institution, Hugging Face org)."""

    ids: dict[str, str]  # ``openalex`` (I…), ``ror``, ``hf`` (org handle)
    name: str
    short_name: str | None = None
    country: str | None = None
    kind: str | None = None  # "education", "company", "hf-org", …
    homepage: str | None = None


@dataclass(slots=True)
class Skipped:
    """A well-formed record of a kind paperradar does not store (an OpenAlex concept, a manifest).

    Stored with its reason, so ``paperradar quarantine`` can say why it was left out."""

    reason: str


@dataclass(slots=True)
class Note:
    """Something the user should hear about the input as a whole, e.g. "a partial list page:
    6 of 58,011 records; the rest follow the resumptionToken". Shown with the import's result."""

    text: str


class PreparedWork(NamedTuple):
    """A work record already reduced to the rows the store writes when the work is new.

    Parse workers (:mod:`paperradar.sources.parallel`) build these so that the single writing
    process does not have to: a plain tuple crosses a process boundary ten times cheaper than
    the dataclasses. ``statement`` is the record's JSON (``identity.works.dumps``), from which
    the writer rebuilds the record when the work turns out not to be new. Built by
    :func:`paperradar.identity.works.prepare`.
    """

    keys: tuple[tuple[str, str], ...]  # identity.works.keys
    row: tuple[Any, ...]  # the displayed columns, in identity.works.DISPLAY_COLUMNS order
    statement: str
    versions: tuple[tuple[str, dt.datetime | None, str | None], ...]
    authors: tuple[tuple[str, list[str]], ...]  # name as written, affiliations
    plain: bool  # identity.works.is_plain: these rows are all the store needs
    as_of: dt.datetime | None  # WorkRecord.as_of


Record = WorkRecord | PreparedWork | AuthorRecord | CitationRecord | OrganisationRecord | Skipped | Note


@dataclass(slots=True)
class Problem:
    """A record that could not be read: quarantined with where and why."""

    reason: str
    raw: str | None = None  # the offending text, truncated by the store


@dataclass(slots=True)
class Item:
    """What a parser yields: a record or a problem, plus where in the file it was.

    ``location`` is human readable ("line 17", "record 3", "entry 'smith2020'") and
    ``position`` is a resumable offset (line number or record index, monotonic).
    """

    location: str
    position: int
    source: str
    record: Record | None = None
    problem: Problem | None = None


class UnreadableInput(Exception):
    """The whole input cannot be read at all (not found, not XML, an upstream error document…)."""

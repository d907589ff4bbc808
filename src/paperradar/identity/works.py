"""Work identity: which keys identify a work, and which source's value is displayed.

How much an identifier says, per scheme (see ``docs/identity.md``):

* **strong** (:data:`STRONG_SCHEMES`): arXiv id (version-less), DOI, Semantic Scholar paper id
  and corpus id, OpenAlex id, PubMed and PMC ids. Each names one paper in a registry that is
  kept up to date, so one shared strong id makes two records one work. A work has at most one
  value of each :data:`UNIQUE_SCHEMES` scheme: two records with *different* arXiv ids (or S2,
  OpenAlex, PubMed ids) are two works even if another id links them. DOIs are strong but not
  unique: a preprint has arXiv's DOI and its journal version another.
* **weak** (:data:`WEAK_SCHEMES`): MAG (frozen since 2021, often re-linked), DBLP keys, ACL
  Anthology ids, Papers-with-Code slugs. They match a record that no strong id placed, but a
  disagreement on them never splits a work: the same S2 paper saved twice with two MAG ids is
  one work holding both ids (each with the source that said it; the writer counts the conflict).
* **title** (the normalised title): only when no id matched, when the first author's family
  name and the year agree as far as both sides know them, and when the two sides carry no
  *different* ids of one scheme (two arXiv papers that happen to share a title are two works).

Displayed values are folded from every source's view of the work, field by field, in
:data:`PRECEDENCE` order: the first source with a value wins. The fold depends only on
the set of views, never on import order, so re-imports and resumed imports converge.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import orjson

from paperradar import records as r
from paperradar.identity.ids import family_name, normalise_title

STRONG_SCHEMES = ("arxiv", "doi", "s2", "s2_corpus", "openalex", "pmid", "pmcid")
"""Ids that alone make two records one work (strongest first: the order matches are tried in)."""
UNIQUE_SCHEMES = frozenset({"arxiv", "s2", "s2_corpus", "openalex", "pmid", "pmcid"})
"""Strong ids a work has one value of: two different values mean two works."""
WEAK_SCHEMES = ("mag", "dblp", "acl", "pwc")
"""Legacy or secondary ids: they place a record no strong id placed, and never split a work."""
ID_SCHEMES = (*STRONG_SCHEMES, *WEAK_SCHEMES)
TITLE_SCHEME = "title"


def strength(scheme: str) -> str:
    """``"strong"``, ``"weak"`` or ``"title"``: how far a match on this scheme is trusted."""
    if scheme in STRONG_SCHEMES:
        return "strong"
    return "weak" if scheme in WEAK_SCHEMES else "title"


# Bibliographic precedence: arXiv's own metadata first (authoritative and versioned), then the
# catalogues, then community sites and a user's own files, then the seed captures.
PRECEDENCE = (
    r.ARXIV_OAI,
    r.ARXIV_API,
    r.ARXIV_SNAPSHOT,
    r.OPENALEX,
    r.SEMANTIC_SCHOLAR,
    r.HUGGINGFACE,
    r.BIBTEX,
    r.CSL_JSON,
    r.PAPERS_WITH_CODE,
    r.SEED_CARDS,
    r.SEED_LISTINGS,
)
_RANK = {source: rank for rank, source in enumerate(PRECEDENCE)}


def rank(source: str) -> int:
    return _RANK.get(source, len(PRECEDENCE))


def title_key(record: r.WorkRecord) -> str | None:
    """Digest of the normalised title, or ``None`` for titles too short to identify anything.

    Hashed because it is only ever compared, and 32 characters keep the id index small. A
    title match alone is not enough: see :func:`compatible`.
    """
    title = normalise_title(record.title)
    if len(title) < 12:  # "Introduction", "Editorial": too generic to match on
        return None
    return hashlib.blake2b(title.encode(), digest_size=16).hexdigest()


def record_year(record: r.WorkRecord) -> int | None:
    return record.year or (record.published.year if record.published else None)


def first_family(record: r.WorkRecord) -> str | None:
    return (family_name(record.authors[0].name) or None) if record.authors else None


def compatible(
    year: int | None, family: str | None, other_year: int | None, other_family: str | None
) -> bool:
    """May two works with the same title be one? Their first authors' family names must agree
    and their years be at most one apart (a preprint and its journal version), where known."""
    if year and other_year and abs(year - other_year) > 1:
        return False
    return not (family and other_family and family != other_family)


def keys(record: r.WorkRecord) -> list[tuple[str, str]]:
    """Every ``(scheme, value)`` that identifies this record: strong ids, then weak ids, then the title."""
    found = [(scheme, record.ids[scheme]) for scheme in ID_SCHEMES if record.ids.get(scheme)]
    weak = title_key(record)
    if weak:
        found.append((TITLE_SCHEME, weak))
    return found


# ---------------------------------------------------------------------------------------------
# Serialising a source's view (work_sources.record) and reading it back.


def _default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def dumps(record: r.WorkRecord) -> str:
    """Stable JSON of a record (dataclasses natively, dict keys sorted so equal views compare equal).

    ``as_of`` is left out: the store keeps it beside the statement, and two files saying the same
    thing on different days say the same thing."""
    if record.as_of is not None:
        record = replace(record, as_of=None)
    return orjson.dumps(
        record, default=_default, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    ).decode()


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value[:10]) if value else None


def _datetime(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def loads(text: str) -> r.WorkRecord:
    """Inverse of :func:`dumps`."""
    data: dict[str, Any] = orjson.loads(text)
    community = data.get("community")
    return r.WorkRecord(
        ids=data["ids"],
        title=data.get("title"),
        abstract=data.get("abstract"),
        authors=[r.AuthorRef(**a) for a in data.get("authors", [])],
        primary_category=data.get("primary_category"),
        categories=data.get("categories", []),
        comments=data.get("comments"),
        journal_ref=data.get("journal_ref"),
        license=data.get("license"),
        published=_date(data.get("published")),
        updated=_date(data.get("updated")),
        year=data.get("year"),
        versions=[
            r.Version(version=v["version"], date=_datetime(v.get("date")), size=v.get("size"))
            for v in data.get("versions", [])
        ],
        venue=data.get("venue"),
        citation_count=data.get("citation_count"),
        influential_citation_count=data.get("influential_citation_count"),
        reference_count=data.get("reference_count"),
        counts_by_year={int(k): v for k, v in data.get("counts_by_year", {}).items()},
        references=data.get("references", []),
        code=[r.CodeLink(**c) for c in data.get("code", [])],
        community=r.Community(**{**community, "featured_day": _date(community.get("featured_day"))})
        if community
        else None,
        extra=data.get("extra", {}),
    )


# ---------------------------------------------------------------------------------------------
# The displayed row.

_DISPLAY_FIELDS = (
    "title",
    "abstract",
    "primary_category",
    "comments",
    "journal_ref",
    "license",
    "venue",
    "published",
    "updated",
    "year",
)


DISPLAY_COLUMNS = (
    *_DISPLAY_FIELDS,
    "categories",
    "title_key",
    "arxiv_id",
    "doi",
    "latest_version",
    "n_authors",
    "sources",
    "has_code",
)
"""The ``works`` columns :func:`display` fills."""


def display(views: Mapping[str, r.WorkRecord]) -> dict[str, Any]:
    """The ``works`` columns for a work seen by the given sources (source → record)."""
    ordered = sorted(views.items(), key=lambda item: rank(item[0]))
    records = [rec for _, rec in ordered]
    if len(records) == 1:  # the bulk-import case: no precedence to apply
        rec = records[0]
        row: dict[str, Any] = {name: getattr(rec, name) or None for name in _DISPLAY_FIELDS}
    else:
        row = {
            name: next(filter(None, (getattr(rec, name) for rec in records)), None)
            for name in _DISPLAY_FIELDS
        }
    categories = next(filter(None, (rec.categories for rec in records)), [])
    row["categories"] = " ".join(categories) or None
    if row["year"] is None and row["published"] is not None:
        row["year"] = row["published"].year
    row["title_key"] = normalise_title(row["title"]) or None
    row["arxiv_id"] = first_id(ordered, "arxiv")
    row["doi"] = first_id(ordered, "doi")
    versions = sorted({v.version for rec in records for v in rec.versions}, key=version_number)
    row["latest_version"] = versions[-1] if versions else None
    row["n_authors"] = _author_count(ordered, authors_view(views))
    row["sources"] = " ".join(source for source, _ in ordered)
    row["has_code"] = any(rec.code for rec in records) or _mentions_code(row["abstract"], row["comments"])
    return row


def is_plain(record: r.WorkRecord) -> bool:
    """Nothing but the work itself, its ids, versions and author names and affiliations: no
    author ids to attach, no code links, citation facts, community data or references."""
    return not (
        record.code
        or record.community
        or record.references
        or record.counts_by_year
        or record.citation_count is not None
        or any(author.ids for author in record.authors)
    )


def prepare(source: str, record: r.WorkRecord) -> r.PreparedWork:
    """What the store writes for ``record`` if it is a new work seen by ``source`` alone."""
    row = display({source: record})
    return r.PreparedWork(
        keys=tuple(keys(record)),
        row=tuple(row[name] for name in DISPLAY_COLUMNS),
        statement=dumps(record),
        versions=tuple((v.version, v.date, v.size) for v in record.versions),
        authors=tuple((a.name, a.affiliations) for a in record.authors),
        plain=is_plain(record),
        as_of=record.as_of,
    )


_CODE_HOST = re.compile(r"git(?:hub|lab)\.com/[\w.\-]+/[\w.\-]+")


def _mentions_code(*texts: str | None) -> bool:
    """A repository address in the abstract or comments counts as a code link (the Code badge rule)."""
    return any(text and _CODE_HOST.search(text.lower()) for text in texts)


def first_id(ordered: Iterable[tuple[str, r.WorkRecord]], scheme: str) -> str | None:
    return next((rec.ids[scheme] for _, rec in ordered if rec.ids.get(scheme)), None)


def version_number(version: str) -> int:
    """``'v12'`` → 12, so versions sort as numbers."""
    return int(version[1:]) if version[1:].isdigit() else 0


def authors_view(views: Mapping[str, r.WorkRecord]) -> tuple[str, list[r.AuthorRef]] | None:
    """The source whose author list is displayed: the highest-precedence *complete* list.

    Captures that show only the first authors ("et al.") lose to any full list.
    """
    candidates = [(s, rec) for s, rec in views.items() if rec.authors]
    if not candidates:
        return None
    complete = [(s, rec) for s, rec in candidates if not rec.extra.get("et_al")]
    source, record = min(complete or candidates, key=lambda item: rank(item[0]))
    return source, record.authors


def _author_count(
    ordered: list[tuple[str, r.WorkRecord]], authors: tuple[str, list[r.AuthorRef]] | None
) -> int | None:
    if authors and not views_truncated(ordered, authors[0]):
        return len(authors[1])
    counted = [rec.community.n_authors for _, rec in ordered if rec.community and rec.community.n_authors]
    if counted:
        return counted[0]
    return None  # only a list that stops at "et al.": the count is unknown


def views_truncated(ordered: list[tuple[str, r.WorkRecord]], source: str) -> bool:
    return any(s == source and bool(rec.extra.get("et_al")) for s, rec in ordered)

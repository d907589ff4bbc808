"""Statements and the rows built from them: what the writer stores, computed without the database.

A *statement* is what one origin (an imported file, a sync stream) said about a work, with the
date it was true. A source's *view* of a work is its statements folded by that date, the freshest
winning (``docs/identity.md``). Everything here is a pure function of records and views, so the
rules can be read (and tested) apart from the SQL that writes them (:mod:`paperradar.store.writer`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any, NamedTuple

import orjson

from paperradar import records as r
from paperradar.identity import authors as author_identity
from paperradar.identity import works as work_identity
from paperradar.store.sql import utc

FRESH_WORK_COLUMNS = ("id", *work_identity.DISPLAY_COLUMNS, "revision", "created_at", "updated_at")
WORK_ID_COLUMNS = ("scheme", "value", "work_id", "source", "seen_at")
SOURCE_COLUMNS = ("work_id", "source", "origin", "record", "run_id", "first_seen", "seen_at", "as_of")
VERSION_COLUMNS = ("work_id", "version", "date", "size", "source")
AUTHORSHIP_COLUMNS = ("work_id", "position", "author_id", "name", "affiliations", "source")
REPORTED_FIGURES = (
    "name",
    "h_index",
    "i10_index",
    "works_count",
    "citation_count",
    "counts_by_year",
    "affiliations",
    "record",
)


class Statement(NamedTuple):
    """What one origin (a file, a sync stream) said about a work, and when that was true.

    ``record.as_of`` always equals ``as_of`` in memory; the stored JSON leaves it out (the
    ``work_sources.as_of`` column holds it), so equal statements of different dates compare equal.
    """

    origin: str
    first_seen: dt.datetime
    as_of: dt.datetime
    record: r.WorkRecord


def to_json(value: Any) -> str | None:
    """Stored JSON text of a value; ``None`` for nothing (absent, not an empty list)."""
    if value is None or value == [] or value == {}:
        return None
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SORT_KEYS).decode()


def combine(old: r.WorkRecord, new: r.WorkRecord) -> r.WorkRecord:
    """One source said ``old`` and ``new``: the fresher one's values win (``new``, unless its as-of
    is known to be older), gaps keep the other's.

    A sparse record (an author's paper list) never erases what a full record said.
    """
    if old.as_of is not None and new.as_of is not None and new.as_of < old.as_of:
        old, new = new, old
    merged = replace(old)
    for name in r.WorkRecord.__slots__:
        value = getattr(new, name)
        if name == "ids":
            merged.ids = {**old.ids, **new.ids}
        elif name == "extra":
            merged.extra = {**old.extra, **new.extra}
        elif value not in (None, "", [], {}):
            setattr(merged, name, value)
    return merged


def fold(origins: list[Statement]) -> r.WorkRecord:
    """A source's view of a work: its origins' statements folded by as-of, the freshest values
    winning, whatever order the files came in; a value only older statements give fills the gap.

    The view's ``as_of`` is the as-of of its citation facts (the statement that gave them), or of
    the freshest statement when none has any.
    """
    ordered = sorted(origins, key=lambda s: (s.as_of, s.first_seen, s.origin))
    view = ordered[0].record
    for statement in ordered[1:]:
        view = combine(view, statement.record)
    cited = [s.as_of for s in ordered if has_citation_facts(s.record)]
    view.as_of = cited[-1] if cited else ordered[-1].as_of
    return view


def same(a: r.WorkRecord, b: r.WorkRecord) -> bool:
    """Do two statements say the same thing (whatever their dates)?"""
    return work_identity.dumps(a) == work_identity.dumps(b)


def has_citation_facts(record: r.WorkRecord) -> bool:
    return record.citation_count is not None or bool(record.counts_by_year)


def why_not_stored(item: r.Item) -> str:
    if item.problem is not None:
        return item.problem.reason
    return item.record.reason if isinstance(item.record, r.Skipped) else "no record"


def displayed_authors(views: dict[str, r.WorkRecord]) -> tuple[str, list[r.AuthorRef]] | None:
    """The author list a work shows (see ``identity.works.authors_view``), with the author ids and
    affiliations other sources give for the same people carried over."""
    shown = work_identity.authors_view(views)
    if shown is None:
        return None
    source, refs = shown
    merged = refs
    for other_source, view in views.items():
        if other_source == source or not any(a.ids for a in view.authors):
            continue
        if merged is refs:  # copy before changing: refs belong to a stored view
            merged = [r.AuthorRef(a.name, list(a.affiliations), dict(a.ids)) for a in refs]
        for i, j in author_identity.align(refs, view.authors).items():
            for scheme, value in view.authors[i].ids.items():
                merged[j].ids.setdefault(scheme, value)
            if not merged[j].affiliations:
                merged[j].affiliations = list(view.authors[i].affiliations)
    return source, merged


# ---------------------------------------------------------------------------------- fact rows
def version_rows(work_id: int, source: str, view: r.WorkRecord) -> list[dict[str, Any]]:
    return [
        {"work_id": work_id, "version": v.version, "date": v.date, "size": v.size, "source": source}
        for v in view.versions
    ]


def code_rows(work_id: int, source: str, view: r.WorkRecord, now: dt.datetime) -> list[dict[str, Any]]:
    return [
        {
            "work_id": work_id,
            "source": source,
            "url": link.url or "",
            "is_official": link.is_official,
            "framework": link.framework,
            "stars": link.stars,
            "seen_at": now,
        }
        for link in view.code
    ]


def count_row(work_id: int, source: str, view: r.WorkRecord, as_of: dt.datetime) -> dict[str, Any] | None:
    """The citation facts of a source's view, dated by the statement that gave them."""
    if not has_citation_facts(view):
        return None
    return {
        "work_id": work_id,
        "source": source,
        "citations": view.citation_count,
        "influential": view.influential_citation_count,
        "references": view.reference_count,
        "counts_by_year": to_json(view.counts_by_year),
        "as_of": view.as_of or as_of,
    }


def community_row(
    work_id: int, source: str, info: r.Community, organisation_id: int | None, now: dt.datetime
) -> dict[str, Any]:
    return {
        "work_id": work_id,
        "source": source,
        "featured_day": info.featured_day,
        "upvotes": info.upvotes,
        "comments": info.comments,
        "submitter": info.submitter,
        "submitter_name": info.submitter_name,
        "organisation_id": organisation_id,
        "ai_summary": info.ai_summary,
        "ai_keywords": to_json(info.ai_keywords),
        "project_page": info.project_page,
        "n_authors": info.n_authors,
        "seen_at": now,
    }


def reference_rows(
    work_id: int, source: str, references: list[dict[str, str]], now: dt.datetime
) -> list[dict[str, Any]]:
    """Citation edges from a work to the ids of the works it cites (by their first known scheme)."""
    rows = []
    for ref in references:
        scheme = next((s for s in work_identity.ID_SCHEMES if ref.get(s)), None)
        if scheme:
            rows.append(
                {
                    "citing_id": work_id,
                    "cited_scheme": scheme,
                    "cited_value": ref[scheme],
                    "source": source,
                    "seen_at": now,
                }
            )
    return rows


def organisation_row(source: str, org: r.OrganisationRecord, now: dt.datetime) -> dict[str, Any]:
    """An organisation keyed by its strongest id (OpenAlex, ROR, Hugging Face handle), else its name."""
    scheme = next((s for s in ("openalex", "ror", "hf") if org.ids.get(s)), None)
    return {
        "key": f"{scheme}:{org.ids[scheme]}" if scheme else f"name:{org.name.casefold()}",
        "name": org.name,
        "short_name": org.short_name,
        "country": org.country,
        "kind": org.kind,
        "homepage": org.homepage,
        "source": source,
        "seen_at": now,
    }


def hf_organisation(info: r.Community) -> r.OrganisationRecord | None:
    """The organisation a community site names for a work, as an organisation record."""
    if not info.organisation:
        return None
    return r.OrganisationRecord(
        ids={"hf": info.organisation}, name=info.organisation_name or info.organisation, kind="hf-org"
    )


def report_row(
    author_id: int,
    source: str,
    author: r.AuthorRecord,
    held: Any | None,
    as_of: dt.datetime,
    now: dt.datetime,
) -> dict[str, Any]:
    """``source``'s report of the author, merged into what it reported before (``held``) figure by
    figure: a figure the record lacks keeps its stored value (absent is not zero, e.g. an S2 author
    saved with ``fields=name``), and a figure stored as of a later date than the record's is kept
    (an older file imported later never overwrites a newer figure)."""
    said: dict[str, Any] = {
        "name": author.name,
        "h_index": author.h_index,
        "i10_index": author.i10_index,
        "works_count": author.works_count,
        "citation_count": author.citation_count,
        "counts_by_year": to_json(author.counts_by_year),
        "affiliations": to_json(author.affiliations),
        "record": to_json({"ids": author.ids, "aliases": author.aliases, "homepage": author.homepage}),
    }
    dates: dict[str, str] = orjson.loads(held.as_of) if held is not None and held.as_of else {}
    row: dict[str, Any] = {"author_id": author_id, "source": source, "seen_at": now}
    for name in REPORTED_FIGURES:
        value = said[name]
        before = getattr(held, name) if held is not None else None
        before_at = utc(dates.get(name)) or (utc(held.seen_at) if held is not None else None)
        if value is not None and (before is None or before_at is None or as_of >= before_at):
            row[name] = value
            dates[name] = as_of.isoformat()
        else:
            row[name] = before
    row["as_of"] = orjson.dumps(dates, option=orjson.OPT_SORT_KEYS).decode()
    return row

"""Read-side queries over the store: finding a work, describing it, counting the corpus."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, Table, func, select

from paperradar.identity import ids
from paperradar.identity import works as work_identity
from paperradar.store import schema as t


def resolve_work(conn: Connection, ident: str) -> int | None:
    """Internal id for an arXiv id (any version, legacy too), DOI, ``scheme:value`` or internal id.

    Ids of works that were merged into another still resolve to the surviving work.
    """
    ident = ident.strip()
    lookups: list[tuple[str, str]] = []
    if ":" in ident and ident.split(":", 1)[0] in work_identity.STRONG_SCHEMES:
        scheme, value = ident.split(":", 1)
        lookups.append((scheme, value))
    if (doi := ids.doi(ident)) is not None:
        lookups.append(("doi", doi))
    if (arxiv := ids.arxiv_id(ident)) is not None:
        lookups.append(("arxiv", arxiv))
    for scheme, value in lookups:
        found = conn.execute(
            select(t.work_ids.c.work_id).where(t.work_ids.c.scheme == scheme, t.work_ids.c.value == value)
        ).scalar()
        if found is not None:
            return int(found)
    if ident.isdigit():
        work_id = int(ident)
        if conn.execute(select(t.works.c.id).where(t.works.c.id == work_id)).scalar() is not None:
            return work_id
        kept = conn.execute(
            select(t.work_merges.c.kept_id).where(t.work_merges.c.dropped_id == work_id)
        ).scalar()
        return int(kept) if kept is not None else None
    return None


def _loads(text: str | None) -> Any:
    return orjson.loads(text) if text else None


def work_detail(conn: Connection, work_id: int) -> dict[str, Any]:
    """Everything the store knows about one work, each fact with its source and time."""
    row = conn.execute(select(t.works).where(t.works.c.id == work_id)).mappings().one()
    detail: dict[str, Any] = {k: v for k, v in row.items() if k not in ("title_key", "revision")}
    detail["categories"] = (row["categories"] or "").split()
    detail["sources"] = row["sources"].split()
    detail["ids"] = [
        dict(r)
        for r in conn.execute(
            select(t.work_ids.c.scheme, t.work_ids.c.value, t.work_ids.c.source, t.work_ids.c.seen_at)
            .where(t.work_ids.c.work_id == work_id, t.work_ids.c.scheme != work_identity.TITLE_SCHEME)
            .order_by(t.work_ids.c.scheme, t.work_ids.c.value)
        ).mappings()
    ]
    detail["versions"] = [
        dict(r)
        for r in conn.execute(
            select(
                t.work_versions.c.version,
                t.work_versions.c.date,
                t.work_versions.c.size,
                t.work_versions.c.source,
            )
            .where(t.work_versions.c.work_id == work_id)
            .order_by(t.work_versions.c.version)
        ).mappings()
    ]
    detail["versions"].sort(key=lambda v: int(v["version"][1:]) if v["version"][1:].isdigit() else 0)
    authors = conn.execute(
        select(
            t.authorships.c.position,
            t.authorships.c.name,
            t.authorships.c.affiliations,
            t.authorships.c.author_id,
            t.authorships.c.source,
        )
        .where(t.authorships.c.work_id == work_id)
        .order_by(t.authorships.c.position)
    ).all()
    author_ids: dict[int, dict[str, str]] = {}
    if authors:
        for author_id, scheme, value in conn.execute(
            select(t.author_ids.c.author_id, t.author_ids.c.scheme, t.author_ids.c.value).where(
                t.author_ids.c.author_id.in_([a.author_id for a in authors])
            )
        ):
            author_ids.setdefault(author_id, {})[scheme] = value
    detail["authors"] = [
        {
            "position": a.position,
            "name": a.name,
            "affiliations": _loads(a.affiliations) or [],
            "author_id": a.author_id,
            "author_ids": author_ids.get(a.author_id, {}),
            "source": a.source,
        }
        for a in authors
    ]
    detail["code"] = [
        {**dict(r), "url": r["url"] or None}
        for r in conn.execute(
            select(
                t.code_links.c.url,
                t.code_links.c.source,
                t.code_links.c.is_official,
                t.code_links.c.framework,
                t.code_links.c.stars,
                t.code_links.c.seen_at,
            )
            .where(t.code_links.c.work_id == work_id)
            .order_by(t.code_links.c.source, t.code_links.c.url)
        ).mappings()
    ]
    detail["citations"] = [
        {**dict(r), "counts_by_year": _loads(r["counts_by_year"]) or {}}
        for r in conn.execute(
            select(t.citation_counts)
            .where(t.citation_counts.c.work_id == work_id)
            .order_by(t.citation_counts.c.source)
        ).mappings()
    ]
    for entry in detail["citations"]:
        entry.pop("work_id")
    detail["references"] = conn.execute(
        select(func.count()).select_from(t.citation_edges).where(t.citation_edges.c.citing_id == work_id)
    ).scalar_one()
    detail["cited_by"] = conn.execute(
        select(func.count(func.distinct(t.citation_edges.c.citing_id)))
        .select_from(
            t.citation_edges.join(
                t.work_ids,
                (t.work_ids.c.scheme == t.citation_edges.c.cited_scheme)
                & (t.work_ids.c.value == t.citation_edges.c.cited_value),
            )
        )
        .where(t.work_ids.c.work_id == work_id)
    ).scalar_one()
    org = t.organisations
    detail["community"] = [
        {**dict(r), "ai_keywords": _loads(r["ai_keywords"]) or []}
        for r in conn.execute(
            select(
                t.community.c.source,
                t.community.c.featured_day,
                t.community.c.upvotes,
                t.community.c.comments,
                t.community.c.submitter,
                t.community.c.submitter_name,
                org.c.key.label("organisation_key"),
                org.c.name.label("organisation"),
                t.community.c.ai_summary,
                t.community.c.ai_keywords,
                t.community.c.project_page,
                t.community.c.n_authors,
                t.community.c.seen_at,
            )
            .select_from(t.community.outerjoin(org, org.c.id == t.community.c.organisation_id))
            .where(t.community.c.work_id == work_id)
        ).mappings()
    ]
    detail["merged_from"] = list(
        conn.execute(select(t.work_merges.c.dropped_id).where(t.work_merges.c.kept_id == work_id)).scalars()
    )
    ws = t.work_sources
    detail["source_records"] = [
        {"source": r.source, "origin": r.origin, "seen_at": r.seen_at, "record": orjson.loads(r.record)}
        for r in conn.execute(
            select(ws.c.source, ws.c.origin, ws.c.seen_at, ws.c.record)
            .where(ws.c.work_id == work_id)
            .order_by(ws.c.source, ws.c.first_seen, ws.c.origin)
        )
    ]
    return detail


def _grouped(conn: Connection, column: Any) -> dict[str, int]:
    rows = conn.execute(select(column, func.count()).group_by(column).order_by(column)).all()
    return {str(key): int(count) for key, count in rows}


def stats(conn: Connection) -> dict[str, Any]:
    """Counts by kind and by source."""

    def count(table: Table) -> int:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    return {
        "works": count(t.works),
        "works_by_source": {
            str(source): int(n)
            for source, n in conn.execute(
                select(t.work_sources.c.source, func.count(func.distinct(t.work_sources.c.work_id)))
                .group_by(t.work_sources.c.source)
                .order_by(t.work_sources.c.source)
            )
        },
        "work_ids_by_scheme": {
            k: v for k, v in _grouped(conn, t.work_ids.c.scheme).items() if k != work_identity.TITLE_SCHEME
        },
        "versions": count(t.work_versions),
        "merges": count(t.work_merges),
        "authors": count(t.authors),
        "author_ids_by_scheme": _grouped(conn, t.author_ids.c.scheme),
        "author_reports_by_source": _grouped(conn, t.author_reports.c.source),
        "authorships": count(t.authorships),
        "organisations": count(t.organisations),
        "code_links_by_source": _grouped(conn, t.code_links.c.source),
        "citation_counts_by_source": _grouped(conn, t.citation_counts.c.source),
        "citation_edges_by_source": _grouped(conn, t.citation_edges.c.source),
        "community_by_source": _grouped(conn, t.community.c.source),
        "quarantined_by_source": _grouped(conn, t.quarantine.c.source),
        "import_runs": _grouped(conn, t.ingest_runs.c.status),
    }


def quarantined(conn: Connection, limit: int = 50) -> list[dict[str, Any]]:
    stmt = (
        select(t.quarantine.c.file, t.quarantine.c.location, t.quarantine.c.reason, t.quarantine.c.source)
        .order_by(t.quarantine.c.run_id.desc(), t.quarantine.c.file, t.quarantine.c.position)
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def work_summaries(conn: Connection, work_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Short rows (for result lists) of the given works, by id."""
    columns = (t.works.c.id, t.works.c.title, t.works.c.arxiv_id, t.works.c.doi)
    stmt = select(*columns, t.works.c.primary_category, t.works.c.year).where(t.works.c.id.in_(work_ids))
    return {row["id"]: dict(row) for row in conn.execute(stmt).mappings()}

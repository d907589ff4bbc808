"""Read-side queries over the store: finding a work, describing it, counting the corpus."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import orjson
from sqlalchemy import Connection, Table, exists, func, select, union

from paperradar.identity import ids
from paperradar.identity import works as work_identity
from paperradar.store import schema as t
from paperradar.store.sql import MAX_ROW_ID, chunks


def resolve_work(conn: Connection, ident: str) -> int | None:
    """Internal id for an arXiv id (any version, legacy too), DOI, ``scheme:value`` or internal id.

    Ids of works that were merged into another still resolve to the surviving work.
    """
    ident = ident.strip()
    lookups: list[tuple[str, str]] = []
    if ":" in ident and ident.split(":", 1)[0] in work_identity.ID_SCHEMES:
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
    if ident.isascii() and ident.isdigit() and int(ident) <= MAX_ROW_ID:  # "²" is a digit to isdigit
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


def _facts(
    conn: Connection, table: Table, work_id: int, order_by: Any, json: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """A work's rows in a per-work table, without the work id, JSON columns decoded."""
    rows = conn.execute(select(table).where(table.c.work_id == work_id).order_by(order_by)).mappings()
    return [{k: (_loads(v) if k in json else v) for k, v in row.items() if k != "work_id"} for row in rows]


def work_detail(conn: Connection, work_id: int) -> dict[str, Any]:
    """Everything the store knows about one work, each fact with its source and time."""
    row = conn.execute(select(t.works).where(t.works.c.id == work_id)).mappings().one()
    detail: dict[str, Any] = {k: v for k, v in row.items() if k not in ("title_key", "revision")}
    detail["categories"] = (row["categories"] or "").split()
    detail["sources"] = row["sources"].split()
    detail["ids"] = [
        i
        for i in _facts(conn, t.work_ids, work_id, t.work_ids.c.scheme)
        if i["scheme"] != work_identity.TITLE_SCHEME
    ]
    detail["versions"] = sorted(
        _facts(conn, t.work_versions, work_id, t.work_versions.c.version),
        key=lambda v: work_identity.version_number(v["version"]),
    )
    authors = _facts(conn, t.authorships, work_id, t.authorships.c.position, json=("affiliations",))
    author_ids: dict[int, dict[str, str]] = {}
    if authors:
        stmt = select(t.author_ids.c.author_id, t.author_ids.c.scheme, t.author_ids.c.value).where(
            t.author_ids.c.author_id.in_([a["author_id"] for a in authors])
        )
        for author_id, scheme, value in conn.execute(stmt):
            author_ids.setdefault(author_id, {})[scheme] = value
    detail["authors"] = [
        {**a, "affiliations": a["affiliations"] or [], "author_ids": author_ids.get(a["author_id"], {})}
        for a in authors
    ]
    detail["code"] = [
        {**c, "url": c["url"] or None} for c in _facts(conn, t.code_links, work_id, t.code_links.c.source)
    ]
    detail["citations"] = _facts(
        conn, t.citation_counts, work_id, t.citation_counts.c.source, json=("counts_by_year",)
    )
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
    community = _facts(conn, t.community, work_id, t.community.c.source, json=("ai_keywords",))
    org = t.organisations
    wanted = [c["organisation_id"] for c in community if c["organisation_id"] is not None]
    names = (
        dict(conn.execute(select(org.c.id, org.c.name).where(org.c.id.in_(wanted))).all()) if wanted else {}
    )
    detail["community"] = [
        {**c, "organisation": names.get(c["organisation_id"]), "ai_keywords": c["ai_keywords"] or []}
        for c in community
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


def quarantined(conn: Connection, limit: int = 50, kind: str | None = None) -> list[dict[str, Any]]:
    """What imports did not store, newest run first: ``kind`` "quarantined" (unreadable), "skipped"
    (read, not stored) or ``None`` (both)."""
    q = t.quarantine.c
    stmt = (
        select(q.kind, q.file, q.location, q.reason, q.source)
        .order_by(q.run_id.desc(), q.file, q.position, q.id)
        .limit(limit)
    )
    if kind is not None:
        stmt = stmt.where(q.kind == kind)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def work_summaries(conn: Connection, work_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Short rows (for result lists) of the given works, by id."""
    w = t.works.c
    columns = (w.id, w.title, w.arxiv_id, w.doi, w.primary_category, w.year, w.published, w.has_code)
    rows: dict[int, dict[str, Any]] = {}
    for chunk in chunks(work_ids):
        rows.update(
            (row["id"], dict(row)) for row in conn.execute(select(*columns).where(w.id.in_(chunk))).mappings()
        )
    return rows


def find_authors(conn: Connection, name_or_id: str, limit: int = 20) -> list[dict[str, Any]]:
    """Authors a user may mean: by internal or external id, else by name (accents, case and
    "Last, First" ignored), else by family name. Most prolific first, with their paper count."""
    text = name_or_id.strip()
    found: list[int] = []
    if text.isdigit():
        found = list(conn.execute(select(t.authors.c.id).where(t.authors.c.id == int(text))).scalars())
    if not found and ":" in text:
        scheme, value = text.split(":", 1)
        stmt = select(t.author_ids.c.author_id).where(
            t.author_ids.c.scheme == scheme.lower(), t.author_ids.c.value == value
        )
        found = list(conn.execute(stmt).scalars())
    key = ids.normalise_name(text)
    if not found and key:
        found = list(conn.execute(select(t.authors.c.id).where(t.authors.c.name_key == key)).scalars())
    if not found and key:  # "dijkstra", "E. Dijkstra": the family name, initials checked below
        family = key.rsplit(" ", 1)[-1]
        stmt = select(t.authors.c.id, t.authors.c.name_key).where(t.authors.c.name_key.like(f"%{family}"))
        initials = [part[0] for part in key.split()[:-1]]
        for author_id, candidate in conn.execute(stmt.limit(5000)):
            parts = candidate.split()
            if parts[-1] == family and all(any(p.startswith(i) for p in parts[:-1]) for i in initials):
                found.append(author_id)
    if not found:
        return []
    # A merged author's id, name or external ids lead to the person they were merged into.
    found = list(
        conn.execute(
            select(func.coalesce(t.authors.c.merged_into, t.authors.c.id)).where(
                t.authors.c.id.in_(found[:1000])
            )
        ).scalars()
    )
    people = found[:1000]
    # Their papers as the profile counts them: works they wrote, and works an author record of
    # theirs lists although no authorship names them (claims).
    works = union(
        select(t.authorships.c.author_id, t.authorships.c.work_id).where(
            t.authorships.c.author_id.in_(people)
        ),
        select(t.author_works.c.author_id, t.author_works.c.work_id).where(
            t.author_works.c.author_id.in_(people)
        ),
    ).subquery("works")
    papers = func.count(works.c.work_id).label("papers")
    stmt = (
        select(t.authors.c.id, t.authors.c.name, papers)
        .select_from(t.authors.outerjoin(works, works.c.author_id == t.authors.c.id))
        .where(t.authors.c.id.in_(people))
        .group_by(t.authors.c.id, t.authors.c.name)
        .order_by(papers.desc(), t.authors.c.id)
        .limit(limit)
    )
    return [dict(row) for row in conn.execute(stmt).mappings()]


def works_of_authors(conn: Connection, author_ids: list[int]) -> dict[int, list[int]]:
    """author → their work ids."""
    by_author: dict[int, list[int]] = {}
    for chunk in chunks(author_ids):
        stmt = select(t.authorships.c.author_id, t.authorships.c.work_id).where(
            t.authorships.c.author_id.in_(chunk)
        )
        for author_id, work_id in conn.execute(stmt):
            by_author.setdefault(author_id, []).append(work_id)
    return by_author


def authors_of_works(conn: Connection, work_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """work → its (author id, name as written), in author order."""
    by_work: dict[int, list[tuple[int, str]]] = {}
    for chunk in chunks(work_ids):
        stmt = (
            select(t.authorships.c.work_id, t.authorships.c.author_id, t.authorships.c.name)
            .where(t.authorships.c.work_id.in_(chunk))
            .order_by(t.authorships.c.work_id, t.authorships.c.position)
        )
        for work_id, author_id, name in conn.execute(stmt):
            by_work.setdefault(work_id, []).append((author_id, name))
    return by_work


def author_known_ids(conn: Connection, author_ids: set[int]) -> dict[int, dict[str, set[str]]]:
    """author → scheme → their external ids (ORCID, OpenAlex, S2, HF)."""
    known: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for chunk in chunks(sorted(author_ids)):
        stmt = select(t.author_ids.c.author_id, t.author_ids.c.scheme, t.author_ids.c.value).where(
            t.author_ids.c.author_id.in_(chunk)
        )
        for author_id, scheme, value in conn.execute(stmt):
            known[author_id][scheme].add(value)
    return known


def any_works(conn: Connection) -> bool:
    """Whether the store holds any work at all (on a first run it holds none)."""
    return bool(conn.execute(select(exists().select_from(t.works))).scalar())


def newest_featured_day(conn: Connection) -> dt.date | None:
    """The latest day a source (Hugging Face) featured a paper; None before any did."""
    newest = conn.execute(select(func.max(t.community.c.featured_day))).scalar()
    return newest if isinstance(newest, dt.date) else None

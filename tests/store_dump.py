"""A backend-independent dump of the store's content, for "same database" comparisons.

The dump is also the same for the same content on SQLite and PostgreSQL. Internal ids and
bookkeeping times differ between runs (PostgreSQL sequences skip values a
killed transaction took; every run has its own clock), so works are named by their external
ids, authors by their authorships, and time columns are left out. Everything else is compared.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import Engine, select

from paperradar.store import schema as t

VOLATILE = {
    "seen_at",
    "first_seen",
    "created_at",
    "updated_at",
    "as_of",
    "merged_at",
    "run_id",
    "revision",
    "id",
}
CONTENT_TABLES = [
    t.works,
    t.work_ids,
    t.work_sources,
    t.work_versions,
    t.authorships,
    t.author_ids,
    t.author_reports,
    t.author_works,
    t.code_links,
    t.citation_counts,
    t.citation_edges,
    t.community,
    t.organisations,
    t.quarantine,
]


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        work_names: dict[int, list[str]] = defaultdict(list)
        for work_id, scheme, value in conn.execute(
            select(t.work_ids.c.work_id, t.work_ids.c.scheme, t.work_ids.c.value)
        ):
            work_names[work_id].append(f"{scheme}:{value}")
        work_name = {w: min(names) for w, names in work_names.items()}
        author_works: dict[int, list[str]] = defaultdict(list)
        for work_id, position, author_id in conn.execute(
            select(t.authorships.c.work_id, t.authorships.c.position, t.authorships.c.author_id)
        ):
            author_works[author_id].append(f"{work_name.get(work_id, work_id)}#{position}")
        author_name: dict[int, str] = {a: min(works) for a, works in author_works.items()}
        org_name: dict[int, str] = {
            o: key for o, key in conn.execute(select(t.organisations.c.id, t.organisations.c.key))
        }

        def rename(column: str, value: Any) -> str:
            if value is None:
                return "∅"
            if column in ("work_id", "citing_id", "kept_id", "dropped_id"):
                return work_name.get(value, f"work?{value}")
            if column == "author_id":
                return author_name.get(value, f"author?{value}")
            if column == "organisation_id":
                return org_name.get(value, "?")
            if isinstance(value, dt.datetime) and value.tzinfo is not None:  # PostgreSQL: aware; SQLite: UTC
                value = value.astimezone(dt.UTC).replace(tzinfo=None)
            return str(value)

        result: dict[str, list[tuple[Any, ...]]] = {}
        for table in CONTENT_TABLES:
            columns = [c for c in table.columns if c.name not in VOLATILE]
            rows = conn.execute(select(*columns)).all()
            result[table.name] = sorted(
                tuple(rename(c.name, v) for c, v in zip(columns, row, strict=True)) for row in rows
            )
            if table is t.works:  # a work is also named by its ids
                ids = conn.execute(select(t.works.c.id)).scalars().all()
                result["work_names"] = sorted((work_name.get(i, "?"),) for i in ids)
        result["authors"] = sorted(
            (name_key, author_name.get(a, "?"))
            for a, name_key in conn.execute(select(t.authors.c.id, t.authors.c.name_key))
        )
        result["work_merges"] = sorted(
            (work_name.get(k, "?"), reason)
            for k, reason in conn.execute(select(t.work_merges.c.kept_id, t.work_merges.c.reason))
        )
    return result

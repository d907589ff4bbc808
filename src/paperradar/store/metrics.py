"""The derived tables ``metrics refresh`` keeps: author figures, peer histograms, paper novelty.

Reads that say what is out of date (the store's revision against the last refresh's, the
authors touched since, embeddings newer than their score) and set-oriented writes that replace
what was recomputed, chunked so that a refresh over millions of works stays within the bound
parameters every backend takes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, delete, func, select, union, update

from paperradar.store import schema as t
from paperradar.store.sql import chunks, insert_rows, meta_number, set_meta_number


# ----------------------------------------------------------------------------- revisions
def revision(conn: Connection) -> int:
    """The store's revision counter (bumped by every committed batch)."""
    return meta_number(conn, "revision")


def metrics_revision(conn: Connection) -> int:
    """The store revision the last ``metrics refresh`` brought the figures up to (0: never)."""
    return meta_number(conn, "metrics_revision")


def set_metrics_revision(conn: Connection, revision: int) -> None:
    set_meta_number(conn, "metrics_revision", revision)


def touched_authors(conn: Connection, since: int, works: Sequence[int] = ()) -> list[int]:
    """Authors whose figures may have changed since store revision ``since``: authors of works
    changed since, authors without stored figures, and authors of the given ``works``."""
    a, c = t.authorships.c, t.author_works.c
    changed = select(t.works.c.id).where(t.works.c.revision > since)
    found: set[int] = set(
        conn.execute(
            union(
                select(a.author_id).where(a.work_id.in_(changed)),
                select(c.author_id).where(c.work_id.in_(changed)),
            )
        ).scalars()
    )
    stored = select(t.author_metrics.c.author_id)
    found |= set(
        conn.execute(
            union(
                select(a.author_id).where(a.author_id.not_in(stored)),
                select(c.author_id).where(c.author_id.not_in(stored)),
            )
        ).scalars()
    )
    for chunk in chunks(list(works)):
        found |= set(conn.execute(select(a.author_id).where(a.work_id.in_(chunk))).scalars())
        found |= set(conn.execute(select(c.author_id).where(c.work_id.in_(chunk))).scalars())
    return sorted(found)


# ----------------------------------------------------------------------------- author figures
def replace_author_metrics(
    conn: Connection, author_ids: Sequence[int] | None, rows: Sequence[dict[str, Any]]
) -> None:
    """Replace the stored figures of the given authors (``None``: of every author) by ``rows``."""
    if author_ids is None:
        conn.execute(delete(t.author_metrics))
    else:
        for chunk in chunks(author_ids):
            conn.execute(delete(t.author_metrics).where(t.author_metrics.c.author_id.in_(chunk)))
    insert_rows(conn, t.author_metrics, rows)


def ranked_figures(
    conn: Connection, metrics: Sequence[str], min_works: int
) -> list[tuple[str, tuple[Any, ...]]]:
    """(main category, the ``metrics``' values) of every author with a main category and at
    least ``min_works`` works."""
    m = t.author_metrics.c
    rows = conn.execute(
        select(m.main_category, *(m[name] for name in metrics)).where(
            m.works >= min_works, m.main_category.is_not(None)
        )
    ).all()
    return [(row[0], tuple(row[1:])) for row in rows]


# ----------------------------------------------------------------------------- peer histograms
def replace_distributions(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Replace every peer histogram by ``rows`` (``histogram``: [value, peers] pairs)."""
    conn.execute(delete(t.metric_distributions))
    encoded = [{**row, "histogram": orjson.dumps(row["histogram"]).decode()} for row in rows]
    insert_rows(conn, t.metric_distributions, encoded)


def histograms(conn: Connection, category: str) -> dict[str, list[list[float]]]:
    """metric → the saved peer histogram of one category, as [value, peers] pairs."""
    d = t.metric_distributions.c
    stmt = select(d.metric, d.histogram).where(d.category == category)
    return {metric: orjson.loads(text) for metric, text in conn.execute(stmt)}


def histograms_computed_at(conn: Connection) -> dt.datetime | None:
    """When the last refresh saved the peer histograms (``None``: never)."""
    return conn.execute(select(func.max(t.metric_distributions.c.computed_at))).scalar()


# ----------------------------------------------------------------------------- paper novelty
def embedded_works(conn: Connection, model: str) -> list[tuple[int, str | None, dt.date | None, Any]]:
    """(work, primary category, published, embedded at) of the works ``model`` embedded from
    some text."""
    w, e = t.works.c, t.embeddings.c
    stmt = (
        select(w.id, w.primary_category, w.published, e.embedded_at)
        .join(t.embeddings, e.work_id == w.id)
        .where(e.model == model, e.text_hash != "")
    )
    return [
        (work, category, published, embedded) for work, category, published, embedded in conn.execute(stmt)
    ]


def novelty_stamps(conn: Connection) -> dict[int, tuple[Any, str]]:
    """work → (when its novelty was computed, with which model)."""
    nv = t.work_novelty.c
    return {
        work_id: (computed_at, model)
        for work_id, computed_at, model in conn.execute(select(nv.work_id, nv.computed_at, nv.model))
    }


def replace_novelty(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Store new novelty scores (rows of ``work_novelty``), replacing those of the same works."""
    for chunk in chunks([r["work_id"] for r in rows]):
        conn.execute(delete(t.work_novelty).where(t.work_novelty.c.work_id.in_(chunk)))
    insert_rows(conn, t.work_novelty, rows)


def novelty_group(
    conn: Connection, category: str, month: str
) -> list[tuple[int, float | None, float | None]]:
    """(work, novelty, percentile) of the scored works of one category and month."""
    nv = t.work_novelty.c
    rows = conn.execute(
        select(nv.work_id, nv.novelty, nv.percentile).where(nv.category == category, nv.month == month)
    )
    return [(work_id, novelty, percentile) for work_id, novelty, percentile in rows]


def set_percentiles(conn: Connection, grades: Sequence[tuple[int, float, int]]) -> None:
    """Store (work, percentile, how many it was graded among) for works already scored."""
    if not grades:
        return
    nv = t.work_novelty.c
    conn.execute(
        update(t.work_novelty)
        .where(nv.work_id == bindparam("wid"))
        .values(percentile=bindparam("pct"), graded_among=bindparam("base")),
        [{"wid": w, "pct": pct, "base": base} for w, pct, base in grades],
    )

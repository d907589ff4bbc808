"""Paper novelty (see docs/metrics.md): how unlike its predecessors a paper is.

N(p) = 1 − the mean cosine similarity of p's embedding to its k = 10 nearest *earlier* works of
the same primary category within the previous 24 months (the 24 calendar months before p's
month, and the earlier days of its own month). Reported as a percentile within (primary
category, month): 0 = the most conventional paper of that month in its field, 100 = the most
novel.

The neighbours are found exactly (blocked matrix products over the stored vectors, no graph
approximation): a score is a published figure, so it must not depend on search luck. It is
computed once per paper and kept; only papers without a score, re-embedded papers, and the
later papers a newly imported older paper becomes a predecessor of are (re)computed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Connection, Engine, bindparam, delete, select, update

from paperradar.search.embeddings import DIM
from paperradar.search.vectors import VectorIndex
from paperradar.store import schema as t
from paperradar.store.database import writing
from paperradar.store.sql import chunks, insert_rows

K = 10
WINDOW_MONTHS = 24
BLOCK_CELLS = 20_000_000  # similarity matrix entries per block (80 MB of float32)
_EPOCH = dt.date(1970, 1, 1)


@dataclass
class NoveltyResult:
    computed: int = 0  # papers scored now
    without_predecessor: int = 0  # of those, papers with no earlier work in their window
    skipped: int = 0  # embedded papers without a primary category or a date
    regraded: set[int] = field(default_factory=set)  # works whose percentile changed


def _month(day: np.ndarray) -> np.ndarray:
    dates = day.astype("datetime64[D]")
    return dates.astype("datetime64[M]").astype(np.int64)  # months since 1970-01


def _window_start(month: int) -> int:
    """Day number of the first day of the month 24 months before ``month``."""
    return int(np.datetime64(month - WINDOW_MONTHS, "M").astype("datetime64[D]").astype(np.int64))


def _aligned(vectors: VectorIndex, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(ids that have a vector, their vectors in that order)``."""
    found, rows = vectors.rows_of(ids)
    matrix = np.empty((len(rows), DIM), dtype=np.float32)
    matrix[np.argsort(np.argsort(rows))] = vectors.vectors_at(rows)  # vectors_at returns row order
    return found, matrix


def score(
    target_vecs: np.ndarray, target_days: np.ndarray, cand_vecs: np.ndarray, cand_days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Novelty of each target against the candidates strictly earlier than it: ``(N, neighbours)``."""
    sims = target_vecs @ cand_vecs.T
    sims[cand_days[None, :] >= target_days[:, None]] = -np.inf
    k = min(K, sims.shape[1])
    if k == 0:
        return np.full(len(target_vecs), np.nan), np.zeros(len(target_vecs), dtype=np.int64)
    top = np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:]
    valid = np.isfinite(top)
    count = valid.sum(axis=1)
    with np.errstate(invalid="ignore"):
        mean = np.where(valid, top, 0).sum(axis=1) / count
    return np.where(count > 0, 1.0 - mean, np.nan), count


def percentiles(values: np.ndarray) -> np.ndarray:
    """Percentile rank of each value among all (ties share the midpoint): 0–100."""
    n = len(values)
    order = np.sort(values)
    below = np.searchsorted(order, values, side="left")
    upto = np.searchsorted(order, values, side="right")
    return 100.0 * (below + (upto - below) / 2) / n


def score_all(
    category: np.ndarray,
    day: np.ndarray,
    matrix: np.ndarray,
    todo: np.ndarray,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Novelty and neighbour count of every ``todo`` work (NaN / 0 elsewhere).

    Works are taken a category and a month at a time: their candidates are one contiguous run
    of the category's works sorted by day, so each block is a single matrix product.
    """
    month = _month(day)
    novelty = np.full(len(day), np.nan)
    neighbours = np.zeros(len(day), dtype=np.int64)
    total, done = int(todo.sum()), 0
    for code in np.unique(category[todo]):
        in_cat = np.flatnonzero(category == code)
        by_day = in_cat[np.argsort(day[in_cat], kind="stable")]
        cat_days = day[by_day]
        targets = by_day[todo[by_day]]
        for m in np.unique(month[targets]):
            group = targets[month[targets] == m]
            lo = np.searchsorted(cat_days, _window_start(int(m)), side="left")
            hi = np.searchsorted(cat_days, day[group].max(), side="left")
            cands = by_day[lo:hi]
            step = max(1, BLOCK_CELLS // max(1, len(cands)))
            for start in range(0, len(group), step):
                block = group[start : start + step]
                novelty[block], neighbours[block] = score(
                    matrix[block], day[block], matrix[cands], day[cands]
                )
                done += len(block)
                if progress:
                    progress(done, total)
    return novelty, neighbours


def refresh_novelty(
    engine: Engine,
    vectors: VectorIndex,
    recompute: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> NoveltyResult:
    """Score the papers that need it and re-grade the (category, month) groups they fall in."""
    model = vectors.state.model
    result = NoveltyResult()
    w, e, nv = t.works.c, t.embeddings.c, t.work_novelty.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(w.id, w.primary_category, w.published, e.embedded_at)
            .join(t.embeddings, e.work_id == w.id)
            .where(e.model == model, e.text_hash != "")
        ).all()
        scored = {
            work_id: (computed_at, row_model)
            for work_id, computed_at, row_model in conn.execute(select(nv.work_id, nv.computed_at, nv.model))
        }
    usable = [r for r in rows if r[1] and r[2]]
    result.skipped = len(rows) - len(usable)
    if not usable:
        return result
    ids = np.array([r[0] for r in usable], dtype=np.int64)
    found, matrix = _aligned(vectors, ids)
    keep = np.isin(ids, found)
    usable = [r for r, k in zip(usable, keep, strict=True) if k]
    ids = ids[keep]
    order = np.argsort(ids)
    ids, usable = ids[order], [usable[i] for i in order]
    matrix = matrix[np.searchsorted(found, ids)]
    names: dict[str, int] = {}
    category = np.array([names.setdefault(r[1], len(names)) for r in usable], dtype=np.int64)
    day = np.array([(r[2] - _EPOCH).days for r in usable], dtype=np.int64)
    month = _month(day)

    def stale(i: int) -> bool:
        held = scored.get(int(ids[i]))
        if held is None or held[1] != model or recompute:
            return True
        embedded = usable[i][3]
        return bool(embedded and held[0] and _naive(embedded) > _naive(held[0]))

    todo = np.array([stale(i) for i in range(len(ids))], dtype=bool)
    # A newly scored paper is a predecessor of the later papers of its category within the
    # window: those are re-scored too.
    for code in np.unique(category[todo]):
        in_cat = category == code
        first_new = day[todo & in_cat].min()
        todo |= in_cat & (day > first_new) & (month <= _month(np.array([first_new]))[0] + WINDOW_MONTHS)
    novelty, neighbours = score_all(category, day, matrix, todo, progress)
    now = dt.datetime.now(dt.UTC)
    out_rows: list[dict[str, object]] = [
        {
            "work_id": int(ids[i]),
            "model": model,
            "category": usable[i][1],
            "month": str(np.datetime64(int(month[i]), "M")),
            "novelty": None if np.isnan(novelty[i]) else float(novelty[i]),
            "neighbours": int(neighbours[i]),
            "percentile": None,
            "computed_at": now,
        }
        for i in np.flatnonzero(todo)
    ]
    result.without_predecessor = int(np.sum(todo & (neighbours == 0)))
    result.computed = len(out_rows)
    groups = {(str(r["category"]), str(r["month"])) for r in out_rows}
    with writing(engine) as conn:
        for chunk in chunks([r["work_id"] for r in out_rows]):
            conn.execute(delete(t.work_novelty).where(nv.work_id.in_(chunk)))
        insert_rows(conn, t.work_novelty, out_rows)
        result.regraded = _regrade(conn, groups)
    return result


def _naive(value: dt.datetime) -> dt.datetime:
    return (
        value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(dt.UTC).replace(tzinfo=None)
    )


def _regrade(conn: Connection, groups: set[tuple[str, str]]) -> set[int]:
    """Recompute the percentiles of the given (category, month) groups; returns works that moved."""
    nv = t.work_novelty.c
    changed: set[int] = set()
    updates: list[dict[str, object]] = []
    for category, month in sorted(groups):
        rows = conn.execute(
            select(nv.work_id, nv.novelty, nv.percentile).where(nv.category == category, nv.month == month)
        ).all()
        scored = [r for r in rows if r[1] is not None]
        if not scored:
            continue
        ranks = percentiles(np.array([r[1] for r in scored]))
        for (work_id, _, before), after in zip(scored, ranks, strict=True):
            updates.append({"wid": work_id, "pct": float(after), "base": len(scored)})
            if before is None or abs(before - after) > 1e-9:
                changed.add(int(work_id))
    if updates:
        conn.execute(
            update(t.work_novelty)
            .where(nv.work_id == bindparam("wid"))
            .values(percentile=bindparam("pct"), graded_among=bindparam("base")),
            updates,
        )
    return changed

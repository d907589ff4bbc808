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
from typing import Any

import numpy as np
from sqlalchemy.engine import Connection, Engine

from paperradar.search.embeddings import DIM
from paperradar.search.vectors import VectorIndex
from paperradar.store import metrics as stored
from paperradar.store.database import writing

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


@dataclass
class _Embedded:
    """The embedded works that can be scored (a category, a date and a vector), sorted by id."""

    ids: np.ndarray
    rows: list[tuple[int, Any, Any, Any]]  # (work, primary category, published, embedded at)
    matrix: np.ndarray  # their vectors
    category: np.ndarray  # category codes
    day: np.ndarray  # days since 1970
    month: np.ndarray  # months since 1970-01

    @classmethod
    def of(cls, usable: list[tuple[int, Any, Any, Any]], vectors: VectorIndex) -> _Embedded:
        """Those of ``usable`` that have a vector in ``vectors``."""
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
        return cls(ids, usable, matrix, category, day, _month(day))


def _todo(works: _Embedded, scored: dict[int, tuple[Any, str]], model: str, recompute: bool) -> np.ndarray:
    """Which works to score: those without a score of this model or embedded since their score
    (all with ``recompute``), and the later works these are predecessors of."""

    def stale(i: int) -> bool:
        held = scored.get(int(works.ids[i]))
        if held is None or held[1] != model or recompute:
            return True
        embedded = works.rows[i][3]
        return bool(embedded and held[0] and _naive(embedded) > _naive(held[0]))

    todo = np.array([stale(i) for i in range(len(works.ids))], dtype=bool)
    category, day, month = works.category, works.day, works.month
    # A newly scored paper is a predecessor of the later papers of its category within the
    # window: those are re-scored too.
    for code in np.unique(category[todo]):
        in_cat = category == code
        first_new = day[todo & in_cat].min()
        todo |= in_cat & (day > first_new) & (month <= _month(np.array([first_new]))[0] + WINDOW_MONTHS)
    return todo


def _score_rows(
    works: _Embedded, todo: np.ndarray, novelty: np.ndarray, neighbours: np.ndarray, model: str
) -> list[dict[str, object]]:
    """The ``work_novelty`` rows of the scored works (percentiles are graded afterwards)."""
    now = dt.datetime.now(dt.UTC)
    return [
        {
            "work_id": int(works.ids[i]),
            "model": model,
            "category": works.rows[i][1],
            "month": str(np.datetime64(int(works.month[i]), "M")),
            "novelty": None if np.isnan(novelty[i]) else float(novelty[i]),
            "neighbours": int(neighbours[i]),
            "percentile": None,
            "computed_at": now,
        }
        for i in np.flatnonzero(todo)
    ]


def refresh_novelty(
    engine: Engine,
    vectors: VectorIndex,
    recompute: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> NoveltyResult:
    """Score the papers that need it and re-grade the (category, month) groups they fall in."""
    model = vectors.state.model
    result = NoveltyResult()
    with engine.connect() as conn:
        rows = stored.embedded_works(conn, model)
        scored = stored.novelty_stamps(conn)
    usable = [r for r in rows if r[1] and r[2]]
    result.skipped = len(rows) - len(usable)
    if not usable:
        return result
    works = _Embedded.of(usable, vectors)
    todo = _todo(works, scored, model, recompute)
    novelty, neighbours = score_all(works.category, works.day, works.matrix, todo, progress)
    out_rows = _score_rows(works, todo, novelty, neighbours, model)
    result.without_predecessor = int(np.sum(todo & (neighbours == 0)))
    result.computed = len(out_rows)
    groups = {(str(r["category"]), str(r["month"])) for r in out_rows}
    with writing(engine) as conn:
        stored.replace_novelty(conn, out_rows)
        result.regraded = _regrade(conn, groups)
    return result


def _naive(value: dt.datetime) -> dt.datetime:
    return (
        value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(dt.UTC).replace(tzinfo=None)
    )


def _regrade(conn: Connection, groups: set[tuple[str, str]]) -> set[int]:
    """Recompute the percentiles of the given (category, month) groups; returns works that moved."""
    changed: set[int] = set()
    grades: list[tuple[int, float, int]] = []
    for category, month in sorted(groups):
        scored = [r for r in stored.novelty_group(conn, category, month) if r[1] is not None]
        if not scored:
            continue
        ranks = percentiles(np.array([r[1] for r in scored]))
        for (work_id, _, before), after in zip(scored, ranks, strict=True):
            grades.append((work_id, float(after), len(scored)))
            if before is None or abs(before - after) > 1e-9:
                changed.add(int(work_id))
    stored.set_percentiles(conn, grades)
    return changed

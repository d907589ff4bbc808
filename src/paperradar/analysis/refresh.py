"""``metrics refresh``: bring every author's stored figures and the peer distributions up to date.

Incremental by default: only authors *touched* since the last run are recomputed — authors of
works changed since then (the store's revision counter says which), authors without a stored
row (new, merged, split, or given a new author record), and authors of papers whose novelty
percentile moved. Name variants among them are joined first
(:mod:`paperradar.store.author_variants`). The peer distributions are then rebuilt from every
stored row, which is a single pass over one narrow table.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy.engine import Connection, Engine

from paperradar.analysis import facts as f
from paperradar.analysis.ai_score import RANKED, Distribution
from paperradar.analysis.metrics import MIN_WORKS, AuthorTable, compute
from paperradar.store import author_variants
from paperradar.store import metrics as stored
from paperradar.store.database import writing
from paperradar.store.metrics import touched_authors as touched_authors

WHOLE_CORPUS_AT = 100_000  # works to load for the touched authors from which all are read at once


@dataclass
class RefreshResult:
    authors: int = 0  # authors recomputed
    full: bool = False
    distributions: int = 0
    variants: int = 0  # name variants merged
    seconds: dict[str, float] = field(default_factory=dict)


def refresh_metrics(
    engine: Engine,
    full: bool = False,
    regraded: Sequence[int] = (),
    today: dt.date | None = None,
) -> RefreshResult:
    """Recompute the touched authors (every author with ``full``) and the peer distributions."""
    today = today or dt.date.today()
    result = RefreshResult(full=full)
    clock = time.perf_counter()
    rows: list[dict[str, object]] = []
    with writing(engine) as conn:
        head = stored.revision(conn)
        since = stored.metrics_revision(conn)
        targets = None if full or since == 0 else touched_authors(conn, since, regraded)
        result.full = targets is None
        merges = author_variants.reconcile(conn, targets)
        result.variants = len(merges)
        if targets is not None:
            targets = sorted((set(targets) | {kept for kept, _ in merges}) - {gone for _, gone in merges})
        result.seconds["variants"] = time.perf_counter() - clock
        clock = time.perf_counter()
        if targets is None or targets:
            pairs = f.load_author_works(conn, targets)
            # Past a point, reading every work in one pass beats asking for them in chunks.
            some = targets is not None and len(pairs.work_ids) < WHOLE_CORPUS_AT
            facts = f.load_works(conn, pairs.work_ids if some else None, today)
            result.seconds["load"] = time.perf_counter() - clock
            clock = time.perf_counter()
            table = compute(facts.arrays, pairs.authorships(facts), len(pairs.author_ids))
            rows = _rows(pairs.author_ids, table, facts.categories)
            result.authors = len(rows)
            result.seconds["compute"] = time.perf_counter() - clock
        clock = time.perf_counter()
        stored.replace_author_metrics(conn, targets, rows)
        result.seconds["store"] = time.perf_counter() - clock
        clock = time.perf_counter()
        result.distributions = _distributions(conn)
        stored.set_metrics_revision(conn, head)
    result.seconds["distributions"] = time.perf_counter() - clock
    return result


def _rows(author_ids: np.ndarray, table: AuthorTable, categories: list[str]) -> list[dict[str, object]]:
    now = dt.datetime.now(dt.UTC)
    cited = table.cited_works > 0

    def maybe(values: np.ndarray, known: np.ndarray) -> list[object]:
        return [v if k else None for v, k in zip(values.tolist(), known.tolist(), strict=True)]

    columns = {
        "author_id": author_ids.tolist(),
        "main_category": [categories[c] if c >= 0 else None for c in table.main_category.tolist()],
        "works": table.works.tolist(),
        "cited_works": table.cited_works.tolist(),
        "h_index": maybe(table.h_index, cited),
        "i10_index": maybe(table.i10_index, cited),
        "citations": maybe(table.citations, cited),
        "citations_per_year": maybe(table.citations_per_year, table.per_year_works > 0),
        "novelty": maybe(table.novelty, ~np.isnan(table.novelty)),
        "code_rate": table.code_rate.tolist(),
        "upvotes": table.upvotes.tolist(),
    }
    names = list(columns)
    return [
        {**dict(zip(names, values, strict=True)), "computed_at": now}
        for values in zip(*columns.values(), strict=True)
    ]


def _distributions(conn: Connection) -> int:
    """Rebuild the peer histograms: per main category and ranked metric, over authors with
    at least :data:`MIN_WORKS` works and a value for that metric."""
    by_category: dict[str, list[tuple[object, ...]]] = {}
    for category, figures in stored.ranked_figures(conn, RANKED, MIN_WORKS):
        by_category.setdefault(category, []).append(figures)
    now = dt.datetime.now(dt.UTC)
    out = []
    for category, values in by_category.items():
        for i, metric in enumerate(RANKED):
            known = np.array([v[i] for v in values if v[i] is not None], dtype=np.float64)
            if not len(known):
                continue
            dist = Distribution.of(known)
            out.append(
                {
                    "category": category,
                    "metric": metric,
                    "authors": dist.peers,
                    "histogram": dist.pairs(),
                    "computed_at": now,
                }
            )
    stored.replace_distributions(conn, out)
    return len(out)


def distributions_for(conn: Connection, category: str | None) -> dict[str, Distribution]:
    """The saved peer histograms of one category."""
    if category is None:
        return {}
    return {
        metric: Distribution.from_pairs(pairs) for metric, pairs in stored.histograms(conn, category).items()
    }


def last_refresh(conn: Connection) -> dt.datetime | None:
    """When the last ``metrics refresh`` saved the peer histograms (``None``: never)."""
    return stored.histograms_computed_at(conn)

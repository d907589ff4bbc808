"""Paper novelty against its predecessors, and the author's Novelty % built on it."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, select

from paperradar.analysis import profiles
from paperradar.analysis.novelty import refresh_novelty
from paperradar.analysis.refresh import refresh_metrics
from paperradar.ingest import import_file
from paperradar.search.embedding_job import BATCH_KEY, embed_pending
from paperradar.search.embeddings import DIM, Embedder
from paperradar.search.vectors import VectorIndex
from paperradar.store import schema as t
from paperradar.store.database import writing
from paperradar.store.sql import insert_rows, upsert
from tests.conftest import FIXTURES

MODEL = "unit-vectors"


def record(arxiv: str, day: str, category: str = "cs.CL") -> str:
    created = dt.date.fromisoformat(day).strftime("%a, %d %b %Y 10:00:00 GMT")
    return json.dumps(
        {
            "id": arxiv,
            "authors": "Ada Lovelace",
            "title": f"A study numbered {arxiv}",
            "abstract": "Text.",
            "categories": category,
            "versions": [{"version": "v1", "created": created}],
            "authors_parsed": [["Lovelace", "Ada", ""]],
        }
    )


def axis(*weights: float) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    v[: len(weights)] = weights
    return v / np.linalg.norm(v)


class Corpus:
    """Works with hand-made vectors, stored as embeddings the way the embedding job stores them."""

    def __init__(self, engine: Engine, folder: Path) -> None:
        self.engine, self.folder, self.files = engine, folder, 0
        self.vectors = VectorIndex(folder / "vectors")

    def add(self, works: dict[str, tuple[str, str, np.ndarray]]) -> None:
        self.files += 1
        path = self.folder / f"part{self.files}.jsonl"
        path.write_text("\n".join(record(a, day, cat) for a, (day, cat, _) in works.items()) + "\n")
        import_file(self.engine, path)
        with writing(self.engine) as conn:
            ids = dict(
                conn.execute(
                    select(t.work_ids.c.value, t.work_ids.c.work_id).where(t.work_ids.c.scheme == "arxiv")
                ).all()
            )
            batch = (
                int(conn.execute(select(t.meta.c.value).where(t.meta.c.key == BATCH_KEY)).scalar() or 0) + 1
            )
            rows = [
                {
                    "work_id": ids[a],
                    "model": MODEL,
                    "text_hash": "h",
                    "vector": vec.astype("<f2").tobytes(),
                    "revision": 1,
                    "batch": batch,
                    "embedded_at": dt.datetime.now(dt.UTC),
                }
                for a, (_, _, vec) in works.items()
            ]
            insert_rows(conn, t.embeddings, rows)
            upsert(conn, t.meta, [{"key": BATCH_KEY, "value": str(batch)}], ["key"])
        self.vectors.catch_up(self.engine, MODEL)

    def scores(self) -> dict[str, tuple[float | None, int, float | None]]:
        nv = t.work_novelty.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.work_ids.c.value, nv.novelty, nv.neighbours, nv.percentile).join(
                    t.work_ids, (t.work_ids.c.work_id == nv.work_id) & (t.work_ids.c.scheme == "arxiv")
                )
            ).all()
        return {a: (n, k, p) for a, n, k, p in rows}


@pytest.fixture
def corpus(engine: Engine, tmp_path: Path) -> Corpus:
    return Corpus(engine, tmp_path)


def test_novelty_is_one_minus_the_mean_similarity_to_earlier_works_of_the_field(corpus: Corpus) -> None:
    e1, e2 = axis(1), axis(0, 1)
    corpus.add(
        {
            "2501.00001": ("2025-01-10", "cs.CL", e1),
            "2502.00002": ("2025-02-10", "cs.CL", e1),  # the same as its one predecessor
            "2502.00003": ("2025-02-20", "cs.CL", e2),  # unlike both predecessors
            "2502.00004": ("2025-02-20", "cs.CL", e2),  # same day as .00003: not its predecessor
            "2503.00005": ("2025-03-01", "cs.LG", e1),  # another field: nothing earlier there
            "2503.00007": ("2025-03-05", "cs.CL", axis(1, 1)),  # halfway between
            "2706.00006": ("2027-06-01", "cs.CL", e1),  # the others are more than 24 months before
        }
    )
    result = refresh_novelty(corpus.engine, corpus.vectors)
    assert result.computed == 7 and result.without_predecessor == 3
    s = corpus.scores()
    assert s["2501.00001"][:2] == (None, 0)
    assert s["2502.00002"][0] == pytest.approx(0.0, abs=1e-3) and s["2502.00002"][1] == 1
    assert s["2502.00003"][0] == pytest.approx(1.0, abs=1e-3) and s["2502.00003"][1] == 2
    assert s["2502.00004"][0] == pytest.approx(1.0, abs=1e-3) and s["2502.00004"][1] == 2
    assert s["2503.00005"][:2] == (None, 0)
    assert s["2503.00007"][0] == pytest.approx(1 - math.sqrt(0.5), abs=1e-3) and s["2503.00007"][1] == 4
    assert s["2706.00006"][:2] == (None, 0)
    # Percentiles within (cs.CL, 2025-02): the conventional paper low, the two novel ones high.
    assert s["2502.00002"][2] == pytest.approx(100 / 6)
    assert s["2502.00003"][2] == pytest.approx(200 / 3) and s["2502.00004"][2] == pytest.approx(200 / 3)
    assert s["2501.00001"][2] is None  # nothing to grade


def test_only_the_ten_nearest_predecessors_count(corpus: Corpus) -> None:
    earlier = {
        f"2501.{i:05d}": ("2025-01-10", "cs.CL", axis(i / 12, math.sqrt(1 - (i / 12) ** 2)))
        for i in range(1, 13)
    }
    corpus.add({**earlier, "2502.00099": ("2025-02-01", "cs.CL", axis(1))})
    refresh_novelty(corpus.engine, corpus.vectors)
    novelty, neighbours, _ = corpus.scores()["2502.00099"]
    assert neighbours == 10
    assert novelty == pytest.approx(1 - sum(range(3, 13)) / 12 / 10, abs=2e-3)


def test_an_older_paper_imported_later_rescores_the_papers_after_it(corpus: Corpus) -> None:
    e1, e2 = axis(1), axis(0, 1)
    corpus.add({"2501.00001": ("2025-01-10", "cs.CL", e1), "2502.00002": ("2025-02-10", "cs.CL", e1)})
    refresh_novelty(corpus.engine, corpus.vectors)
    assert corpus.scores()["2502.00002"][0] == pytest.approx(0.0, abs=1e-3)
    assert refresh_novelty(corpus.engine, corpus.vectors).computed == 0  # nothing new: nothing done
    corpus.add({"2501.00000": ("2025-01-05", "cs.CL", e2)})
    result = refresh_novelty(corpus.engine, corpus.vectors)
    assert result.computed == 3  # the new one and both papers after it
    novelty, neighbours, _ = corpus.scores()["2502.00002"]
    assert novelty == pytest.approx(0.5, abs=1e-3)
    assert neighbours == 2


def test_novelty_percent_is_the_median_percentile_counting_first_and_last_authors_twice(
    engine: Engine, tmp_path: Path
) -> None:
    """End to end on the captured cards, with the shipped model."""
    seed = FIXTURES / "seed_pages"
    import_file(engine, seed / "paper_cards.jsonl")
    import_file(engine, seed / "author_profile.json")
    embedder = Embedder()
    embed_pending(engine, embedder)
    vectors = VectorIndex(tmp_path / "vectors")
    vectors.catch_up(engine, embedder.name)
    regraded = refresh_novelty(engine, vectors).regraded
    refresh_metrics(engine, regraded=sorted(regraded))
    with engine.connect() as conn:
        (found,) = profiles.find(conn, "Katherine Metcalf")
        profile = profiles.profile(conn, found["id"])
    assert profile is not None
    scored = [w for w in profile.works if w.novelty.percentile is not None]
    assert len(scored) >= 3
    weighted = [
        percentile
        for w in scored
        if (percentile := w.novelty.percentile) is not None
        for _ in range(2 if w.position == 1 or (w.position == w.card.n_authors) else 1)
    ]
    assert abs(profile.novelty.value - float(np.median(weighted))) <= 0.55  # shown as a whole number
    assert f"{len(scored)} works of {len(profile.works)}" in profile.novelty.basis
    unscored = [w for w in profile.works if w.novelty.percentile is None]
    assert all(w.novelty.reason for w in unscored)

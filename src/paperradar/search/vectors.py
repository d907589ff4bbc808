"""The vector index: the store's embeddings laid out for nearest-neighbour search, beside the database.

Files in ``<db>.index/vectors/``:

* ``vectors.f32`` — one row of ``DIM`` float32 per embedded work, append-only, memory-mapped
  by every reader (several web workers share one copy through the page cache); float32 because
  numpy has no fast float16 product (8x slower), and exact scoring is what this file is for;
* ``ids.i64`` — the work id of each row; a work embedded again gets a new row, and only its
  newest row counts;
* ``hnsw.faiss`` — an HNSW graph over 8-bit codes of the rows (faiss ``IndexHNSWSQ``), built
  once the corpus outgrows exact search and extended as rows are appended; readers map it
  with ``IO_FLAG_MMAP_IFC``, so it too is shared rather than copied into each process;
* ``state.json`` — the model the rows come from and the last embedding batch they include.

Like the keyword index, it is derived: it follows the store's ``embeddings`` table by batch
number, catches up after anything it missed, and ``rebuild`` makes it anew. Search is exact
(one matrix product) below ``EXACT_LIMIT`` rows; above, the graph proposes candidates from
the 8-bit codes and the float vectors re-score them (recall@10 0.99 at 200k, 0.96 at 1M with
the search depth growing with the corpus; see bench/search_bench.py).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine

from paperradar.search.embedding_job import embedding_batch
from paperradar.search.embeddings import DIM
from paperradar.store import indexing

EXACT_LIMIT = 20_000  # rows searched exactly (a few ms); HNSW above
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 40
HNSW_EF_SEARCH = 64  # at 200k rows; deeper as the graph grows (see _ef_search)
RERANK = 64  # graph candidates re-scored exactly (at least; more when more results are asked)
TRAIN = 100_000  # rows the 8-bit quantiser learns its value ranges from
FETCH = 20_000  # embeddings read from the store per round trip

Vectors = np.ndarray[Any, np.dtype[np.float32]]


FORMAT = 3  # of the files; an index in another format is rebuilt from the store (no model calls)


@dataclass
class VectorState:
    format: int = FORMAT
    model: str = ""
    batch: int = 0  # embedding batch fully included
    rows: int = 0  # rows in the files that the state vouches for
    graph_rows: int = 0  # rows in the HNSW graph (0: no graph yet)


_NO_IDS = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class _Snapshot:
    """One consistent view of the files: a search never mixes two states of a catch-up."""

    state: VectorState
    vectors: Vectors
    ids: np.ndarray[Any, Any]
    sorted_ids: np.ndarray[Any, Any]
    order: np.ndarray[Any, Any]  # rows in ``sorted_ids`` order

    def rows_of(self, work_ids: Iterable[int]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        wanted = np.unique(np.fromiter(work_ids, dtype=np.int64))
        if not len(self.sorted_ids):
            return wanted[:0], wanted[:0]
        at = np.searchsorted(self.sorted_ids, wanted, side="right") - 1
        found = (at >= 0) & (self.sorted_ids[np.maximum(at, 0)] == wanted)
        return wanted[found], self.order[at[found]]

    def current(self, rows: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Which of ``rows`` are their work's newest row (older ones were re-embedded since)."""
        last = np.searchsorted(self.sorted_ids, self.ids[rows], side="right") - 1
        return np.asarray(self.order[last] == rows)


class VectorIndex:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._snapshot: _Snapshot | None = None
        self._graph: Any = None

    # ------------------------------------------------------------------ state
    @property
    def state(self) -> VectorState:
        """What the files hold; an empty state when they are missing or of another format."""
        file = self.path / "state.json"
        if not file.exists():
            return VectorState()
        saved = {"format": 1, **json.loads(file.read_text())}
        if saved["format"] != FORMAT or not (self.path / "ids.i64").exists():
            return VectorState(model="")
        return VectorState(**saved)

    def _save_state(self, state: VectorState) -> None:
        tmp = self.path / "state.json.tmp"
        tmp.write_text(json.dumps(asdict(state)))
        tmp.replace(self.path / "state.json")

    def __len__(self) -> int:
        return self.state.rows

    # ------------------------------------------------------------------ writing
    def catch_up(self, engine: Engine, model: str, progress: Callable[[int], None] | None = None) -> int:
        """Append the vectors of ``model`` committed since the last catch-up; returns how many."""
        state = self.state
        head = embedding_batch(engine)
        if state.model != model:
            self._wipe()
            state = VectorState(model=model)
        if head <= state.batch:
            return 0
        self.path.mkdir(parents=True, exist_ok=True)
        added = 0
        # Files may hold rows past state.rows (a run killed after writing, before saving state).
        with open(self.path / "vectors.f32", "ab") as vf, open(self.path / "ids.i64", "ab") as idf:
            vf.truncate(state.rows * DIM * 4)
            idf.truncate(state.rows * 8)
            for ids, vectors in self._read(engine, model, state.batch, head):
                vf.write(vectors.tobytes())
                idf.write(ids.astype("<i8").tobytes())
                added += len(ids)
                if progress:
                    progress(len(ids))
            vf.flush()
            idf.flush()
            os.fsync(vf.fileno())
            os.fsync(idf.fileno())
        state.rows += added
        state.batch = head
        state.graph_rows = self._extend_graph(state)
        self._save_state(state)
        return added

    def rebuild(self, engine: Engine, model: str, progress: Callable[[int], None] | None = None) -> int:
        self._wipe()
        return self.catch_up(engine, model, progress)

    def _wipe(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        self._snapshot, self._graph = None, None

    @staticmethod
    def _read(
        engine: Engine, model: str, after: int, upto: int
    ) -> Iterable[tuple[np.ndarray[Any, Any], Vectors]]:
        for page in indexing.embedding_pages(engine, model, after, upto, FETCH):
            rows = [row for row in page if row[1]]  # empty: a work with no text to embed
            if rows:
                ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
                blob = b"".join(bytes(row[1]) for row in rows)
                yield ids, np.frombuffer(blob, dtype="<f2").reshape(len(rows), DIM).astype("<f4")

    def _extend_graph(self, state: VectorState) -> int:
        """Add the rows the HNSW graph lacks (creating it once the corpus is large enough)."""
        if state.rows <= EXACT_LIMIT and not state.graph_rows:
            return 0
        import faiss

        file = self.path / "hnsw.faiss"
        vectors = self._vectors(state.rows)
        if state.graph_rows and file.exists():
            graph = faiss.read_index(str(file))
        else:
            eight_bit: Any = faiss.ScalarQuantizer.QT_8bit
            graph = faiss.IndexHNSWSQ(DIM, eight_bit, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            sample = np.random.default_rng(0).choice(state.rows, min(TRAIN, state.rows), replace=False)
            graph.train(np.ascontiguousarray(vectors[np.sort(sample)]))
        step = 50_000
        for start in range(graph.ntotal, state.rows, step):
            graph.add(np.ascontiguousarray(vectors[start : start + step]))
        faiss.write_index(graph, str(file) + ".tmp")
        os.replace(str(file) + ".tmp", file)
        self._graph = None
        return int(graph.ntotal)

    # ------------------------------------------------------------------ reading
    def _vectors(self, rows: int) -> Vectors:
        if rows == 0:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.memmap(self.path / "vectors.f32", dtype="<f4", mode="r", shape=(rows, DIM))

    def _load(self) -> _Snapshot:
        """The files as one consistent snapshot (re-read when a catch-up moved the state on)."""
        state = self.state
        if self._snapshot is None or self._snapshot.state != state:
            rows = state.rows
            ids = np.memmap(self.path / "ids.i64", dtype="<i8", mode="r", shape=(rows,)) if rows else _NO_IDS
            order = np.argsort(ids, kind="stable")  # duplicates: the newest row comes last
            self._snapshot = _Snapshot(state, self._vectors(rows), ids, ids[order], order)
        return self._snapshot

    def rows_of(self, work_ids: Iterable[int]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """``(work ids, rows)`` of the given works that have a vector (their newest row)."""
        return self._load().rows_of(work_ids)

    def vectors_at(self, rows: np.ndarray[Any, Any]) -> Vectors:
        """The vectors of ``rows``, in ascending row order (the order they lie on disk)."""
        return np.asarray(self._load().vectors[np.sort(rows)], dtype=np.float32)

    def vector_of(self, work_id: int) -> Vectors | None:
        snap = self._load()
        _, rows = snap.rows_of([work_id])
        return np.asarray(snap.vectors[rows[0]], dtype=np.float32) if len(rows) else None

    def search(
        self, query: Vectors, limit: int = 20, within: Iterable[int] | None = None, paper: bool = False
    ) -> list[tuple[int, float]]:
        """``(work id, cosine)`` nearest first; ``within`` restricts (and then searches exactly).

        ``paper``: the query is a paper's own vector (related papers), which lies where the
        corpus is dense and needs a shallower graph search than a typed query does."""
        snap = self._load()
        vectors, ids = snap.vectors, snap.ids
        if len(ids) == 0 or limit <= 0:
            return []
        if within is not None:
            keys, rows = snap.rows_of(within)
            order = np.argsort(rows)
            keys, rows = keys[order], rows[order]  # read in the order they lie on disk
            scores = vectors[rows] @ query if len(rows) else np.zeros(0)
            best = np.argsort(-scores, kind="stable")[:limit]
            return [(int(keys[i]), float(scores[i])) for i in best]
        graph_rows = snap.state.graph_rows
        if graph_rows:
            depth = _ef_search(graph_rows, paper)
            rows = self._search_graph(query, max(RERANK, limit * 2), depth, graph_rows)
            rows = np.concatenate([rows[rows < len(ids)], np.arange(graph_rows, len(ids))])  # + newer rows
            rows = np.sort(rows)
            scores = vectors[rows] @ query
        else:
            scores = np.empty(len(ids), dtype=np.float32)
            for start in range(0, len(ids), 65536):
                scores[start : start + 65536] = vectors[start : start + 65536] @ query
            rows = np.arange(len(ids))
        keep = snap.current(rows)
        rows, scores = rows[keep], scores[keep]
        k = min(limit, len(rows))
        if k == 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k] if k < len(rows) else np.arange(len(rows))
        best = best[np.argsort(-scores[best])]
        return [(int(ids[rows[i]]), float(scores[i])) for i in best]

    def _search_graph(self, query: Vectors, k: int, ef: int, graph_rows: int) -> np.ndarray[Any, Any]:
        """Candidate rows from the HNSW graph (scored on 8-bit codes: re-scored by the caller)."""
        import faiss

        if self._graph is None or self._graph.ntotal != graph_rows:
            # IO_FLAG_MMAP_IFC maps codes and graph (plain IO_FLAG_MMAP copies an HNSW index).
            # A mapped index must never be added to: the writer loads its own copy.
            self._graph = faiss.read_index(str(self.path / "hnsw.faiss"), faiss.IO_FLAG_MMAP_IFC)
        params = faiss.SearchParametersHNSW(efSearch=max(ef, k))  # type: ignore[attr-defined]
        _, rows = self._graph.search(query.reshape(1, -1).astype(np.float32), k, params=params)
        return np.asarray(rows[0][rows[0] >= 0], dtype=np.int64)


def _ef_search(rows: int, paper: bool) -> int:
    """HNSW search depth for a graph of ``rows``. Recall at a fixed depth falls as the graph grows,
    faster for typed queries than for papers' own vectors. At 1M (bench/search_bench.py): depth
    255 gave recall@10 0.975 for paper vectors in 1.8 ms but 0.86 for text queries, which need
    ~1,000 (0.956 in 3.7 ms). So the depth grows with the graph, faster for text."""
    growth = 0.86 if paper else 1.72
    return int(min(2048, max(HNSW_EF_SEARCH, HNSW_EF_SEARCH * (rows / 200_000) ** growth)))

"""The precomputed tf-idf matrix: every work's row, memory-mapped beside the database.

A derived index like the keyword and vector indexes (``<db>.index/recommend/``): the vocabulary
and idf are fitted once on a sample of the corpus, rows are appended for new and changed works
as the store's revision moves on, and every process maps the same CSR arrays. The
recommendations (:mod:`paperradar.analysis.recommend`) score the corpus over it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock
from sqlalchemy import Engine

from paperradar.search.embeddings import work_text
from paperradar.search.lexical import index_dir, store_revision
from paperradar.store import indexing

Floats = np.ndarray[Any, np.dtype[np.float32]]
Ints = np.ndarray[Any, np.dtype[np.int64]]

FORMAT = 1  # of the files; another format is rebuilt
FIT_SAMPLE = 100_000  # works the vocabulary and idf are fitted on (spread over the id range)
MAX_TERMS = 50_000  # vocabulary size (words and two-word phrases)
FETCH = 5_000  # works read from the store per round trip while building


def vectorizer(docs: int, vocabulary: dict[str, int] | None = None) -> Any:
    """arxiv-sanity-lite's tf-idf (words and two-word phrases, sublinear tf, l2 rows), with the
    document-frequency limits relaxed for small corpora so that a few hundred works still have
    a vocabulary."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        strip_accents="unicode",
        lowercase=True,
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
        max_features=None if vocabulary else MAX_TERMS,
        min_df=5 if docs >= 20_000 else 2 if docs >= 50 else 1,
        max_df=0.1 if docs >= 20_000 else 0.5 if docs >= 50 else 1.0,
        sublinear_tf=True,
        dtype=np.float32,
        vocabulary=vocabulary,
    )


@dataclass
class TermState:
    format: int = FORMAT
    revision: int = 0  # store revision fully included
    rows: int = 0
    nnz: int = 0
    fitted_on: int = 0  # works the vocabulary was fitted on


@dataclass(frozen=True)
class Mapped:
    """One consistent view of the files (re-read when a catch-up moved the state on)."""

    state: TermState
    matrix: Any  # scipy CSR over memory-mapped arrays
    ids: Ints
    sorted_ids: Ints
    order: Ints  # rows in sorted_ids order
    live: np.ndarray[Any, np.dtype[np.bool_]]  # the newest row of its work


class TermMatrix:
    """Every work's tf-idf row, memory-mapped: ``data.f32 indices.i32 indptr.i64 ids.i64``,
    ``vocab.json`` and ``idf.f32`` beside the database (``<db>.index/recommend/``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mapped: Mapped | None = None
        self._vectorizer: Any = None
        self._terms: np.ndarray[Any, Any] | None = None

    @property
    def state(self) -> TermState:
        file = self.path / "state.json"
        if not file.exists():
            return TermState()
        saved = json.loads(file.read_text())
        if saved.get("format") != FORMAT:
            return TermState(format=-1)
        return TermState(**saved)

    def ready(self) -> bool:
        return self.state.rows > 0

    def __len__(self) -> int:
        return self.state.rows

    # ------------------------------------------------------------------ writing
    def catch_up(self, engine: Engine, progress: Callable[[int], None] | None = None) -> int:
        """Append the rows of works changed since the last catch-up (fitting the vocabulary
        first when there is none); returns how many rows were added. One writer at a time."""
        head = store_revision(engine)
        known = self.state
        if known.format == FORMAT and known.rows and head <= known.revision:
            return 0  # up to date: the usual case of a request, no lock taken
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.path) + ".lock"):
            state, head = self.state, store_revision(engine)  # another process may have caught up
            if state.format != FORMAT or (state.rows and not (self.path / "vocab.json").exists()):
                self._wipe()
                state = TermState()
            if state.rows and head <= state.revision:
                return 0
            if not (self.path / "vocab.json").exists():
                sample = self._sample(engine)
                if not sample:  # nothing to learn words from yet
                    return 0
                self.path.mkdir(parents=True, exist_ok=True)
                state = TermState(fitted_on=self._fit(sample))
            return self._append(state, _changed_texts(engine, state.revision, head), head, progress)

    def build(
        self,
        fit_on: Sequence[str],
        batches: Iterable[tuple[Ints, list[str]]],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Build anew from texts that are not in a store (the benchmark's corpora)."""
        self._wipe()
        self.path.mkdir(parents=True)
        return self._append(TermState(fitted_on=self._fit(fit_on)), batches, 0, progress)

    def _append(
        self,
        state: TermState,
        batches: Iterable[tuple[Ints, list[str]]],
        revision: int,
        progress: Callable[[int], None] | None,
    ) -> int:
        vec = self._vectorizer_loaded()
        added = 0
        with (
            open(self.path / "data.f32", "ab") as df,
            open(self.path / "indices.i32", "ab") as xf,
            open(self.path / "indptr.i64", "ab") as pf,
            open(self.path / "ids.i64", "ab") as idf,
        ):
            # Files may hold more than the state vouches for (killed before saving it).
            df.truncate(state.nnz * 4)
            xf.truncate(state.nnz * 4)
            pf.truncate((state.rows + 1) * 8 if state.rows else 0)
            idf.truncate(state.rows * 8)
            if not state.rows:
                pf.write(np.zeros(1, dtype="<i8").tobytes())
            nnz = state.nnz
            for ids, texts in batches:
                rows = vec.transform(texts).tocsr()
                rows.sort_indices()
                df.write(rows.data.astype("<f4").tobytes())
                xf.write(rows.indices.astype("<i4").tobytes())
                pf.write((rows.indptr[1:].astype(np.int64) + nnz).astype("<i8").tobytes())
                idf.write(ids.astype("<i8").tobytes())
                nnz += int(rows.nnz)
                added += len(ids)
                if progress:
                    progress(len(ids))
            for f in (df, xf, pf, idf):
                f.flush()
                os.fsync(f.fileno())
        state.rows += added
        state.nnz = nnz
        state.revision = revision
        self._save_state(state)
        self._mapped = None
        return added

    def rebuild(self, engine: Engine, progress: Callable[[int], None] | None = None) -> int:
        self._wipe()
        return self.catch_up(engine, progress)

    def _wipe(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        self._mapped, self._vectorizer, self._terms = None, None, None

    def _save_state(self, state: TermState) -> None:
        tmp = self.path / "state.json.tmp"
        tmp.write_text(json.dumps(asdict(state)))
        tmp.replace(self.path / "state.json")

    @staticmethod
    def _sample(engine: Engine) -> list[str]:
        """Up to ``FIT_SAMPLE`` texts spread over the id range (every k-th id: old and new
        topics alike), so that fitting never holds 1M texts."""
        with engine.connect() as conn:
            count = indexing.count_works(conn)
        step = max(1, -(-count // FIT_SAMPLE))
        texts = [text for _, batch in _changed_texts(engine, -1, None, step) for text in batch]
        return [x for x in texts if x.strip()]

    def _fit(self, texts: Sequence[str]) -> int:
        """Fit the vocabulary and idf (kept fixed as rows are appended, so rows stay comparable)."""
        vec = vectorizer(len(texts))
        try:
            vec.fit(texts)
        except ValueError:  # every term pruned (a tiny or odd corpus): keep them all
            vec = vectorizer(1)
            vec.fit(texts)
        vocab = {str(term): int(i) for term, i in vec.vocabulary_.items()}
        (self.path / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
        (self.path / "idf.f32").write_bytes(vec.idf_.astype("<f4").tobytes())
        self._vectorizer, self._terms = None, None
        return len(texts)

    def _vectorizer_loaded(self) -> Any:
        if self._vectorizer is None:
            vocab = json.loads((self.path / "vocab.json").read_text())
            vec = vectorizer(2, vocabulary=vocab)
            vec.idf_ = np.frombuffer((self.path / "idf.f32").read_bytes(), dtype="<f4").astype(np.float64)
            self._vectorizer = vec
        return self._vectorizer

    # ------------------------------------------------------------------ reading
    @property
    def terms(self) -> np.ndarray[Any, Any]:
        """Column → term (word or two-word phrase)."""
        if self._terms is None:
            vocab: dict[str, int] = json.loads((self.path / "vocab.json").read_text())
            terms = np.empty(len(vocab), dtype=object)
            for term, i in vocab.items():
                terms[i] = term
            self._terms = terms
        return self._terms

    def load(self) -> Mapped:
        from scipy import sparse

        state = self.state
        if self._mapped is None or self._mapped.state != state:
            rows, nnz = state.rows, state.nnz
            width = len(self.terms)
            data: np.ndarray[Any, Any]
            indices: np.ndarray[Any, Any]
            if nnz:
                data = np.memmap(self.path / "data.f32", dtype="<f4", mode="r", shape=(nnz,))
                indices = np.memmap(self.path / "indices.i32", dtype="<i4", mode="r", shape=(nnz,))
            else:
                data, indices = np.zeros(0, np.float32), np.zeros(0, np.int32)
            indptr = np.memmap(self.path / "indptr.i64", dtype="<i8", mode="r", shape=(rows + 1,))
            # int32 offsets while they fit, so that scipy keeps the mapped int32 indices (no copy)
            pointer = np.asarray(indptr, dtype=np.int32 if nnz < 2**31 - 1 else np.int64)
            if pointer.dtype == np.int64:
                indices = np.asarray(indices, dtype=np.int64)
            matrix = sparse.csr_matrix((rows, width), dtype=np.float32)
            matrix.data, matrix.indices, matrix.indptr = data, indices, pointer
            ids = np.asarray(np.memmap(self.path / "ids.i64", dtype="<i8", mode="r", shape=(rows,)))
            order = np.argsort(ids, kind="stable")  # a work's newest row comes last
            sorted_ids = ids[order]
            live = np.zeros(rows, dtype=bool)
            if rows:
                last = np.ones(rows, dtype=bool)
                last[:-1] = sorted_ids[1:] != sorted_ids[:-1]
                live[order[last]] = True
            self._mapped = Mapped(state, matrix, ids, sorted_ids, order, live)
        return self._mapped

    def rows_of(self, work_ids: Iterable[int]) -> tuple[Ints, Ints]:
        """``(work ids, rows)`` of the given works that have a row (their newest), in id order."""
        m = self.load()
        wanted = np.unique(np.fromiter(work_ids, dtype=np.int64))
        if not len(m.sorted_ids) or not len(wanted):
            return wanted[:0], wanted[:0]
        at = np.searchsorted(m.sorted_ids, wanted, side="right") - 1
        found = (at >= 0) & (m.sorted_ids[np.maximum(at, 0)] == wanted)
        return wanted[found], m.order[at[found]]


def _changed_texts(
    engine: Engine, since: int, upto: int | None, step: int = 1
) -> Iterator[tuple[Ints, list[str]]]:
    """``(ids, title. abstract)`` of works with a revision in ``(since, upto]``, paged by id;
    with ``step`` > 1 only every ``step``-th id (the fitting sample)."""
    for rows in indexing.work_texts(engine, since, upto, step, FETCH):
        ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        yield ids, [work_text(row[1], row[2]) for row in rows]


def term_dir(engine: Engine) -> TermMatrix:
    return TermMatrix(index_dir(engine).parent / "recommend")

"""Recommendations that learn: a per-user linear model over tf-idf and embedding features.

As arxiv-sanity-lite and Scholar Inbox do, each user gets a linear classifier trained on their
saved papers (positives; tagged papers are saved ones) and their explicit "not for me"s
(negatives, weighted as much as all the saves together so that one dislike is felt), plus a
sample of the corpus as background negatives. Its score ranks the papers they have not seen.

Why it is fast (≤ 1 s for 50 saved papers over 1M works) — nothing is fitted over the corpus
at request time:

* **Precomputed** (:mod:`paperradar.search.tfidf`, ``<db>.index/recommend/``): every work's
  tf-idf row, with a vocabulary and idf fitted once on a sample of the corpus, stored as CSR arrays
  that every process memory-maps. Like the other indexes it is derived and follows the store
  by revision: new and changed works are appended (their newest row counts) with the fixed
  vocabulary; ``paperradar recommend --refresh --rebuild`` fits the vocabulary anew.
  Embedding features are the stored vectors of the vector index (no model call, ever).
* **Per request**: read the user's saves and dislikes; gather their rows and a fixed-size
  background sample (a few thousand rows); fit a linear SVM (milliseconds); score the whole
  corpus on the tf-idf part of the weights (one sparse matrix-vector product over the mapped
  matrix), and — when vectors exist — add the nearest neighbours of the embedding part of the
  weights and of each saved paper from the vector index; score those candidates with the full
  model; explain the best (nearest saved paper, top terms).

Without embeddings (none computed yet, or another model's) the model is tf-idf only and the
result says so; with nothing saved the result carries a message instead of items.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine

from paperradar.search.embeddings import DIM, Embedder
from paperradar.search.hybrid import vector_dir
from paperradar.search.tfidf import Mapped, TermMatrix, term_dir
from paperradar.search.vectors import VectorIndex
from paperradar.store import indexing, library
from paperradar.store import search as store_search

BACKGROUND = 2_000  # corpus rows sampled as background negatives per user
TERM_CANDIDATES = 500  # best works on the tf-idf part of the model, from the full scan
VECTOR_CANDIDATES = 500  # nearest neighbours of the embedding part of the model
NEIGHBOURS = 20  # nearest neighbours of each of the most recent saved papers (with vectors)
RECENT = 10  # that many: one vector search each (~2 ms on the 1M graph)
# The SVM's regularisation: on bench/recommend_bench.py (50 saved papers) AUC 0.997 at 0.01,
# 0.95 at 0.5 (a loose fit learns the saved papers rather than their topic).
C = 0.01
DISLIKE_WEIGHT = 1.0  # one dislike weighs this many saves
TOP_TERMS = 4
AUTO_BUILD = 20_000  # up to this many works a missing matrix is built on first use (~10 s at
# ~2,000 works/s); a larger corpus needs `paperradar recommend --refresh` once

Floats = np.ndarray[Any, np.dtype[np.float32]]
Ints = np.ndarray[Any, np.dtype[np.int64]]


# =============================================================================================
# The model


@dataclass
class Recommendation:
    work_id: int
    score: float
    nearest_saved: int | None = None  # the saved paper it is most like
    nearest_title: str | None = None
    similarity: float = 0.0  # cosine to that paper (embeddings when there are, else tf-idf)
    terms: list[str] = field(default_factory=list)  # the words that raised its score most

    @property
    def reason(self) -> str:
        parts = []
        if self.nearest_title:
            parts.append(f"like “{self.nearest_title}” ({self.similarity:.2f})")
        if self.terms:
            parts.append("words: " + ", ".join(self.terms))
        return "; ".join(parts)


@dataclass
class Recommendations:
    user: str
    items: list[Recommendation]
    features: str  # "tf-idf + embeddings" or "tf-idf"
    saved: int = 0
    disliked: int = 0
    notes: list[str] = field(default_factory=list)
    message: str | None = None  # why there is nothing to show (nothing saved, no corpus yet)
    seconds: float = 0.0


@dataclass
class Model:
    """A user's linear model: weights over the tf-idf columns and the embedding dimensions."""

    w_terms: Floats
    w_vectors: Floats | None  # None: tf-idf only
    bias: float
    pos_ids: Ints  # the saved works it learned from (those with a row)
    pos_rows: Ints
    known: Ints  # saved and disliked: never recommended


@dataclass
class _Features:
    """Training or candidate rows: sparse tf-idf rows and (optionally) embedding rows."""

    terms: Any
    vectors: Floats | None


class Recommender:
    """The model machinery over one store's precomputed features (shared by CLI and web)."""

    def __init__(
        self, engine: Engine | None, vectors: VectorIndex | None = None, terms: TermMatrix | None = None
    ) -> None:
        """``engine`` None: features given directly (the benchmark); only :meth:`rank` works."""
        self.engine: Any = engine
        self.matrix = terms if terms is not None else term_dir(engine) if engine else TermMatrix(Path())
        self.vectors = (
            vectors if vectors is not None else vector_dir(engine) if engine else VectorIndex(Path())
        )
        self._model_name: str | None = None

    # ------------------------------------------------------------------ preparation
    def prepare(self, build_limit: int | None = AUTO_BUILD) -> str | None:
        """Bring the tf-idf matrix up to date; ``None`` when ready, else why it is not. A missing
        matrix is built here only for a corpus of up to ``build_limit`` works (seconds); a
        larger one is built once by ``paperradar recommend --refresh``."""
        if not self.matrix.ready() and build_limit is not None:
            with self.engine.connect() as conn:
                count = indexing.count_works(conn)
            if count > build_limit:
                return (
                    f"recommendations need the tf-idf features of the {count:,} works, built once: "
                    "run `paperradar recommend --refresh`"
                )
        self.matrix.catch_up(self.engine)
        return None if self.matrix.ready() else "the corpus is empty: import some papers first"

    def embeddings_ready(self) -> bool:
        """Stored vectors of the current model exist (its name is read from package metadata:
        the model itself is never loaded here)."""
        if self._model_name is None:
            self._model_name = Embedder().name
        return len(self.vectors) > 0 and self.vectors.state.model == self._model_name

    # ------------------------------------------------------------------ the request
    def for_user(self, conn: Connection, user: str, limit: int = 20) -> Recommendations:
        """Recommendations from the user's library: saves are positives, dislikes negatives."""
        positives = [w for w, _ in library.saved(conn, user)]
        negatives = library.disliked(conn, user)
        if not positives:
            return Recommendations(
                user,
                [],
                "tf-idf",
                0,
                len(negatives),
                message="Nothing saved yet: save a few papers you like (Save on any card, or "
                "`paperradar library save ID`) and recommendations learn from them.",
            )
        found = self.rank(positives, negatives, limit, seed=zlib.crc32(user.encode()))
        found.user = user
        nearest = [r.nearest_saved for r in found.items if r.nearest_saved is not None]
        titles = store_search.titles(conn, nearest)
        for item in found.items:
            item.nearest_title = titles.get(item.nearest_saved) if item.nearest_saved is not None else None
        return found

    def train(self, positives: Sequence[int], negatives: Sequence[int] = (), seed: int = 0) -> Model | str:
        """The user's model, or why there is none. Background negatives are a fixed-size sample
        drawn with ``seed`` (the user's: the same page on every visit until the library changes)."""
        m = self.matrix.load()
        pos_ids, pos_rows = self.matrix.rows_of(positives)
        neg_ids, neg_rows = self.matrix.rows_of(negatives)
        if len(pos_rows) == 0:
            return (
                "none of the saved papers has text to learn from yet (run `paperradar recommend --refresh`)"
            )
        use_vectors = self.embeddings_ready()
        known = np.union1d(pos_ids, neg_ids)
        rng = np.random.default_rng(seed)
        pool = np.flatnonzero(m.live)
        take = min(BACKGROUND + len(known), len(pool))
        background = rng.choice(pool, take, replace=False) if take else pool[:0]
        background = background[~np.isin(m.ids[background], known)][:BACKGROUND]
        if not len(background) and not len(neg_rows):
            return "every paper in the corpus is saved or disliked: nothing left to recommend"

        train_rows = np.concatenate([pos_rows, neg_rows, background])
        features = self._features(m, train_rows, m.ids[train_rows], use_vectors)
        labels = np.r_[np.ones(len(pos_rows)), np.zeros(len(neg_rows) + len(background))]
        # Balanced: the saves together weigh as much as the background; each dislike as one save.
        each = max(1.0, len(background) / len(pos_rows))
        weights = np.r_[
            np.full(len(pos_rows), each),
            np.full(len(neg_rows), DISLIKE_WEIGHT * each),
            np.ones(len(background)),
        ]
        w_terms, w_vectors, bias = _fit(features, labels, weights)
        return Model(w_terms, w_vectors, bias, pos_ids, pos_rows, known)

    def rank(
        self, positives: Sequence[int], negatives: Sequence[int] = (), limit: int = 20, seed: int = 0
    ) -> Recommendations:
        """Train on these works and rank the rest of the corpus (the ids need not be anyone's
        library: the benchmark calls this with an author's papers)."""
        start = time.perf_counter()
        result = Recommendations("", [], "tf-idf", len(positives), len(negatives))
        m = self.matrix.load()
        model = self.train(positives, negatives, seed)
        if isinstance(model, str):
            result.message = model
            return result
        use_vectors = model.w_vectors is not None
        self._note_features(result, m, use_vectors)
        cand_rows = self._candidates(m, model, positives, limit)
        cand_ids = m.ids[cand_rows]
        cand = self._features(m, cand_rows, cand_ids, use_vectors)
        total = _decision(cand, model.w_terms, model.w_vectors, model.bias)
        best = np.argsort(-total, kind="stable")[:limit]
        result.items = self._explained(m, model, cand, cand_ids, total, best)
        result.seconds = time.perf_counter() - start
        return result

    def _note_features(self, result: Recommendations, m: Mapped, use_vectors: bool) -> None:
        """Say which features the model uses, and how much of the corpus has embeddings."""
        if not use_vectors:
            result.notes.append(
                "no embeddings yet (run `paperradar index`): the model uses tf-idf features only"
            )
            return
        result.features = "tf-idf + embeddings"
        embedded = len(self.vectors)
        if embedded < 0.9 * int(m.live.sum()):
            result.notes.append(
                f"embeddings cover {embedded:,} of {int(m.live.sum()):,} works so far; the rest "
                "are ranked on their words"
            )

    def _candidates(self, m: Mapped, model: Model, positives: Sequence[int], limit: int) -> Ints:
        """Rows to score with the full model: the whole corpus on the words, the vector index on
        the meaning; never a saved or disliked work."""
        scores = _matvec(m.matrix, model.w_terms)
        scores[~m.live] = -np.inf
        excluded = self.matrix.rows_of(model.known)[1]
        scores[excluded] = -np.inf
        depth = min(len(scores), TERM_CANDIDATES + limit)
        cand_rows = (
            np.argpartition(-scores, depth - 1)[:depth] if depth < len(scores) else np.arange(len(scores))
        )
        cand_rows = cand_rows[np.isfinite(scores[cand_rows])]
        if model.w_vectors is not None:
            recent = np.asarray(positives[:RECENT], dtype=np.int64)
            extra = self._vector_candidates(model.w_vectors, recent, limit)
            extra_ids, extra_rows = self.matrix.rows_of(extra)
            extra_rows = extra_rows[~np.isin(extra_ids, model.known)]
            cand_rows = np.union1d(cand_rows, extra_rows)
        return cand_rows

    def _explained(
        self, m: Mapped, model: Model, cand: _Features, cand_ids: Ints, total: Floats, best: Ints
    ) -> list[Recommendation]:
        """The ``best`` candidates with their reasons: the nearest saved paper, and the terms
        that weigh most in the score."""
        use_vectors = model.w_vectors is not None
        pos_feats = self._features(m, model.pos_rows, model.pos_ids, use_vectors)
        chosen = cand.terms[best]
        if use_vectors and cand.vectors is not None and pos_feats.vectors is not None:
            sims = cand.vectors[best] @ pos_feats.vectors.T
        else:
            sims = (chosen @ pos_feats.terms.T).toarray()
        terms = self.matrix.terms
        found = []
        for k, i in enumerate(best):
            j = int(np.argmax(sims[k])) if sims.shape[1] else -1
            row = chosen.getrow(k)
            contrib = row.data * model.w_terms[row.indices]
            top = np.argsort(-contrib)[:TOP_TERMS]
            words = [str(terms[row.indices[x]]) for x in top if contrib[x] > 0]
            found.append(
                Recommendation(
                    int(cand_ids[i]),
                    float(total[i]),
                    int(model.pos_ids[j]) if j >= 0 else None,
                    similarity=float(sims[k, j]) if j >= 0 else 0.0,
                    terms=words,
                )
            )
        return found

    def _features(self, m: Mapped, rows: Ints, ids: Ints, use_vectors: bool) -> _Features:
        terms = m.matrix[rows]
        if not use_vectors:
            return _Features(terms, None)
        return _Features(terms, vector_rows(self.vectors, ids))

    def _vector_candidates(self, w_vectors: Floats, recent: Ints, limit: int) -> list[int]:
        """Works near the model's embedding direction and near the latest saved papers (the
        direction covers the library as a whole; the neighbours keep a new interest in view)."""
        norm = float(np.linalg.norm(w_vectors))
        found: list[int] = []
        if norm > 0:
            found += [
                w
                for w, _ in self.vectors.search(
                    (w_vectors / norm).astype(np.float32), VECTOR_CANDIDATES + limit
                )
            ]
        saved = vector_rows(self.vectors, recent)
        for vec in saved[np.linalg.norm(saved, axis=1) > 0]:
            found += [w for w, _ in self.vectors.search(vec, NEIGHBOURS, paper=True)]
        return found


def vector_rows(vectors: VectorIndex, ids: Ints) -> Floats:
    """The stored vectors of ``ids`` in that order; zeros for works without one."""
    out = np.zeros((len(ids), DIM), dtype=np.float32)
    keys, rows = vectors.rows_of(ids.tolist())
    if len(keys):
        order = np.argsort(rows)
        found = vectors.vectors_at(rows)  # in ascending row order
        where = {int(k): n for n, k in enumerate(keys[order])}
        positions = np.fromiter((where.get(int(w), -1) for w in ids), dtype=np.int64, count=len(ids))
        hit = positions >= 0
        out[hit] = found[positions[hit]]
    return out


def _fit(
    features: _Features, labels: np.ndarray[Any, Any], weights: np.ndarray[Any, Any]
) -> tuple[Floats, Floats | None, float]:
    """A linear SVM over ``[tf-idf | embedding]`` (both parts unit-length per work); returns the
    weights of each part and the bias."""
    from scipy import sparse
    from sklearn.svm import LinearSVC

    x = features.terms
    if features.vectors is not None:
        x = sparse.hstack([x, sparse.csr_matrix(features.vectors)], format="csr")
    model = LinearSVC(C=C, max_iter=1_000, tol=1e-3)  # tighter: 5x slower, same ranking
    model.fit(x, labels, sample_weight=weights)
    coef = np.asarray(model.coef_[0], dtype=np.float32)
    width = features.terms.shape[1]
    return coef[:width], (coef[width:] if features.vectors is not None else None), float(model.intercept_[0])


def _decision(features: _Features, w_terms: Floats, w_vectors: Floats | None, bias: float) -> Floats:
    score = _matvec(features.terms, w_terms) + bias
    if features.vectors is not None and w_vectors is not None:
        score += features.vectors @ w_vectors
    return score


def _matvec(matrix: Any, weights: Floats) -> Floats:
    """``matrix @ weights`` as float32 (scipy's product over the mapped arrays, no copy)."""
    return np.asarray(matrix @ weights, dtype=np.float32)


# =============================================================================================
# One recommender per store in a process: the mapped files are opened once.

_RECOMMENDERS: dict[str, Recommender] = {}


def recommender(engine: Engine) -> Recommender:
    key = engine.url.render_as_string(hide_password=False)
    found = _RECOMMENDERS.get(key)
    if found is None or found.engine is not engine:
        found = _RECOMMENDERS[key] = Recommender(engine)
    return found


def recommend(
    engine: Engine, user: str, limit: int = 20, build_limit: int | None = AUTO_BUILD
) -> Recommendations:
    """The user's recommendations, the features brought up to date first (new works are
    appended; a missing matrix is built when the corpus is small)."""
    start = time.perf_counter()
    rec = recommender(engine)
    problem = rec.prepare(build_limit)
    if problem:
        with engine.connect() as conn:
            saved, disliked = len(library.saved(conn, user)), len(library.disliked(conn, user))
        return Recommendations(user, [], "tf-idf", saved, disliked, message=problem)
    with engine.connect() as conn:
        result = rec.for_user(conn, user, limit)
    result.seconds = time.perf_counter() - start
    return result

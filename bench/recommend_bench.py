"""Recommendation benchmark: quality against an arxiv-sanity-style tf-idf SVM, and time per user at 1M.

The user is an author: their own papers are the saved set. The Semantic Scholar fixture
``test_get_author_papers@…`` holds the 879 papers of author 1723755 (cell biology and
signalling). 20 % of them are held out; the model learns from the other 80 % (and, as a
smaller library, from 50 of them) and ranks everything it has not seen.

* **quality, real texts with real embeddings**: the 3,682 distinct real works of
  ``tests/fixtures`` (arXiv, OpenAlex, Hugging Face, Semantic Scholar…, the author's papers
  among them) with the shipped model's vectors (cached by ``bench/search_bench.py``);
* **quality at scale, tf-idf only**: the author's papers mixed into N works of the seeded
  arXiv-like snapshot of ``bench/import_bench.py`` (whose texts are drawn from the fixtures'
  own vocabulary, the author's words included). The generated texts have no real
  embeddings, so this compares the tf-idf halves only;
* **time per user at 1M**: the 1M-work store of ``bench/web_bench.py`` (its synthetic vectors
  and HNSW graph), opened read-only; the tf-idf matrix is built once from its works into
  ``bench/data/recommend-1000000/`` (timed); each user saves 50 papers (a random paper and
  its 49 nearest neighbours: one interest). Warm, one user after another, as a web worker.

Metrics: AUC of the held-out papers against every non-author work (the model's exact score
over the whole corpus); recall@20 = share of the held-out papers in the top 20 of what the
user would be shown (the pipeline of :meth:`Recommender.rank`, candidates included); with
176 held out, recall@20 is at most 20/176 = 0.114, so precision@20 is given too.

The baseline is arxiv-sanity-lite's: the same tf-idf features, ``LinearSVC(C=0.01,
class_weight="balanced")`` trained on *every* work (the user's papers 1, all others 0) per
user, then every work scored.

Run ``python bench/recommend_bench.py --help``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import search_bench as sb  # noqa: E402

from paperradar.analysis import recommend as rc  # noqa: E402
from paperradar.search import tfidf  # noqa: E402
from paperradar.search.embeddings import Embedder, work_text  # noqa: E402
from paperradar.search.vectors import VectorIndex, VectorState  # noqa: E402

DATA = ROOT / "bench" / "data"
AUTHOR_PAGES = ROOT / "tests" / "fixtures" / "semantic_scholar"
HOLD_OUT = 0.2
SMALL_LIBRARY = 50
TARGET_SECONDS = 1.0


# =============================================================================================
# Data


def author_texts() -> list[str]:
    """The author's papers as the store would embed them (title. abstract), distinct."""
    out: dict[str, str] = {}
    for page in sorted(AUTHOR_PAGES.glob("test_get_author_papers@*.json")):
        for paper in orjson.loads(page.read_bytes())["data"]:
            if paper.get("title"):
                text = work_text(paper["title"], paper.get("abstract"))
                out[text] = text
    return sorted(out)


def generated(n: int) -> Iterator[str]:
    """The first ``n`` works of the seeded 1M-line snapshot (generated if missing)."""
    path = DATA / "snapshot-1000000.jsonl"
    if not path.exists():
        from bench import import_bench as ib

        ib.generate(path, 1_000_000)  # type: ignore[attr-defined]
    with open(path, "rb") as f:
        for i, line in enumerate(f):
            if i >= n:
                return
            doc = orjson.loads(line)
            yield work_text(doc.get("title"), doc.get("abstract"))


def write_vectors(path: Path, ids: np.ndarray[Any, Any], vectors: np.ndarray[Any, Any]) -> VectorIndex:
    """A vector index from vectors in hand, in the files' own format (exact search: small)."""
    import shutil

    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    (path / "vectors.f32").write_bytes(np.asarray(vectors, dtype="<f4").tobytes())
    (path / "ids.i64").write_bytes(np.asarray(ids, dtype="<i8").tobytes())
    state = VectorState(model=Embedder().name, batch=1, rows=len(ids))
    index = VectorIndex(path)
    index._save_state(state)
    return index


# =============================================================================================
# Scoring


def ours_all_scores(rec: rc.Recommender, model: rc.Model) -> np.ndarray[Any, Any]:
    """The model's exact score of every row (for AUC; the page itself scores candidates)."""
    m = rec.matrix.load()
    scores = rc._matvec(m.matrix, model.w_terms) + model.bias
    if model.w_vectors is not None:
        scores += rc.vector_rows(rec.vectors, m.ids) @ model.w_vectors
    return scores


def svm_all_scores(matrix: Any, positive_rows: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """arxiv-sanity-lite: a linear SVM over every work's tf-idf row, then every work scored."""
    from sklearn.svm import LinearSVC

    y = np.zeros(matrix.shape[0])
    y[positive_rows] = 1
    clf = LinearSVC(class_weight="balanced", C=0.01, max_iter=10_000, tol=1e-6)
    clf.fit(matrix, y)
    return np.asarray(clf.decision_function(matrix))


def auc(
    scores: np.ndarray[Any, Any], positive: np.ndarray[Any, Any], negative: np.ndarray[Any, Any]
) -> float:
    from sklearn.metrics import roc_auc_score

    rows = np.concatenate([positive, negative])
    labels = np.r_[np.ones(len(positive)), np.zeros(len(negative))]
    return float(roc_auc_score(labels, scores[rows]))


def top_k(scores: np.ndarray[Any, Any], exclude: np.ndarray[Any, Any], k: int = 20) -> np.ndarray[Any, Any]:
    s = scores.astype(np.float64).copy()
    s[exclude] = -np.inf
    return np.argsort(-s, kind="stable")[:k]


def evaluate(
    rec: rc.Recommender, author_rows: np.ndarray[Any, Any], seeds: int, with_svm: bool
) -> dict[str, Any]:
    """Hold out 20 % of the author's papers per seed; AUC and recall@20 of each method."""
    m = rec.matrix.load()
    n = len(m.ids)
    others = np.setdiff1d(np.arange(n), author_rows)
    out: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        out.setdefault(key, []).append(value)

    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        shuffled = rng.permutation(author_rows)
        cut = round(len(shuffled) * HOLD_OUT)
        held, train = shuffled[:cut], shuffled[cut:]
        small = rng.choice(train, SMALL_LIBRARY, replace=False)
        # With 50 saved, every other paper of the author is one the user would want to see.
        for label, saved, wanted in (("80%", train, held), ("50", small, np.setdiff1d(author_rows, small))):
            ids = m.ids[saved]
            model = rec.train(ids.tolist(), seed=seed)
            assert not isinstance(model, str), model
            add(f"ours {label} auc", auc(ours_all_scores(rec, model), wanted, others))
            started = time.perf_counter()
            page = rec.rank(ids.tolist(), limit=20, seed=seed)
            add(f"ours {label} seconds", time.perf_counter() - started)
            shown = set(int(i.work_id) for i in page.items)
            hits = len(shown & set(m.ids[wanted].tolist()))
            add(f"ours {label} recall@20", hits / len(wanted))
            add(f"ours {label} precision@20", hits / 20)
            if with_svm:
                started = time.perf_counter()
                scores = svm_all_scores(m.matrix, saved)
                add(f"svm {label} seconds", time.perf_counter() - started)
                add(f"svm {label} auc", auc(scores, wanted, others))
                best = top_k(scores, saved)
                hits = len(set(best.tolist()) & set(wanted.tolist()))
                add(f"svm {label} recall@20", hits / len(wanted))
                add(f"svm {label} precision@20", hits / 20)
    return {k: float(np.mean(v)) for k, v in out.items()} | {"held_out": round(len(author_rows) * HOLD_OUT)}


# =============================================================================================
# The three parts


def generated_embeddings(n: int) -> tuple[np.ndarray[Any, Any], list[str]]:
    """The shipped model's vectors of the first ``n`` generated works (cached)."""
    texts = list(generated(n))
    cache = DATA / f"recommend-generated-{n}.npz"
    if cache.exists():
        return np.asarray(np.load(cache)["vectors"], dtype=np.float32), texts
    print(f"  embedding {n:,} generated texts …", flush=True)
    vectors = Embedder().embed(texts)
    np.savez(cache, vectors=vectors)
    return vectors, texts


def real_quality(seeds: int, mixed: int = 0) -> dict[str, Any]:
    """The real fixture texts (and, with ``mixed``, that many generated works, embedded too)."""
    bases, texts, _ = sb.real_embeddings(DATA)
    if mixed:
        more, extra = generated_embeddings(mixed)
        bases, texts = np.concatenate([bases, more]), [*texts, *extra]
    mine = set(author_texts())
    ids = np.arange(1, len(texts) + 1, dtype=np.int64)
    work = DATA / ("recommend-real" + (f"-mixed-{mixed}" if mixed else ""))
    terms = tfidf.TermMatrix(work / "terms")
    terms.build(texts, [(ids, list(texts))])
    vectors = write_vectors(work / "vectors", ids, bases)
    author_rows = np.flatnonzero([x in mine for x in texts])
    result: dict[str, Any] = {"works": len(texts), "author_papers": len(author_rows)}
    result["tf-idf + embeddings"] = evaluate(rc.Recommender(None, vectors, terms), author_rows, seeds, True)
    result["tf-idf only"] = evaluate(
        rc.Recommender(None, VectorIndex(work / "none"), terms), author_rows, seeds, False
    )
    return result


def scale_quality(n: int, seeds: int) -> dict[str, Any]:
    mine = author_texts()
    texts = list(generated(n)) + mine
    ids = np.arange(1, len(texts) + 1, dtype=np.int64)
    terms = tfidf.TermMatrix(DATA / f"recommend-{n}" / "terms")
    started = time.perf_counter()
    sample = texts[:: max(1, len(texts) // tfidf.FIT_SAMPLE)]
    terms.build(sample, ((ids[i : i + 20_000], texts[i : i + 20_000]) for i in range(0, len(texts), 20_000)))
    build = time.perf_counter() - started
    author_rows = np.arange(n, len(texts))
    rec = rc.Recommender(None, VectorIndex(DATA / f"recommend-{n}" / "none"), terms)
    return {"works": len(texts), "author_papers": len(mine), "build_seconds": build} | evaluate(
        rec, author_rows, seeds, True
    )


def timing(db: Path, users: int) -> dict[str, Any]:
    """Time per user with 50 saved papers over the 1M store of bench/web_bench.py (read-only)."""
    from sqlalchemy import select

    from paperradar.store import schema as t
    from paperradar.store.database import create_store_engine

    engine = create_store_engine(str(db))  # no migration: the store is another bench's
    vectors = VectorIndex(Path(f"{db}.index") / "vectors")
    terms = tfidf.TermMatrix(DATA / f"recommend-{db.stem.split('-')[-1]}" / "terms")
    info: dict[str, Any] = {
        "db": str(db.relative_to(ROOT)),
        "vectors": len(vectors),
        "graph_rows": vectors.state.graph_rows,
    }
    if not terms.ready():
        started = time.perf_counter()
        sample = terms._sample(engine)
        fit = time.perf_counter()
        terms.build(sample, tfidf._changed_texts(engine, -1, None))
        info["build_seconds"] = time.perf_counter() - started
        info["build_fit_seconds"] = fit - started
    info["works"] = len(terms)
    info["nnz_per_work"] = terms.state.nnz / max(1, len(terms))
    info["matrix_mib"] = sum(f.stat().st_size for f in terms.path.iterdir()) / 2**20
    rec = rc.Recommender(None, vectors, terms)
    info["features"] = "tf-idf + embeddings" if rec.embeddings_ready() else "tf-idf"
    rng = np.random.default_rng(7)
    m = terms.load()
    libraries = []
    for _ in range(users + 1):
        seed_work = int(m.ids[rng.integers(len(m.ids))])
        vec = vectors.vector_of(seed_work) if len(vectors) else None
        if vec is not None:
            libraries.append([w for w, _ in vectors.search(vec, 50, paper=True)])
        else:
            libraries.append([int(x) for x in rng.choice(m.ids, 50, replace=False)])
    cold = time.perf_counter()
    rec.rank(libraries[0], limit=20, seed=0)
    info["first_user_seconds"] = time.perf_counter() - cold
    times = []
    with engine.connect() as conn:
        for n, saved in enumerate(libraries[1:], start=1):
            started = time.perf_counter()
            page = rec.rank(saved, limit=20, seed=n)
            nearest = [i.nearest_saved for i in page.items]
            conn.execute(select(t.works.c.id, t.works.c.title).where(t.works.c.id.in_(nearest))).all()
            times.append(time.perf_counter() - started)
    info["ms"] = sb.summary([x * 1000 for x in times])
    words_only = rc.Recommender(None, VectorIndex(terms.path.parent / "none"), terms)
    words_only.rank(libraries[0], limit=20, seed=0)
    times = []
    for n, saved in enumerate(libraries[1:], start=1):
        started = time.perf_counter()
        words_only.rank(saved, limit=20, seed=n)
        times.append(time.perf_counter() - started)
    info["tf-idf only ms"] = sb.summary([x * 1000 for x in times])
    info["users"] = users
    engine.dispose()
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=5, help="hold-out splits per corpus")
    parser.add_argument(
        "--scale", type=int, default=200_000, help="generated works for the tf-idf comparison"
    )
    parser.add_argument("--db", type=Path, default=DATA / "web-1000000.db", help="the 1M store to time on")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--mixed", type=int, default=5_000, help="generated works embedded into the real set")
    parser.add_argument("--skip", nargs="*", default=[], choices=["real", "mixed", "scale", "timing"])
    parser.add_argument("--out", type=Path, default=DATA / "recommend-results.json")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    if "real" not in args.skip:
        print("quality on real texts with real embeddings …", flush=True)
        results["real"] = real_quality(args.seeds)
        print(json.dumps(results["real"], indent=1), flush=True)
    if "mixed" not in args.skip and args.mixed:
        print(f"quality on real texts + {args.mixed:,} generated works, all embedded …", flush=True)
        results["mixed"] = real_quality(args.seeds, args.mixed)
        print(json.dumps(results["mixed"], indent=1), flush=True)
    if "scale" not in args.skip:
        print(f"quality at {args.scale:,} generated works, tf-idf only …", flush=True)
        results["scale"] = scale_quality(args.scale, max(1, args.seeds // 2 + 1))
        print(json.dumps(results["scale"], indent=1), flush=True)
    if "timing" not in args.skip:
        if not args.db.exists():
            print(f"no {args.db}: run `python bench/web_bench.py --setup-only` first", flush=True)
        else:
            print(f"time per user with 50 saved papers over {args.db.name} …", flush=True)
            results["timing"] = timing(args.db, args.users)
            print(json.dumps(results["timing"], indent=1), flush=True)
    args.out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

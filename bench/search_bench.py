"""Search benchmark at 1M works: keyword, vector, hybrid and related-papers latency, vector recall.

1. The store: the seeded 1M-line arXiv snapshot of ``bench/import_bench.py``, imported exactly as
   ``paperradar import`` does (parse + store + keyword index); cached per N in ``bench/data``.
2. Vectors: the shipped model embeds every real title and abstract of ``tests/fixtures``; each
   work then gets ``normalise(real embedding [+ a second one] + noise shaped like the real
   embeddings' covariance)``, written into the store's ``embeddings`` table as the embedding
   job writes it, and the vector index is built with ``VectorIndex.catch_up`` (timed).
3. Measurements in a fresh process that opens the store and its indexes as a web worker would:
   one query at a time after a warm-up, p50/p99 per kind, the RSS of that process, and recall@10
   of the vector index against exact search over the same rows the index holds.

Run ``python bench/search_bench.py --help``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
import os
import platform
import random
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # ``python bench/search_bench.py`` puts bench/, not the root, first
    sys.path.insert(0, str(ROOT))

from bench import import_bench as ib  # noqa: E402

DEFAULT_WORKDIR = ROOT / "bench" / "data"
DIM = 384
F16 = np.dtype("<f2")

# Targets (issue text).
KEYWORD_P50_MS, KEYWORD_P99_MS, VECTOR_P50_MS, RECALL_AT_10 = 10.0, 50.0, 5.0, 0.95

# The synthetic vectors (see make_vectors); a change here re-writes the store's embeddings.
VECTOR_RECIPE_VERSION = 1
SECOND_RATE = 0.5  # share of works that mix in a second real embedding
SECOND_WEIGHT = (0.2, 0.7)  # its weight relative to the first
NOISE = (0.55, 0.95)  # noise norm relative to the (unit) real embedding, uniform per work
CHUNK = 20_000  # embeddings per store transaction (one embedding batch each)


# =============================================================================================
# Real texts and their embeddings


def _collect_json(obj: Any, out: dict[str, str]) -> None:
    """Every (title, abstract) a fixture JSON holds (arXiv snapshot, S2, OpenAlex, HF papers)."""
    if isinstance(obj, list):
        for value in obj:
            _collect_json(value, out)
        return
    if not isinstance(obj, dict):
        return
    title = obj.get("title")
    abstract = obj.get("abstract") or obj.get("summary")
    if not isinstance(abstract, str) and isinstance(obj.get("abstract_inverted_index"), dict):
        abstract = ib._reconstruct_inverted(obj["abstract_inverted_index"])
    if isinstance(title, str):
        _add_text(out, title, abstract if isinstance(abstract, str) else None)
    for value in obj.values():
        if isinstance(value, dict | list):
            _collect_json(value, out)


def _add_text(out: dict[str, str], title: str, abstract: str | None) -> None:
    from paperradar.search.embeddings import work_text

    if len(title.split()) < 3:  # names of venues, authors, institutions…
        return
    if abstract is not None and len(abstract.split()) < 20:
        abstract = None
    key = " ".join(re.findall(r"\w+", title.lower()))
    text = work_text(title, abstract)
    if len(text) > len(out.get(key, "")):
        out[key] = text


def _collect_xml(path: Path, out: dict[str, str]) -> None:
    """arXiv API Atom entries and OAI-PMH records: title + summary/abstract."""
    from lxml import etree

    try:
        tree = etree.parse(str(path))
    except etree.XMLSyntaxError:
        return
    for record in tree.iter():
        if ib._local(record.tag) not in ("entry", "arXiv", "arXivRaw"):
            continue
        fields: dict[str, str] = {}
        for el in record.iter():
            name = ib._local(el.tag)
            if name in ("title", "summary", "abstract") and el.text and el.text.strip():
                fields.setdefault(name, el.text)
        if "title" in fields:
            _add_text(out, fields["title"], fields.get("summary") or fields.get("abstract"))


def real_texts(fixtures: Path = ib.FIXTURES) -> list[str]:
    """Distinct real works of the fixtures as the embedding job embeds them (title. abstract),
    and titles alone where no abstract came with them; sorted, so the list is stable."""
    out: dict[str, str] = {}
    for path in sorted(fixtures.rglob("*")):
        if not path.is_file() or path.suffix in (".md", ".bib", ".html"):
            continue
        if path.suffix == ".xml":
            _collect_xml(path, out)
            continue
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        try:
            docs: list[Any] = [orjson.loads(data)]
        except orjson.JSONDecodeError:
            try:
                docs = [orjson.loads(line) for line in data.splitlines() if line.strip()]
            except orjson.JSONDecodeError:
                continue
        for doc in docs:
            _collect_json(doc, out)
    return sorted(out.values())


def real_embeddings(workdir: Path) -> tuple[np.ndarray[Any, Any], list[str], float]:
    """The shipped model's vectors of :func:`real_texts` (cached: ``search-real-embeddings.npz``)."""
    from paperradar.search.embeddings import Embedder

    texts = real_texts()
    embedder = Embedder()
    digest = hashlib.blake2b("\n".join([embedder.name, *texts]).encode(), digest_size=12).hexdigest()
    cache = workdir / "search-real-embeddings.npz"
    if cache.exists():
        saved = np.load(cache)
        if str(saved["digest"]) == digest:
            return np.asarray(saved["vectors"], dtype=np.float32), texts, float(saved["seconds"])
    print(f"  embedding {len(texts):,} real fixture texts with {embedder.name} …", flush=True)
    started = time.perf_counter()
    vectors = embedder.embed(texts)
    seconds = time.perf_counter() - started
    workdir.mkdir(parents=True, exist_ok=True)
    np.savez(cache, vectors=vectors, digest=np.array(digest), seconds=np.array(seconds))
    return vectors, texts, seconds


# =============================================================================================
# Synthetic vectors


@dataclass
class Recipe:
    """How the synthetic vectors are made; stored beside the store, re-made when it changes."""

    version: int = VECTOR_RECIPE_VERSION
    model: str = ""  # Embedder().name: the store's vectors are of this model (a new name re-writes them)
    bases: int = 0  # real embeddings mixed
    bases_digest: str = ""
    second_rate: float = SECOND_RATE
    second_weight: tuple[float, float] = SECOND_WEIGHT
    noise: tuple[float, float] = NOISE
    seed: int = 0

    def key(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


class VectorMaker:
    """``normalise(b_i + w · b_j + s · g)``: ``b`` real embeddings, ``w`` the weight of an optional
    second one, ``g`` a gaussian shaped like the real embeddings' covariance (unit expected norm),
    ``s`` a per-vector noise level. Nearest-neighbour cosines then fall where real ones do."""

    def __init__(self, bases: np.ndarray[Any, Any], recipe: Recipe) -> None:
        self.bases = bases.astype(np.float32)
        self.recipe = recipe
        centred = self.bases - self.bases.mean(0)
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
        factor = (s[:, None] / np.sqrt(len(centred))) * vt  # g = z @ factor has covariance Σ
        self.factor = (factor / np.sqrt((s**2).sum() / len(centred))).astype(np.float32)

    def make(self, n: int, rng: np.random.Generator) -> np.ndarray[Any, Any]:
        """``n`` unit float32 vectors."""
        r = self.recipe
        k = len(self.bases)
        out = self.bases[rng.integers(0, k, n)]
        second = rng.random(n) < r.second_rate
        weight = rng.uniform(*r.second_weight, n) * second
        out += weight[:, None] * self.bases[rng.integers(0, k, n)]
        noise = rng.standard_normal((n, len(self.factor)), dtype=np.float32) @ self.factor
        out += rng.uniform(*r.noise, n).astype(np.float32)[:, None] * noise
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out

    def chunks(self, n: int, seed: int, size: int = CHUNK) -> Iterator[np.ndarray[Any, Any]]:
        """The vectors of ``n`` works, in order, in chunks (the same ones for the same seed)."""
        rng = np.random.default_rng(seed)
        for start in range(0, n, size):
            yield self.make(min(size, n - start), rng)


def write_embeddings(db: Path, maker: VectorMaker, seed: int, model: str) -> tuple[int, float]:
    """One synthetic vector per work into ``embeddings``, as the embedding job writes them: its
    text hash and revision, a new ``embedding_batch`` per committed chunk. Returns rows, seconds."""
    from paperradar.search.embeddings import text_hash, work_text
    from paperradar.store import schema as t
    from paperradar.store.database import open_store, writing
    from paperradar.store.indexing import next_embedding_batch
    from paperradar.store.sql import upsert

    started = time.perf_counter()
    engine = open_store(f"sqlite:///{db}")
    with writing(engine) as conn:
        conn.execute(t.embeddings.delete())
    reader = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    total = reader.execute("SELECT count(*) FROM works").fetchone()[0]
    vectors = maker.chunks(total, seed)
    last = written = 0
    while True:
        rows = reader.execute(
            "SELECT id, revision, title, abstract FROM works WHERE id > ? ORDER BY id LIMIT ?", (last, CHUNK)
        ).fetchall()
        if not rows:
            break
        last = rows[-1][0]
        block = next(vectors).astype(F16)
        now = dt.datetime.now(dt.UTC)
        with writing(engine) as conn:
            batch = next_embedding_batch(conn)
            payload = [
                {
                    "work_id": work_id,
                    "model": model,
                    "text_hash": text_hash(work_text(title, abstract)),
                    "vector": block[i].tobytes(),
                    "revision": revision,
                    "batch": batch,
                    "embedded_at": now,
                }
                for i, (work_id, revision, title, abstract) in enumerate(rows)
            ]
            upsert(conn, t.embeddings, payload, ["work_id"])
        written += len(rows)
        print(f"\r  embeddings written: {written:,}/{total:,}", end="", flush=True)
    print()
    reader.close()
    engine.dispose()
    return written, time.perf_counter() - started


# =============================================================================================
# Queries


_STOP = {"the", "of", "and", "a", "an", "in", "on", "for", "to", "with", "by", "from", "via", "at", "as"}
_STOP |= {"is", "are", "its", "their", "we", "our", "this", "that", "into", "using", "based", "new", "or"}


def _title_ngram(titles: list[str], rng: random.Random) -> str:
    """A 1–3 word run of a real title, as people type it: lower case, no punctuation."""
    while True:
        words = [re.sub(r"[^\w\-]", "", w).strip("-").lower() for w in rng.choice(titles).split()]
        size = rng.choice((1, 2, 2, 2, 3, 3))
        if len(words) < size:
            continue
        start = rng.randrange(len(words) - size + 1)
        run = words[start : start + size]
        if any(len(w) < 2 or w.isdigit() or not re.search("[a-z]", w) for w in run):
            continue
        if run[0] in _STOP or run[-1] in _STOP or (size == 1 and len(run[0]) < 5):
            continue
        return " ".join(run)


def make_queries(corpus: ib.Corpus, n: int, filtered: int, seed: int) -> tuple[list[str], list[str]]:
    """Plain 1–3 word queries, and queries with filters (cat: year: au:), from the generator's sources."""
    rng = random.Random(seed)
    titles = sorted(corpus._titles)
    primaries = [cats[0] for cats in corpus.categories.values()] + corpus.primary_only
    lasts = sorted(corpus.last_names.elements())
    plain = [_title_ngram(titles, rng) for _ in range(n)]
    with_filters = []
    for _ in range(filtered):
        words = _title_ngram(titles, rng)
        kind = rng.random()
        if kind < 0.3:
            with_filters.append(f"{words} cat:cs.LG year:2020..2024")
        elif kind < 0.5:
            with_filters.append(f"{words} cat:{rng.choice(primaries)}")
        elif kind < 0.65:
            with_filters.append(f"{words} cat:{rng.choice(primaries).split('.')[0]}")
        elif kind < 0.85:
            first = rng.randint(2008, 2024)
            with_filters.append(f"{words} year:{first}..{first + rng.randint(0, 4)}")
        else:
            with_filters.append(f"au:{rng.choice(lasts).split()[-1].lower()} {words}")
    return plain, with_filters


# =============================================================================================
# Measuring (in a fresh process)


def rss() -> dict[str, float]:
    """This process's memory in MiB from /proc/self/status (psutil is not a dependency)."""
    out: dict[str, float] = {}
    with open("/proc/self/status") as fh:
        for row in fh:
            key, _, value = row.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024
    return out


@dataclass
class Runs:
    """Per call: wall time, this process's CPU time (all its threads) and the result, in ms."""

    wall: list[float]
    cpu: list[float]
    results: list[Any]

    def summary(self) -> dict[str, float]:
        out = summary(self.wall)
        out["cpu_p50"] = float(np.percentile(self.cpu, 50))
        out["cpu_p99"] = float(np.percentile(self.cpu, 99))
        return out


def timed(calls: Sequence[Any], fn: Callable[[Any], Any], warmup: Sequence[Any] = ()) -> Runs:
    """Call ``fn`` on each warm-up item (untimed), then on each item, timing each call."""
    for item in warmup:
        fn(item)
    runs = Runs([], [], [])
    for item in calls:
        cpu, begun = time.process_time_ns(), time.perf_counter_ns()
        result = fn(item)
        runs.wall.append((time.perf_counter_ns() - begun) / 1e6)
        runs.cpu.append((time.process_time_ns() - cpu) / 1e6)
        runs.results.append(result)
    return runs


def summary(ms: Sequence[float]) -> dict[str, float]:
    values = np.asarray(ms, dtype=np.float64)
    return {
        "n": len(values),
        "p50": float(np.percentile(values, 50)),
        "p90": float(np.percentile(values, 90)),
        "p99": float(np.percentile(values, 99)),
        "mean": float(values.mean()),
        "max": float(values.max()),
    }


def measure(db: Path, plan_file: Path, out_npz: Path) -> dict[str, Any]:
    """The serving side: open the store and indexes, then one query at a time, per kind."""
    from paperradar.search.embeddings import Embedder
    from paperradar.search.hybrid import FILTERED_EXACT, Searcher
    from paperradar.search.query import parse
    from paperradar.store import queries
    from paperradar.store.database import open_store

    plan = json.loads(plan_file.read_text())
    doc_vectors = np.load(plan["doc_queries"]).astype(np.float32)
    warm_n = plan["warmup"]
    result: dict[str, Any] = {"rss": {"start": rss()}, "timings": {}, "counts": {}}
    timings = result["timings"]

    began = time.perf_counter()
    engine = open_store(f"sqlite:///{db}")
    searcher = Searcher(engine)
    result["open_ms"] = (time.perf_counter() - began) * 1000
    began = time.perf_counter()
    searcher.lexical.search(parse("warm up"), 10)
    searcher.vectors.search(doc_vectors[0], 10)
    result["first_query_ms"] = (time.perf_counter() - began) * 1000
    if not searcher.semantic_ready():  # hybrid would silently rank by keywords only
        raise SystemExit(f"the vector index is not of {searcher.embedder.name}: {searcher.vectors.state}")
    result["rss"]["opened"] = rss()

    # Keyword: the tantivy side alone, as the search page's keyword ranking.
    plain, filtered, warm = plan["plain"], plan["filtered"], plan["warm"]
    runs = timed(plain, lambda s: searcher.lexical.search(parse(s), 10), warm[:warm_n])
    timings["keyword"] = runs.summary()
    result["counts"]["keyword_empty"] = sum(1 for hits in runs.results if not hits)
    runs = timed(filtered, lambda s: searcher.lexical.search(parse(s), 10), warm[: warm_n // 2])
    timings["keyword_filtered"] = runs.summary()
    result["counts"]["keyword_filtered_empty"] = sum(1 for hits in runs.results if not hits)

    # Vector: held-out vectors made like the corpus (a paper as the query).
    doc_q, doc_warm = doc_vectors[warm_n:], doc_vectors[:warm_n]
    runs = timed(list(doc_q), lambda v: searcher.vectors.search(v, 10), list(doc_warm))
    timings["vector"] = runs.summary()
    doc_ids = np.array([[w for w, _ in hits] + [-1] * (10 - len(hits)) for hits in runs.results])
    deep_n = min(plan["deep"], len(doc_q))
    runs = timed(list(doc_q[:deep_n]), lambda v: searcher.vectors.search(v, 100))
    timings["vector_k100"] = runs.summary()
    doc_ids_100 = np.array([[w for w, _ in hits] + [-1] * (100 - len(hits)) for hits in runs.results])

    # Related papers: stored vector's neighbours fused with more-like-this keywords (no model).
    related = plan["related"]
    runs = timed(related[warm_n // 2 :], lambda w: searcher.related(w, 10), related[: warm_n // 2])
    timings["related"] = runs.summary()
    result["rss"]["served_no_model"] = rss()

    # The model's query embedding, alone: every free text the hybrid queries embed.
    embedder = Embedder()
    began = time.perf_counter()
    embedder.embed_query("model load")
    result["model_load_ms"] = (time.perf_counter() - began) * 1000
    free_texts = sorted({parse(s).free_text for s in [*warm, *plain, *filtered]} - {""})
    runs = timed(free_texts, embedder.embed_query, free_texts[:10])
    timings["embed_query"] = runs.summary()
    precomputed = dict(zip(free_texts, runs.results, strict=True))
    result["rss"]["served_with_model"] = rss()
    # The same with one torch thread (set_num_threads is process-wide: this comes second).
    single = Embedder(threads=1)
    single.embed_query("model load")
    timings["embed_query_1thread"] = timed(free_texts, single.embed_query, free_texts[:10]).summary()
    del single

    # Vector search with the model's embeddings of the query texts (short text as the query).
    text_q = np.stack([precomputed[parse(s).free_text] for s in plain])
    runs = timed(list(text_q), lambda v: searcher.vectors.search(v, 10))
    timings["vector_text"] = runs.summary()
    text_ids = np.array([[w for w, _ in hits] + [-1] * (10 - len(hits)) for hits in runs.results])
    runs = timed(list(text_q[:deep_n]), lambda v: searcher.vectors.search(v, 100))
    timings["vector_text_k100"] = runs.summary()
    text_ids_100 = np.array([[w for w, _ in hits] + [-1] * (100 - len(hits)) for hits in runs.results])
    # Hybrid + filters over many works asks the index for depth × 10 neighbours, then filters them.
    runs = timed(list(text_q[:deep_n]), lambda v: searcher.vectors.search(v, 1000))
    timings["vector_text_k1000"] = runs.summary()

    # Hybrid: the whole Searcher.search, its query vector precomputed (the model is timed above).
    class Precomputed(Embedder):
        misses = 0

        def embed_query(self, text: str) -> np.ndarray[Any, np.dtype[np.float32]]:
            if text in precomputed:
                return precomputed[text]
            Precomputed.misses += 1
            return embedder.embed_query(text)

    hybrid = Searcher(engine, embedder=Precomputed())
    runs = timed(plain, lambda s: hybrid.search(s, 10), warm[:warm_n])
    timings["hybrid"] = runs.summary()
    result["counts"]["hybrid_modes"] = sorted({res.mode for res in runs.results})
    result["counts"]["hybrid_empty"] = sum(1 for res in runs.results if not res.hits)

    def page(s: str) -> Any:  # what a results page needs: the ranking and 10 summaries
        res = hybrid.search(s, 10)
        with engine.connect() as conn:
            return queries.work_summaries(conn, [h.work_id for h in res.hits])

    runs = timed(plain[: plan["deep"]], page)
    timings["hybrid_page"] = runs.summary()
    runs = timed(filtered, lambda s: hybrid.search(s, 10), warm[: warm_n // 2])
    timings["hybrid_filtered"] = runs.summary()
    result["counts"]["hybrid_filtered_empty"] = sum(1 for res in runs.results if not res.hits)
    result["counts"]["precomputed_misses"] = Precomputed.misses
    # The filter step of hybrid + filters: the works passing the filters, up to FILTERED_EXACT + 1.
    runs = timed(filtered, lambda s: searcher.lexical.matching(parse(s), FILTERED_EXACT))
    timings["matching"] = runs.summary()
    result["counts"]["matching_over_exact"] = sum(1 for ids in runs.results if ids is None)
    result["rss"]["end"] = rss()

    np.savez(
        out_npz,
        doc_ids=doc_ids,
        doc_ids_100=doc_ids_100,
        text_ids=text_ids,
        text_ids_100=text_ids_100,
        text_q=text_q,
    )
    engine.dispose()
    return result


# =============================================================================================
# Exact search (ground truth)


def exact_top(vectors: np.ndarray[Any, Any], queries: np.ndarray[Any, Any], k: int) -> tuple[Any, Any]:
    """Exact top-``k`` rows and cosines of each query over ``vectors`` (any float type), in blocks."""
    q = np.ascontiguousarray(queries.T.astype(np.float32))
    best_rows = np.zeros((len(queries), 0), dtype=np.int64)
    best_scores = np.zeros((len(queries), 0), dtype=np.float32)
    block = 65_536
    for start in range(0, len(vectors), block):
        scores = (np.asarray(vectors[start : start + block], dtype=np.float32) @ q).T  # (queries, rows)
        top = np.argpartition(-scores, min(k, scores.shape[1] - 1), axis=1)[:, :k]
        best_rows = np.concatenate([best_rows, top + start], axis=1)
        best_scores = np.concatenate([best_scores, np.take_along_axis(scores, top, 1)], axis=1)
        keep = np.argsort(-best_scores, axis=1)[:, :k]
        best_rows = np.take_along_axis(best_rows, keep, 1)
        best_scores = np.take_along_axis(best_scores, keep, 1)
    return best_rows, best_scores


def recall(found: np.ndarray[Any, Any], truth: np.ndarray[Any, Any]) -> float:
    k = truth.shape[1]
    return float(np.mean([len(set(f[:k]) & set(t)) / k for f, t in zip(found, truth, strict=True)]))


def brute_force_ms(vectors: np.ndarray[Any, Any], queries: np.ndarray[Any, Any]) -> dict[str, float]:
    """One query at a time over the index's rows, as ``VectorIndex.search`` does below ``EXACT_LIMIT``."""
    scores = np.empty(len(vectors), dtype=np.float32)
    block = 65_536

    def search(query: np.ndarray[Any, Any]) -> Any:
        for start in range(0, len(vectors), block):
            scores[start : start + block] = np.asarray(vectors[start : start + block], np.float32) @ query
        return np.argpartition(-scores, 10)[:10]

    return timed(list(queries), search).summary()


# =============================================================================================
# Orchestration


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def _gib(n: float) -> str:
    return f"{n / 2**30:,.2f} GiB"


def ensure_store(workdir: Path, n: int, seed: int) -> tuple[Path, dict[str, Any]]:
    """The imported store for ``n`` lines (``search-<n>.db``), imported when missing."""
    snapshot, _, generated = ib.ensure_snapshot(workdir, n, seed)
    db = workdir / f"search-{n}.db"
    marker = workdir / f"search-{n}.import.json"
    if db.exists() and marker.exists():
        info = json.loads(marker.read_text())
        info["cached"] = True
        return db, info
    print(f"  importing {snapshot.name} into {db.name} (paperradar's import + keyword index) …", flush=True)
    result = ib.run_worker("e2e", snapshot, db, None)
    info = {k: result[k] for k in ("papers", "seconds", "counts", "indexed", "db_bytes", "peak_rss_mib")}
    info["snapshot_generated"] = generated
    marker.write_text(json.dumps(info, indent=2))
    info["cached"] = False
    return db, info


def ensure_vectors(db: Path, workdir: Path, seed: int, rebuild_index: bool) -> dict[str, Any]:
    """Synthetic vectors in the store and the vector index over them (both cached)."""
    from paperradar.search.embeddings import Embedder
    from paperradar.search.hybrid import Searcher
    from paperradar.store.database import open_store

    model = Embedder().name
    bases, texts, embed_seconds = real_embeddings(workdir)
    recipe = Recipe(
        model=model,
        bases=len(bases),
        bases_digest=hashlib.blake2b(bases.tobytes(), digest_size=8).hexdigest(),
        seed=seed,
    )
    maker = VectorMaker(bases, recipe)
    sidecar = db.with_suffix(".vectors.json")
    info: dict[str, Any] = json.loads(sidecar.read_text()) if sidecar.exists() else {}
    with_abstract = sum(1 for text in texts if ". " in text and len(text.split()) > 40)
    info.update(real_texts=len(texts), real_with_abstract=with_abstract, real_embed_seconds=embed_seconds)
    if info.get("recipe") != recipe.key():
        written, seconds = write_embeddings(db, maker, seed, model)
        info.update(recipe=recipe.key(), rows=written, write_seconds=seconds, built=False)
        sidecar.write_text(json.dumps(info, indent=2))
        rebuild_index = True
    engine = open_store(f"sqlite:///{db}")
    index = Searcher(engine).vectors
    state = index.state
    if rebuild_index or not info.get("built") or state.rows != info["rows"] or state.model != model:
        print(f"  building the vector index over {info['rows']:,} vectors …", flush=True)
        graph_seconds = 0.0
        extend = index._extend_graph

        def timed_extend(state: Any) -> int:  # split the build: reading + files, then the graph
            nonlocal graph_seconds
            begun = time.perf_counter()
            try:
                return extend(state)
            finally:
                graph_seconds = time.perf_counter() - begun

        index._extend_graph = timed_extend  # type: ignore[method-assign]
        index._wipe()
        began = time.perf_counter()
        added = index.catch_up(engine, model)
        seconds = time.perf_counter() - began
        state = index.state
        info.update(
            built=True,
            build_seconds=seconds,
            graph_seconds=graph_seconds,
            added=added,
            graph_rows=state.graph_rows,
            build_load=os.getloadavg()[0],
            build_cached=False,
        )
        sidecar.write_text(json.dumps(info, indent=2))
    else:
        info["build_cached"] = True
    info["index_bytes"] = _dir_size(index.path)
    info["files"] = {p.name: p.stat().st_size for p in sorted(index.path.iterdir()) if p.is_file()}
    engine.dispose()
    info["_maker"] = maker
    info["_bases"] = bases
    return info


def run_measure(db: Path, plan_file: Path, out_npz: Path) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(db), str(plan_file), str(out_npz)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"measure worker failed (exit {proc.returncode}):\n{proc.stdout}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _pcts(values: np.ndarray[Any, Any]) -> str:
    p10, p50, p90 = np.percentile(values, [10, 50, 90])
    return f"p10 {p10:.2f} / p50 {p50:.2f} / p90 {p90:.2f}"


def print_table(lines: Sequence[tuple[str, ...]]) -> None:
    """Columns padded to their widest cell; the figures right-aligned, notes last."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]) - 1)]
    for line in lines:
        cells = [
            cell.rjust(width) if i in (1, 2, 3) else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=False))
        ]
        print("  " + "  ".join(cells) + "  " + line[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=1_000_000, help="works (snapshot lines), default 1M")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="where data goes (bench/data)")
    parser.add_argument("--queries", type=int, default=1000, help="timed queries per kind (default 1000)")
    parser.add_argument("--filtered", type=int, default=200, help="timed queries with filters (200)")
    parser.add_argument("--related", type=int, default=300, help="timed related-papers calls (300)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed queries first, per kind (50)")
    parser.add_argument("--seed", type=int, default=ib.DEFAULT_SEED, help="generator seed")
    parser.add_argument("--rebuild-index", action="store_true", help="rebuild the vector index (timed)")
    parser.add_argument("--worker", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:  # the serving process
        source = ib.source_fingerprint()
        print(json.dumps({**measure(*args.worker), "source": source}))
        return 0

    workdir: Path = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    source = ib._RUN["source"] = ib.source_fingerprint()
    print("paperradar search benchmark")
    print(f"  source   : src/paperradar {source}")
    print(
        f"  machine  : {os.cpu_count()} cores, {platform.system()} {platform.machine()},"
        f" Python {platform.python_version()}, SQLite {sqlite3.sqlite_version},"
        f" load average {os.getloadavg()[0]:.2f}"
    )
    started = time.perf_counter()

    db, imported = ensure_store(workdir, args.lines, args.seed)
    how = "cached" if imported["cached"] else f"imported in {imported['seconds']:,.0f} s"
    print(
        f"  store    : {db} ({imported['papers']:,} works, {how},"
        f" db {_gib(ib._db_size(db))}, keyword index {_gib(_dir_size(Path(f'{db}.index') / 'lexical'))})"
    )
    vec = ensure_vectors(db, workdir, args.seed, args.rebuild_index)
    maker: VectorMaker = vec.pop("_maker")
    bases: np.ndarray[Any, Any] = vec.pop("_bases")
    from paperradar.search.embeddings import THREADS
    from paperradar.search.hybrid import FILTERED_EXACT

    print(
        f"  vectors  : {vec['rows']:,} synthetic from {vec['real_texts']:,} real fixture texts"
        f" ({vec['real_with_abstract']:,} with abstracts) embedded by the shipped model;"
        f" second embedding in {SECOND_RATE:.0%} (weight {SECOND_WEIGHT[0]}–{SECOND_WEIGHT[1]}),"
        f" noise {NOISE[0]}–{NOISE[1]}"
    )
    build = "cached from an earlier run" if vec["build_cached"] else "this run"
    print(
        f"  index    : built in {vec['build_seconds']:,.1f} s ({build}; HNSW graph"
        f" {vec['graph_seconds']:,.1f} s, load average {vec['build_load']:.1f}),"
        f" {vec['graph_rows']:,} rows in the graph, {_gib(vec['index_bytes'])}"
        f" ({', '.join(f'{k} {v / 2**20:,.0f} MiB' for k, v in vec['files'].items())})"
    )

    # The queries and the held-out vectors, fixed by the seed.
    corpus = ib.load_corpus()
    warm_n = args.warmup
    plain, filtered = make_queries(corpus, args.queries, args.filtered, args.seed)
    warm, _ = make_queries(corpus, warm_n, 0, args.seed + 1)
    from paperradar.store.database import open_store

    engine = open_store(f"sqlite:///{db}")
    with engine.connect() as conn:
        ids = [row[0] for row in conn.exec_driver_sql("SELECT id FROM works")]
    engine.dispose()
    related = random.Random(args.seed).sample(ids, min(len(ids), args.related + warm_n // 2))
    doc_queries = maker.make(args.queries + warm_n, np.random.default_rng(args.seed + 7))
    doc_file = workdir / "search-doc-queries.npy"
    np.save(doc_file, doc_queries)
    plan = {
        "plain": plain,
        "filtered": filtered,
        "warm": warm,
        "related": related,
        "doc_queries": str(doc_file),
        "warmup": warm_n,
        "deep": min(200, args.queries),
    }
    plan_file = workdir / "search-plan.json"
    plan_file.write_text(json.dumps(plan))
    print(
        f"  queries  : {len(plain):,} plain (e.g. {', '.join(repr(q) for q in plain[:4])}),"
        f" {len(filtered):,} with filters (e.g. {', '.join(repr(q) for q in filtered[:2])});"
        f" {warm_n} warm-up per kind"
    )
    print(f"  load     : {os.getloadavg()[0]:.2f} before measuring (another process may share the CPU)")
    print()

    out_npz = workdir / "search-results.npz"
    measured = run_measure(db, plan_file, out_npz)
    found = np.load(out_npz)

    # Ground truth: exact search over the rows the index holds (the stored float16 values).
    from paperradar.search.vectors import VectorIndex

    rows = vec["rows"]
    snapshot = VectorIndex(Path(f"{db}.index") / "vectors")._load()  # the index's own rows
    vectors, row_ids = snapshot.vectors, snapshot.ids
    began = time.perf_counter()
    doc_rows, doc_scores = exact_top(vectors, doc_queries[warm_n:], 100)
    text_rows, text_scores = exact_top(vectors, found["text_q"], 100)
    exact_seconds = time.perf_counter() - began
    doc_truth, text_truth = row_ids[doc_rows], row_ids[text_rows]
    recall_doc = recall(found["doc_ids"], doc_truth[:, :10])
    recall_doc_100 = recall(found["doc_ids_100"], doc_truth[: len(found["doc_ids_100"]), :100])
    recall_text = recall(found["text_ids"], text_truth[:, :10])
    text_100 = found["text_ids_100"]
    recall_text_100 = recall(text_100, text_truth[: len(text_100), :100])
    recall_text_100_10 = recall(text_100[:, :10], text_truth[: len(text_100), :10])
    brute = brute_force_ms(vectors, doc_queries[:20])
    real_nn = np.sort(bases @ bases.T, axis=1)[:, -2]  # nearest other real text

    t = measured["timings"]
    r = measured["rss"]

    def cells(got: dict[str, float]) -> tuple[str, str, str]:
        return f"{got['p50']:.2f}", f"{got['p99']:.2f}", f"{got['cpu_p50']:.2f}"

    def row(what: str, key: str, target: str, notes: str) -> tuple[str, ...]:
        return (what, *cells(t[key]), target, notes)

    def verdict(value: float, limit: float, below: bool = True) -> str:
        return "OK" if (value <= limit if below else value >= limit) else "MISSED"

    kw, vs = t["keyword"], t["vector"]
    kw_target = (
        f"p50 ≤ {KEYWORD_P50_MS:g} {verdict(kw['p50'], KEYWORD_P50_MS)},"
        f" p99 ≤ {KEYWORD_P99_MS:g} {verdict(kw['p99'], KEYWORD_P99_MS)}"
    )
    counts = measured["counts"]
    empty = counts["keyword_empty"]
    table = [
        row("keyword", "keyword", kw_target, f"lexical.search(parse(q), 10); {empty} without a hit"),
        row(
            "keyword + filters",
            "keyword_filtered",
            "",
            f"cat: year: au:; {counts['keyword_filtered_empty']} without a hit",
        ),
        row(
            "vector",
            "vector",
            f"p50 ≤ {VECTOR_P50_MS:g} {verdict(vs['p50'], VECTOR_P50_MS)}",
            f"vectors.search(v, 10), held-out doc-like v; recall@10 {recall_doc:.3f}"
            f" (≥ {RECALL_AT_10} {verdict(recall_doc, RECALL_AT_10, below=False)})",
        ),
        row("vector (text query)", "vector_text", "", f"model's query vectors; recall@10 {recall_text:.3f}"),
        row(
            "vector (text) k=100",
            "vector_text_k100",
            "",
            f"recall@100 {recall_text_100:.3f}; its first 10: recall@10 {recall_text_100_10:.3f}",
        ),
        row("vector (text) k=1000", "vector_text_k1000", "", "what hybrid + filters asks over many works"),
        row("vector k=100", "vector_k100", "", f"hybrid's depth; recall@100 {recall_doc_100:.3f}"),
        ("exact numpy (reference)", *cells(brute), "", "20 queries, the index's rows, 64k blocks"),
        row(
            "embed_query (model)",
            "embed_query",
            "",
            f"{THREADS} torch threads (the default); model load {measured['model_load_ms']:,.0f} ms",
        ),
        row("embed_query, 1 thread", "embed_query_1thread", "", "Embedder(threads=1)"),
        row("hybrid (no model call)", "hybrid", "", "Searcher.search(q, 10), query vector precomputed"),
        row("hybrid + filters", "hybrid_filtered", "", "same, with cat: year: au:"),
        row(
            "  of which: matching",
            "matching",
            "",
            f"lexical.matching(filters, {FILTERED_EXACT:,}); {counts['matching_over_exact']}"
            f" of {t['matching']['n']} over {FILTERED_EXACT:,} (then the graph, k=500)",
        ),
        row("hybrid + 10 summaries", "hybrid_page", "", "what a results page needs"),
        row("related", "related", "", "Searcher.related(id, 10)"),
    ]
    print("results (ms per call, one at a time in a fresh process; cpu = that process's CPU time):")
    print_table([("what", "p50 ms", "p99 ms", "cpu p50", "target", "notes"), *table])
    print()
    print(
        f"  counts per kind: keyword {kw['n']}, keyword+filters {t['keyword_filtered']['n']},"
        f" vector {vs['n']}, vector k=100 {t['vector_k100']['n']}, embed_query {t['embed_query']['n']},"
        f" hybrid {t['hybrid']['n']}, hybrid+filters {t['hybrid_filtered']['n']},"
        f" related {t['related']['n']};"
        f" hybrid modes {counts['hybrid_modes']}, precomputed misses {counts['precomputed_misses']}"
    )
    print(
        f"  vector index build: {vec['build_seconds']:,.1f} s for {rows:,} vectors"
        f" (HNSW graph {vec['graph_seconds']:,.1f} s), {_gib(vec['index_bytes'])} on disk"
    )
    print(
        "  serving process memory, MiB (/proc/self/status; VmRSS = RssAnon, private,"
        " + RssFile, mapped index and SQLite pages shared through the page cache):"
    )
    stages = (
        ("opened, first queries", "opened"),
        ("after keyword, vector, related", "served_no_model"),
        ("+ the model loaded", "served_with_model"),
        ("at the end (+ a 1-thread model copy)", "end"),
    )
    for label, key in stages:
        m = r[key]
        print(
            f"    {label:<38} VmRSS {m['VmRSS']:>6,.0f}  anon {m['RssAnon']:>5,.0f}"
            f"  file {m['RssFile']:>6,.0f}  peak {m['VmHWM']:>6,.0f}"
        )
    print(
        f"  open_store + Searcher {measured['open_ms']:,.0f} ms, first keyword + vector query"
        f" {measured['first_query_ms']:,.0f} ms"
    )
    print(
        f"  cosines of the exact neighbours: doc-like queries top-1 {_pcts(doc_scores[:, 0])},"
        f" top-10 {_pcts(doc_scores[:, 9])}; text queries top-1 {_pcts(text_scores[:, 0])};"
        f" real fixture texts' nearest other real text {_pcts(real_nn)} (among {len(bases):,})"
    )
    print(f"  exact ground truth: {exact_seconds:,.1f} s for {len(doc_rows) + len(text_rows):,} queries")
    print(f"  load average {os.getloadavg()[0]:.2f} after; wall time {time.perf_counter() - started:,.0f} s")
    if measured["source"] != source:
        print(f"note: the measuring process saw another src/paperradar: {measured['source']}")
    elif ib.source_fingerprint() != source:
        print(
            f"note: src/paperradar changed after the measurements (now {ib.source_fingerprint()});"
            " the figures are for the version in the header"
        )
    (workdir / f"search-{args.lines}.results.json").write_text(
        json.dumps({"measured": measured, "vectors": vec, "imported": imported}, indent=2, default=str)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

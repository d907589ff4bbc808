"""Relevance benchmark on real data: do a work's citation neighbours rank high among its related papers?

The corpus is every recorded API response and captured page we have (``/work/shared/fixtures``,
``/work/shared/seed_pages``, ``tests/fixtures/bibtex``), imported with ``paperradar.ingest``
into a fresh SQLite store under ``bench/data/relevance/`` (reused by later runs; ``--fresh``).

Ground truth is citation-based. Works cited by the same paper are related: the recorded
Semantic Scholar reference list (``test_get_paper_references@….00/.01``) names 156 works one
paper cites. For each of them that is in the corpus (the query), the relevant set is the other
co-cited works in the corpus. Citation edges that the store recorded itself (OpenAlex
``referenced_works``) add direct neighbours and further co-citation groups when they resolve
to works in the corpus; the run says how many do.

For each query, ``Searcher.related(work, 50, mode)`` is scored with nDCG@10 (binary gains) and
recall@50 for ``lexical`` (tantivy more-like-this), ``semantic`` (nearest stored vectors) and
``hybrid`` (reciprocal rank fusion, k = 60), for each embedding model; embedding throughput is
timed per model.

Each model embeds its own copy of the store (``models/<spec>/``: one vector per work per
store) with ``embed_pending``; the vectors and their timing are reused by later runs while the
model name, the code in ``search/embed*.py`` and the corpus are unchanged (``--reembed``).

``--topics`` measures typed search instead: 30 topic queries on the embedded demo corpus, judged
by rules written from each topic, scored by precision@10 and nDCG@10 under the dense floor before
issue 18, the default one and a grid of others (see "Topic queries on the demo corpus" below).

Example::

    python bench/relevance.py --topics              # typed search on the embedded demo (dense floors)
    python bench/relevance.py                       # the four default models (first run: embeds each)
    python bench/relevance.py --models int8/256     # one model
    python bench/relevance.py --reembed             # embed again (to time the models anew)
    python bench/relevance.py --fresh               # re-import the corpus (and so embed again)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import shutil
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path("/work/shared")
INPUTS = (SHARED / "fixtures", SHARED / "seed_pages", ROOT / "tests" / "fixtures" / "bibtex")
REFERENCES = tuple(
    SHARED / "fixtures" / "semantic_scholar" / f"test_get_paper_references@ae6c154.{page:02d}.200.json"
    for page in (0, 1)
)
DEFAULT_WORKDIR = ROOT / "bench" / "data"
DEFAULT_MODELS = ("int8/256", "fp32/256", "fp32/128", "int8/128")  # the first is Embedder()'s default
NDCG_AT, RECALL_AT = 10, 50
MODES = ("lexical", "semantic", "hybrid")
BOOTSTRAP = 2000


# =============================================================================================
# The corpus


def source_fingerprint() -> str:
    """Digest of ``src/paperradar`` and its newest file: others edit the tree while benchmarks run."""
    files = sorted((ROOT / "src" / "paperradar").rglob("*.py"))
    digest = hashlib.blake2b(digest_size=6)
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    newest = max(files, key=lambda f: f.stat().st_mtime)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(newest.stat().st_mtime))
    return f"{digest.hexdigest()} (newest: {newest.relative_to(ROOT / 'src')} at {stamp})"


def input_files() -> list[Path]:
    from paperradar.ingest import expand

    return list(expand(path for path in INPUTS if path.exists()))


def _inputs_key(files: Sequence[Path]) -> list[list[Any]]:
    return [[str(path), path.stat().st_size] for path in files]


@dataclass
class CorpusInfo:
    db: Path
    built: str
    source: str
    files: int
    imported: int
    unreadable: list[str]
    raised: list[str]
    seconds: float
    cached: bool = False


def build_corpus(workdir: Path, fresh: bool, source: str) -> CorpusInfo:
    """Import every input file into ``<workdir>/corpus.db`` (reused when the inputs are unchanged)."""
    from paperradar.ingest import import_file
    from paperradar.search.lexical import LexicalIndex, index_dir
    from paperradar.store.database import open_store

    db = workdir / "corpus.db"
    sidecar = workdir / "corpus.json"
    files = input_files()
    if not fresh and db.exists() and sidecar.exists():
        info = json.loads(sidecar.read_text())
        if info.get("inputs") == _inputs_key(files):
            return CorpusInfo(**{k: v for k, v in info.items() if k != "inputs"}, db=db, cached=True)
        print("  the input files changed since the cached corpus was built: importing again")
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    started = time.perf_counter()
    engine = open_store(f"sqlite:///{db}")
    imported, unreadable, raised = 0, [], []
    for path in files:
        name = str(path.relative_to(path.parents[1]))
        try:
            result = import_file(engine, path)
        except Exception as exc:  # a parser bug must not stop the benchmark: say so and go on
            raised.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        if result.read_anything and result.items:
            imported += 1
        else:
            unreadable.append(name)
    LexicalIndex(index_dir(engine)).catch_up(engine)
    engine.dispose()
    info = {
        "built": time.strftime("%Y-%m-%d %H:%M:%S"),
        "source": source,
        "files": len(files),
        "imported": imported,
        "unreadable": unreadable,
        "raised": raised,
        "seconds": time.perf_counter() - started,
    }
    sidecar.write_text(json.dumps({**info, "inputs": _inputs_key(files)}, indent=1))
    return CorpusInfo(**info, db=db)


# =============================================================================================
# Ground truth


@dataclass
class Truth:
    relevant: dict[int, set[int]]  # query work id → relevant work ids (never itself)
    notes: list[str] = field(default_factory=list)


def _resolve(conn: Any, paper: dict[str, Any]) -> int | None:
    """The corpus work of an S2 paper: by S2 id, else DOI, arXiv id or corpus id."""
    from paperradar.store import queries

    external = paper.get("externalIds") or {}
    candidates = [f"s2:{paper['paperId']}"] if paper.get("paperId") else []
    if external.get("DOI"):
        candidates.append(str(external["DOI"]))
    if external.get("ArXiv"):
        candidates.append(f"arxiv:{external['ArXiv']}")
    if external.get("CorpusId"):
        candidates.append(f"s2_corpus:{external['CorpusId']}")
    for ident in candidates:
        if (work_id := queries.resolve_work(conn, ident)) is not None:
            return work_id
    return None


def ground_truth(engine: Any) -> Truth:
    from sqlalchemy import and_, select

    from paperradar.store import schema as t

    groups: list[set[int]] = []
    direct: dict[int, set[int]] = defaultdict(set)
    notes: list[str] = []
    cited = [item["citedPaper"] for file in REFERENCES for item in json.loads(file.read_text())["data"]]
    with engine.connect() as conn:
        found = [_resolve(conn, paper) for paper in cited]
        group = {work_id for work_id in found if work_id is not None}
        notes.append(
            f"S2 reference list: {len(cited)} cited works, {sum(1 for p in cited if p.get('paperId'))}"
            f" with an S2 id, {len(group)} distinct works in the corpus"
            f" ({sum(1 for p in cited if p.get('abstract'))} of the {len(cited)} have an abstract)"
        )
        groups.append(group)

        # Citation edges the store recorded (OpenAlex referenced_works, S2 enrichment), resolved.
        e, ids = t.citation_edges.c, t.work_ids.c
        joined = t.citation_edges.outerjoin(
            t.work_ids, and_(ids.scheme == e.cited_scheme, ids.value == e.cited_value)
        )
        edges = conn.execute(select(e.citing_id, e.source, ids.work_id).select_from(joined)).all()
    by_citing: dict[int, set[int]] = defaultdict(set)
    for citing, _, cited_id in edges:
        if cited_id is not None and cited_id != citing:
            by_citing[citing].add(cited_id)
            direct[citing].add(cited_id)
            direct[cited_id].add(citing)
    sources = sorted({source for _, source, _ in edges})
    resolved = sum(1 for _, _, cited_id in edges if cited_id is not None)
    notes.append(
        f"citation edges in the store: {len(edges)} from {len({c for c, _, _ in edges})} citing works"
        f" ({', '.join(sources) or 'none'}); {resolved} cite a work in the corpus"
    )
    groups += [members for members in by_citing.values() if len(members) > 1]
    relevant: dict[int, set[int]] = defaultdict(set)
    for members in groups:
        for work_id in members:
            relevant[work_id] |= members - {work_id}
    for work_id, neighbours in direct.items():
        relevant[work_id] |= neighbours - {work_id}
    return Truth({w: r for w, r in relevant.items() if r}, notes)


# =============================================================================================
# Metrics


def ndcg(ranked: Sequence[int], relevant: set[int], k: int = NDCG_AT) -> float:
    """Binary-gain nDCG@k."""
    dcg = sum(1.0 / math.log2(i + 2) for i, work_id in enumerate(ranked[:k]) if work_id in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def recall(ranked: Sequence[int], relevant: set[int], k: int = RECALL_AT) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


@dataclass
class Scores:
    ndcg: list[float]
    recall: list[float]
    fallbacks: int = 0  # queries answered in another mode than asked (no vector: by words)

    @property
    def mean_ndcg(self) -> float:
        return float(np.mean(self.ndcg)) if self.ndcg else 0.0

    @property
    def mean_recall(self) -> float:
        return float(np.mean(self.recall)) if self.recall else 0.0


def evaluate(
    searcher: Any, truth: Truth, mode: str, tick: Callable[[], None] | None = None
) -> tuple[Scores, float]:
    """Score ``searcher.related(query, RECALL_AT, mode)`` over every query; also the seconds it took."""
    scores = Scores([], [])
    started = time.perf_counter()
    for query, relevant in truth.relevant.items():
        result = searcher.related(query, RECALL_AT, mode=mode)
        ranked = [hit.work_id for hit in result.hits]
        assert query not in ranked, "related() returned the query itself"
        scores.ndcg.append(ndcg(ranked, relevant))
        scores.recall.append(recall(ranked, relevant))
        scores.fallbacks += result.mode != mode
        if tick:
            tick()
    return scores, time.perf_counter() - started


def paired(a: Sequence[float], b: Sequence[float], seed: int = 0) -> tuple[float, float, float, int, int]:
    """Mean of a − b with a 95% bootstrap interval over queries, and how often a > b and a < b."""
    diff = np.asarray(a) - np.asarray(b)
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(BOOTSTRAP, len(diff)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(diff.mean()), float(low), float(high), int((diff > 1e-12).sum()), int((diff < -1e-12).sum())


# =============================================================================================
# Models


@dataclass
class ModelRun:
    spec: str
    name: str = ""
    skipped: str | None = None
    load_seconds: float = 0.0
    embed_seconds: float = 0.0
    embedded: int = 0
    empty: int = 0
    load_before: float = 0.0  # load average as embedding began and ended (other processes share the CPU)
    load_after: float = 0.0
    cached: str | None = None  # when the cached vectors were embedded (and timed)
    scores: dict[str, Scores] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.embedded / self.embed_seconds if self.embed_seconds else 0.0


def parse_spec(spec: str) -> tuple[bool, int]:
    """``"int8/256"`` → (quantized, max tokens)."""
    kind, _, tokens = spec.partition("/")
    if kind not in ("int8", "fp32") or not tokens.isdigit():
        raise SystemExit(f"bad model spec {spec!r}: expected int8/N or fp32/N")
    return kind == "int8", int(tokens)


def make_embedder(spec: str) -> Any:
    """``"int8/256"`` → ``Embedder(quantized=True, max_tokens=256)``."""
    from paperradar.search.embeddings import Embedder

    quantized, tokens = parse_spec(spec)
    return Embedder(max_tokens=tokens, quantized=quantized)


class _Progress:
    """A transient rich progress bar on a terminal; nothing otherwise (the summary lines say it all)."""

    def __init__(self) -> None:
        self.bar: Any = None
        if sys.stdout.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            cols = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            self.bar = Progress("    {task.description}", *cols, transient=True)

    def __enter__(self) -> _Progress:
        if self.bar:
            self.bar.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self.bar:
            self.bar.stop()

    def task(self, description: str, total: int) -> Callable[[int], None]:
        if not self.bar:
            return lambda n: None
        task = self.bar.add_task(description, total=total)
        return lambda n: self.bar.advance(task, n)


def embedding_code() -> str:
    """Digest of the code that makes vectors (``search/embed*.py``): a change there means re-embedding."""
    digest = hashlib.blake2b(digest_size=6)
    for path in sorted((ROOT / "src" / "paperradar" / "search").glob("embed*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def model_store(corpus: CorpusInfo, spec: str) -> Path:
    """A copy of the corpus store (and its keyword index) for one model: one vector per work per store."""
    import sqlite3

    from paperradar.search.lexical import index_dir
    from paperradar.store.database import open_store

    folder = corpus.db.parent / "models" / spec.replace("/", "-")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    db = folder / "corpus.db"
    with closing(sqlite3.connect(corpus.db)) as source, closing(sqlite3.connect(db)) as target:
        source.backup(target)  # consistent even with a WAL beside the file
        target.execute("DELETE FROM embeddings")  # none are expected: every model is embedded in full
        target.commit()
    engine = open_store(f"sqlite:///{corpus.db}")
    lexical = index_dir(engine)
    engine.dispose()
    shutil.copytree(lexical, Path(f"{db}.index") / "lexical")  # the same index: the same lexical side
    return db


def run_model(
    corpus: CorpusInfo, spec: str, truth: Truth, works: int, seen: dict[str, str], reembed: bool
) -> ModelRun:
    from paperradar.search.embedding_job import embed_pending
    from paperradar.search.hybrid import Searcher
    from paperradar.store.database import open_store

    run = ModelRun(spec)
    try:
        embedder = make_embedder(spec)
        run.name = embedder.name
    except TypeError as exc:  # the Embedder's arguments changed under us
        run.skipped = f"Embedder does not take this spec: {exc}"
        return run
    if run.name in seen:
        run.skipped = f"same model name as {seen[run.name]} ({run.name})"
        return run
    seen[run.name] = spec
    print(f"[{spec}] {run.name}")
    folder = corpus.db.parent / "models" / spec.replace("/", "-")
    key = {"name": run.name, "embedding_code": embedding_code(), "corpus": corpus.built}
    cached = json.loads((folder / "model.json").read_text()) if (folder / "model.json").exists() else {}
    with _Progress() as progress:
        if not reembed and cached.get("key") == key and (folder / "corpus.db").exists():
            engine = open_store(f"sqlite:///{folder / 'corpus.db'}")
            searcher = Searcher(engine, embedder)  # related() reads stored vectors: no model is loaded
            searcher.vectors.catch_up(engine, run.name)  # a vector index of an older format is rebuilt
            for name in ("load_seconds", "embed_seconds", "embedded", "empty", "load_before", "load_after"):
                setattr(run, name, cached[name])
            run.cached = cached["when"]
            print(f"    vectors cached from {run.cached} (--reembed to embed again); timed then:")
        else:
            engine = open_store(f"sqlite:///{model_store(corpus, spec)}")
            searcher = Searcher(engine, embedder)
            begun = time.perf_counter()
            embedder.embed(["warm-up: the first call loads the model"])
            run.load_seconds = time.perf_counter() - begun
            run.load_before = os.getloadavg()[0]
            begun = time.perf_counter()
            result = embed_pending(engine, embedder, progress=progress.task("embedding", works))
            run.embed_seconds = time.perf_counter() - begun
            run.load_after = os.getloadavg()[0]
            run.embedded, run.empty = result.embedded, result.empty
            searcher.vectors.catch_up(engine, embedder.name)
            fields = ("load_seconds", "embed_seconds", "embedded", "empty", "load_before", "load_after")
            record = {"key": key, "when": time.strftime("%Y-%m-%d %H:%M:%S")}
            record |= {name: getattr(run, name) for name in fields}
            (folder / "model.json").write_text(json.dumps(record, indent=1))
        print(
            f"    load {run.load_seconds:,.1f} s; embedded {run.embedded:,} works"
            f" in {run.embed_seconds:,.1f} s = {run.rate:,.1f} works/s,"
            f" load average {run.load_before:.1f} → {run.load_after:.1f}"
            f" ({run.empty} without text); {len(searcher.vectors):,} vectors"
        )
        if not searcher.semantic_ready():
            print("    WARNING: the vector index is not ready for this model; dense scores are lexical")
        for mode in ("semantic", "hybrid"):
            tick = progress.task(mode, len(truth.relevant))
            run.scores[mode], seconds = evaluate(searcher, truth, mode, partial(tick, 1))
            line = f"    {mode:<8} nDCG@{NDCG_AT} {run.scores[mode].mean_ndcg:.4f}"
            line += f"  recall@{RECALL_AT} {run.scores[mode].mean_recall:.4f}  ({seconds:,.1f} s)"
            if run.scores[mode].fallbacks:
                line += f"  WARNING: {run.scores[mode].fallbacks} queries fell back to keywords"
            print(line)
    engine.dispose()
    return run


# =============================================================================================
# Reporting


def print_header(source: str, corpus: CorpusInfo, works: int, with_abstract: int, truth: Truth) -> None:
    import sqlite3

    print("paperradar relevance benchmark (citation-based, real data)")
    print(f"  source   : src/paperradar {source}")
    print(
        f"  machine  : {os.cpu_count()} cores, {platform.system()} {platform.machine()},"
        f" Python {platform.python_version()}, SQLite {sqlite3.sqlite_version},"
        f" load average {os.getloadavg()[0]:.2f}"
    )
    how = f"cached, built {corpus.built}" if corpus.cached else f"imported in {corpus.seconds:,.1f} s"
    print(f"  corpus   : {corpus.db} ({how})")
    print(
        f"             {corpus.files} files: {corpus.imported} imported, {len(corpus.unreadable)} with"
        f" nothing to import (error feeds, 404s, manifests), {len(corpus.raised)} raised"
    )
    for line in corpus.raised:
        print(f"             raised: {line}")
    if corpus.cached and corpus.source != source:
        print(f"             (built with src/paperradar {corpus.source}; --fresh to import again)")
    print(f"             {works:,} works, {with_abstract:,} with an abstract")
    sizes = [len(r) for r in truth.relevant.values()]
    ceiling = np.mean([min(RECALL_AT, n) / n for n in sizes]) if sizes else 0.0
    print(f"  truth    : {len(truth.relevant)} queries")
    for note in truth.notes:
        print(f"             {note}")
    if sizes:
        print(
            f"             relevant per query: {min(sizes)}–{max(sizes)} (mean {np.mean(sizes):.1f});"
            f" best possible recall@{RECALL_AT} {ceiling:.4f}; a random ranking scores"
            f" nDCG@{NDCG_AT} ≈ {np.mean([n / (works - 1) for n in sizes]):.4f}"
        )
    print()


def print_tables(lexical: Scores, runs: list[ModelRun]) -> None:
    done = [run for run in runs if not run.skipped]
    print(f"| model | mode | nDCG@{NDCG_AT} | recall@{RECALL_AT} |")
    print("|---|---|---|---|")
    print(f"| (any) | lexical | {lexical.mean_ndcg:.4f} | {lexical.mean_recall:.4f} |")
    for run in done:
        for mode in ("semantic", "hybrid"):
            scores = run.scores[mode]
            print(f"| {run.spec} | {mode} | {scores.mean_ndcg:.4f} | {scores.mean_recall:.4f} |")
    print()
    print(
        f"| model | hybrid − lexical nDCG@{NDCG_AT} [95% CI] | queries better / worse"
        f" | hybrid − lexical recall@{RECALL_AT} [95% CI] | hybrid − semantic nDCG@{NDCG_AT} [95% CI] |"
    )
    print("|---|---|---|---|---|")
    for run in done:
        hybrid = run.scores["hybrid"]
        d, lo, hi, better, worse = paired(hybrid.ndcg, lexical.ndcg)
        rd, rlo, rhi, _, _ = paired(hybrid.recall, lexical.recall)
        sd, slo, shi, _, _ = paired(hybrid.ndcg, run.scores["semantic"].ndcg)
        print(
            f"| {run.spec} | {d:+.4f} [{lo:+.4f}, {hi:+.4f}] | {better} / {worse}"
            f" | {rd:+.4f} [{rlo:+.4f}, {rhi:+.4f}] | {sd:+.4f} [{slo:+.4f}, {shi:+.4f}] |"
        )
    print()
    print("| model | name | load | works embedded | seconds | works/s | load average | embedded at |")
    print("|---|---|---|---|---|---|---|---|")
    for run in runs:
        if run.skipped:
            print(f"| {run.spec} | skipped: {run.skipped} | | | | | | |")
        else:
            print(
                f"| {run.spec} | {run.name} | {run.load_seconds:,.1f} s | {run.embedded:,}"
                f" | {run.embed_seconds:,.1f} | {run.rate:,.1f}"
                f" | {run.load_before:.1f} → {run.load_after:.1f} | {run.cached or 'this run'} |"
            )
    print()


def save(path: Path, lexical: Scores, runs: list[ModelRun], truth: Truth, extra: dict[str, Any]) -> None:
    def scores(s: Scores) -> dict[str, Any]:
        return {"ndcg": s.mean_ndcg, "recall": s.mean_recall, "fallbacks": s.fallbacks}

    out = {
        **extra,
        "queries": len(truth.relevant),
        "lexical": scores(lexical),
        "models": [
            {
                "spec": run.spec,
                "name": run.name,
                "skipped": run.skipped,
                "load_seconds": run.load_seconds,
                "embed_seconds": run.embed_seconds,
                "embedded": run.embedded,
                "works_per_second": run.rate,
                "load_average": [run.load_before, run.load_after],
                "cached_from": run.cached,
                **{mode: scores(s) for mode, s in run.scores.items()},
            }
            for run in runs
        ],
    }
    path.write_text(json.dumps(out, indent=1))


# =============================================================================================
# Topic queries on the demo corpus: is every hit of a search on topic? (issue 18)
#
# The citation truth above judges related papers; a typed search needs another. Each topic below
# is a query a reader of the demo corpus would type, with a judgement rule written from the topic
# alone (not from any ranking): a work is on topic when its title + abstract match every pattern,
# case-blind. The patterns name the topic's own terms *and* its usual synonyms and paraphrases,
# so a work found by meaning alone is judged on what it is about, not on sharing the query's words.
# Some queries are paraphrases on purpose (few or none of their words in the relevant works): they
# are where meaning must help, and where too strict a floor would show up as a lower nDCG@10.

SAMPLE = ROOT / "src" / "paperradar" / "data" / "sample"
TOPIC_AT = 10


@dataclass(frozen=True)
class Topic:
    query: str
    patterns: tuple[str, ...]  # on topic: the title + abstract match every one (re, case-blind)


TOPICS = (
    # machine learning (Hugging Face daily papers, the seed listings, the S2 reference list)
    Topic("speculative decoding", (r"speculative (decoding|sampling)|draft (model|tokens?)",)),
    Topic(
        "reinforcement learning from human feedback",
        (
            r"rlhf|human feedback|human preference|preference (optimi[sz]ation|learning|data)"
            r"|reward model|\bdpo\b",
        ),
    ),
    Topic(
        "making neural networks smaller by removing weights",
        (r"prun|sparsi|sparse (networks?|models?|training|subnetworks?)|lottery ticket|compress",),
    ),
    Topic(
        "generative adversarial networks",
        (r"adversarial networks?|\bgans?\b|generator and (a )?discriminator",),
    ),
    Topic(
        "diffusion models for image generation",
        (r"diffusion|denois|text-to-image|image (generation|synthesis)", r"image|video|generat|sampl"),
    ),
    Topic(
        "language model agents that use tools",
        (
            r"\bagent|tool[- ]use|tool call|function call",
            r"language model|\bllms?\b|\bgpt|reasoning|\btools?\b",
        ),
    ),
    Topic(
        "mathematical reasoning of language models",
        (r"math|theorem|arithmetic|gsm8k", r"language model|\bllms?\b|\bgpt|reasoning|transformer"),
    ),
    Topic("retrieval augmented generation", (r"retriev|\brag\b",)),
    Topic(
        "learning rate of stochastic gradient descent",
        (r"step[- ]?sizes?|learning rates?|stochastic gradient|\bsgd\b",),
    ),
    Topic("causal discovery from observational data", (r"causal",)),
    Topic(
        "vision language models",
        (
            r"vision[- ]language|multimodal|multi-modal|\bmllms?\b|\bvlms?\b|visual|image",
            r"language|text|caption|\bllms?\b",
        ),
    ),
    Topic("recommender systems", (r"recommend",)),
    # physics (the first 200 lines of the arXiv snapshot, 2007)
    Topic("galaxy formation", (r"galax|star formation",)),
    Topic("dark energy", (r"dark (energy|matter)|cosmolog|cosmic acceleration|expansion of the universe",)),
    Topic("quantum entanglement", (r"entangle|bell inequalit|teleport|nonclassical|qubit",)),
    Topic("black holes", (r"black[- ]holes?",)),
    Topic("neutrino oscillations", (r"neutrino",)),
    Topic(
        "pairs of photons produced in hadron collisions",
        (r"diphoton|photon pairs?|prompt photons?|two photons",),
    ),
    Topic("exoplanets", (r"planet|hot jupiter|transiting",)),
    Topic("turbulence in plasmas", (r"turbulen|magnetohydrodynamic|\bmhd\b|magneti[sz]ed plasma",)),
    # software engineering (Dijkstra, Parnas and Sommerville; the arXiv "testing" query)
    Topic("requirements engineering", (r"requirement",)),
    Topic(
        "information hiding and modular design",
        (
            r"information hiding|modul(e|es|ar|arity)|decomposition|interfaces?",
            r"software|program|design|specification|information hiding|systems?\b",
        ),
    ),
    Topic(
        "proving programs correct",
        (
            r"correctness|proofs?|prove|verif|formal (methods?|specification)|predicate transformer|invariant"
            r"|reasoning about programs|weakest precondition|assertions?",
            r"program|software|algorithm|\bcode\b",
        ),
    ),
    Topic(
        "software testing",
        (r"\btest", r"software|program|\bcode\b|bugs?\b|faults?\b|debug"),
    ),
    Topic(
        "teaching computing science",
        (r"teach|educat|curricul|students?", r"comput|program|software|engineering"),
    ),
    Topic(
        "concurrent processes and synchronisation",
        (
            r"concurren|semaphore|mutual exclusion|synchroni[sz]|parallel process|deadlock"
            r"|sequential processes|critical section|readers and writers",
        ),
    ),
    # cancer biology (one author's 879 papers from Semantic Scholar)
    Topic(
        "PI3K inhibitors in breast cancer",
        (r"pi3k|pik3ca|alpelisib|buparlisib|taselisib|phosphoinositide", r"breast"),
    ),
    Topic(
        "tumour metabolism",
        (r"metabol|glycoly|glucose|warburg|fatty acid|lipid", r"tumou?r|cancer|carcinoma|oncogen"),
    ),
    Topic("glioblastoma", (r"glioblastoma|glioma|brain tumou?r",)),
    Topic("insulin signalling", (r"insulin",)),
)


def build_demo(workdir: Path, fresh: bool) -> Path:
    """``paperradar demo --no-serve`` (with embeddings) into ``<workdir>/demo.db``, reused while the
    sample and the embedding code are unchanged: embedding the demo takes about a minute."""
    import subprocess

    db, sidecar = workdir / "demo.db", workdir / "demo.json"
    key = {
        "sample": _inputs_key(sorted(p for p in SAMPLE.rglob("*") if p.is_file())),
        "code": embedding_code(),
    }
    if not fresh and db.exists() and sidecar.exists() and json.loads(sidecar.read_text()) == key:
        return db
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    print(f"  building the demo corpus with embeddings in {db} (about a minute)")
    command = [sys.executable, "-m", "paperradar.cli", "demo", "--no-serve", "--path", str(db)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    sidecar.write_text(json.dumps(key))
    return db


def topic_truth(engine: Any) -> dict[str, set[int]]:
    """The works on each topic, by the topic's judgement rule."""
    import re

    from sqlalchemy import select

    from paperradar.store import schema as t

    with engine.connect() as conn:
        rows = conn.execute(select(t.works.c.id, t.works.c.title, t.works.c.abstract)).all()
    texts = {work_id: f"{title or ''} {abstract or ''}".lower() for work_id, title, abstract in rows}
    truth: dict[str, set[int]] = {}
    for topic in TOPICS:
        compiled = [re.compile(p, re.IGNORECASE) for p in topic.patterns]
        truth[topic.query] = {w for w, text in texts.items() if all(c.search(text) for c in compiled)}
        assert truth[topic.query], f"no work of the demo is on {topic.query!r}: fix its rule"
    return truth


@dataclass
class TopicScores:
    floor: Any
    shown: list[int] = field(default_factory=list)  # results in the top 10, per query
    on_topic: list[int] = field(default_factory=list)  # of which on topic
    meaning_only: list[int] = field(default_factory=list)  # of which found by meaning alone
    ndcg: list[float] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """Precision@10 of what is shown: on-topic results over the results shown (at most 10);
        a query that shows nothing counts 0."""
        return float(np.mean([o / s if s else 0.0 for o, s in zip(self.on_topic, self.shown, strict=True)]))

    @property
    def p10(self) -> float:
        """Precision@10 in the textbook sense: on-topic results in the top 10, over 10."""
        return float(np.mean(self.on_topic)) / TOPIC_AT

    @property
    def off_topic(self) -> float:
        return float(np.mean([s - o for s, o in zip(self.shown, self.on_topic, strict=True)]))


def evaluate_topics(engine: Any, embedder: Any, truth: dict[str, set[int]], floor: Any) -> TopicScores:
    """``Searcher.search(query, 10)`` (hybrid, as the CLI, the page and the API run it) per topic."""
    from paperradar.search.hybrid import Searcher

    searcher = Searcher(engine, embedder, floor)
    scores = TopicScores(floor)
    for topic in TOPICS:
        hits = searcher.search(topic.query, TOPIC_AT).hits
        relevant = truth[topic.query]
        scores.shown.append(len(hits))
        scores.on_topic.append(sum(h.work_id in relevant for h in hits))
        scores.meaning_only.append(sum(h.lexical_rank is None for h in hits))
        scores.ndcg.append(ndcg([h.work_id for h in hits], relevant, TOPIC_AT))
    return scores


BEFORE: dict[str, Any] = {"absolute": 0.2, "relative": 0.0, "margin": 0.0, "weight": 1.0}  # before issue 18


def floors_to_try() -> list[Any]:
    """The floor before issue 18 first, the default second, then a grid around them."""
    from paperradar.search.hybrid import DenseFloor

    grid = [DenseFloor(**BEFORE), DenseFloor()]
    for absolute in (0.2, 0.3, 0.35, 0.36, 0.4):
        for relative in (0.0, 0.6, 0.7, 0.8):
            for margin in (0.0, 0.1, 0.15, 0.2):
                for weight in (1.0, 0.5):
                    grid.append(
                        DenseFloor(absolute=absolute, relative=relative, margin=margin, weight=weight)
                    )
    return list(dict.fromkeys(grid))


def describe_floor(floor: Any) -> str:
    return (
        f"absolute {floor.absolute:.2f} · relative {floor.relative:.2f} · margin {floor.margin:.2f}"
        f" · weight {floor.weight:.1f}"
    )


def print_floors(runs: list[TopicScores]) -> None:
    """The floor before, the default, the most precise floors that keep nDCG@10, the most precise."""
    before, default = runs[0], runs[1]
    print(
        f"| dense floor | precision@{TOPIC_AT} of what is shown | P@{TOPIC_AT} | nDCG@{TOPIC_AT}"
        f" | off topic in the top {TOPIC_AT} | shown | by meaning alone |"
    )
    print("|---|---|---|---|---|---|---|")
    best = sorted(runs, key=lambda r: (-r.precision, -float(np.mean(r.ndcg))))
    kept = [r for r in best if np.mean(r.ndcg) >= np.mean(before.ndcg) - 1e-9]
    listed = [before, default, *kept[:8], *best[:4]]
    for run in [r for i, r in enumerate(listed) if r not in listed[:i]]:
        tag = " **(before)**" if run is before else " **(default)**" if run is default else ""
        tag += "" if run in kept else " (nDCG lower than before)"
        print(
            f"| {describe_floor(run.floor)}{tag} | {run.precision:.4f} | {run.p10:.4f}"
            f" | {np.mean(run.ndcg):.4f} | {run.off_topic:.2f} | {np.mean(run.shown):.1f}"
            f" | {np.mean(run.meaning_only):.1f} |"
        )
    print()


def print_topics(truth: dict[str, set[int]], before: TopicScores, default: TopicScores) -> None:
    print(f"| topic | on topic in the corpus | before: on topic / shown, nDCG@{TOPIC_AT} | default: same |")
    print("|---|---|---|---|")
    for i, topic in enumerate(TOPICS):
        print(
            f"| {topic.query} | {len(truth[topic.query])}"
            f" | {before.on_topic[i]} / {before.shown[i]}, {before.ndcg[i]:.3f}"
            f" | {default.on_topic[i]} / {default.shown[i]}, {default.ndcg[i]:.3f} |"
        )
    print()


def run_topics(workdir: Path, fresh: bool) -> int:
    """Precision@10 and nDCG@10 of typed searches on the embedded demo, for the dense floor
    before issue 18, the default one and a grid of others."""
    from functools import lru_cache

    from paperradar.search.embeddings import Embedder
    from paperradar.search.hybrid import Searcher
    from paperradar.store.database import open_store

    started = time.perf_counter()
    db = build_demo(workdir / "demo", fresh)
    engine = open_store(f"sqlite:///{db}")
    truth = topic_truth(engine)
    embedder = Embedder()
    embedder.embed_query = lru_cache(maxsize=None)(embedder.embed_query)  # type: ignore[method-assign]
    ready = Searcher(engine, embedder)  # the derived indexes follow the store (a copied file has none)
    ready.lexical.catch_up(engine)
    ready.vectors.catch_up(engine, embedder.name)
    assert ready.semantic_ready(), "the demo has no vectors of the default model: run with --fresh"
    sizes = [len(found) for found in truth.values()]
    print("paperradar topic-query benchmark (hybrid search, the embedded demo corpus)")
    print(f"  source : src/paperradar {source_fingerprint()}")
    print(f"  corpus : {db}")
    print(
        f"  truth  : {len(TOPICS)} topics, {min(sizes)}–{max(sizes)} works on topic each (judgement rules)\n"
    )
    runs = [evaluate_topics(engine, embedder, truth, floor) for floor in floors_to_try()]
    engine.dispose()
    before, default = runs[0], runs[1]
    print_floors(runs)
    print_topics(truth, before, default)
    d, lo, hi, better, worse = paired(default.ndcg, before.ndcg)
    print(
        f"summary: {len(runs)} floors; the default against the floor before:"
        f" precision@{TOPIC_AT} of what is shown {before.precision:.4f} → {default.precision:.4f},"
        f" off topic in the top {TOPIC_AT} {before.off_topic:.2f} → {default.off_topic:.2f},"
        f" nDCG@{TOPIC_AT} {np.mean(before.ndcg):.4f} → {np.mean(default.ndcg):.4f}"
        f" ({d:+.4f} [{lo:+.4f}, {hi:+.4f}], {better} queries better / {worse} worse);"
        f" {(time.perf_counter() - started) / 60:,.1f} min"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="example: python bench/relevance.py --models int8/256,fp32/256",
    )
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="where data goes (bench/data)")
    parser.add_argument(
        "--fresh", action="store_true", help="import the corpus again (then every model embeds again)"
    )
    parser.add_argument(
        "--reembed", action="store_true", help="embed again even when a model's vectors are cached"
    )
    parser.add_argument(
        "--models",
        default=",".join(DEFAULT_MODELS),
        help=f"comma-separated int8/N or fp32/N (max tokens N); default {','.join(DEFAULT_MODELS)}",
    )
    parser.add_argument(
        "--topics",
        action="store_true",
        help="instead: precision@10 and nDCG@10 of typed topic queries on the embedded demo (dense floors)",
    )
    args = parser.parse_args(argv)
    if args.topics:
        return run_topics(args.workdir.resolve() / "relevance", args.fresh)
    specs = [spec.strip() for spec in args.models.split(",") if spec.strip()]
    for spec in specs:
        parse_spec(spec)  # fail before the long work, not after it

    from sqlalchemy import func, select

    from paperradar.search.hybrid import Searcher
    from paperradar.store import schema as t
    from paperradar.store.database import open_store

    started = time.perf_counter()
    source = source_fingerprint()
    workdir: Path = args.workdir.resolve() / "relevance"
    corpus = build_corpus(workdir, args.fresh, source)
    engine = open_store(f"sqlite:///{corpus.db}")
    with engine.connect() as conn:
        works = int(conn.execute(select(func.count()).select_from(t.works)).scalar() or 0)
        has_abstract = func.coalesce(t.works.c.abstract, "") != ""
        with_abstract = int(conn.execute(select(func.count()).where(has_abstract)).scalar() or 0)
    truth = ground_truth(engine)
    print_header(source, corpus, works, with_abstract, truth)
    if not truth.relevant:
        print("no query has a relevant work in the corpus: nothing to measure")
        return 1

    keywords = Searcher(engine)  # lexical only: no model is loaded
    keywords.lexical.catch_up(engine)
    print("[lexical] tantivy more-like-this over title + abstract (the same for every model)")
    lexical, seconds = evaluate(keywords, truth, "lexical")
    print(
        f"    lexical  nDCG@{NDCG_AT} {lexical.mean_ndcg:.4f}  recall@{RECALL_AT} {lexical.mean_recall:.4f}"
        f"  ({seconds:,.1f} s)\n"
    )

    runs: list[ModelRun] = []
    seen: dict[str, str] = {}
    for spec in specs:
        runs.append(run_model(corpus, spec, truth, works, seen, args.reembed))
        if runs[-1].skipped:
            print(f"[{spec}] skipped: {runs[-1].skipped}")
        print()
    engine.dispose()

    print_tables(lexical, runs)
    total = time.perf_counter() - started
    print(
        f"summary: {len(truth.relevant)} queries over {works:,} works;"
        f" lexical nDCG@{NDCG_AT} {lexical.mean_ndcg:.4f}; "
        + "; ".join(
            f"{run.spec} hybrid {run.scores['hybrid'].mean_ndcg:.4f} ({run.rate:,.1f} works/s)"
            for run in runs
            if not run.skipped
        )
        + f"; {total / 60:,.1f} min, load average now {os.getloadavg()[0]:.2f}"
    )
    if source_fingerprint() != source:
        print(f"note: src/paperradar changed during the run (now {source_fingerprint()})")
    save(
        workdir / "results.json",
        lexical,
        runs,
        truth,
        {"source": source, "works": works, "seconds": total, "when": time.strftime("%Y-%m-%d %H:%M:%S")},
    )
    print(f"results: {workdir / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

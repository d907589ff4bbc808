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

Example::

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
            run.scores[mode], seconds = evaluate(searcher, truth, mode, lambda tick=tick: tick(1))
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
    args = parser.parse_args(argv)
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

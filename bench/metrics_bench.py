"""Metrics benchmark at 1M works: ``metrics refresh`` for every author, incremental refresh,
one profile, and paper-novelty scoring.

1. The store: the seeded 1M-line arXiv snapshot of ``bench/import_bench.py`` imported exactly as
   ``paperradar import`` does (shared with ``search_bench.py``), copied to ``metrics-<N>.db``.
2. The facts a snapshot lacks, written into the store's own tables as the importers store
   them (seeded, once): a Semantic Scholar citation count for 85% of works (Pareto-tailed, as
   real counts are), OpenAlex ``counts_by_year`` for 60% of those, Hugging Face upvotes for 2%,
   and a novelty percentile for every work with a category and a date (the novelty job's output,
   graded per category and month as the job grades it).
3. Measurements, each in this process after the setup:
   a. ``refresh_metrics(full=True)`` twice: every author — name variants, loading, computing,
      storing, peer distributions — with the time of each stage (target: ≤ 60 s at 1M works); the
      first run also joins the name variants of the whole corpus, the second shows the steady state;
   b. an incremental refresh after 1,000 works changed;
   c. ``profiles.profile`` for 200 authors drawn by their number of works (p50 / p99);
   d. novelty scoring (``novelty.score_all``) on unit vectors for the works of the newest
      months, against every earlier work of their category in the window, as papers/s.

Run ``python bench/metrics_bench.py --help``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import import_bench as ib  # noqa: E402
from bench import search_bench as sb  # noqa: E402

TARGET_FULL_SECONDS = 60.0
FACTS_VERSION = 2


def ensure_store(workdir: Path, n: int, seed: int) -> Path:
    source, _ = sb.ensure_store(workdir, n, seed)
    db = workdir / f"metrics-{n}.db"
    if not db.exists():
        print(f"  copying {source.name} to {db.name} …", flush=True)
        shutil.copyfile(source, db)
    return db


def write_facts(db: Path, seed: int) -> dict[str, Any]:
    """Citation counts, per-year counts, upvotes and novelty percentiles (once per recipe)."""
    con = sqlite3.connect(db)
    done = con.execute("SELECT value FROM meta WHERE key = 'bench_facts'").fetchone()
    if done and json.loads(done[0]).get("version") == FACTS_VERSION:
        con.close()
        return dict(json.loads(done[0]), cached=True)
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    rows = con.execute("SELECT id, primary_category, published FROM works ORDER BY id").fetchall()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    now = dt.datetime.now(dt.UTC).isoformat(sep=" ")
    n = len(ids)
    counted = rng.random(n) < 0.85
    citations = np.floor(rng.pareto(1.1, n) * 6).astype(np.int64)
    per_year = counted & (rng.random(n) < 0.6)
    this_year = dt.date.today().year
    con.execute("DELETE FROM citation_counts")
    batch = []
    for i in np.flatnonzero(counted):
        by_year = None
        if per_year[i] and citations[i]:
            years = rng.integers(this_year - 9, this_year + 1, size=min(int(citations[i]), 50))
            share = np.bincount(years - (this_year - 9), minlength=10)
            scaled = np.floor(share / share.sum() * citations[i]).astype(int)
            by_year = json.dumps({str(this_year - 9 + y): int(c) for y, c in enumerate(scaled) if c})
        batch.append((int(ids[i]), "semantic_scholar", int(citations[i]), None, None, by_year, now))
    con.executemany(
        "INSERT INTO citation_counts"
        ' (work_id, source, citations, influential, "references", counts_by_year, as_of)'
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        batch,
    )
    voted = np.flatnonzero(rng.random(n) < 0.02)
    con.execute("DELETE FROM community")
    con.executemany(
        "INSERT INTO community (work_id, source, upvotes, seen_at) VALUES (?, 'huggingface', ?, ?)",
        [(int(ids[i]), int(rng.integers(0, 300)), now) for i in voted],
    )
    con.execute("DELETE FROM work_novelty")
    groups: dict[tuple[str, str], list[int]] = {}
    for work_id, category, published in rows:
        if category and published:
            groups.setdefault((category, str(published)[:7]), []).append(work_id)
    novelty_rows = []
    for (category, month), members in groups.items():
        values = rng.beta(4, 6, len(members))
        order = np.argsort(np.argsort(values))
        pct = 100.0 * (order + 0.5) / len(members)
        novelty_rows.extend(
            (w, "bench", category, month, float(v), 10, float(p), len(members), now)
            for w, v, p in zip(members, values, pct, strict=True)
        )
    con.executemany(
        "INSERT INTO work_novelty"
        " (work_id, model, category, month, novelty, neighbours, percentile, graded_among, computed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        novelty_rows,
    )
    info = {
        "version": FACTS_VERSION,
        "works": n,
        "with_citations": int(counted.sum()),
        "with_per_year": int(per_year.sum()),
        "with_upvotes": len(voted),
        "with_novelty": len(novelty_rows),
        "seconds": round(time.perf_counter() - started, 1),
    }
    con.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('bench_facts', ?)", (json.dumps(info),))
    con.execute("DELETE FROM meta WHERE key = 'metrics_revision'")
    con.commit()
    con.close()
    return dict(info, cached=False)


def measure_full(db: Path) -> dict[str, Any]:
    from paperradar.analysis.refresh import refresh_metrics
    from paperradar.store.database import open_store

    engine = open_store(str(db))
    started = time.perf_counter()
    result = refresh_metrics(engine, full=True)
    wall = time.perf_counter() - started
    return {
        "authors": result.authors,
        "wall_seconds": wall,
        "stages": result.seconds,
        "variants": result.variants,
    }


def measure_incremental(db: Path, changed: int, seed: int) -> dict[str, Any]:
    from paperradar.analysis.refresh import refresh_metrics
    from paperradar.store.database import open_store

    con = sqlite3.connect(db)
    head = int(con.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()[0]) + 1
    top = con.execute("SELECT max(id) FROM works").fetchone()[0]
    picked = random.Random(seed).sample(range(1, top + 1), changed)
    con.executemany("UPDATE works SET revision = ? WHERE id = ?", [(head, w) for w in picked])
    con.execute("UPDATE meta SET value = ? WHERE key = 'revision'", (str(head),))
    con.commit()
    con.close()
    engine = open_store(str(db))
    started = time.perf_counter()
    result = refresh_metrics(engine)
    return {
        "changed_works": changed,
        "authors": result.authors,
        "wall_seconds": time.perf_counter() - started,
    }


def measure_profiles(db: Path, count: int, seed: int) -> dict[str, Any]:
    """Profiles of ``count`` authors drawn uniformly among those with ≥ 3 works, and of the 10
    most prolific (the synthetic corpus's preferential attachment makes those extreme)."""
    from sqlalchemy import text

    from paperradar.analysis import profiles
    from paperradar.store.database import open_store

    engine = open_store(str(db))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT author_id, works FROM author_metrics WHERE works >= 3")).all()
    chosen = random.Random(seed).sample([r[0] for r in rows], min(count, len(rows)))
    prolific = [r[0] for r in sorted(rows, key=lambda r: -r[1])[:10]]

    def timed(ids: list[int]) -> tuple[list[float], list[int]]:
        times, sizes = [], []
        with engine.connect() as conn:
            for author_id in ids:
                started = time.perf_counter()
                profile = profiles.profile(conn, author_id)
                times.append((time.perf_counter() - started) * 1000)
                sizes.append(profile.papers.value if profile else 0)
        return times, sizes

    timed(chosen[:10])  # warm-up
    times, sizes = timed(chosen)
    top_times, top_sizes = timed(prolific)
    return {
        "profiles": len(chosen),
        **sb.summary(times),
        "works_p50": float(np.median(sizes)),
        "works_max": max(sizes),
        "prolific_ms": [round(t) for t in top_times],
        "prolific_works": top_sizes,
    }


def measure_novelty(db: Path, months: int, seed: int) -> dict[str, Any]:
    from paperradar.analysis.novelty import _month, score_all

    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT primary_category, published FROM works"
        " WHERE primary_category IS NOT NULL AND published IS NOT NULL"
    ).fetchall()
    con.close()
    names: dict[str, int] = {}
    category = np.array([names.setdefault(c, len(names)) for c, _ in rows], dtype=np.int64)
    day = np.array(
        [(dt.date.fromisoformat(str(p)[:10]) - dt.date(1970, 1, 1)).days for _, p in rows], dtype=np.int64
    )
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((len(rows), sb.DIM), dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    month = _month(day)
    todo = month > month.max() - months
    started = time.perf_counter()
    novelty, neighbours = score_all(category, day, matrix, todo)
    seconds = time.perf_counter() - started
    scored = int(todo.sum())
    return {
        "works": len(rows),
        "scored": scored,
        "months": months,
        "seconds": seconds,
        "papers_per_s": scored / seconds if seconds else 0.0,
        "mean_neighbours": float(neighbours[todo].mean()) if scored else 0.0,
        "without_predecessor": int(np.sum(todo & np.isnan(novelty))),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=1_000_000, help="snapshot lines (default 1,000,000)")
    parser.add_argument(
        "--workdir", type=Path, default=sb.DEFAULT_WORKDIR, help="where data goes (bench/data)"
    )
    parser.add_argument("--seed", type=int, default=ib.DEFAULT_SEED, help="generator seed")
    parser.add_argument("--profiles", type=int, default=200, help="profiles to time (default 200)")
    parser.add_argument("--novelty-months", type=int, default=3, help="newest months to score (default 3)")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    cores, python = os.cpu_count(), platform.python_version()
    print(f"metrics benchmark: {args.lines:,} snapshot lines · {cores} cores · Python {python}")
    db = ensure_store(args.workdir, args.lines, args.seed)
    facts = write_facts(db, args.seed)
    print(f"facts: {json.dumps(facts)}")
    for label in ("first (joins the corpus's name variants once)", "again (steady state)"):
        full = measure_full(db)
        stages = " · ".join(f"{k} {v:.1f} s" for k, v in full["stages"].items())
        verdict = "meets" if full["wall_seconds"] <= TARGET_FULL_SECONDS else "misses"
        print(
            f"a. full refresh, {label}: {full['authors']:,} authors in {full['wall_seconds']:.1f} s "
            f"({stages}); {full['variants']:,} name variants joined; "
            f"{verdict} the ≤ {TARGET_FULL_SECONDS:.0f} s target"
        )
    inc = measure_incremental(db, 1000, args.seed)
    print(
        f"b. incremental: {inc['changed_works']:,} works changed → "
        f"{inc['authors']:,} authors in {inc['wall_seconds']:.1f} s"
    )
    prof = measure_profiles(db, args.profiles, args.seed)
    print(
        f"c. profile: p50 {prof['p50']:.1f} ms · p99 {prof['p99']:.1f} ms over {prof['profiles']} authors "
        f"with ≥ 3 works (their works: median {prof['works_p50']:.0f}, max {prof['works_max']:,}); "
        f"the 10 most prolific ({min(prof['prolific_works']):,}–{max(prof['prolific_works']):,} works): "
        f"{min(prof['prolific_ms'])}–{max(prof['prolific_ms'])} ms"
    )
    nov = measure_novelty(db, args.novelty_months, args.seed)
    print(
        f"d. novelty: {nov['scored']:,} papers of the newest {nov['months']} months scored against "
        f"{nov['works']:,} works in {nov['seconds']:.1f} s = {nov['papers_per_s']:,.0f} papers/s "
        f"(mean {nov['mean_neighbours']:.1f} neighbours, {nov['without_predecessor']:,} with none)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

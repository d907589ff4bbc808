"""Web benchmark at 1M works: the author-profile page and the search page under concurrent load.

1. The store: ``metrics_bench.py``'s (the seeded 1M-line snapshot of ``import_bench.py``, imported
   as ``paperradar import`` does, with the citation counts, upvotes and novelty scores it writes),
   copied to ``web-<N>.db``, then ``refresh_metrics(full=True)`` (author metrics, name variants,
   peer distributions), the keyword index of ``search_bench.py``'s store (copied, then caught
   up) and ``search_bench.py``'s synthetic vectors with their vector index, so the search page
   runs hybrid as it would in production (``--no-vectors``: keyword only). All cached.
2. A real server in its own process: ``paperradar --db sqlite:///… serve`` (one uvicorn worker,
   as users run it) or, with ``--workers N`` > 1, ``uvicorn --factory
   paperradar.web.app:create_app --workers N`` (``paperradar serve`` has no ``--workers``).
3. A client in another process: ``--clients`` asyncio tasks on one ``httpx.AsyncClient``, each
   sending its next request as soon as the previous one is answered (a closed loop), for
   ``--seconds`` (or ``--requests``) per phase, after an untimed warm-up of each kind:
   a. ``/authors/{id}``, ids drawn uniformly among authors with ≥ 3 works (with replacement);
   b. ``/search?q=…``, 1–3 word runs of real titles as people type them (``search_bench.py``'s);
   c. the prolific tail: the most prolific authors' profiles, one client, one after another.
   Per phase: requests, errors, throughput, p50 / p90 / p99 / max latency, the server's CPU time
   per request (all its processes) and the client's own CPU use (it shares the machine).

Run ``python bench/web_bench.py --help``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import import_bench as ib  # noqa: E402
from bench import metrics_bench as mb  # noqa: E402
from bench import search_bench as sb  # noqa: E402

TARGET_PROFILE_P99_MS = 50.0
MIN_WORKS = 3  # authors whose profile pages are sampled uniformly
TAIL = 10  # the most prolific authors, timed on their own
SIZE_BUCKETS = ((3, 5), (6, 20), (21, 100), (101, 1_000), (1_001, 10**9))  # works per author
CLK_TCK = os.sysconf("SC_CLK_TCK")


# =============================================================================================
# The store


def _log(text: str) -> None:
    print(f"  {text}", flush=True)


def ensure_store(workdir: Path, n: int, seed: int, vectors: bool) -> tuple[Path, dict[str, Any]]:
    """``web-<n>.db``: the metrics store with its metrics refreshed, the keyword index and
    (``vectors``) the synthetic embeddings with the vector index."""
    from paperradar.analysis.refresh import refresh_metrics
    from paperradar.search.lexical import LexicalIndex, index_dir
    from paperradar.store.database import open_store

    info: dict[str, Any] = {}
    source = mb.ensure_store(workdir, n, seed)  # imports search-<n>.db on the first run
    info["facts"] = mb.write_facts(source, seed)
    db = workdir / f"web-{n}.db"
    marker = workdir / f"web-{n}.json"
    state = json.loads(marker.read_text()) if marker.exists() else {}
    if not db.exists() or state.get("facts") != info["facts"].get("version"):
        _log(f"copying {source.name} to {db.name} …")
        for leftover in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            leftover.unlink(missing_ok=True)
        shutil.rmtree(Path(f"{db}.index"), ignore_errors=True)
        shutil.copyfile(source, db)
        state = {"facts": info["facts"].get("version")}
        marker.write_text(json.dumps(state))
    url = f"sqlite:///{db}"
    if not state.get("refreshed"):
        _log("refresh_metrics(full=True) …")
        engine = open_store(url)
        began = time.perf_counter()
        result = refresh_metrics(engine, full=True)
        engine.dispose()
        state.update(refreshed=True, refresh_seconds=time.perf_counter() - began, authors=result.authors)
        marker.write_text(json.dumps(state))
    lexical = Path(f"{db}.index") / "lexical"
    if not lexical.exists():
        searched = Path(f"{workdir / f'search-{n}.db'}.index") / "lexical"
        _log(f"copying the keyword index {searched.parent.name} …")
        shutil.copytree(searched, lexical)
    engine = open_store(url)
    began = time.perf_counter()
    info["lexical_caught_up"] = LexicalIndex(index_dir(engine)).catch_up(engine)  # works the refresh moved
    info["lexical_catch_up_seconds"] = time.perf_counter() - began
    engine.dispose()
    if vectors:
        vec = sb.ensure_vectors(db, workdir, seed, rebuild_index=False)
        info["vectors"] = {k: v for k, v in vec.items() if not k.startswith("_")}
    info.update(state)
    return db, info


def sample_plan(db: Path, n: int, seed: int, queries: int) -> dict[str, Any]:
    """Author ids (uniform among those with ≥ MIN_WORKS works, as metrics_bench samples them) with
    their numbers of works, the most prolific authors, and search queries."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute(
        "SELECT m.author_id, m.works FROM author_metrics m JOIN authors a ON a.id = m.author_id"
        " WHERE m.works >= ? AND a.merged_into IS NULL",
        (MIN_WORKS,),
    ).fetchall()
    total_authors = con.execute("SELECT count(*) FROM authors WHERE merged_into IS NULL").fetchone()[0]
    con.close()
    works = {a: w for a, w in rows}
    ids = sorted(works)
    rng = random.Random(seed)
    draws = [rng.choice(ids) for _ in range(200_000)]  # more than any phase sends; cycled if not
    warm = [rng.choice(ids) for _ in range(20_000)]
    prolific = [a for a, _ in sorted(rows, key=lambda r: -r[1])[:TAIL]]
    corpus = ib.load_corpus()
    plain, _ = sb.make_queries(corpus, queries, 0, seed)
    warm_q, _ = sb.make_queries(corpus, 500, 0, seed + 1)
    sizes = np.array([works[a] for a in draws[:20_000]])
    return {
        "authors_eligible": len(ids),
        "authors_total": total_authors,
        "author_draws": draws,
        "author_warm": warm,
        "works": {str(a): works[a] for a in {*draws, *warm, *prolific}},
        "prolific": prolific,
        "queries": plain,
        "queries_warm": warm_q,
        "drawn_works_p50": float(np.median(sizes)),
        "drawn_works_p99": float(np.percentile(sizes, 99)),
        "drawn_works_max": int(sizes.max()),
    }


# =============================================================================================
# The server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn's workers, multiprocessing's helpers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes, in seconds."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return total / CLK_TCK


def _rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for row in fh:
                if row.startswith("VmRSS:"):
                    return int(row.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Server:
    """The web app in its own process tree, on a free port."""

    def __init__(self, db: Path, workers: int, log: Path, src: Path | None = None) -> None:
        self.port = _free_port()
        self.workers = workers
        env = dict(os.environ, PAPERRADAR_DB=f"sqlite:///{db}")
        if src is not None:  # another tree's paperradar first on the path (an export of a commit)
            env["PYTHONPATH"] = os.pathsep.join([str(src.resolve()), env.get("PYTHONPATH", "")])
        if workers == 1:
            cmd = [sys.executable, "-m", "paperradar.cli", "--db", f"sqlite:///{db}", "serve"]
            cmd += ["--host", "127.0.0.1", "--port", str(self.port)]
            self.how = f"paperradar --db sqlite:///{db.name} serve --port {self.port}"
        else:
            cmd = [sys.executable, "-m", "uvicorn", "--factory", "paperradar.web.app:create_app"]
            cmd += ["--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)]
            cmd += ["--log-level", "warning", "--no-access-log"]
            self.how = (
                f"PAPERRADAR_DB=sqlite:///{db.name} uvicorn --factory paperradar.web.app:create_app"
                f" --workers {workers} --port {self.port}"
            )
        self.log = log
        self._out = log.open("w")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self._out, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 300.0) -> float:
        import httpx

        began = time.perf_counter()
        while time.perf_counter() - began < timeout:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited ({self.proc.returncode}):\n{self.log.read_text()}")
            try:
                answered = httpx.get(f"{self.base}/metrics", timeout=5).status_code == 200
                if answered and (self.workers == 1 or len(self.worker_pids()) >= self.workers):
                    return time.perf_counter() - began
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise SystemExit(f"the server did not answer within {timeout:.0f} s")

    def pids(self) -> list[int]:
        return _tree(self.proc.pid)

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the server itself, or uvicorn's worker children."""
        if self.workers == 1:
            return [self.proc.pid]
        out = []
        for pid in self.pids()[1:]:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"multiprocessing.resource_tracker" not in cmdline:
                out.append(pid)
        return out

    def rss_mib(self) -> list[float]:
        return [_rss_mib(p) for p in self.worker_pids()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()


# =============================================================================================
# The client (its own process)


async def _run_phase(phase: dict[str, Any]) -> dict[str, Any]:
    """Closed loop (``rate`` None): each of ``clients`` connections sends its next request when
    the last is answered. Open loop (``rate``): requests arrive as a Poisson process of ``rate``
    per second, on at most ``clients`` connections at once; the latency counts from the arrival,
    so time spent waiting for a free connection is included (no coordinated omission)."""
    import httpx

    urls: list[list[str]] = phase["urls"]  # [path, tag]
    clients = int(phase["clients"])
    limit_s = phase.get("seconds")
    limit_n = phase.get("requests")
    rate = phase.get("rate")
    records: list[tuple[float, float, int, str]] = []  # start offset s, latency ms, status, tag
    errors: list[str] = []
    next_url = 0
    sent = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    timeout = httpx.Timeout(phase.get("timeout", 120.0))
    async with httpx.AsyncClient(base_url=phase["base"], limits=limits, timeout=timeout) as client:
        began = time.perf_counter()
        deadline = began + limit_s if limit_s else None

        def more() -> bool:
            if deadline is not None and time.perf_counter() >= deadline:
                return False
            return limit_n is None or sent < limit_n

        async def one(start: float) -> None:
            nonlocal next_url, sent
            sent += 1
            path, tag = urls[next_url % len(urls)]
            next_url += 1
            try:
                response = await client.get(path)
                await response.aread()
                status = response.status_code
            except httpx.HTTPError as exc:
                status = 0
                if len(errors) < 5:
                    errors.append(f"{path}: {exc!r}")
            records.append(((start - began), (time.perf_counter() - start) * 1000, status, tag))

        async def worker() -> None:
            while more():
                await one(time.perf_counter())

        if rate is None:
            await asyncio.gather(*(worker() for _ in range(clients)))
        else:  # httpx queues a request while all ``clients`` connections are busy
            rng = random.Random(len(urls))
            pending: set[asyncio.Task[None]] = set()
            arrival = time.perf_counter()
            while more():
                arrival += rng.expovariate(rate)
                await asyncio.sleep(max(0.0, arrival - time.perf_counter()))
                task = asyncio.create_task(one(arrival))
                pending.add(task)
                task.add_done_callback(pending.discard)
            await asyncio.gather(*pending)
        wall = time.perf_counter() - began
    return {"name": phase["name"], "wall": wall, "records": records, "errors": errors}


def client_main(plan_file: Path, out_file: Path) -> int:
    plan = json.loads(plan_file.read_text())
    results = []
    for phase in plan["phases"]:
        cpu = time.process_time()
        got = asyncio.run(_run_phase({**phase, "base": plan["base"]}))
        got["client_cpu"] = time.process_time() - cpu
        got["timed"] = phase.get("timed", True)
        results.append(got)
        print(json.dumps({"phase": phase["name"], "requests": len(got["records"])}), flush=True)
    out_file.write_text(json.dumps(results))
    return 0


def run_client(plan: dict[str, Any], workdir: Path, server: Server) -> list[dict[str, Any]]:
    """Each phase in its own client process, so the server's CPU time is read between phases."""
    plan_file, out_file = workdir / "web-plan.json", workdir / "web-client.json"
    results: list[dict[str, Any]] = []
    throughput: dict[str, float] = {}
    workers = set(server.worker_pids())
    for phase in plan["phases"]:
        if "share" in phase:  # open loop at a share of the throughput a closed-loop phase reached
            phase = dict(phase)
            phase["rate"] = phase.pop("share") * throughput[phase.pop("of")]
            phase["name"] = f"{phase['name']} @ {phase['rate']:.0f}/s"
        plan_file.write_text(json.dumps({"base": plan["base"], "phases": [phase]}))
        before = cpu_seconds(server.pids())
        cmd = [sys.executable, str(Path(__file__).resolve()), "--client", str(plan_file), str(out_file)]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"the client failed (exit {proc.returncode}):\n{proc.stdout}")
        got = json.loads(out_file.read_text())[0]
        got["server_cpu"] = cpu_seconds(server.pids()) - before
        got["server_rss_mib"] = server.rss_mib()
        got["rate"] = phase.get("rate")
        now = set(server.worker_pids())
        got["workers_replaced"] = len(workers - now)  # uvicorn's supervisor restarts a worker
        workers = now  # that misses its health check (5 s), dropping its connections
        throughput[phase["name"]] = len(got["records"]) / got["wall"] if got["wall"] else 0.0
        results.append(got)
        replaced = f"; {got['workers_replaced']} worker(s) replaced" if got["workers_replaced"] else ""
        print(
            f"    {phase['name']}: {len(got['records']):,} requests in {got['wall']:.1f} s"
            f" (load average {os.getloadavg()[0]:.1f}){replaced}",
            flush=True,
        )
    return results


# =============================================================================================
# Reporting


def figures(result: dict[str, Any], works: dict[str, int] | None = None) -> dict[str, Any]:
    records = result["records"]
    latencies = np.array([r[1] for r in records], dtype=np.float64)
    errors = sum(1 for r in records if r[2] != 200)
    n = len(records)
    out: dict[str, Any] = {
        "requests": n,
        "errors": errors,
        "throughput": n / result["wall"] if result["wall"] else 0.0,
        "server_cpu_ms": 1000 * result.get("server_cpu", 0.0) / n if n else 0.0,
        "client_cpu_share": result["client_cpu"] / result["wall"] if result["wall"] else 0.0,
        "statuses": sorted({r[2] for r in records}),
        "error_samples": result["errors"],
    }
    if n:
        p50, p90, p99 = np.percentile(latencies, [50, 90, 99])
        out.update(p50=p50, p90=p90, p99=p99, max=latencies.max(), mean=latencies.mean())
    if works and n:
        buckets = []
        sizes = np.array([works.get(r[3], 0) for r in records])
        for low, high in SIZE_BUCKETS:
            inside = (sizes >= low) & (sizes <= high)
            if inside.any():
                lat = latencies[inside]
                buckets.append(
                    {
                        "works": f"{low}–{high}" if high < 10**9 else f"> {low - 1}",
                        "share": float(inside.mean()),
                        "p50": float(np.percentile(lat, 50)),
                        "p99": float(np.percentile(lat, 99)),
                        "n": int(inside.sum()),
                    }
                )
        out["buckets"] = buckets
    return out


def _row(name: str, f: dict[str, Any]) -> str:
    if not f["requests"]:
        return f"  {name:<22} no requests"
    return (
        f"  {name:<22} {f['requests']:>8,} {f['errors']:>6,} {f['throughput']:>9.1f}"
        f" {f['p50']:>8.1f} {f['p90']:>8.1f} {f['p99']:>8.1f} {f['max']:>9.1f}"
        f" {f['server_cpu_ms']:>9.1f} {100 * f['client_cpu_share']:>7.0f}%"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--works", type=int, default=1_000_000, help="works (snapshot lines), default 1M")
    parser.add_argument(
        "--workdir", type=Path, default=sb.DEFAULT_WORKDIR, help="where data goes (bench/data)"
    )
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    limit = parser.add_mutually_exclusive_group()
    limit.add_argument("--seconds", type=float, default=None, help="seconds per timed phase (default 30)")
    limit.add_argument("--requests", type=int, default=None, help="requests per timed phase, instead")
    parser.add_argument("--warmup", type=float, default=10.0, help="warm-up seconds per kind (default 10)")
    parser.add_argument("--workers", type=int, default=1, help="server processes (default 1, as serve runs)")
    parser.add_argument("--pages", default="authors,search,tail", help="phases: authors,search,tail")
    parser.add_argument(
        "--open-loop",
        default="0.5,0.8",
        help="then open-loop runs at these shares of the closed-loop throughput (default 0.5,0.8; '' none)",
    )
    parser.add_argument("--no-vectors", action="store_true", help="no embeddings: search is keyword-only")
    parser.add_argument(
        "--src",
        type=Path,
        help="serve the paperradar package in this folder (e.g. an unpacked `git archive HEAD src`: DIR/src)",
    )
    parser.add_argument("--seed", type=int, default=ib.DEFAULT_SEED, help="generator seed")
    parser.add_argument("--setup-only", action="store_true", help="build the store and indexes, then stop")
    parser.add_argument("--client", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client:
        return client_main(*args.client)
    if args.seconds is None and args.requests is None:
        args.seconds = 30.0

    workdir: Path = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    source = ib._RUN["source"] = ib.source_fingerprint()
    print("paperradar web benchmark")
    print(f"  source   : src/paperradar {source}")
    print(
        f"  machine  : {os.cpu_count()} cores, {platform.system()} {platform.machine()},"
        f" Python {platform.python_version()}, SQLite {sqlite3.sqlite_version},"
        f" load average {os.getloadavg()[0]:.2f}"
    )
    began = time.perf_counter()
    db, info = ensure_store(workdir, args.works, args.seed, vectors=not args.no_vectors)
    print(
        f"  store    : {db} ({_gib(ib._db_size(db))}; {info.get('authors', 0):,} authors refreshed"
        f" in {info.get('refresh_seconds', 0):.0f} s when built; keyword index caught up"
        f" {info['lexical_caught_up']:,} works in {info['lexical_catch_up_seconds']:.1f} s)"
    )
    if "vectors" in info:
        v = info["vectors"]
        print(f"  vectors  : {v['rows']:,} synthetic (search_bench.py's), index of {v['graph_rows']:,} rows")
    if args.setup_only:
        return 0
    plan = sample_plan(db, args.works, args.seed, 5_000)
    print(
        f"  authors  : {plan['authors_total']:,}, of whom {plan['authors_eligible']:,} with ≥ {MIN_WORKS}"
        f" works (drawn uniformly: works p50 {plan['drawn_works_p50']:.0f}, p99"
        f" {plan['drawn_works_p99']:.0f}, max {plan['drawn_works_max']:,}); tail: the {TAIL} most prolific"
        f" ({', '.join(str(plan['works'][str(a)]) for a in plan['prolific'])} works)"
    )

    server = Server(db, args.workers, workdir / "web-server.log", args.src)
    try:
        ready = server.wait_ready()
        workers = server.worker_pids()
        print(f"  server   : {server.how}" + (f" (PYTHONPATH={args.src})" if args.src else ""))
        print(
            f"             {len(workers)} worker process(es) {workers}, answering after {ready:.1f} s;"
            f" client: {args.clients} concurrent connections (httpx, asyncio) in another process"
        )
        limit_kw: dict[str, Any] = (
            {"seconds": args.seconds} if args.seconds is not None else {"requests": args.requests}
        )
        pages = args.pages.split(",")
        shares = [float(x) for x in args.open_loop.split(",") if x.strip()]
        author_urls = [[f"/authors/{a}", str(a)] for a in plan["author_draws"]]
        search_urls = [[f"/search?q={quote_plus(q)}", q] for q in plan["queries"]]
        phases: list[dict[str, Any]] = []
        if "authors" in pages:
            warm = [[f"/authors/{a}", str(a)] for a in plan["author_warm"]]
            phases.append(
                {"name": "authors warm-up", "urls": warm, "clients": args.clients,
                 "seconds": args.warmup, "timed": False}
            )  # fmt: skip
            phases.append({"name": "authors", "urls": author_urls, "clients": args.clients, **limit_kw})
            for share in shares:
                phases.append(
                    {"name": f"authors {share:.0%}", "urls": author_urls[::-1], "clients": args.clients,
                     "share": share, "of": "authors", **limit_kw}
                )  # fmt: skip
        if "search" in pages:
            warm = [[f"/search?q={quote_plus(q)}", q] for q in plan["queries_warm"]]
            # Every worker loads the model on its first search: give them time before timing.
            phases.append(
                {"name": "search warm-up", "urls": warm, "clients": args.clients,
                 "seconds": max(args.warmup, 20.0 * args.workers), "timed": False}
            )  # fmt: skip
            phases.append({"name": "search", "urls": search_urls, "clients": args.clients, **limit_kw})
            for share in shares:
                phases.append(
                    {"name": f"search {share:.0%}", "urls": search_urls[::-1], "clients": args.clients,
                     "share": share, "of": "search", **limit_kw}
                )  # fmt: skip
        if "tail" in pages:
            tail = [[f"/authors/{a}", str(a)] for a in plan["prolific"]]
            phases.append({"name": "tail", "urls": tail, "clients": 1, "requests": 2 * len(tail)})
        print(f"  load     : {os.getloadavg()[0]:.2f} before the client starts")
        results = run_client({"base": server.base, "phases": phases}, workdir, server)
    finally:
        server.stop()

    works = plan["works"]
    print()
    print(
        f"results ({args.clients} connections; closed loop, then open loop (Poisson arrivals) at a"
        " share of that throughput, 'page NN% @ R/s'; latency in ms from the arrival, as the client"
        " saw it; srv cpu = CPU ms per request of all server processes; client = the client's CPU share):"
    )
    print(
        f"  {'page':<22} {'requests':>8} {'errors':>6} {'req/s':>9} {'p50':>8} {'p90':>8} {'p99':>8}"
        f" {'max':>9} {'srv cpu':>9} {'client':>8}"
    )
    summary: dict[str, Any] = {}
    for result in results:
        name = result["name"]
        f = figures(result, works if name.startswith(("authors", "tail")) else None)
        summary[name] = f
        label = "tail (1 client)" if name == "tail" else name
        print(_row(label, f))
    for name in summary:
        if summary[name].get("buckets") and "warm-up" not in name:
            print(f"  {name} by the author's works:")
            for b in summary[name]["buckets"]:
                print(
                    f"    {b['works']:>11} works: {b['share']:6.1%} of requests ({b['n']:,}),"
                    f" p50 {b['p50']:.1f} ms, p99 {b['p99']:.1f} ms"
                )
    for name, f in summary.items():
        if f["errors"]:
            print(f"  {name}: statuses {f['statuses']}; e.g. {f['error_samples'][:2]}")
    if "authors" in summary:
        p99 = summary["authors"].get("p99", float("inf"))
        verdict = "met" if p99 <= TARGET_PROFILE_P99_MS else "MISSED"
        print(f"  target: profile page p99 ≤ {TARGET_PROFILE_P99_MS:g} ms: {p99:.1f} ms, {verdict}")
    if "search" in summary:
        mode = "hybrid (keyword + the model's query embedding)" if "vectors" in info else "keyword only"
        print(f"  search mode: {mode}")
    rss = results[-1].get("server_rss_mib", [])
    how = "paperradar serve" if args.workers == 1 else "uvicorn --workers"
    print(
        f"  server workers: {args.workers} ({how}); RSS at the end {', '.join(f'{r:,.0f}' for r in rss)} MiB"
    )
    print(f"  load average {os.getloadavg()[0]:.2f} after; wall time {time.perf_counter() - began:,.0f} s")
    if ib.source_fingerprint() != source:
        print(f"note: src/paperradar changed during the run (now {ib.source_fingerprint()})")
    out = workdir / f"web-{args.works}.results.json"
    out.write_text(
        json.dumps(
            {"args": {k: str(v) for k, v in vars(args).items()}, "summary": summary, "source": source},
            indent=2,
            default=float,
        )
    )
    return 0


def _gib(n: float) -> str:
    return f"{n / 2**30:,.2f} GiB"


if __name__ == "__main__":
    raise SystemExit(main())

"""Embedding throughput of the shipped model on real titles and abstracts (target: ≥ 50/s on 2 cores).

Example:
    python bench/embed_bench.py                 # the default model (int8, 128 tokens), every core
    python bench/embed_bench.py --tokens 256 --fp32 --threads 1

Texts are the real records of the fixtures (arXiv snapshot lines and Semantic Scholar author
papers), embedded as `paperradar index` embeds them: title + abstract, length-sorted batches.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from paperradar.search.embeddings import THREADS, Embedder, work_text

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def real_texts() -> list[str]:
    texts = []
    for line in (FIXTURES / "arxiv_snapshot" / "arxiv-metadata-oai-snapshot.head200.jsonl").open():
        record = json.loads(line)
        texts.append(work_text(record["title"], record["abstract"]))
    for page in sorted((FIXTURES / "semantic_scholar").glob("test_get_author_papers@*.json")):
        for paper in json.loads(page.read_text())["data"]:
            if paper.get("abstract"):
                texts.append(work_text(paper["title"], paper["abstract"]))
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tokens", type=int, default=None, help="max tokens (default: the model's setting)")
    parser.add_argument("--fp32", action="store_true", help="full-precision weights instead of int8")
    parser.add_argument("--threads", type=int, default=THREADS, help=f"torch threads (default {THREADS})")
    parser.add_argument("-n", type=int, default=600, help="how many texts (default 600)")
    args = parser.parse_args()
    kwargs = {"quantized": not args.fp32, "threads": args.threads}
    if args.tokens:
        kwargs["max_tokens"] = args.tokens
    embedder = Embedder(**kwargs)  # type: ignore[arg-type]
    texts = real_texts()[: args.n]
    started = time.perf_counter()
    embedder.embed(texts[:8])
    loaded = time.perf_counter() - started
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    embedder.embed(texts)
    seconds = time.perf_counter() - started
    query = time.perf_counter()
    for text in ("state space models", "protein folding with deep learning", "dark matter halos"):
        embedder.embed_query(text)
    query_ms = (time.perf_counter() - query) / 3 * 1000
    print(f"model      {embedder.name}, {args.threads} threads, {os.cpu_count()} cores")
    print(
        f"texts      {len(texts)} real titles + abstracts, mean {sum(map(len, texts)) / len(texts):.0f} chars"
    )
    print(f"load       {loaded:.1f} s (import + weights + first batch)")
    print(f"throughput {len(texts) / seconds:.1f} texts/s ({seconds:.1f} s)   target ≥ 50/s")
    print(f"query      {query_ms:.1f} ms per query embedding")
    print(f"load avg   {load_before:.2f} before, {os.getloadavg()[0]:.2f} after (other work shares the CPU)")


if __name__ == "__main__":
    main()

"""arXiv categories for papers known only by their arXiv id: `sync hf` and `enrich arxiv`.

One local server plays both upstreams. Hugging Face answers with the recorded 2026-06-12 day.
The arXiv API answers an ``id_list`` the way arXiv does (only the papers it knows, at most
``max_results`` of them, default 10) with real recorded ``<entry>`` elements: for the corpus,
the entries of the recorded feeds as they are; for the Hugging Face papers (June 2026 ids no
recording holds), real entries of the recorded search page with their id rewritten to the paper's
(categories, authors and dates stay the recorded ones, which is what the checks compare to).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from lxml import etree
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from paperradar.cli import app
from paperradar.records import ARXIV_API, HUGGINGFACE
from paperradar.store import schema as t
from paperradar.sync.enrich import ARXIV_BATCH_LIMIT, arxiv_works_to_enrich, enrich_arxiv
from paperradar.sync.hf_papers import sync_days
from paperradar.sync.http import Fetcher, UpstreamError
from tests.conftest import FIXTURES
from tests.replay import Answer, replay_server

API = FIXTURES / "arxiv_api"
SEARCH_PAGE = (API / "q_testing_s0_m100_cfe7536492ca.body.xml").read_bytes()
SINGLE_ID_FEEDS = [
    "id_1707.08567_s0_m100_6a1afebfc6a3.body.xml",
    "id_1605.08386_s0_m100_199195aa31ad.body.xml",
    "id_2104.12255v1_s0_m100_6ae69987ffe1.body.xml",
    "id_astro-ph_0601001_s0_m100_3150dca9dc76.body.xml",
    "id_quant-ph_0201082v1_s0_m100_86989fe779ef.body.xml",
]
# Ids the recordings show arXiv not knowing: left out of a two-id answer, and an empty feed.
UNKNOWN_TO_ARXIV = ["0808.05394", "0000.0000"]
ERROR_FEED = (API / "id_abc_s0_m100_b79c8dcf6bc3.body.xml").read_bytes()  # "incorrect id format for abc"
HF_DAY = (FIXTURES / "huggingface" / "daily_papers.json").read_bytes()
DAY = dt.date(2026, 6, 12)
HF_IDS: list[str] = [item["paper"]["id"] for item in orjson.loads(HF_DAY)]
HF_UPVOTES = {item["paper"]["id"]: item["paper"]["upvotes"] for item in orjson.loads(HF_DAY)}

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
ATOM_HEADERS = {"Content-Type": "application/atom+xml"}


def _canonical(entry: Any) -> str:
    return re.sub(r"v\d+$", "", entry.findtext(ATOM + "id").split("/abs/", 1)[1])


def _entries(body: bytes) -> dict[str, bytes]:
    """Canonical arXiv id → the ``<entry>`` element as recorded."""
    return {_canonical(e): etree.tostring(e) for e in etree.fromstring(body).iter(ATOM + "entry")}


def _categories(entry: bytes) -> tuple[str, list[str]]:
    """(primary, all) as the entry states them, read here without paperradar's parser."""
    root = etree.fromstring(entry)
    terms = [c.get("term") for c in root.iter(ATOM + "category")]
    return root.find(ARXIV + "primary_category").get("term"), terms


def _feed(entries: list[bytes]) -> bytes:
    """The recorded search page's feed around other real entries, its total set to match."""
    root = etree.fromstring(SEARCH_PAGE)
    for entry in root.findall(ATOM + "entry"):
        root.remove(entry)
    root.find(OPENSEARCH + "totalResults").text = str(len(entries))
    for entry in entries:
        root.append(etree.fromstring(entry))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


SEARCH_ENTRIES = _entries(SEARCH_PAGE)
CORPUS_ENTRIES = {**SEARCH_ENTRIES}
for _name in SINGLE_ID_FEEDS:
    CORPUS_ENTRIES.update(_entries((API / _name).read_bytes()))
# The Hugging Face papers as arXiv would answer them: a real entry each, carrying the paper's id.
HF_ENTRIES = {
    hf: bytes(etree.tostring(etree.fromstring(entry.replace(old.encode(), hf.encode()))))
    for hf, (old, entry) in zip(HF_IDS, SEARCH_ENTRIES.items(), strict=False)
}


class Upstream:
    """Hugging Face's ``/api/daily_papers`` and arXiv's ``/api/query`` on one server."""

    def __init__(self, known: dict[str, bytes]) -> None:
        self.known = dict(known)  # what arXiv knows: canonical id → entry
        self.arxiv_status = 200
        self.also_today = ""  # a date answered with the recorded day too (`sync all` asks for today)

    def __call__(self, path: str, query: dict[str, str]) -> Answer:
        if path == "/api/daily_papers":
            day = query["date"] in (DAY.isoformat(), self.also_today)
            return 200, HF_DAY if day else b"[]", {"Content-Type": "application/json"}
        assert path == "/api/query"
        if self.arxiv_status != 200:
            return self.arxiv_status, b"Service Unavailable", {"Content-Type": "text/plain"}
        ids = query["id_list"].split(",")
        if "abc" in ids:
            return 400, ERROR_FEED, ATOM_HEADERS
        found = [self.known[i] for i in ids if i in self.known]
        return 200, _feed(found[: int(query.get("max_results", 10))]), ATOM_HEADERS


# The local server's URL, what it answers, and what it was asked (path, query).
Answers = tuple[str, Upstream, list[tuple[str, dict[str, str]]]]


@pytest.fixture
def upstream() -> Iterator[Answers]:
    answers = Upstream({hf: entry for hf, entry in HF_ENTRIES.items() if hf not in HF_IDS[-2:]})
    with replay_server(answers) as (url, seen):
        yield url, answers, seen


def _asked(seen: list[tuple[str, dict[str, str]]]) -> list[list[str]]:
    """The id lists of the arXiv requests, each checked to let arXiv answer the whole batch."""
    lists = [q["id_list"].split(",") for path, q in seen if path == "/api/query"]
    queries = [q for path, q in seen if path == "/api/query"]
    assert all(int(q["max_results"]) >= len(ids) for q, ids in zip(queries, lists, strict=True))
    return lists


def _flat(batches: list[list[str]]) -> list[str]:
    return [arxiv for batch in batches for arxiv in batch]


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text(
        "[sources.arxiv_api]\nmin_interval = 0\nmax_retries = 0\n[sources.huggingface]\nmin_interval = 0\n"
    )
    return {
        "PAPERRADAR_CONFIG": str(config),
        "PAPERRADAR_CACHE_DIR": str(tmp_path / "cache"),
        "PAPERRADAR_HUGGINGFACE_URL": f"{url}/api",
        "PAPERRADAR_ARXIV_API_URL": f"{url}/api/query",
    }


def _stored(engine: Engine) -> dict[str, tuple[str | None, list[str], int | None, dt.date | None]]:
    """arXiv id → (primary category, categories, Hugging Face upvotes, featured day)."""
    w, wi, c = t.works, t.work_ids, t.community
    with engine.connect() as conn:
        rows = conn.execute(
            select(wi.c.value, w.c.primary_category, w.c.categories, c.c.upvotes, c.c.featured_day)
            .join(w, w.c.id == wi.c.work_id)
            .outerjoin(c, (c.c.work_id == w.c.id) & (c.c.source == HUGGINGFACE))
            .where(wi.c.scheme == "arxiv")
        ).all()
    return {arxiv: (primary, (cats or "").split(), votes, day) for arxiv, primary, cats, votes, day in rows}


def _search(runner: CliRunner, db_url: str, query: str) -> set[str]:
    found = runner.invoke(app, ["--db", db_url, "search", query, "--mode", "lexical", "--json", "-n", "200"])
    assert found.exit_code == 0, found.output
    return {row["arxiv_id"] for row in orjson.loads(found.stdout)["results"]}


def _fetcher(url: str, **options: Any) -> Fetcher:
    return Fetcher(
        "arxiv_api",
        f"{url}/api/query",
        min_interval=0.0,
        user_agent="paperradar-tests",
        sleep=lambda _s: None,
        **options,
    )


# --------------------------------------------------------------------------- sync hf


def test_sync_hf_fills_in_the_categories_of_the_featured_papers(
    engine: Engine, db_url: str, tmp_path: Path, upstream: Answers
) -> None:
    url, _answers, seen = upstream
    runner, env = CliRunner(), _env(tmp_path, url)
    known = HF_IDS[:-2]
    primary, _ = _categories(HF_ENTRIES[known[0]])
    in_primary = {hf for hf in known if primary in _categories(HF_ENTRIES[hf])[1]}
    assert 0 < len(in_primary) < len(known)  # the filter has something to find and something to leave out

    offline = runner.invoke(
        app, ["--db", db_url, "sync", "hf", "--date", "2026-06-12", "--no-categories"], env=env
    )
    assert offline.exit_code == 0, offline.output
    assert _asked(seen) == [] and "arXiv" not in offline.output
    assert _search(runner, db_url, f"cat:{primary}") == set()  # what the daily feed lacked

    result = runner.invoke(app, ["--db", db_url, "sync", "hf", "--date", "2026-06-12"], env=env)
    assert result.exit_code == 0, result.output
    assert "✓ Hugging Face 2026-06-12: 30 papers" in result.output
    assert (
        "✓ arXiv API categories of Hugging Face papers: 30 asked, 28 found, 2 unknown there" in result.output
    )
    assert f"note: arXiv API does not know 2 ids: {HF_IDS[-2]}, {HF_IDS[-1]}" in result.output
    assert [sorted(ids) for ids in _asked(seen)] == [sorted(HF_IDS)]  # one request: 30 ≤ 100

    stored = _stored(engine)
    assert set(stored) == set(HF_IDS)  # merged into the featured works, nothing duplicated
    for hf in HF_IDS:
        main, categories, upvotes, day = stored[hf]
        assert (upvotes, day) == (HF_UPVOTES[hf], DAY)  # Hugging Face's facts intact
        if hf in known:
            assert (main, categories) == _categories(HF_ENTRIES[hf])
        else:
            assert (main, categories) == (None, [])
    assert _search(runner, db_url, f"cat:{primary}") == in_primary

    # The next sync asks again only for the two arXiv did not know (it may know them by then).
    seen.clear()
    again = runner.invoke(app, ["--db", db_url, "sync", "hf", "--date", "2026-06-12"], env=env)
    assert again.exit_code == 0, again.output
    assert [sorted(ids) for ids in _asked(seen)] == [sorted(HF_IDS[-2:])]


def test_a_second_sync_asks_arxiv_nothing_once_every_paper_has_categories(
    db_url: str, tmp_path: Path, upstream: Answers
) -> None:
    url, answers, seen = upstream
    answers.known = dict(HF_ENTRIES)
    runner, env = CliRunner(), _env(tmp_path, url)
    first = runner.invoke(app, ["--db", db_url, "sync", "hf", "--date", "2026-06-12"], env=env)
    assert "30 asked, 30 found, 0 unknown there" in first.output
    seen.clear()
    second = runner.invoke(app, ["--db", db_url, "sync", "hf", "--date", "2026-06-12"], env=env)
    assert second.exit_code == 0, second.output
    assert _asked(seen) == []
    assert "arXiv API categories of Hugging Face papers: every one has them, nothing to ask" in second.output


def test_an_arxiv_failure_keeps_the_hf_papers_and_says_so(
    engine: Engine, db_url: str, tmp_path: Path, upstream: Answers
) -> None:
    url, answers, seen = upstream
    answers.arxiv_status = 503
    runner, env = CliRunner(), _env(tmp_path, url)
    result = runner.invoke(app, ["--db", db_url, "sync", "hf", "--date", "2026-06-12"], env=env)
    assert result.exit_code == 0, result.output  # the day is in; only its categories wait
    assert "✓ Hugging Face 2026-06-12: 30 papers: 30 new" in result.output
    assert "✗ arXiv API categories of Hugging Face papers" in result.output and "503" in result.output
    assert "the Hugging Face papers are stored" in result.output
    assert len(_asked(seen)) == 1
    stored = _stored(engine)
    assert {hf: (votes, day) for hf, (_, _, votes, day) in stored.items()} == {
        hf: (HF_UPVOTES[hf], DAY) for hf in HF_IDS
    }
    assert all(categories == [] for _, categories, _, _ in stored.values())

    answers.arxiv_status = 200  # arXiv is back: the next sync catches up
    later = runner.invoke(app, ["--db", db_url, "sync", "hf", "--date", "2026-06-12"], env=env)
    assert "30 asked, 28 found, 2 unknown there" in later.output
    assert _stored(engine)[HF_IDS[0]][:2] == _categories(HF_ENTRIES[HF_IDS[0]])


def test_the_featured_papers_are_asked_for_in_batches(engine: Engine, upstream: Answers) -> None:
    url, _answers, seen = upstream
    hf = Fetcher("huggingface", f"{url}/api", min_interval=0.0, user_agent="paperradar-tests")
    sync_days(engine, hf, DAY, DAY)
    works = arxiv_works_to_enrich(engine, featured_only=True)
    result = enrich_arxiv(engine, _fetcher(url), works, chunk_size=12)
    asked = _asked(seen)
    assert [len(ids) for ids in asked] == [12, 12, 6]
    assert sorted(_flat(asked)) == sorted(HF_IDS)
    assert (result.requested, result.found, result.not_found) == (30, 28, 2)
    assert sorted(result.unknown) == sorted(HF_IDS[-2:])
    assert result.counts.skipped == 2  # kept, with why, for `paperradar quarantine`
    with pytest.raises(ValueError, match=f"between 1 and {ARXIV_BATCH_LIMIT}"):
        enrich_arxiv(engine, _fetcher(url), works, chunk_size=ARXIV_BATCH_LIMIT + 1)


# --------------------------------------------------------------------------- enrich arxiv


def _corpus(tmp_path: Path, ids: list[str]) -> Path:
    """A CSL JSON library of real papers (title, authors, year from their recorded arXiv entry,
    or a placeholder for the ids arXiv does not know), by arXiv URL and without categories."""
    items = []
    for number, arxiv in enumerate(ids, start=1):
        entry = etree.fromstring(CORPUS_ENTRIES[arxiv]) if arxiv in CORPUS_ENTRIES else None
        title = (
            " ".join((entry.findtext(ATOM + "title") or "").split())
            if entry is not None
            else f"Paper {arxiv}"
        )
        names = [a.findtext(ATOM + "name") for a in entry.iter(ATOM + "author")] if entry is not None else []
        year = int((entry.findtext(ATOM + "published") or "2000")[:4]) if entry is not None else 2008
        items.append(
            {
                "id": f"item{number}",
                "type": "article",
                "title": title,
                "author": [{"literal": name} for name in names],
                "issued": {"date-parts": [[year]]},
                "URL": f"https://arxiv.org/abs/{arxiv}",
            }
        )
    path = tmp_path / "library.json"
    path.write_bytes(orjson.dumps(items))
    return path


def test_enrich_arxiv_fills_a_corpus_in_batches_of_100(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ids = [*CORPUS_ENTRIES, *UNKNOWN_TO_ARXIV]
    assert len(ids) == 107
    runner = CliRunner()
    imported = runner.invoke(app, ["--db", db_url, "import", str(_corpus(tmp_path, ids))])
    assert imported.exit_code == 0, imported.output
    assert all(categories == [] for _, categories, _, _ in _stored(engine).values())

    with replay_server(Upstream(CORPUS_ENTRIES)) as (url, seen):
        env = _env(tmp_path, url)
        result = runner.invoke(app, ["--db", db_url, "enrich", "arxiv"], env=env)
        assert result.exit_code == 0, result.output
        assert "✓ arXiv API categories of works: 107 asked, 105 found, 2 unknown there" in result.output
        assert "note: arXiv API does not know 2 ids: 0808.05394, 0000.0000" in result.output
        asked = _asked(seen)
        assert [len(batch) for batch in asked] == [100, 7]
        assert sorted(_flat(asked)) == sorted(ids)

        stored = _stored(engine)
        assert len(stored) == 107
        for arxiv, entry in CORPUS_ENTRIES.items():
            assert stored[arxiv][:2] == _categories(entry), arxiv
        with engine.connect() as conn:
            from_arxiv = conn.execute(
                select(func.count()).select_from(t.work_sources).where(t.work_sources.c.source == ARXIV_API)
            ).scalar_one()
        assert from_arxiv == 105  # filed as arXiv API records beside the imported ones
        assert _search(runner, db_url, "cat:astro-ph") == {
            arxiv for arxiv, entry in CORPUS_ENTRIES.items() if "astro-ph" in " ".join(_categories(entry)[1])
        }

        seen.clear()
        again = runner.invoke(app, ["--db", db_url, "enrich", "arxiv"], env=env)
        assert "2 asked, 0 found, 2 unknown there" in again.output
        assert _asked(seen) == [UNKNOWN_TO_ARXIV]

        seen.clear()
        refresh = runner.invoke(app, ["--db", db_url, "enrich", "arxiv", "--all", "--limit", "5"], env=env)
        assert "5 asked, 5 found, 0 unknown there" in refresh.output and "5 unchanged" in refresh.output
        assert [len(batch) for batch in _asked(seen)] == [5]

    helped = runner.invoke(app, ["enrich", "--help"])
    assert "paperradar enrich arxiv" in helped.output and "--all" in helped.output
    wrong = runner.invoke(app, ["--db", db_url, "enrich", "arxiv", "--authors"], env=env)
    assert wrong.exit_code != 0 and "for s2 and openalex" in wrong.output


def test_an_interrupted_enrichment_resumes_after_its_last_batch(engine: Engine, tmp_path: Path) -> None:
    from paperradar.ingest import import_file

    ids = list(SEARCH_ENTRIES)[:30]
    assert import_file(engine, _corpus(tmp_path, ids)).ok
    works = arxiv_works_to_enrich(engine, refresh=True)
    answers = Upstream(CORPUS_ENTRIES)
    with replay_server(answers) as (url, seen):
        calls = 0

        def fail_second(_done: int, _total: int) -> None:
            nonlocal calls
            calls += 1
            if calls == 1:
                answers.arxiv_status = 503  # the next batch fails

        with pytest.raises(UpstreamError, match="503"):
            enrich_arxiv(
                engine,
                _fetcher(url, max_retries=0),
                works,
                chunk_size=10,
                selection="all",
                on_batch=fail_second,
            )
        done = {arxiv for arxiv, (main, _, _, _) in _stored(engine).items() if main}
        assert done == set(_flat(_asked(seen)[:1]))  # the first batch was committed
        answers.arxiv_status = 200
        seen.clear()
        result = enrich_arxiv(
            engine, _fetcher(url), arxiv_works_to_enrich(engine, refresh=True), chunk_size=10, selection="all"
        )
    assert result.resumed and result.requested == 20
    assert sorted(_flat(_asked(seen))) == sorted(set(ids) - done)
    assert all(main for main, _, _, _ in _stored(engine).values())


def test_a_malformed_id_is_left_out_and_the_rest_asked_for(engine: Engine, tmp_path: Path) -> None:
    from paperradar.ingest import import_file

    ids = list(SEARCH_ENTRIES)[:3]
    assert import_file(engine, _corpus(tmp_path, ids)).ok
    works = [*arxiv_works_to_enrich(engine), (10**6, {"arxiv": "abc"})]
    with replay_server(Upstream(CORPUS_ENTRIES)) as (url, seen):
        result = enrich_arxiv(engine, _fetcher(url), works)
    assert [sorted(batch) for batch in _asked(seen)] == [sorted([*ids, "abc"]), sorted(ids)]
    assert (result.found, result.not_found, result.unknown) == (3, 1, ["abc"])
    assert "arXiv API does not know 1 id: abc" in result.counts.notes


def test_sync_all_fills_categories_of_the_featured_papers_then_of_the_corpus(
    engine: Engine, db_url: str, tmp_path: Path, upstream: Answers
) -> None:
    url, answers, seen = upstream
    answers.known.update(CORPUS_ENTRIES)
    answers.also_today = dt.datetime.now(dt.UTC).date().isoformat()
    corpus = list(SEARCH_ENTRIES)[-3:]  # not among the entries the Hugging Face answers borrow
    runner, env = CliRunner(), _env(tmp_path, url)
    assert runner.invoke(app, ["--db", db_url, "import", str(_corpus(tmp_path, corpus))]).exit_code == 0
    config = Path(env["PAPERRADAR_CONFIG"])
    config.write_text(
        config.read_text()
        + "[huggingface]\ndays_back = 1\n[sources.semantic_scholar]\nenabled = false\n"
        + "[sources.openalex]\nenabled = false\n"
    )
    result = runner.invoke(app, ["--db", db_url, "sync", "all"], env=env)
    assert result.exit_code == 0, result.output
    assert (
        "✓ arXiv API categories of Hugging Face papers: 30 asked, 28 found, 2 unknown there" in result.output
    )
    assert "✓ arXiv API categories of works: 3 asked, 3 found, 0 unknown there" in result.output
    assert "3 of 3 syncs done" in result.output
    # The featured papers first, then the rest of the corpus, without the two just found unknown.
    assert [sorted(ids) for ids in _asked(seen)] == [sorted(HF_IDS), sorted(corpus)]
    stored = _stored(engine)
    assert all(stored[arxiv][:2] == _categories(CORPUS_ENTRIES[arxiv]) for arxiv in corpus)

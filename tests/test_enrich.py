"""Enriching stored works from Semantic Scholar and OpenAlex batch look-ups, against a local server.

The store is filled from BibTeX written from real recorded records (the titles, authors, years
and DOIs of the papers in the recorded S2 batch answer and of the recorded OpenAlex work); the
server answers with those same recorded papers, so what enrichment writes can be checked
against what the services really said.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from paperradar.cli import app
from paperradar.ingest import import_file
from paperradar.store import schema as t
from paperradar.sync.enrich import (
    OPENALEX_BATCH_LIMIT,
    S2_BATCH_LIMIT,
    S2_FIELDS,
    enrich_openalex,
    enrich_s2,
    works_to_enrich,
)
from paperradar.sync.http import Fetcher, UpstreamError
from tests.conftest import FIXTURES
from tests.replay import Answer, Request, serve

S2_BATCH = FIXTURES / "semantic_scholar" / "test_get_papers_return_not_found@73c7726.00.200.json"
S2_PAPERS: list[dict[str, Any]] = [paper for paper in orjson.loads(S2_BATCH.read_bytes()) if paper]
OPENALEX_WORK: dict[str, Any] = orjson.loads(
    (FIXTURES / "openalex" / "api" / "W2741809807.json").read_bytes()
)
OPENALEX_DOI = "10.7717/peerj.4375"
LIBRARY = FIXTURES / "bibtex" / "library.bib"

JSON = {"Content-Type": "application/json"}


class S2:
    """Answers ``POST /paper/batch`` like S2: one slot per id, the recorded paper or null."""

    def __init__(self) -> None:
        self.known = {f"DOI:{p['externalIds']['DOI'].lower()}": p for p in S2_PAPERS}
        self.failing: set[int] = set()  # numbers of the requests answered with a 500
        self.requests = 0

    def __call__(self, method: str, path: str, query: dict[str, str], body: bytes) -> Answer:
        assert (method, path) == ("POST", "/graph/v1/paper/batch")
        self.requests += 1
        if self.requests in self.failing:
            return 500, b'{"message": "Internal Server Error"}', JSON
        return 200, orjson.dumps([self.known.get(i) for i in orjson.loads(body)["ids"]]), JSON


class OpenAlex:
    """Answers ``GET /works?filter=doi:…`` (or ``openalex:…``) with a list page of the recorded
    works it holds."""

    def __init__(self) -> None:
        self.works = [OPENALEX_WORK]

    def __call__(self, method: str, path: str, query: dict[str, str], body: bytes) -> Answer:
        assert method == "GET"
        if path.startswith("/works/"):  # a single look-up
            return 404, b'{"error": "Not Found"}', JSON
        assert path == "/works"
        scheme, _, values = query["filter"].partition(":")
        asked = {value.lower() for value in values.split("|")}
        field, prefix = {"doi": ("doi", "https://doi.org/"), "openalex": ("id", "https://openalex.org/")}[
            scheme
        ]
        results = [w for w in self.works if (w[field] or "").removeprefix(prefix).lower() in asked]
        return 200, orjson.dumps({"meta": {"count": len(results)}, "results": results}), JSON


def _fetcher(source: str, url: str, **options: Any) -> Fetcher:
    return Fetcher(
        source, url, min_interval=0.0, user_agent="paperradar-tests", sleep=lambda _s: None, **options
    )


def _bibtex(key: str, title: str, authors: list[str], year: int, doi: str) -> str:
    fields = {"title": title, "author": " and ".join(authors), "year": year, "doi": doi}
    return f"@article{{{key},\n" + ",\n".join(f" {k} = {{{v}}}" for k, v in fields.items()) + "\n}\n"


def _select(
    engine: Engine,
    source: str,
    *,
    missing_only: bool = False,
    author: str | None = None,
    limit: int | None = None,
) -> list[tuple[int, dict[str, str]]]:
    return works_to_enrich(engine, source, missing_only=missing_only, author=author, limit=limit)


def _library(tmp_path: Path) -> Path:
    """The OpenAlex work (which S2's recorded batch does not hold), then the three S2 papers."""
    oa = OPENALEX_WORK
    entries = [
        _bibtex(
            "piwowar2018",
            oa["display_name"],
            [a["author"]["display_name"] for a in oa["authorships"]],
            oa["publication_year"],
            OPENALEX_DOI,
        )
    ]
    entries += [
        _bibtex(
            p["paperId"][:8],
            p["title"],
            [a["name"] for a in p["authors"]],
            p["year"],
            p["externalIds"]["DOI"],
        )
        for p in S2_PAPERS
    ]
    path = tmp_path / "enrich.bib"
    path.write_text("\n".join(entries), encoding="utf-8")
    return path


@pytest.fixture
def library(engine: Engine, tmp_path: Path) -> Engine:
    result = import_file(engine, _library(tmp_path))
    assert result.ok and result.counts.new == 4
    return engine


def _counts(engine: Engine, source: str) -> dict[str, tuple[Any, ...]]:
    """DOI → (citations, influential, references, counts by year) from ``source``."""
    cc, wi = t.citation_counts, t.work_ids
    with engine.connect() as conn:
        rows = conn.execute(
            select(wi.c.value, cc.c.citations, cc.c.influential, cc.c.references, cc.c.counts_by_year)
            .join(cc, cc.c.work_id == wi.c.work_id)
            .where(cc.c.source == source, wi.c.scheme == "doi")
        ).all()
    return {doi: (c, i, r, orjson.loads(y) if y else None) for doi, c, i, r, y in rows}


def _asked(seen: list[Request]) -> list[list[str]]:
    return [orjson.loads(body)["ids"] for _, _, _, body in seen]


# --------------------------------------------------------------------------- selection


def test_the_selection_by_source_author_and_limit(library: Engine) -> None:
    import_file(library, LIBRARY)  # 3 without ids, 2 with an arXiv id, 2 with an arXiv id and a DOI
    s2 = _select(library, "s2")
    assert [w for w, _ in s2] == sorted(w for w, _ in s2) and len(s2) == 4 + 4
    assert s2[0][1] == {"doi": OPENALEX_DOI}
    assert {"arxiv": "0704.0001", "doi": "10.1103/physrevd.76.013009"} in [ids for _, ids in s2]
    duflo = _select(library, "semantic_scholar", author="dUfLo")
    assert [ids["doi"] for _, ids in duflo] == [p["externalIds"]["DOI"] for p in S2_PAPERS]
    assert _select(library, "openalex", author="Duflo", limit=2) == duflo[:2]
    assert _select(library, "s2", author="nobody_%") == []
    with pytest.raises(ValueError, match="use s2 or openalex"):
        _select(library, "crossref")


# --------------------------------------------------------------------------- Semantic Scholar


def test_s2_batch_fills_citation_counts_and_author_ids(library: Engine) -> None:
    works = _select(library, "s2")
    upstream = S2()
    with serve(upstream) as (url, seen):
        result = enrich_s2(library, _fetcher("semantic_scholar", f"{url}/graph/v1"), works)
    assert (result.requested, result.found, result.not_found, result.resumed) == (4, 3, 1, False)
    assert (result.counts.new, result.counts.merged, result.counts.skipped) == (0, 3, 1)
    assert len(seen) == 1
    asked = _asked(seen)[0]
    assert asked == [f"DOI:{OPENALEX_DOI}"] + [f"DOI:{p['externalIds']['DOI']}" for p in S2_PAPERS]
    assert seen[0][2] == {"fields": S2_FIELDS}
    # The answer the server built is the recorded one, null slot first.
    assert [upstream.known.get(i) for i in asked] == orjson.loads(S2_BATCH.read_bytes())
    assert _counts(library, "semantic_scholar") == {
        p["externalIds"]["DOI"]: (
            p["citationCount"],
            p["influentialCitationCount"],
            p["referenceCount"],
            None,
        )
        for p in S2_PAPERS
    }
    with library.connect() as conn:
        s2_authors: dict[str, str] = dict(
            conn.execute(
                select(t.authorships.c.name, t.author_ids.c.value)
                .join(t.author_ids, t.author_ids.c.author_id == t.authorships.c.author_id)
                .where(t.author_ids.c.scheme == "s2")
            ).all()
        )
    assert s2_authors["Marianne Bertrand"] == "81141608"
    assert s2_authors["E. Duflo"] == "2259683"
    # The S2 ids work for the author filter.
    by_id = _select(library, "s2", author="81141608")
    assert [ids["doi"] for _, ids in by_id] == [S2_PAPERS[0]["externalIds"]["DOI"]]


def test_missing_only_asks_again_only_for_what_s2_did_not_know(library: Engine) -> None:
    with serve(S2()) as (url, seen):
        fetcher = _fetcher("semantic_scholar", f"{url}/graph/v1")
        enrich_s2(library, fetcher, _select(library, "s2", missing_only=True))
        seen.clear()
        again = _select(library, "s2", missing_only=True)
        result = enrich_s2(library, fetcher, again)
        assert _asked(seen) == [[f"DOI:{OPENALEX_DOI}"]]
        assert (result.requested, result.found, result.not_found) == (1, 0, 1)
        seen.clear()
        duflo = _select(library, "s2", missing_only=True, author="Duflo")
        nothing = enrich_s2(library, fetcher, duflo)
    assert duflo == [] and seen == [] and nothing.requested == 0


def test_arxiv_ids_are_preferred_and_batches_hold_at_most_500_ids(engine: Engine) -> None:
    import_file(engine, LIBRARY)
    works = _select(engine, "s2")
    many = works * 200  # the same four works over and over: only the request sizes matter here
    with serve(S2()) as (url, seen):
        result = enrich_s2(engine, _fetcher("semantic_scholar", f"{url}/graph/v1"), many)
    assert [len(ids) for ids in _asked(seen)] == [S2_BATCH_LIMIT, len(many) - S2_BATCH_LIMIT]
    assert _asked(seen)[0][:3] == ["ARXIV:2208.04425", "ARXIV:2202.13903", "ARXIV:0704.0001"]
    assert (result.requested, result.not_found) == (len(many), len(many))
    with pytest.raises(ValueError, match="between 1 and 500"):
        enrich_s2(engine, _fetcher("semantic_scholar", "http://127.0.0.1:9"), works, chunk_size=501)


def test_an_interrupted_enrichment_resumes_after_the_last_committed_chunk(library: Engine) -> None:
    works = _select(library, "s2")
    upstream = S2()
    upstream.failing = {2}
    with serve(upstream) as (url, seen):
        with pytest.raises(UpstreamError, match="Semantic Scholar"):
            enrich_s2(
                library, _fetcher("semantic_scholar", f"{url}/graph/v1", max_retries=0), works, chunk_size=2
            )
        first_chunk = works[1][1]["doi"]
        assert set(_counts(library, "semantic_scholar")) == {first_chunk}  # chunk 1 was committed
        with library.connect() as conn:
            position, state = conn.execute(
                select(t.checkpoints.c.position, t.checkpoints.c.state).where(
                    t.checkpoints.c.key == "sync:enrich:semantic_scholar"
                )
            ).one()
        assert (position, orjson.loads(state)["last_work_id"]) == (2, works[1][0])
        seen.clear()
        result = enrich_s2(library, _fetcher("semantic_scholar", f"{url}/graph/v1"), works, chunk_size=2)
        assert result.resumed and (result.requested, result.found) == (2, 2)
        assert _asked(seen) == [[f"DOI:{p['externalIds']['DOI']}" for p in S2_PAPERS[1:]]]
        assert set(_counts(library, "semantic_scholar")) == {p["externalIds"]["DOI"] for p in S2_PAPERS}
        # Finished: the next run starts from the beginning again.
        seen.clear()
        fresh = enrich_s2(library, _fetcher("semantic_scholar", f"{url}/graph/v1"), works)
    assert not fresh.resumed and fresh.requested == 4


def test_an_interrupted_run_of_another_selection_is_not_resumed(library: Engine) -> None:
    works = _select(library, "s2")
    upstream = S2()
    upstream.failing = {2}
    with serve(upstream) as (url, seen):
        with pytest.raises(UpstreamError):
            enrich_s2(
                library,
                _fetcher("semantic_scholar", f"{url}/graph/v1", max_retries=0),
                works,
                chunk_size=2,
                selection="--author Duflo",
            )
        seen.clear()
        result = enrich_s2(library, _fetcher("semantic_scholar", f"{url}/graph/v1"), works, selection="")
    assert not result.resumed and result.requested == 4 and len(_asked(seen)[0]) == 4


# --------------------------------------------------------------------------- OpenAlex


def test_openalex_filter_lookup_fills_counts_per_year_and_author_ids(library: Engine) -> None:
    import_file(library, LIBRARY)
    works = _select(library, "openalex", author="Piwowar")
    works += _select(library, "openalex", author="Gallego-Posada")
    with serve(OpenAlex()) as (url, seen):
        result = enrich_openalex(library, _fetcher("openalex", url), works)
    assert (result.requested, result.found, result.not_found) == (2, 1, 1)
    assert (result.counts.new, result.counts.merged) == (0, 1)
    assert [(method, path) for method, path, _, _ in seen] == [("GET", "/works")]
    assert seen[0][2]["filter"] == f"doi:{OPENALEX_DOI}|10.48550/arxiv.2208.04425"
    assert int(seen[0][2]["per-page"]) >= OPENALEX_BATCH_LIMIT
    by_year = {str(c["year"]): c["cited_by_count"] for c in OPENALEX_WORK["counts_by_year"]}
    references = OPENALEX_WORK["referenced_works_count"]
    assert _counts(library, "openalex") == {
        OPENALEX_DOI: (OPENALEX_WORK["cited_by_count"], None, references, by_year)
    }
    with library.connect() as conn:
        ids: dict[str, str] = dict(
            conn.execute(
                select(t.author_ids.c.scheme, t.author_ids.c.value)
                .join(t.authorships, t.authorships.c.author_id == t.author_ids.c.author_id)
                .where(t.authorships.c.name == "Heather Piwowar")
            ).all()
        )
        work_ids = set(
            conn.execute(
                select(t.work_ids.c.scheme, t.work_ids.c.value).where(t.work_ids.c.work_id == works[0][0])
            ).all()
        )
    assert ids == {"openalex": "A5048491430", "orcid": "0000-0003-1613-5981"}
    assert {("openalex", "W2741809807"), ("doi", OPENALEX_DOI), ("pmid", "29456894")} <= work_ids
    # Now that the work has its OpenAlex id, it is looked up by it.
    again = _select(library, "openalex", author="Piwowar")
    assert again[0][1]["openalex"] == "W2741809807"
    assert _select(library, "openalex", missing_only=True, author="Piwowar") == []
    assert _select(library, "openalex", author="A5048491430") == again
    assert _select(library, "openalex", author="0000-0003-1613-5981") == again
    with serve(OpenAlex()) as (url, seen):
        refreshed = enrich_openalex(library, _fetcher("openalex", url), again)
    assert seen[0][2]["filter"] == "openalex:W2741809807"
    assert (refreshed.found, refreshed.counts.new, refreshed.counts.unchanged) == (1, 0, 1)


def test_openalex_duplicates_are_left_out_and_odd_dois_asked_alone(library: Engine) -> None:
    works = _select(library, "openalex", author="Piwowar")
    upstream = OpenAlex()
    twin = {**OPENALEX_WORK, "id": "https://openalex.org/W1"}  # OpenAlex filing the DOI twice
    upstream.works = [OPENALEX_WORK, twin]
    odd = (10**6, {"doi": "10.1000/a,b|c"})  # commas and pipes separate filter values
    with serve(upstream) as (url, seen):
        unknown = (10**6 + 1, {"s2": S2_PAPERS[0]["paperId"]})  # OpenAlex cannot look S2 ids up
        result = enrich_openalex(library, _fetcher("openalex", url), [*works, odd, unknown])
    assert (result.requested, result.found, result.not_found) == (2, 1, 1)
    assert "works without an id OpenAlex can look up: 1" in result.counts.notes
    assert [path for _, path, _, _ in seen] == ["/works", "/works/doi:10.1000/a%2Cb%7Cc"]
    assert any("1 more works" in note for note in result.counts.notes)
    with library.connect() as conn:
        assert conn.execute(select(t.work_ids.c.work_id).where(t.work_ids.c.value == "W1")).first() is None


def test_the_enrich_command(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["--db", db_url, "import", str(_library(tmp_path))]).exit_code == 0
    with serve(S2()) as (url, seen):
        env = {
            "PAPERRADAR_CONFIG": str(tmp_path / "config.toml"),
            "PAPERRADAR_CACHE_DIR": str(tmp_path / "cache"),
            "PAPERRADAR_SEMANTIC_SCHOLAR_URL": f"{url}/graph/v1",
            "PAPERRADAR_SEMANTIC_SCHOLAR_KEY": "s2-secret-key-0123456789",
        }
        result = runner.invoke(app, ["--db", db_url, "enrich", "s2", "--missing-only"], env=env)
    assert result.exit_code == 0, result.output
    assert "✓ Semantic Scholar: 4 asked, 3 found, 1 unknown there" in result.output
    assert "s2-secret-key-0123456789" not in result.output
    assert len(seen) == 1
    wrong = runner.invoke(app, ["--db", db_url, "enrich", "crossref"], env=env)
    assert wrong.exit_code != 0 and "choose s2 or openalex" in wrong.output

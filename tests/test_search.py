"""Hybrid search, related papers and similar authors over real records and real embeddings.

One store per backend is built for the module (importing, keyword indexing and embedding
~390 real works with the shipped model takes a while), and every test reads from it;
tests that change the store build their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, func, select

from paperradar.ingest import import_file
from paperradar.search import embedding_job
from paperradar.search import vectors as vector_module
from paperradar.search.embedding_job import embed_pending
from paperradar.search.embeddings import DIM, Embedder, work_text
from paperradar.search.hybrid import Mode, Searcher
from paperradar.search.similar_authors import similar_authors
from paperradar.store import queries
from paperradar.store import schema as t
from paperradar.store.database import open_store
from tests.conftest import BACKENDS, FIXTURES, empty_store_url

CORPUS = [
    FIXTURES / "arxiv_snapshot" / "arxiv-metadata-oai-snapshot.head200.jsonl",
    FIXTURES / "huggingface" / "daily_papers.json",
    FIXTURES / "semantic_scholar" / "test_get_paper_references@ae6c154.00.200.json",
    FIXTURES / "semantic_scholar" / "test_get_paper_references@ae6c154.01.200.json",
    FIXTURES / "paperswithcode" / "links-between-papers-and-code.documented_example.json",
    FIXTURES / "bibtex" / "library.bib",
]
MORE = FIXTURES / "arxiv_api" / "q_testing_s0_m100_cfe7536492ca.body.xml"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder()


def build(engine: Engine, embedder: Embedder, files: list[Path]) -> Searcher:
    for path in files:
        import_file(engine, path)
    searcher = Searcher(engine, embedder)
    searcher.lexical.catch_up(engine)
    embed_pending(engine, embedder)
    searcher.vectors.catch_up(engine, embedder.name)
    return searcher


@pytest.fixture(scope="module", params=BACKENDS)
def searcher(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Iterator[Searcher]:
    with empty_store_url(request.param, tmp_path_factory.mktemp("search")) as url:
        engine = open_store(url)
        yield build(engine, embedder, CORPUS)
        engine.dispose()


def work(searcher: Searcher, ident: str) -> int:
    with searcher.engine.connect() as conn:
        found = queries.resolve_work(conn, ident)
    assert found is not None, ident
    return found


def ids(searcher: Searcher, text: str, limit: int = 10, mode: Mode = "hybrid") -> list[int]:
    return [h.work_id for h in searcher.search(text, limit, mode).hits]


def test_every_work_with_text_is_embedded_once(searcher: Searcher) -> None:
    with searcher.engine.connect() as conn:
        works = conn.execute(select(t.works.c.id)).scalars().all()
        rows = conn.execute(select(t.embeddings.c.work_id, t.embeddings.c.vector)).all()
    assert len(rows) == len(works) == 383
    assert all(len(vector) == DIM * 2 for _, vector in rows)
    assert len(searcher.vectors) == 383


def test_an_exact_id_or_title_comes_first(searcher: Searcher) -> None:
    diphoton = work(searcher, "0704.0001")
    result = searcher.search("0704.0001")
    assert result.hits[0].work_id == diphoton and result.hits[0].pinned == "id"
    assert searcher.search("arXiv:0704.0001v2").hits[0].work_id == diphoton
    assert searcher.search("10.1103/PhysRevD.76.013009").hits[0].work_id == diphoton
    title = "calculation of prompt diphoton production cross sections at tevatron and LHC energies"
    hit = searcher.search(title).hits[0]
    assert (hit.work_id, hit.pinned) == (diphoton, "title")


def test_a_paraphrase_is_found_by_meaning_where_words_fail(searcher: Searcher) -> None:
    # No word of the title; "photons", "QCD" and "perturbative" are in the abstract but not all words are.
    text = "pairs of photons created in hadron collisions computed in perturbative QCD"
    assert searcher.search(text, mode="lexical").hits == []
    assert ids(searcher, text, limit=3)[0] == work(searcher, "0704.0001")
    sparse = "making deep networks sparse by removing most of their parameters"
    assert work(searcher, "2208.04425") in ids(searcher, sparse, limit=3)


def test_hybrid_keeps_what_keywords_find(searcher: Searcher) -> None:
    lexical = ids(searcher, "diphoton production", mode="lexical", limit=5)
    hybrid = ids(searcher, "diphoton production", limit=5)
    assert lexical[0] == hybrid[0] == work(searcher, "0704.0001")
    hit = searcher.search("diphoton production").hits[0]
    assert hit.lexical_rank == 1 and hit.dense_rank is not None  # both rankings agree, and say so


def test_filters_hold_for_every_result(searcher: Searcher) -> None:
    with searcher.engine.connect() as conn:
        facts = {
            row.id: row
            for row in conn.execute(
                select(t.works.c.id, t.works.c.categories, t.works.c.year, t.works.c.has_code)
            )
        }
    for mode in ("hybrid", "semantic", "lexical"):
        in_cat = ids(searcher, "quark scattering cat:hep-ph", mode=mode, limit=50)
        assert in_cat and all("hep-ph" in facts[w].categories.split() for w in in_cat), mode
        archive = ids(searcher, "galaxies cat:astro-ph", mode=mode, limit=50)
        assert archive and all("astro-ph" in facts[w].categories for w in archive), mode
        coded = ids(searcher, "language model agents has:code", mode=mode, limit=50)
        assert coded and all(facts[w].has_code for w in coded), mode
        recent = ids(searcher, "neural networks year:2020..2022", mode=mode, limit=50)
        assert recent and all(2020 <= (facts[w].year or 0) <= 2022 for w in recent), mode
    with_author = ids(searcher, "cross sections au:balazs")  # accents folded: Balázs
    assert with_author == [work(searcher, "0704.0001")]
    assert work(searcher, "0704.0001") not in ids(searcher, "diphoton -tevatron", limit=50)


def test_filters_alone_list_the_newest_matching_works(searcher: Searcher) -> None:
    hits = searcher.search("cat:hep-ph year:2007", limit=500).hits
    with searcher.engine.connect() as conn:
        expected = (
            conn.execute(
                select(t.works.c.id).where(t.works.c.categories.like("%hep-ph%"), t.works.c.year == 2007)
            )
            .scalars()
            .all()
        )
        days = dict(conn.execute(select(t.works.c.id, t.works.c.published)).all())
    assert sorted(h.work_id for h in hits) == sorted(expected)
    shown = [days[h.work_id] for h in hits]
    assert shown == sorted(shown, reverse=True)


EMPTY = "the query is empty: type some words, or a filter such as cat:cs.LG"
NO_VALUE = "a filter needs a value, e.g. cat:cs.LG or au:hinton"


@pytest.mark.parametrize(
    ("text", "plain", "notes"),
    [
        # Words among the noise: the same papers as the plain words, and a note for what was dropped.
        pytest.param('"galaxies', "galaxies", [], id="open-quote"),  # an unclosed quote runs to the end
        pytest.param("AND OR NOT", "not", [], id="operators"),  # nothing to join; NOT is only a word
        pytest.param(
            "title: ^~* [1 TO 2]",
            "1 TO 2",
            [f"ignored 'title:': {NO_VALUE}", "ignored '^~*': no words in it"],
            id="syntax",
        ),
        pytest.param("x" * 10_000, None, ["the query was cut to its first 2,000 characters"], id="10k"),
        # Nothing to search for: no papers, and the notes say why.
        pytest.param("\x00\x07", None, [EMPTY], id="control-chars"),
        pytest.param("", None, [EMPTY], id="empty"),
        pytest.param("cat:", None, [f"ignored 'cat:': {NO_VALUE}", EMPTY], id="cat"),
        pytest.param("-", None, ["ignored '-': no words in it", EMPTY], id="dash"),
        pytest.param("*:*", None, ["ignored '*:*': no words in it", EMPTY], id="star"),
        pytest.param(
            "year:99999",
            None,
            ["ignored year:'99999': use year:2023, year:2023..2025 or year:2020..", EMPTY],
            id="year",
        ),
        pytest.param("au:", None, [f"ignored 'au:': {NO_VALUE}", EMPTY], id="au"),
        pytest.param("😀", None, ["ignored '😀': no words in it", EMPTY], id="emoji"),
    ],
)
def test_hostile_queries_answer_as_the_plain_query_or_say_why_not(
    searcher: Searcher, text: str, plain: str | None, notes: list[str]
) -> None:
    result = searcher.search(text)
    assert result.notes == notes
    if plain is None:
        assert result.hits == []
    else:
        expected = searcher.search(plain)
        assert expected.hits and expected.notes == []  # the plain query finds papers without a word to say
        assert [h.work_id for h in result.hits] == [h.work_id for h in expected.hits]


def test_related_papers_are_the_exact_nearest_neighbours(searcher: Searcher) -> None:
    target = work(searcher, "2208.04425")  # a sparsity paper among the S2 references
    with searcher.engine.connect() as conn:
        rows = conn.execute(select(t.embeddings.c.work_id, t.embeddings.c.vector)).all()
    matrix = {w: np.frombuffer(v, dtype="<f2").astype(np.float32) for w, v in rows}
    sims = {w: float(v @ matrix[target]) for w, v in matrix.items() if w != target}
    expected = sorted(sims, key=lambda w: -sims[w])[:10]
    related = searcher.related(target, 10, mode="semantic")
    assert [h.work_id for h in related.hits] == expected
    assert [round(h.similarity or 0, 4) for h in related.hits] == [round(sims[w], 4) for w in expected]


def test_similar_authors_are_other_people_working_on_the_same_things(searcher: Searcher) -> None:
    with searcher.engine.connect() as conn:
        balazs = queries.find_authors(conn, "Balazs, C.")[0]
    found = similar_authors(searcher.engine, searcher.vectors, balazs["id"], 5)
    assert found and balazs["id"] not in [a.author_id for a in found]
    assert [a.score for a in found] == sorted((a.score for a in found), reverse=True)
    coauthors = {"E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"}
    assert {a.name for a in found if a.coauthor} <= coauthors
    with searcher.engine.connect() as conn:
        closest = queries.work_summaries(conn, [a.closest_work for a in found])
    assert all(0 < a.score <= 1 for a in found)
    assert closest[found[0].closest_work]["primary_category"] == "hep-ph"  # a particle physicist first


def test_the_graph_path_finds_what_exact_search_finds(
    searcher: Searcher, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    exact = searcher.vectors
    monkeypatch.setattr(vector_module, "EXACT_LIMIT", 50)
    graph = vector_module.VectorIndex(tmp_path / "vectors")
    graph.catch_up(searcher.engine, exact.state.model)
    assert graph.state.graph_rows == 383
    recall = []
    for target in list(range(1, 384, 7)):
        query = exact.vector_of(target)
        if query is None:
            continue
        truth = {w for w, _ in exact.search(query, 10)}
        recall.append(len(truth & {w for w, _ in graph.search(query, 10)}) / 10)
    assert np.mean(recall) >= 0.95


def texts(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(t.works.c.id, t.works.c.title, t.works.c.abstract)).all()
    return {w: work_text(title, abstract) for w, title, abstract in rows}


def test_indexing_is_incremental_and_follows_the_model(embedder: Embedder, tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'radar.db'}")
    searcher = build(engine, embedder, CORPUS[:2])
    assert len(searcher.vectors) == 230
    again = embed_pending(engine, embedder)
    assert (again.embedded, again.unchanged) == (0, 0)  # nothing new: no model call

    import_file(engine, MORE)  # 100 more works
    more = embed_pending(engine, embedder)
    assert more.embedded == 100
    assert searcher.vectors.catch_up(engine, embedder.name) == 100
    assert len(searcher.vectors) == 330

    before = texts(engine)
    import_file(engine, CORPUS[-1])  # BibTeX: seven entries, some new, some joining stored works
    after = texts(engine)
    new = after.keys() - before.keys()
    changed = {w for w in before.keys() & after.keys() if before[w] != after[w]}
    merged = embed_pending(engine, embedder)
    assert merged.embedded == len(new) + len(changed)
    assert merged.unchanged == 7 - len(new) - len(changed) > 0  # joined, same text: no model call

    other = Embedder(max_tokens=64)  # another setting is another model: everything again
    assert other.name != embedder.name
    assert embed_pending(engine, other, limit=100).embedded == 100  # a partial run, then the rest
    assert embed_pending(engine, other).embedded == len(after) - 100
    assert searcher.vectors.catch_up(engine, other.name) == len(after)
    assert searcher.vectors.state.model == other.name
    engine.dispose()


def test_an_interrupted_embedding_run_carries_on_where_it_stopped(
    embedder: Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'radar.db'}")
    import_file(engine, CORPUS[0])  # 200 works
    monkeypatch.setattr(embedding_job, "CHUNK", 64)

    def crash(done: int) -> None:
        raise KeyboardInterrupt  # Ctrl-C right after the first chunk committed

    with pytest.raises(KeyboardInterrupt):
        embed_pending(engine, embedder, progress=crash)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.embeddings)).scalar() == 64
    rest = embed_pending(engine, embedder)
    assert rest.embedded == 136  # only what was left
    vectors = vector_module.VectorIndex(tmp_path / "vectors")
    assert vectors.catch_up(engine, embedder.name) == 200

    # A writer killed after appending rows but before saving its state leaves extra bytes:
    # the next catch-up cuts them off instead of indexing them twice.
    with open(tmp_path / "vectors" / "vectors.f32", "ab") as f:
        f.write(b"\0" * (DIM * 4 * 3))
    import_file(engine, CORPUS[1])
    embed_pending(engine, embedder)
    assert vectors.catch_up(engine, embedder.name) == 30
    assert len(vectors) == 230
    assert (tmp_path / "vectors" / "vectors.f32").stat().st_size == 230 * DIM * 4
    engine.dispose()

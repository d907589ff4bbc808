"""Semantic Scholar Graph API parser against real recorded bodies (tests/fixtures/semantic_scholar)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from paperradar.records import (
    SEMANTIC_SCHOLAR,
    AuthorRecord,
    AuthorRef,
    CitationRecord,
    Item,
    Note,
    Skipped,
    UnreadableInput,
    WorkRecord,
)
from paperradar.sources import openalex, semantic_scholar
from paperradar.sources.base import read_head

FIXTURES = Path(__file__).parent.parent / "fixtures"
S2 = FIXTURES / "semantic_scholar"
AUTHOR_PAPERS = sorted(S2.glob("test_get_author_papers@ae6c154.*.200.json"))
AUTHORS_BATCH = S2 / "test_get_authors@202945c.00.200.json"
PAPERS_BATCH = S2 / "test_get_papers@ae6c154.00.200.json"
REFERENCES = [S2 / f"test_get_paper_references@ae6c154.0{n}.200.json" for n in (0, 1)]
PAPER_AUTHORS = S2 / "test_get_paper_authors@73c7726.00.200.json"
PAPER_SHA = "649def34f8be52c8b66281af98ae884c09aef38b"


def parse(path: Path, start: int = 0, paper_id: str | None = None) -> list[Item]:
    items = list(semantic_scholar.parse(path, start, paper_id=paper_id))
    assert all(item.source == SEMANTIC_SCHOLAR for item in items)
    return items


def records(path: Path, **kwargs: Any) -> list[Any]:
    items = parse(path, **kwargs)
    assert [item.problem for item in items if item.problem] == []
    return [item.record for item in items]


def h_index(citations: list[int]) -> int:
    ranked = sorted(citations, reverse=True)
    return sum(1 for rank, count in enumerate(ranked, start=1) if count >= rank)


def write(tmp_path: Path, document: Any, name: str = "body.json") -> Path:
    path = tmp_path / name
    path.write_bytes(orjson.dumps(document))
    return path


# --- papers ----------------------------------------------------------------------------------


def test_author_papers_pages() -> None:
    assert len(AUTHOR_PAPERS) == 9
    pages = [parse(path) for path in AUTHOR_PAPERS]
    assert [len(page) for page in pages] == [100] * 8 + [79]
    assert sum(len(page) for page in pages) == 879
    first_page = pages[0]
    assert [item.location for item in first_page[:3]] == ["data[0]", "data[1]", "data[2]"]
    assert [item.position for item in first_page] == list(range(1, 101))
    records = [item.record for page in pages for item in page]
    works = [record for record in records if isinstance(record, WorkRecord)]
    assert works == records  # every item is a work
    # Every paper of GET /author/1723755/papers lists that author.
    assert all(any(ref.ids == {"s2": "1723755"} for ref in work.authors) for work in works)
    assert len({work.ids["s2"] for work in works}) == 879
    first = works[0]
    assert first.title == "SARS-CoV-2 hijacks p38β/MAPK11 to promote virus replication"
    assert first.ids == {
        "s2": "01063e45d9fc9635d29d8d78aa24ed8de351f36a",
        "pmcid": "PMC10470746",
        "doi": "10.1128/mbio.01007-23",
        "s2_corpus": "261369988",
        "pmid": "37345956",
    }
    assert first.venue == "mBio"


def test_paper_batch() -> None:
    works = records(PAPERS_BATCH)
    assert [work.title for work in works] == [
        "How Much Should We Trust Differences-in-Differences Estimates?",
        "The Miracle of Microfinance? Evidence from a Randomized Evaluation",
        "Improving Third-Party Audits and Regulatory Compliance in India",
    ]
    first = works[0]
    assert first.ids == {
        "s2": "c31c87c591a25c64fbaa82e8ac6a81831b6ac7ce",
        "mag": "2096684396",
        "doi": "10.2139/ssrn.288970",
        "s2_corpus": "470667",
    }
    assert first.year == 2001
    assert first.citation_count == 10201
    assert first.extra["oa_url"] == "http://papers.nber.org/papers/w8841.pdf"
    assert [item.location for item in parse(PAPERS_BATCH)] == ["record 1", "record 2", "record 3"]


def test_single_paper_with_tldr(tmp_path: Path) -> None:
    paper = orjson.loads(PAPERS_BATCH.read_bytes())[1]
    paper["tldr"] = {"model": "tldr@v2.0.0", "text": "Microcredit raises business investment."}
    items = parse(write(tmp_path, paper))
    assert [(item.location, item.position) for item in items] == [("record 1", 1)]
    work = items[0].record
    assert isinstance(work, WorkRecord)
    assert work.extra["tldr"] == "Microcredit raises business investment."
    assert work.title == "The Miracle of Microfinance? Evidence from a Randomized Evaluation"


def test_paper_fields() -> None:
    first = records(REFERENCES[0])[30]
    assert first == WorkRecord(
        ids={
            "s2": "099c704bdbd6344bba4c1aefa4dea17f1d00c61c",
            "dblp": "journals/corr/abs-1809-06367",
            "mag": "2884013187",
            "arxiv": "1809.06367",
            "doi": "10.1109/tpami.2018.2855738",
            "s2_corpus": "206769416",
            "pmid": "30028690",
        },
        title="Scattering Networks for Hybrid Representation Learning",
        abstract=first.abstract,
        authors=first.authors,
        published=dt.date(2018, 9, 17),
        year=2018,
        venue="IEEE Transactions on Pattern Analysis and Machine Intelligence",
        citation_count=67,
        influential_citation_count=8,
        reference_count=62,
        extra={
            "fields_of_study": ["Computer Science", "Medicine", "Mathematics"],
            "s2_fields_of_study": ["Computer Science", "Medicine", "Mathematics"],
            "publication_types": ["JournalArticle"],
            "oa_url": "https://arxiv.org/pdf/1809.06367",
        },
    )
    assert first.authors[0].name == "Edouard Oyallon"
    assert first.authors[0].ids == {"s2": "3306593"}
    assert len(first.authors) == 7


def test_null_slots_in_batches() -> None:
    for name, kind in (
        ("test_get_papers_return_not_found@73c7726.00.200.json", WorkRecord),
        ("test_get_authors_return_not_found@73c7726.00.200.json", AuthorRecord),
    ):
        found = records(S2 / name)
        assert found[0] == Skipped(reason="not found (null slot 1 in batch)")
        assert len(found) == 4
        assert all(isinstance(record, kind) for record in found[1:])
    authors = records(S2 / "test_get_authors_return_not_found@73c7726.00.200.json")[1:]
    assert [(a.name, a.ids) for a in authors] == [
        ("E. Dijkstra", {"s2": "3234559"}),
        ("D. Parnas", {"s2": "1726629"}),
        ("I. Sommerville", {"s2": "1711844"}),
    ]


def test_search_pages_and_recommendations() -> None:
    search = records(S2 / "test_search_paper@73c7726.00.200.json")
    assert len(search) == 100
    assert search[0].title == (
        "Using DeepSpeed and Megatron to Train Megatron-Turing NLG 530B, "
        "A Large-Scale Generative Language Model"
    )
    assert search[0].ids == {"s2": "7cbc2a7843411a1768ab762930707af0a3c33a19"}
    second_page = records(S2 / "test_search_paper_next_page@73c7726.01.200.json")
    assert second_page[0].title == "How to Run Turing Machines on Encrypted Data"
    bulk = records(S2 / "test_search_paper_bulk_retrieval@73c7726.00.200.json")
    assert len(bulk) == 1000
    assert bulk[0].title == "Kubernetes Cluster for Automating Software Production Environment"
    recommended = parse(S2 / "test_get_recommended_papers@73c7726.00.200.json")
    assert len(recommended) == 100
    assert recommended[0].location == "recommendedPapers[0]"
    assert isinstance(recommended[0].record, WorkRecord)
    assert recommended[0].record.title == (
        "Report shows slight improvement on grantmaker diversity, but compensation lagging behind inflation"
    )


# --- embedded references, citations and author figures ---------------------------------------


def paper_with_graph() -> dict[str, Any]:
    """A real paper as if asked with ``fields=…,authors.hIndex,…,references,citations``: the real
    batch answer for "The Miracle of Microfinance?", its authors as S2's own authors page gives them
    (with figures), real resolved and unresolved referenced papers, and real papers as citations."""
    paper: dict[str, Any] = orjson.loads(PAPERS_BATCH.read_bytes())[1]
    paper["authors"] = orjson.loads(PAPER_AUTHORS.read_bytes())["data"]
    cited = [entry["citedPaper"] for entry in orjson.loads(REFERENCES[1].read_bytes())["data"]]
    paper["references"] = [cited[0], cited[1], cited[41], cited[2], cited[13]]
    citing = [entry["citedPaper"] for entry in orjson.loads(REFERENCES[0].read_bytes())["data"]]
    paper["citations"] = citing[:3]
    return paper


MICROFINANCE = "cb1ebd913c3724c599f6b276b14b5c6253da68f3"


def test_nothing_embedded_in_a_paper_is_dropped(tmp_path: Path) -> None:
    items = parse(write(tmp_path, paper_with_graph()))
    assert [item.problem for item in items if item.problem] == []
    assert {item.position for item in items} == {1}
    kinds = [(item.location, type(item.record).__name__) for item in items]
    assert kinds == [
        ("record 1", "WorkRecord"),
        *[(f"record 1 authors[{n}]", "AuthorRecord") for n in range(4)],
        ("record 1 references[0]", "WorkRecord"),
        ("record 1 references[0]", "CitationRecord"),
        ("record 1 references[1]", "WorkRecord"),
        ("record 1 references[1]", "CitationRecord"),
        ("record 1 references[2]", "Skipped"),
        ("record 1 references[3]", "WorkRecord"),
        ("record 1 references[3]", "CitationRecord"),
        ("record 1 references[4]", "WorkRecord"),
        ("record 1 references[4]", "CitationRecord"),
        *[(f"record 1 citations[{n}]", kind) for n in range(3) for kind in ("WorkRecord", "CitationRecord")],
    ]
    paper = items[0].record
    assert isinstance(paper, WorkRecord) and paper.ids["s2"] == MICROFINANCE
    assert [ref.ids for ref in paper.authors][:2] == [{"s2": "2259683"}, {"s2": "2237651454"}]

    edges = [item.record for item in items if isinstance(item.record, CitationRecord)]
    references = [e for e in edges if e.citing.ids.get("s2") == MICROFINANCE]
    citations = [e for e in edges if e.cited.ids.get("s2") == MICROFINANCE]
    assert [e.cited.title for e in references] == [
        "Conditional Generative Adversarial Nets",
        "Unsupervised Domain Adaptation by Backpropagation",
        "On pairwise costs for network flow multi-object tracking",
        "Block-Coordinate Frank-Wolfe Optimization for Structural SVMs",
    ]
    assert references[0].cited.ids["arxiv"] == "1411.1784"
    assert [e.citing.ids["arxiv"] for e in citations] == ["2208.04425", "2205.04583", "2203.04940"]
    assert len(edges) == 7
    # The listed papers keep their own authors, as plain names with ids (S2 gave no figures for them).
    cited_work = items[5].record
    assert isinstance(cited_work, WorkRecord)
    assert cited_work.authors[0] == AuthorRef(name="Mehdi Mirza", ids={"s2": "153583218"})

    skipped = items[9].record
    assert isinstance(skipped, Skipped)
    assert skipped.reason == (
        f"references[2] of {MICROFINANCE}: "
        "unresolved reference 'D Scieur' (Semantic Scholar has no paper for it)"
    )


def test_embedded_author_figures_become_author_records(tmp_path: Path) -> None:
    paper = paper_with_graph()
    del paper["authors"][2]["paperCount"], paper["authors"][2]["citationCount"]
    for figure in ("hIndex", "paperCount", "citationCount"):
        paper["authors"][3][figure] = None
    authors = [r for r in records(write(tmp_path, paper)) if isinstance(r, AuthorRecord)]
    assert [(a.ids, a.name, a.h_index, a.works_count, a.citation_count) for a in authors] == [
        ({"s2": "2259683", "dblp": "Esther Duflo"}, "E. Duflo", 91, 282, 58740),
        ({"s2": "2237651454", "dblp": "Abhijit Banerjee 0001"}, "A. Banerjee", 90, 347, 47761),
        ({"s2": "4249203"}, "R. Glennerster", 31, None, None),  # absent figures stay unknown, never 0
    ]
    assert all(a.works == [] for a in authors)


def test_a_bad_embedded_entry_costs_only_itself(tmp_path: Path) -> None:
    paper = paper_with_graph()
    paper["references"][0]["citationCount"] = "many"
    paper["references"][1] = "Smith et al. 2003"
    paper["citations"][0]["externalIds"] = {"DOI": ["10.1/x"]}
    paper["authors"][1]["hIndex"] = "90"
    items = parse(write(tmp_path, paper))
    problems = {item.location: item.problem.reason for item in items if item.problem}
    assert problems == {
        "record 1 authors[1]": 'hIndex is "90", expected a whole number',
        "record 1 references[0]": 'citationCount is "many", expected a whole number',
        "record 1 references[1]": "expected a JSON object, found text",
        "record 1 citations[0]": 'externalIds.DOI is ["10.1/x"], expected an id',
    }
    assert isinstance(items[0].record, WorkRecord) and items[0].record.ids["s2"] == MICROFINANCE
    assert sum(isinstance(item.record, CitationRecord) for item in items) == 4


def test_embedded_graph_in_a_batch_and_in_a_page(tmp_path: Path) -> None:
    paper = paper_with_graph()
    batch = parse(write(tmp_path, [None, paper], "batch.json"))
    assert batch[0].record == Skipped(reason="not found (null slot 1 in batch)")
    assert sum(isinstance(item.record, CitationRecord) for item in batch) == 7
    assert {item.position for item in batch[1:]} == {2}
    page = parse(write(tmp_path, {"offset": 0, "data": [paper]}, "page.json"))
    assert [item.location for item in page][-2:] == ["data[0] citations[2]", "data[0] citations[2]"]
    assert sum(isinstance(item.record, CitationRecord) for item in page) == 7


def test_an_author_saved_without_figures_has_none(tmp_path: Path) -> None:
    """``fields=name``: the figures are unknown, not zero."""
    dijkstra = orjson.loads(AUTHORS_BATCH.read_bytes())[0]
    named = {"authorId": dijkstra["authorId"], "name": dijkstra["name"]}
    for found in (
        records(write(tmp_path, named))[0],
        records(S2 / "test_get_authors_return_not_found@73c7726.00.200.json")[1],
    ):
        assert isinstance(found, AuthorRecord)
        assert (found.h_index, found.works_count, found.citation_count) == (None, None, None)
    nulls = records(write(tmp_path, dict(named, hIndex=None, paperCount=None, citationCount=None)))[0]
    assert (nulls.h_index, nulls.works_count, nulls.citation_count) == (None, None, None)


# --- references ------------------------------------------------------------------------------


def test_references_without_the_page_paper_yield_papers_and_say_the_edges_are_missing() -> None:
    first_page = parse(REFERENCES[0])
    assert len(first_page) == 101
    assert all(isinstance(item.record, WorkRecord) for item in first_page[:100])
    assert isinstance(first_page[0].record, WorkRecord) and first_page[0].record.title == (
        "Controlled Sparsity via Constrained Optimization or: "
        "How I Learned to Stop Tuning Penalties and Love Constraints"
    )
    note = first_page[-1]
    assert (note.location, note.position) == ("data", 100)
    assert isinstance(note.record, Note)
    assert note.record.text.startswith(
        "this references page does not say whose references it lists: 100 listed works imported, "
        "their citation edges not stored; to store them, import it again with --cites ID"
    )
    second_page = records(REFERENCES[1])
    assert len(second_page) == 57
    unresolved = [record for record in second_page if isinstance(record, Skipped)]
    assert len(unresolved) == 9
    assert unresolved[0].reason == (
        "data[41]: unresolved reference 'D Scieur' (Semantic Scholar has no paper for it)"
    )
    assert isinstance(second_page[-1], Note) and "47 listed works imported" in second_page[-1].text


def test_references_with_the_page_paper_yield_citation_edges() -> None:
    items = parse(REFERENCES[1], paper_id="arXiv:2106.15928v2")
    edges = [item for item in items if isinstance(item.record, CitationRecord)]
    assert len(edges) == 47
    first = edges[0]
    assert first.location == "data[0]"
    assert first.position == 1
    edge = first.record
    assert isinstance(edge, CitationRecord)
    assert edge.citing.ids == {"arxiv": "2106.15928"}
    assert edge.cited.title == "Conditional Generative Adversarial Nets"
    assert edge.cited.ids["arxiv"] == "1411.1784"
    assert edge.is_influential is True
    assert len(edge.contexts) == 9
    assert edge.contexts[0].startswith("Conditional GAN: Mirza and Osindero (2014)")
    # The cited paper comes first as a record of its own, at the same position.
    assert items[0].record == edge.cited
    assert items[0].position == 1

    with_intent = [
        i.record for i in parse(REFERENCES[0], paper_id=PAPER_SHA) if isinstance(i.record, CitationRecord)
    ]
    assert with_intent[30].intents == ["background"]
    assert with_intent[30].citing.ids == {"s2": PAPER_SHA}
    # With the page's paper known, nothing is missing: no note.
    assert not [i for i in parse(REFERENCES[1], paper_id="arXiv:2106.15928") if isinstance(i.record, Note)]
    unresolved = [i.record for i in items if isinstance(i.record, Skipped)]
    assert unresolved[0].reason == (
        "data[41] (references of arxiv:2106.15928): "
        "unresolved reference 'D Scieur' (Semantic Scholar has no paper for it)"
    )


def test_citations_page_orients_the_edge(tmp_path: Path) -> None:
    body = orjson.loads(REFERENCES[0].read_bytes())
    for entry in body["data"]:
        entry["citingPaper"] = entry.pop("citedPaper")
    items = parse(write(tmp_path, body), paper_id="DOI:10.1109/TPAMI.2018.2855738")
    edge = items[1].record
    assert isinstance(edge, CitationRecord)
    assert edge.cited.ids == {"doi": "10.1109/tpami.2018.2855738"}
    assert edge.citing.ids["arxiv"] == "2208.04425"


def test_unknown_page_paper_prefix() -> None:
    with pytest.raises(ValueError, match="cannot tell which paper 'URL:x' names"):
        parse(REFERENCES[0], paper_id="URL:x")


@pytest.mark.parametrize("bare", ["2106.15928", "10.1109/tpami.2018.2855738", "6f6f1c0d1a8c3c1b"])
def test_a_bare_id_must_be_a_paper_id(bare: str) -> None:
    """A bare arXiv id or DOI taken for a paperId would make a paper that does not exist."""
    with pytest.raises(ValueError, match=f"cannot tell which paper '{re.escape(bare)}' names"):
        semantic_scholar.page_paper(bare)
    assert semantic_scholar.page_paper(PAPER_SHA.upper()) == {"s2": PAPER_SHA}
    assert semantic_scholar.page_paper("CorpusId:470667") == {"s2_corpus": "470667"}


def test_a_paper_id_for_a_file_that_is_no_citations_page() -> None:
    with pytest.raises(UnreadableInput, match="not a Semantic Scholar references or citations page"):
        parse(PAPERS_BATCH, paper_id="arXiv:2106.15928")


@pytest.mark.parametrize(
    ("url", "paper"),
    [
        (
            "https://api.semanticscholar.org/graph/v1/paper/arXiv:2106.15928/references?offset=100",
            "arXiv:2106.15928",
        ),
        (f"https://api.semanticscholar.org/graph/v1/paper/{PAPER_SHA}/citations", PAPER_SHA),
        ("https://mirror.example/s2/graph/v1/paper/DOI%3A10.1%2Fx/citations?fields=title", "DOI:10.1/x"),
        ("https://api.semanticscholar.org/graph/v1/paper/batch?fields=title", None),
        ("https://api.semanticscholar.org/graph/v1/paper/arXiv:2106.15928?fields=references", None),
        ("https://api.semanticscholar.org/graph/v1/author/1723755/papers", None),
    ],
)
def test_page_paper_in_a_request_url(url: str, paper: str | None) -> None:
    assert semantic_scholar.page_paper_in_url(url) == paper


# --- authors ---------------------------------------------------------------------------------


def test_author_batch_carries_every_paper_with_citation_counts() -> None:
    authors = records(AUTHORS_BATCH)
    assert [(a.name, a.ids) for a in authors] == [
        ("E. Dijkstra", {"s2": "3234559", "dblp": "Edsger W. Dijkstra"}),
        ("D. Parnas", {"s2": "1726629", "dblp": "David Lorge Parnas"}),
        ("I. Sommerville", {"s2": "1711844", "dblp": "Ian Sommerville"}),
    ]
    assert [a.works_count for a in authors] == [266, 269, 344]
    assert [len(a.works) for a in authors] == [266, 269, 344]
    assert [a.citation_count for a in authors] == [48151, 19186, 14416]
    assert [a.h_index for a in authors] == [42, 52, 57]
    for author in authors:
        counts = [work.citation_count for work in author.works]
        assert None not in counts
        assert h_index([count for count in counts if count is not None]) == author.h_index
    assert authors[0].works[0].title == "Recursive Programming"
    assert authors[0].works[0].citation_count == 50


def test_paper_authors_page() -> None:
    authors = records(S2 / "test_get_paper_authors@73c7726.00.200.json")
    assert [(a.name, a.h_index, a.works_count) for a in authors] == [
        ("E. Duflo", 91, 282),
        ("A. Banerjee", 90, 347),
        ("R. Glennerster", 31, authors[2].works_count),
        ("Cynthia Kinnan", 12, authors[3].works_count),
    ]
    assert authors[0].ids == {"s2": "2259683", "dblp": "Esther Duflo"}
    assert authors[2].ids == {"s2": "4249203"}


def test_author_search_page() -> None:
    authors = records(S2 / "test_search_author@73c7726.00.200.json")
    assert len(authors) == 59
    assert authors[0] == AuthorRecord(ids={"s2": "2262347"}, name="A. Turing")


# --- errors and bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("test_not_found@73c7726.00.404.json", "Semantic Scholar error: Paper with id 0 not found"),
        ("test_not_found@73c7726.01.404.json", "Semantic Scholar error: Author with id 0 not found"),
        (
            "test_get_paper_citations_async@0e62a04.00.504.json",
            "Semantic Scholar error: Endpoint request timed out",
        ),
    ],
)
def test_error_bodies(name: str, message: str) -> None:
    with pytest.raises(UnreadableInput) as raised:
        parse(S2 / name)
    assert str(raised.value) == message


def test_bad_records_in_a_batch_are_problems_and_the_rest_is_kept(tmp_path: Path) -> None:
    batch = orjson.loads(PAPERS_BATCH.read_bytes())
    batch[0]["citationCount"] = "many"
    del batch[1]["paperId"]
    batch.append("c31c87c591a25c64fbaa82e8ac6a81831b6ac7ce")
    batch.append(dict(batch[2], publicationDate="13/02/2018"))
    batch.append(dict(batch[2], externalIds={"DOI": ["10.1/x"]}))
    batch.append(dict(batch[2], paperId=None))
    items = parse(write(tmp_path, batch))
    assert [item.location for item in items] == [f"record {n}" for n in range(1, 8)]
    assert {item.location: item.problem.reason for item in items if item.problem} == {
        "record 1": 'citationCount is "many", expected a whole number',
        "record 2": "not a paper, an author or a citation (no paperId, authorId or citedPaper)",
        "record 4": "expected a JSON object, found text",
        "record 5": "publicationDate is '13/02/2018', expected a YYYY-MM-DD date",
        "record 6": 'externalIds.DOI is ["10.1/x"], expected an id',
        "record 7": "paper has no paperId",
    }
    assert items[0].problem is not None and items[0].problem.raw is not None
    assert '"citationCount":"many"' in items[0].problem.raw
    assert isinstance(items[2].record, WorkRecord)
    assert items[2].record.title == "Improving Third-Party Audits and Regulatory Compliance in India"


def test_one_bad_paper_does_not_cost_the_author(tmp_path: Path) -> None:
    batch = orjson.loads(AUTHORS_BATCH.read_bytes())
    batch[0]["papers"][3]["citationCount"] = "many"
    batch[1]["hIndex"] = "52"
    items = parse(write(tmp_path, batch))
    assert [(item.location, item.position) for item in items] == [
        ("record 1", 1),
        ("record 1 papers[3]", 1),
        ("record 2", 2),
        ("record 3", 3),
    ]
    dijkstra = items[0].record
    assert isinstance(dijkstra, AuthorRecord)
    assert len(dijkstra.works) == 265
    assert items[1].problem is not None
    assert items[1].problem.reason == 'citationCount is "many", expected a whole number'
    assert items[2].problem is not None
    assert items[2].problem.reason == 'hIndex is "52", expected a whole number'
    assert isinstance(items[3].record, AuthorRecord)


def test_bad_citation_entry(tmp_path: Path) -> None:
    body = orjson.loads(REFERENCES[1].read_bytes())
    body["data"][0]["citedPaper"] = None
    body["data"][1]["isInfluential"] = "yes"
    body["data"][2] = None
    items = parse(write(tmp_path, body), paper_id="649def34f8be52c8b66281af98ae884c09aef38b")
    problems = {item.location: item.problem.reason for item in items if item.problem}
    assert problems == {
        "data[0]": "citedPaper is null, expected an object",
        "data[1]": 'isInfluential is "yes", expected true or false',
        "data[2]": "expected a JSON object, found null",
    }
    assert sum(isinstance(item.record, CitationRecord) for item in items) == 44


def test_resume_inside_a_page() -> None:
    items = parse(AUTHOR_PAPERS[0], start=51)
    assert (items[0].location, items[0].position) == ("data[50]", 51)
    assert len(items) == 50


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "body.json"
    path.write_bytes(PAPERS_BATCH.read_bytes()[:1000])
    with pytest.raises(UnreadableInput, match="not valid JSON"):
        parse(path)


def test_json_that_is_no_graph_api_body(tmp_path: Path) -> None:
    path = write(tmp_path, {"offset": 0, "items": []})
    with pytest.raises(
        UnreadableInput, match=r"not a Semantic Scholar response \(top-level keys: items, offset\)"
    ):
        parse(path)


# --- sniffing --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(S2.glob("*.json")), ids=lambda path: path.name)
def test_each_fixture_is_claimed_by_s2_only(path: Path) -> None:
    head = read_head(path)
    claims = [fmt.name for fmt in semantic_scholar.FORMATS + openalex.FORMATS if fmt.sniff(path.name, head)]
    assert claims == ["s2-api"]


@pytest.mark.parametrize(
    "path",
    sorted(p for p in (FIXTURES / "openalex").rglob("*") if p.is_file() and p.name != "README.md"),
    ids=lambda path: path.name,
)
def test_openalex_files_are_not_claimed(path: Path) -> None:
    assert not semantic_scholar.sniff(path.name, read_head(path))


def test_sniff_ignores_other_json() -> None:
    assert not semantic_scholar.sniff("x.json", b'{"error": "Not Found", "message": "Unknown route"}')
    assert not semantic_scholar.sniff("x.json", b'[{"paper": {"id": "2606.00467"}}]')
    assert not semantic_scholar.sniff("x.json", b"null]")
    assert semantic_scholar.sniff("x.json", b"[null, null]")

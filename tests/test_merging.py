"""The same work from several sources becomes one work, and nothing any source said is lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from paperradar.ingest import import_file
from paperradar.store import schema as t
from paperradar.store.queries import resolve_work, work_detail
from tests.conftest import FIXTURES

SNAPSHOT = FIXTURES / "arxiv_snapshot" / "arxiv-metadata-oai-snapshot.head200.jsonl"
LIBRARY = FIXTURES / "bibtex" / "library.bib"
S2_BATCH = FIXTURES / "semantic_scholar" / "test_get_papers_return_not_found@73c7726.00.200.json"


def _detail(engine: Engine, ident: str) -> dict[str, Any]:
    with engine.connect() as conn:
        work_id = resolve_work(conn, ident)
        assert work_id is not None, ident
        return work_detail(conn, work_id)


def test_arxiv_and_bibtex_records_of_one_paper_become_one_work(engine: Engine) -> None:
    import_file(engine, SNAPSHOT)
    result = import_file(engine, LIBRARY)
    assert result.counts.merged >= 2  # 0704.0001 (by arXiv id) and 0704.0062 (by DOI)
    work = _detail(engine, "0704.0001")
    assert work["sources"] == ["arxiv_snapshot", "bibtex"]
    # arXiv's metadata wins the display; the user's entry is kept beside it.
    assert (
        work["title"]
        == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert {v["source"] for v in work["source_records"]} == {"arxiv_snapshot", "bibtex"}
    assert [v["version"] for v in work["versions"]] == ["v1", "v2"]
    assert [a["name"] for a in work["authors"]][:2] == ["C. Balázs", "E. L. Berger"]
    zotero = _detail(engine, "10.1007/978-3-540-74126-8_23")
    assert zotero["arxiv_id"] == "0704.0062"
    assert zotero["sources"] == ["arxiv_snapshot", "bibtex"]


def test_a_title_match_needs_the_same_first_author_and_year(engine: Engine, tmp_path: Path) -> None:
    import_file(engine, S2_BATCH)
    entry = LIBRARY.read_text().split("@Article{Bertrand2001HowMS,", 1)[1].split("\n}\n", 1)[0]
    same = tmp_path / "same.bib"
    same.write_text("@Article{mine," + entry + "\n}\n")
    other_author = tmp_path / "other.bib"
    other_author.write_text(
        "@Article{theirs," + entry.replace("Marianne Bertrand and ", "Jane Roe and ") + "\n}\n"
    )
    other_year = tmp_path / "later.bib"
    other_year.write_text("@Article{later," + entry.replace("{2001}", "{2009}") + "\n}\n")

    assert import_file(engine, same).counts.merged == 1
    work = _detail(engine, "10.2139/ssrn.288970")
    assert work["sources"] == ["semantic_scholar", "bibtex"]
    assert import_file(engine, other_author).counts.new == 1
    assert import_file(engine, other_year).counts.new == 1
    with engine.connect() as conn:
        titled = select(func.count()).where(t.works.c.title == work["title"])
        assert conn.execute(titled).scalar_one() == 3


def test_a_record_that_links_two_stored_works_merges_them(engine: Engine, tmp_path: Path) -> None:
    by_eprint = tmp_path / "eprint.bib"
    by_eprint.write_text(
        "@misc{a, title={Calculation of prompt diphoton production cross sections at Tevatron and LHC"
        " energies}, author={Bal{\\'a}zs, C.}, eprint={0704.0001}, archivePrefix={arXiv}, year={2007}}\n"
    )
    by_doi = tmp_path / "doi.bib"
    by_doi.write_text(
        "@article{b, title={Prompt diphoton production at the Tevatron and the LHC}, author={Balazs, C.},"
        " journal={Phys. Rev. D}, doi={10.1103/PhysRevD.76.013009}, year={2007}}\n"
    )
    import_file(engine, by_eprint)
    import_file(engine, by_doi)
    with engine.connect() as conn:
        first = resolve_work(conn, "0704.0001")
        second = resolve_work(conn, "10.1103/PhysRevD.76.013009")
    assert first is not None and second is not None and first != second

    result = import_file(engine, SNAPSHOT)  # line 1 carries both the arXiv id and the DOI
    assert result.counts.works_merged == 1
    with engine.connect() as conn:
        kept = resolve_work(conn, "0704.0001")
        assert kept is not None
        assert resolve_work(conn, "10.1103/PhysRevD.76.013009") == kept
        assert resolve_work(conn, str(max(first, second))) == kept  # the old id still leads there
        detail = work_detail(conn, kept)
    assert detail["merged_from"] == [max(first, second)]
    # Both BibTeX entries were the same source: their views are combined, none is lost.
    bib = [v["record"]["ids"] for v in detail["source_records"] if v["source"] == "bibtex"]
    assert sorted(bib, key=len) == [{"doi": "10.1103/physrevd.76.013009"}, {"arxiv": "0704.0001"}] or sorted(
        bib, key=str
    ) == sorted([{"arxiv": "0704.0001"}, {"doi": "10.1103/physrevd.76.013009"}], key=str)
    assert detail["title"].startswith("Calculation of prompt diphoton")


def test_authors_are_matched_by_external_id_then_by_name(engine: Engine) -> None:
    authors_batch = FIXTURES / "semantic_scholar" / "test_get_authors@202945c.00.200.json"
    import_file(engine, authors_batch)
    with engine.connect() as conn:
        dijkstra = conn.execute(
            select(t.author_ids.c.author_id).where(
                t.author_ids.c.scheme == "s2", t.author_ids.c.value == "3234559"
            )
        ).scalar()
        reported = conn.execute(
            select(t.author_reports.c.h_index, t.author_reports.c.works_count).where(
                t.author_reports.c.author_id == dijkstra
            )
        ).one()
        papers = conn.execute(
            select(func.count(func.distinct(t.authorships.c.work_id))).where(
                t.authorships.c.author_id == dijkstra
            )
        ).scalar_one()
    assert dijkstra is not None
    assert reported.h_index == 42 and reported.works_count == 266
    assert papers == 266  # every listed paper is linked to him through his S2 id
    # Importing the same author again finds the same person by S2 id: no new authors.
    again = import_file(engine, authors_batch)
    assert again.counts.authors == 3 and again.counts.authors_new == 0

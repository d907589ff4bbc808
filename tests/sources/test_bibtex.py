"""BibTeX: a library built from real S2 and arXiv records, and broken variants derived from it."""

from __future__ import annotations

from pathlib import Path

from paperradar.records import BIBTEX, Item, WorkRecord
from paperradar.sources import bibtex

LIBRARY = Path(__file__).parent.parent / "fixtures" / "bibtex" / "library.bib"


def works(items: list[Item]) -> dict[str, WorkRecord]:
    return {item.record.extra["key"]: item.record for item in items if isinstance(item.record, WorkRecord)}


def entry(key: str) -> str:
    """The text of one entry of the fixture, from its ``@`` to its closing brace line."""
    text = LIBRARY.read_text(encoding="utf-8")
    begin = text.index("{" + key + ",")
    begin = text.rindex("@", 0, begin)
    return text[begin : text.index("\n}", begin) + 2]


def test_every_entry_of_the_library() -> None:
    items = list(bibtex.parse(LIBRARY, 0))
    assert all(item.problem is None and item.source == BIBTEX for item in items)
    positions = [item.position for item in items]
    assert positions == sorted(positions) and len(positions) == 7
    assert items[0].location == f"entry 'Bertrand2001HowMS' (line {positions[0]})"
    records = works(items)
    bertrand = records["Bertrand2001HowMS"]
    assert bertrand.title == "How Much Should We Trust Differences-in-Differences Estimates?"
    assert [a.name for a in bertrand.authors] == ["Marianne Bertrand", "E. Duflo", "S. Mullainathan"]
    assert (bertrand.year, bertrand.venue) == (2001, "Experimental & Empirical Studies eJournal")
    assert bertrand.ids == {} and bertrand.extra["entry_type"] == "article"


def test_arxiv_ids_from_eprint_url_and_semantic_scholar_volume() -> None:
    records = works(list(bibtex.parse(LIBRARY, 0)))
    s2 = records["Gallego-Posada2022ControlledSV"]
    assert s2.ids == {"arxiv": "2208.04425"}
    assert s2.venue == "Neural Information Processing Systems"  # "ArXiv" is a preprint marker, not a venue
    arxiv_export = records["balazs2007calculation"]
    assert arxiv_export.ids == {"arxiv": "0704.0001", "doi": "10.1103/physrevd.76.013009"}
    assert arxiv_export.primary_category == "hep-ph"
    zotero = records["sramek_-line_2007"]
    assert zotero.ids == {"arxiv": "0704.0062", "doi": "10.1007/978-3-540-74126-8_23"}
    assert zotero.extra["url"] == "http://arxiv.org/abs/0704.0062"
    assert zotero.extra["keywords"] == ["cs.DS"]


def test_latex_names_titles_and_abstracts_become_readable_text() -> None:
    records = works(list(bibtex.parse(LIBRARY, 0)))
    balazs = records["balazs2007calculation"]
    assert [a.name for a in balazs.authors] == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    zotero = records["sramek_-line_2007"]
    assert [a.name for a in zotero.authors] == ["Rastislav Šrámek", "Broňa Brejová", "Tomáš Vinař"]
    assert zotero.title == "On-line Viterbi Algorithm and Its Relationship to Random Walks"
    assert zotero.venue == "Algorithms in Bioinformatics: 7th International Workshop (WABI)"
    assert zotero.abstract is not None
    assert "can be as low as $\\Theta(m\\log n)$, without" in zotero.abstract  # math kept as arXiv has it


def test_a_broken_entry_between_two_good_ones(tmp_path: Path) -> None:
    broken = entry("Duflo2013TheMO").replace("Evaluation},", "Evaluation,")
    path = tmp_path / "mine.bib"
    path.write_text("\n\n".join([entry("Bertrand2001HowMS"), broken, entry("Duflo2023ImprovingTA")]) + "\n")
    items = list(bibtex.parse(path, 0))
    assert [item.location for item in items] == [
        "entry 'Bertrand2001HowMS' (line 1)",
        "entry 'Duflo2013TheMO' (line 8)",
        "entry 'Duflo2023ImprovingTA' (line 15)",
    ]
    problem = items[1].problem
    assert problem is not None and problem.reason.startswith("not valid BibTeX")
    assert problem.raw is not None and "Miracle of Microfinance" in problem.raw
    assert set(works(items)) == {"Bertrand2001HowMS", "Duflo2023ImprovingTA"}


def test_duplicates_and_entries_without_title_or_id(tmp_path: Path) -> None:
    bertrand = entry("Bertrand2001HowMS")
    untitled = "@misc{nothing,\n author = {E. Duflo},\n year = {2013}\n}"
    twice = entry("Duflo2023ImprovingTA").replace(" year = {2023}", " year = {2023},\n year = {2024}")
    path = tmp_path / "mine.bib"
    path.write_text("\n\n".join([bertrand, bertrand, untitled, twice]) + "\n")
    problems = [(item.location, item.problem.reason) for item in bibtex.parse(path, 0) if item.problem]
    assert problems == [
        ("entry 'Bertrand2001HowMS' (line 8)", "duplicate entry key 'Bertrand2001HowMS' (first at line 1)"),
        ("entry 'nothing' (line 15)", "no title, DOI or arXiv id"),
        ("entry 'Duflo2023ImprovingTA' (line 20)", "field given twice: year"),
    ]


def test_resume_from_a_line() -> None:
    positions = [item.position for item in bibtex.parse(LIBRARY, 0)]
    assert [item.position for item in bibtex.parse(LIBRARY, positions[-2])] == positions[-2:]

"""Canonical ids and name keys: the same thing written differently must look the same."""

from __future__ import annotations

import pytest

from paperradar.identity.ids import arxiv_id, delatex, doi, normalise_name, normalise_title, split_arxiv_id
from paperradar.identity.works import compatible


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2104.12255", ("2104.12255", None)),
        ("arXiv:2104.12255v2", ("2104.12255", "v2")),
        ("https://arxiv.org/abs/0704.0001v1", ("0704.0001", "v1")),
        ("http://arxiv.org/pdf/2005.03776v2.pdf", ("2005.03776", "v2")),
        ("astro-ph/0601001", ("astro-ph/0601001", None)),
        ("quant-ph/0201082v1", ("quant-ph/0201082", "v1")),
        ("oai:arXiv.org:hep-th/9504118", ("hep-th/9504118", None)),
        ("math.GT/0309136", ("math.GT/0309136", None)),
        ("not an id", None),
    ],
)
def test_arxiv_ids_in_every_spelling(text: str, expected: tuple[str, str | None] | None) -> None:
    assert split_arxiv_id(text) == expected


def test_dois_are_compared_without_resolver_or_case() -> None:
    assert doi("https://doi.org/10.1103/PhysRevD.76.013009") == "10.1103/physrevd.76.013009"
    assert doi("doi:10.1007/978-3-540-74126-8_23.") == "10.1007/978-3-540-74126-8_23"
    assert doi("no doi here") is None
    assert arxiv_id(None) is None


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        ("C. Bal\\'azs", "C. Balázs"),
        ("Bal{\\'a}zs", "Balázs"),
        ('M\\"uller', "Müller"),
        ("Erd\\H{o}s", "Erdős"),
        ("Fran\\c cois", "François"),
        ("\\v{S}t\\v{e}p\\'an", "Štěpán"),
        ("Gj{\\o}rup", "Gjørup"),
        ("\\L{}ukasz", "Łukasz"),
        ("Stra\\ss e", "Straße"),
    ],
)
def test_latex_in_names_becomes_text(latex: str, text: str) -> None:
    assert delatex(latex) == text


def test_one_person_written_many_ways_has_one_name_key() -> None:
    spellings = ["C. Balázs", "C. Bal\\'azs", "Balázs, C.", "c. balazs", "C Balazs"]
    assert {normalise_name(s) for s in spellings} == {"c balazs"}
    assert normalise_name("Gj{\\o}rup, Anne") == normalise_name("Anne Gjørup") == "anne gjorup"


def test_titles_match_across_punctuation_case_and_latex() -> None:
    assert normalise_title("Large-scale Training of Foundation Models") == normalise_title(
        "LARGE SCALE training of foundation models."
    )
    assert normalise_title("The $\\alpha$-expansion") == "the alpha expansion"


def test_a_title_match_needs_agreeing_first_author_and_year() -> None:
    assert compatible(2017, "szot", 2018, "szot")  # preprint and journal version
    assert compatible(None, None, 2020, "szot")  # nothing known contradicts
    assert not compatible(2017, "szot", 2021, "szot")
    assert not compatible(2017, "szot", 2017, "smith")

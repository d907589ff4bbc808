"""The arXiv category table that reads oai_dc subjects: complete, unambiguous, and faithful to arXiv."""

from __future__ import annotations

from collections import Counter

import pytest

from paperradar.sources.arxiv_categories import (
    ALIASES,
    ARCHIVES,
    CATEGORIES,
    LEGACY_SUBJECTS,
    SUBSUMED,
    archive_of,
    category_of_subject,
    set_hints,
    subject_name,
)


def test_every_current_category_is_there() -> None:
    # arxiv.org/category_taxonomy: 155 categories in 8 groups
    per_archive = Counter(archive_of(code) for code in CATEGORIES if "." in code)
    assert per_archive == {
        "cs": 40,
        "math": 32,
        "physics": 22,
        "q-bio": 10,
        "cond-mat": 9,
        "q-fin": 9,
        "astro-ph": 6,
        "stat": 6,
        "nlin": 5,
        "eess": 4,
        "econ": 3,
    }
    single = sorted(code for code in CATEGORIES if "." not in code)
    assert single == [
        "gr-qc",
        "hep-ex",
        "hep-lat",
        "hep-ph",
        "hep-th",
        "math-ph",
        "nucl-ex",
        "nucl-th",
        "quant-ph",
    ]
    assert len(CATEGORIES) == 155
    assert all(archive_of(code) in ARCHIVES for code in CATEGORIES)
    assert all(alias in CATEGORIES and canonical in CATEGORIES for alias, canonical in ALIASES.items())
    assert all(code in CATEGORIES for _, code in SUBSUMED.values())
    assert all(code in CATEGORIES for code in LEGACY_SUBJECTS.values())


def test_every_qualified_subject_names_exactly_its_category() -> None:
    names = [subject_name(code) for code in CATEGORIES]
    assert len(set(names)) == len(names)
    assert all(category_of_subject(subject_name(code)) == code for code in CATEGORIES)
    assert subject_name("cs.LG") == "Computer Science - Machine Learning"
    assert subject_name("hep-th") == "High Energy Physics - Theory"


@pytest.mark.parametrize(
    ("subject", "code"),
    [
        ("Computer Science - Machine Learning", "cs.LG"),
        ("Statistics - Machine Learning", "stat.ML"),
        ("Mathematics - Probability", "math.PR"),
        ("Physics - Optics", "physics.optics"),
        ("Astrophysics - Cosmology and Nongalactic Astrophysics", "astro-ph.CO"),
        ("Electrical Engineering and Systems Science - Signal Processing", "eess.SP"),
        ("Quantitative Finance - Pricing of Securities", "q-fin.PR"),
        ("Astrophysics", "astro-ph"),  # a legacy bare archive
        ("Physics - Data Analysis; Statistics and Probability", "physics.data-an"),
        ("computer science -  machine learning", "cs.LG"),
        ("Physics - Mesoscopic Systems and Quantum Hall Effect", "cond-mat.mes-hall"),
        ("Chaotic Dynamics", "nlin.CD"),  # bare, also the name of the defunct chao-dyn
        ("Materials Theory", "cond-mat.mtrl-sci"),  # mtrl-th, folded into cond-mat.mtrl-sci
        ("Mathematical Physics", "math-ph"),  # math.MP is its alias
        ("05C15", None),  # an MSC class
        ("I.2.6", None),  # an ACM class
        ("Machine Learning", None),  # cs.LG or stat.ML: nothing tells
    ],
)
def test_subjects(subject: str, code: str | None) -> None:
    assert category_of_subject(subject) == code


def test_a_shared_bare_name_goes_to_the_earliest_set() -> None:
    assert category_of_subject("Machine Learning", set_hints(["stat:stat:ML", "cs:cs:LG"])) == "stat.ML"
    assert category_of_subject("Machine Learning", set_hints(["cs", "stat"])) == "cs.LG"
    assert category_of_subject("Machine Learning", set_hints(["math"])) is None
    assert category_of_subject("Systems and Control") == "eess.SY"  # an alias pair: the canonical one
    assert category_of_subject("Systems and Control", set_hints(["cs:cs:SY"])) == "cs.SY"


def test_set_hints() -> None:
    assert set_hints(["cs:cs:LG", "physics:hep-th", "physics:astro-ph:CO", "math:math:MP"]) == [
        "cs.LG",
        "cs",
        "hep-th",
        "astro-ph.CO",
        "astro-ph",
        "math.MP",
        "math",
    ]
    assert set_hints(["cs", "math", "physics:physics", "physics:astro-ph", "physics", "moo"]) == [
        "cs",
        "math",
        "physics",
        "astro-ph",
    ]

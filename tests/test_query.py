"""The query grammar: what a user types becomes words, phrases and filters, and never an error."""

from __future__ import annotations

import pytest

from paperradar.search.query import MAX_CHARS, MAX_TERMS, parse


def test_words_phrases_fields_and_filters() -> None:
    q = parse('"state space" models au:Gu ti:mamba cat:cs.LG,stat.ML year:2023..2025 has:code -vision')
    assert [[t.text for t in g] for g in q.groups] == [["state space"], ["models"], ["gu"], ["mamba"]]
    assert [t.field for g in q.groups for t in g] == [None, None, "authors", "title"]
    assert q.categories == ["cs.LG", "stat.ML"]
    assert (q.year_from, q.year_to) == (2023, 2025)
    assert q.has_code
    assert [t.text for t in q.excluded] == ["vision"]
    assert q.free_text == "state space models mamba"  # what dense search ranks by: no author names
    assert q.notes == []


def test_or_joins_neighbouring_terms_and_and_is_implied() -> None:
    q = parse("transformer OR attention AND pruning")
    assert [[t.text for t in g] for g in q.groups] == [["transformer", "attention"], ["pruning"]]


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("year:2024", (2024, 2024)),
        ("year:2020..", (2020, None)),
        ("year:..2019", (None, 2019)),
        ("year:2025..2023", (2023, 2025)),
    ],
)
def test_year_ranges(text: str, years: tuple[int | None, int | None]) -> None:
    q = parse(text)
    assert (q.year_from, q.year_to) == years
    assert q.has_filters and not q.has_terms


@pytest.mark.parametrize(
    "text",
    [
        '"unbalanced quote',
        "((( ))) AND OR NOT",
        "title: ^~* [1 TO 2] {a} +-!",
        "cat: year:abc has:pdf",
        "\x00\x01control\x1fcharacters\u202e",
        "a" * 10_000,
        "word " * 5_000,
        "",
        "   ",
        "foo:bar baz:qux",
        "-",
        "🙂 数学 αβγ",
    ],
)
def test_hostile_input_parses_to_something_safe(text: str) -> None:
    q = parse(text)
    for group in q.groups:
        for term in group:
            assert all(w.isalnum() for w in term.words), term.words  # nothing but word characters
    assert sum(len(g) for g in q.groups) <= MAX_TERMS


def test_what_was_ignored_or_cut_is_said() -> None:
    assert "year:2023..2025" in parse("year:recent").notes[0]
    assert "has:code" in parse("has:pdf").notes[0]
    assert f"{MAX_CHARS:,}" in parse("x" * (MAX_CHARS + 1)).notes[0]
    assert any(f"first {MAX_TERMS}" in n for n in parse("w " * 100).notes)
    assert "cannot be negated" in parse("-cat:cs.LG").notes[0]


def test_unknown_field_prefixes_are_words() -> None:
    q = parse("foo:bar")
    assert [t.text for g in q.groups for t in g] == ["foo", "bar"]
    assert parse("🙂 数学").free_text == "数学"

"""Researcher profiles on real records: metrics with provenance, reported values, paper cards."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from sqlalchemy import Engine, select

from paperradar.analysis import profiles
from paperradar.analysis.cards import cards, category_tag, date_text
from paperradar.analysis.metrics import Authorships, WorkArrays, compute
from paperradar.identity.ids import normalise_title
from paperradar.ingest import import_file
from paperradar.store import schema as t
from tests.conftest import FIXTURES

S2_AUTHORS = FIXTURES / "semantic_scholar" / "test_get_authors@202945c.00.200.json"
OPENALEX_AUTHOR = FIXTURES / "openalex" / "api" / "A5023888391.json"
OPENALEX_WORK = FIXTURES / "openalex" / "api" / "W2741809807.json"
SEED = FIXTURES / "seed_pages"
TODAY = dt.date(2026, 6, 1)  # the captures' "current year" is 2026: their yearless dates are 2026's


def only_author(engine: Engine, name: str) -> profiles.Profile:
    with engine.connect() as conn:
        found = profiles.find(conn, name)
        assert len(found) == 1, found
        profile = profiles.profile(conn, found[0]["id"], TODAY)
    assert profile is not None
    return profile


# ------------------------------------------------------------------------- checked on real data
def test_computed_h_index_equals_semantic_scholars_reported_one(engine: Engine) -> None:
    import_file(engine, S2_AUTHORS)
    recorded = {a["name"]: a for a in json.loads(S2_AUTHORS.read_text())}
    for name, h in (("E. Dijkstra", 42), ("D. Parnas", 52), ("I. Sommerville", 57)):
        profile = only_author(engine, name)
        counts = sorted((p["citationCount"] for p in recorded[name]["papers"]), reverse=True)
        assert profile.h_index.value == h
        assert profile.papers.value == recorded[name]["paperCount"] == len(counts)
        assert profile.citations.value == sum(counts)
        assert profile.i10_index.value == sum(1 for c in counts if c >= 10)
        assert "Semantic Scholar" in profile.h_index.basis and f"{len(counts)} of" in profile.h_index.basis
        reported = {r.source: r for r in profile.h_index.reported}
        assert reported["semantic_scholar"].value == h
        assert not reported["semantic_scholar"].differs and not reported["semantic_scholar"].problems
        # S2's own citation total is not the sum of its papers' counts: both are shown.
        cited = {r.source: r for r in profile.citations.reported}["semantic_scholar"]
        assert cited.value == recorded[name]["citationCount"]
        assert cited.differs == (cited.value != sum(counts))


def test_openalex_summary_stats_are_shown_as_reported_values(engine: Engine) -> None:
    import_file(engine, OPENALEX_WORK)
    import_file(engine, OPENALEX_AUTHOR)
    profile = only_author(engine, "Jason Priem")
    stats = json.loads(OPENALEX_AUTHOR.read_text())

    def reported(figure: profiles.Figure) -> profiles.Reported:
        return next(r for r in figure.reported if r.source == "openalex")

    assert reported(profile.h_index).value == stats["summary_stats"]["h_index"] == 17
    assert reported(profile.i10_index).value == stats["summary_stats"]["i10_index"]
    assert reported(profile.papers).value == stats["works_count"]
    assert reported(profile.citations).value == stats["cited_by_count"]
    # Ours rests on the one work the corpus holds, and says why it differs.
    assert profile.papers.value == 1 and profile.h_index.value == 1
    assert reported(profile.h_index).differs
    assert "the corpus has 1 of them" in (reported(profile.h_index).note or "")
    # Per-year citations come from the work's OpenAlex counts_by_year, years without any are 0.
    by_year = {
        c["year"]: c["cited_by_count"] for c in json.loads(OPENALEX_WORK.read_text())["counts_by_year"]
    }
    assert {y: n for y, n in profile.series.items() if y in by_year} == by_year
    assert all(n == 0 for y, n in profile.series.items() if y not in by_year)
    assert "OpenAlex" in profile.citations_per_year.basis


def test_the_captured_profiles_impossible_header_is_flagged_never_shown_as_ours(engine: Engine) -> None:
    import_file(engine, SEED / "paper_cards.jsonl")
    import_file(engine, SEED / "author_profile.json")
    profile = only_author(engine, "Natalie Mackraz")
    assert profile.papers.value == 7  # two of them list her only behind "et al."
    assert profile.h_index.value is None and profile.citations.value is None
    assert profile.h_index.reason == "no citation data for any of the 7 works"
    seed = next(r for r in profile.h_index.reported if r.source == "seed_cards")
    assert seed.value == 23
    assert seed.problems == [
        "impossible: h-index 23 > 7 papers",
        "impossible: h-index 23² = 529 > 146 citations",
    ]
    assert profile.main_category.value == "cs.CL"
    assert profile.ai_score.value is None and "h-index" in (profile.ai_score.reason or "")
    assert profile.novelty.value is None and "0 of 7 works have a novelty score" in (
        profile.novelty.reason or ""
    )
    # Cards newest first; the yearless capture date last, as the page had it.
    dates = [w.card.published for w in profile.works if w.card.published]
    assert dates == sorted(dates, reverse=True)
    assert profile.works[-1].card.date == "May 8"


# ------------------------------------------------------------------------- invariants
def brute_h(counts: list[float]) -> int:
    ordered = sorted(counts, reverse=True)
    return max((i for i in range(1, len(ordered) + 1) if ordered[i - 1] >= i), default=0)


def test_metrics_agree_with_the_definitions_and_obey_the_invariants() -> None:
    rng = np.random.default_rng(7)
    n_works, n_authors = 3000, 400
    citations = np.floor(rng.pareto(1.2, n_works) * 5)
    citations[rng.random(n_works) < 0.2] = np.nan  # no source gave a count
    works = WorkArrays(
        citations=citations,
        recent=np.where(rng.random(n_works) < 0.5, np.floor(rng.random(n_works) * 30), np.nan),
        category=rng.integers(-1, 4, n_works),
        day=rng.integers(15000, 20000, n_works),
        has_code=rng.random(n_works) < 0.3,
        upvotes=np.floor(rng.random(n_works) * 10),
        novelty=np.where(rng.random(n_works) < 0.7, rng.random(n_works) * 100, np.nan),
    )
    pairs = {
        (int(a), int(w))
        for a, w in zip(rng.integers(0, n_authors, 12000), rng.integers(0, n_works, 12000), strict=True)
    }
    ordered = sorted(pairs)
    author = np.array([a for a, _ in ordered])
    work = np.array([w for _, w in ordered])
    edge = rng.random(len(ordered)) < 0.4
    table = compute(works, Authorships(author, work, edge), n_authors)
    for a in range(n_authors):
        mine = work[author == a]
        known = [float(c) for c in works.citations[mine] if not np.isnan(c)]
        assert table.works[a] == len(mine)
        assert table.cited_works[a] == len(known)
        assert table.h_index[a] == brute_h(known)
        assert table.i10_index[a] == sum(1 for c in known if c >= 10)
        assert table.citations[a] == sum(known)
        assert table.h_index[a] <= table.cited_works[a] <= table.works[a]
        assert table.h_index[a] ** 2 <= table.citations[a]
        doubled = [
            v for w, e in zip(mine, edge[author == a], strict=True) for v in [works.novelty[w]] * (1 + e)
        ]
        doubled = [v for v in doubled if not np.isnan(v)]
        scored = int(np.sum(~np.isnan(works.novelty[mine])))
        if scored >= 3:
            assert table.novelty[a] == pytest.approx(float(np.median(doubled)))
        else:
            assert np.isnan(table.novelty[a])
        cats = [
            (int(c), int(d)) for c, d in zip(works.category[mine], works.day[mine], strict=True) if c >= 0
        ]
        if cats:
            counts = {c: sum(1 for x, _ in cats if x == c) for c, _ in cats}
            best = max(counts.values())
            latest = max(d for c, d in cats if counts[c] == best)
            assert table.main_category[a] in {c for c, d in cats if counts[c] == best and d == latest}
        else:
            assert table.main_category[a] == -1


# ------------------------------------------------------------------------- cards
def test_rendered_cards_equal_all_24_captured_cards(engine: Engine) -> None:
    import_file(engine, SEED / "paper_cards.jsonl")
    import_file(engine, SEED / "author_profile.json")
    captured = [json.loads(line) for line in (SEED / "paper_cards.jsonl").read_text().splitlines()]
    assert len(captured) == 24
    with engine.connect() as conn:
        by_title = dict(conn.execute(select(t.works.c.title_key, t.works.c.id)).all())
        rendered = cards(conn, list(by_title.values()), TODAY)
    for capture in captured:
        card = rendered[by_title[normalise_title(capture["title"])]]
        where = f"{capture['source_file']} card {capture['position']}"
        assert card.tag == capture["category"], where
        assert card.date == capture["date_text"], where
        assert card.has_code is capture["has_code"], where
        assert card.authors == capture["authors_shown"], where
        assert card.et_al is capture["et_al"], where
        assert card.affiliations == capture["affiliations"], where
        assert card.title == capture["title"] and card.abstract == capture["abstract"], where


@pytest.mark.parametrize(
    ("category", "tag"),
    [
        ("cs.LG", "LG"),
        ("cs.SD", "SD"),
        ("stat.ML", "stat.ML"),
        ("eess.AS", "eess.AS"),
        ("hep-th", "hep-th"),
        (None, None),
    ],
)
def test_category_tag_drops_only_the_cs_prefix(category: str | None, tag: str | None) -> None:
    assert category_tag(category) == tag


def test_the_date_leaves_the_year_out_only_in_the_current_year() -> None:
    assert date_text(dt.date(2023, 10, 26), TODAY) == "Oct 26, 2023"
    assert date_text(dt.date(2026, 5, 8), TODAY) == "May 8"
    assert date_text(dt.date(2026, 5, 8), dt.date(2027, 1, 1)) == "May 8, 2026"
    assert date_text(None, TODAY) is None


# ------------------------------------------------------------------------- finding people
@pytest.mark.parametrize(
    "text", ["Natalie Mackraz", "natalie MACKRAZ", "Mackraz, Natalie", "N. Mackraz", "mackraz"]
)
def test_lookup_forgives_case_order_and_initials(engine: Engine, text: str) -> None:
    import_file(engine, SEED / "paper_cards.jsonl")
    assert only_author(engine, text).name == "Natalie Mackraz"


def test_lookup_forgives_accents(engine: Engine) -> None:
    import_file(engine, SEED / "paper_cards.jsonl")
    assert only_author(engine, "Stephane Aroca-Ouellette").name == "Stéphane Aroca-Ouellette"


def test_several_matches_come_with_context_to_choose(engine: Engine) -> None:
    import_file(engine, S2_AUTHORS)
    with engine.connect() as conn:
        found = profiles.find(conn, "Parnas")
    assert len(found) > 1
    assert found[0]["name"] == "D. Parnas" and found[0]["papers"] == 269
    assert all({"id", "name", "papers", "main_category", "affiliations"} <= set(f) for f in found)

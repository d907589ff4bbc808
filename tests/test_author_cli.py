"""`paperradar author` and `paperradar metrics refresh` as a user runs them, on the demo corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paperradar.cli import app
from tests.conftest import Run


@pytest.fixture(scope="module")
def run(demo_run: Run) -> Run:
    return demo_run


def test_the_profile_reads_like_the_captured_page_but_sourced(run: Run) -> None:
    code, out = run("author", "Natalie Mackraz", "--limit", "0")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].startswith("Natalie Mackraz  CL")
    assert "h-index —   7 papers   citations —   Novelty —   AI Score —" in out
    assert "no citation data for any of the 7 works" in out
    assert "impossible: h-index 23 > 7 papers" in out  # the captured header, reported and flagged
    assert "7 Papers" in out
    # The cards, newest first, as captured: tag · date, Code badge, authors et al. · affiliations.
    first = lines.index("CL · Sep 9, 2025")
    assert lines[first + 1] == "Bias after Prompting: Persistent Discrimination in Large Language Models"
    assert lines[first + 2] == "Nivedha Sivakumar, Natalie Mackraz, Samira Khorshidi et al."
    assert "CL · May 29, 2025  Code" in lines
    assert "Andrew Szot, Max Schwarzer, Harsh Agrawal et al. · apple-ml, gatech" in lines
    assert out.index("LG · Oct 26, 2023") < out.index("LG · May 8")  # the yearless capture last
    assert "Co-authors  Barry-John Theobald (2)" in out
    assert "Citations per year  —" in out


def test_json_gives_every_field_with_its_provenance(run: Run) -> None:
    code, out = run("author", "mackraz, natalie", "--json")
    assert code == 0
    profile = json.loads(out)
    assert profile["name"] == "Natalie Mackraz"
    assert (
        profile["papers"]["value"] == 7
        and "2 more listed by the captured profile page" in profile["papers"]["basis"]
    )
    seed = profile["h_index"]["reported"][0]
    assert seed["source"] == "seed_cards" and seed["value"] == 23 and len(seed["problems"]) == 2
    assert profile["ai_score"]["value"] is None and profile["ai_score"]["reason"].startswith("missing")
    assert [p["metric"] for p in profile["ai_score"]["parts"]] == [
        "h_index",
        "citations_per_year",
        "novelty",
        "code_rate",
        "upvotes",
    ]
    cards = [w["card"] for w in profile["works"]]
    assert len(cards) == 7 and all(
        {"tag", "date", "has_code", "authors", "et_al", "affiliations"} <= set(c) for c in cards
    )
    assert all(w["novelty"]["reason"] for w in profile["works"])  # nothing embedded in this demo


def test_s2_authors_show_their_checked_h_index(run: Run) -> None:
    code, out = run("author", "s2:3234559", "--no-abstracts", "-n", "1")
    assert code == 0
    assert out.startswith("E. Dijkstra")
    assert "h-index 42   266 papers   citations 48,172" in out
    assert "reported by Semantic Scholar" in out and "(differs from ours)" in out  # 48,151 vs the papers' sum
    assert "… and 265 more (--page 2, or --limit 0 for all)" in out


def test_several_people_are_listed_to_choose_from(run: Run) -> None:
    code, out = run("author", "parnas")
    assert code == 0
    assert "authors match 'parnas'; choose one by id" in out
    assert "D. Parnas 269 papers" in " ".join(out.split())


def test_an_unknown_author_says_so(run: Run) -> None:
    code, out = run("author", "Nobody Atall")
    assert code == 1 and "no author matches 'Nobody Atall'" in out


def listed_ids(listing: str) -> list[int]:
    return [int(line.split()[0]) for line in listing.splitlines() if line.startswith("  ")]


def test_split_and_merge_from_the_command_line(run: Run) -> None:
    code, out = run("author", "split", "Katherine Metcalf", "--works", "2401.99999")
    assert code == 1 and "no work '2401.99999'" in out
    _, before = run("author", "Katherine Metcalf", "--json")
    works = json.loads(before)["works"]
    mirror = next(
        w["card"]["work_id"] for w in works if w["card"]["title"].startswith("Mirroring to Build Trust")
    )
    code, out = run("author", "split", "Katherine Metcalf", "--works", str(mirror))
    assert code == 0 and "moved 1 work from author" in out
    code, out = run("metrics", "refresh", "--json")
    assert code == 0 and json.loads(out)["authors"]["recomputed"] == 2  # only the two touched
    _, listing = run("author", "Katherine Metcalf")
    assert "2 authors match" in listing  # one name, two people now: chosen by id
    first, second = listed_ids(listing)
    code, out = run("author", "merge", str(first), str(second))
    assert code == 0 and f"merged 1 into author {first}" in out
    _, after = run("author", str(second), "--json")  # the merged id leads to the person
    assert json.loads(after)["author_id"] == first
    assert json.loads(after)["papers"]["value"] == len(works)


def test_refresh_is_incremental(run: Run) -> None:
    run("metrics", "refresh")  # whatever earlier tests changed
    code, out = run("metrics", "refresh")
    assert code == 0 and "0 authors recomputed (authors touched since the last run)" in out
    code, out = run("metrics", "refresh", "--full", "--no-novelty")
    assert code == 0 and "authors recomputed (every author)" in out


def test_every_author_command_has_help_with_an_example() -> None:
    runner = CliRunner()
    for command in (
        ["author", "show"],
        ["author", "merge"],
        ["author", "split"],
        ["metrics", "refresh"],
        ["author"],
    ):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, command
        assert "Example:" in result.output, command


def test_demo_prints_the_profile_command(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--no-embed", "--path", str(tmp_path / "d.db")])
    assert 'author "Natalie Mackraz"' in result.output
    assert "authors recomputed (every author)" in result.output

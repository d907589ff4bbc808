"""`paperradar daily / trending / upvote / submit` as a user runs them, on the demo corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paperradar.cli import app
from tests.conftest import FIXTURES, Run
from tests.replay import Answer, replay_server


@pytest.fixture(scope="module")
def run(demo_run: Run) -> Run:
    return demo_run


def test_the_daily_page_lists_the_day_most_upvoted_first(run: Run) -> None:
    code, out = run("daily", "2026-06-12", "--no-abstracts", "-n", "2")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Daily papers · Fri Jun 12, 2026") and "30 papers" in lines[0]
    assert "paperradar daily 2026-06-11" in out and "paperradar daily 2026-06-13" in out
    assert "EvoArena: Tracking Memory Evolution for Robust LLM Agents in Dynamic Environments" in lines
    assert any(line.startswith("MIT · Jun 11 · ▲ 118  Code") for line in lines)
    assert "… and 28 more" in out


def test_week_and_month_views(run: Run) -> None:
    _, week = run("daily", "2026-06-14", "--week", "--json", "-n", "0")
    _, month = run("daily", "2026-06-30", "--month", "--json", "-n", "0")
    week_data, month_data = json.loads(week), json.loads(month)
    assert (week_data["first"], week_data["last"]) == ("2026-06-08", "2026-06-14")
    assert (month_data["first"], month_data["last"]) == ("2026-06-01", "2026-06-30")
    featured = [i for i in week_data["items"] if i["why"] == "featured on Hugging Face"]
    assert len(featured) == 30
    assert month_data["total"] >= week_data["total"]


def test_votes_add_to_hugging_faces_count_once_per_user(run: Run) -> None:
    assert run("upvote", "2606.00467", "--user", "ada") == (0, "upvoted as ada; 1 local vote\n")
    assert run("upvote", "2606.00467", "--user", "ada") == (0, "already upvoted as ada; 1 local vote\n")
    run("upvote", "2606.00467", "--user", "bob")
    _, out = run("daily", "2026-06-12", "--json", "-n", "0")
    item = next(i for i in json.loads(out)["items"] if i["arxiv_id"] == "2606.00467")
    assert (item["upvotes_huggingface"], item["upvotes_local"], item["upvotes"]) == (0, 2, 2)
    assert run("upvote", "2606.00467", "--undo", "--user", "bob")[1] == "vote taken back; 1 local vote\n"
    code, out = run("upvote", "9999.99999")
    assert code == 1 and "no work '9999.99999'" in out


def test_trending_as_of_the_featured_day(run: Run) -> None:
    code, out = run("trending", "--at", "2026-06-12", "-n", "2")
    assert code == 0
    assert out.splitlines()[1].startswith(" 1. EvoArena")
    code, out = run("trending", "--window", "year")
    assert code == 2 and "--window must be day, week or month" in out


def test_submit_puts_a_paper_on_a_day(run: Run) -> None:
    code, out = run("submit", "https://arxiv.org/abs/2104.12255", "--day", "2026-06-13", "--user", "ada")
    assert code == 0 and out == "on the feed of 2026-06-13 (submitted by ada)\n"
    _, again = run("submit", "2104.12255", "--user", "bob")
    assert again == "already submitted by ada for 2026-06-13\n"
    _, day = run("daily", "2026-06-13", "--json")
    assert [i["why"] for i in json.loads(day)["items"] if i["arxiv_id"] == "2104.12255"] == [
        "submitted here by ada"
    ]


def test_every_community_command_has_help_with_an_example() -> None:
    for command in ("daily", "trending", "upvote", "submit", "serve"):
        result = CliRunner().invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "Example:" in result.output, command


def test_organisation_commands(run: Run) -> None:
    assert run("org", "create", "apple-ml", "--name", "Apple ML Research", "--user", "ada")[0] == 0
    assert run("org", "create", "apple-ml", "--name", "Again")[1].startswith("error: there is already")
    assert run("org", "add-member", "apple-ml", "bob") == (0, "bob added to apple-ml\n")
    assert run("org", "tag", "apple-ml", "2606.00467", "--user", "bob") == (
        0,
        "2606.00467 tagged to apple-ml\n",
    )
    code, out = run("org", "tag", "apple-ml", "2606.00467", "--user", "eve")
    assert code == 1 and "eve is not a member of this organisation" in out
    _, page = run("org", "show", "apple-ml", "--json")
    data = json.loads(page)
    assert data["members"] == [{"user": "ada", "role": "admin"}, {"user": "bob", "role": "member"}]
    assert [p["arxiv_id"] for p in data["papers"]] == ["2606.00467"]
    code, out = run("org", "show", "CohereLabs")
    assert code == 0 and "Making, not Taking, the Best of N" in out
    assert run("org", "show", "nobody")[0] == 1
    for command in ("create", "add-member", "tag", "show"):
        result = CliRunner().invoke(app, ["org", command, "--help"])
        assert "Example:" in result.output, command


def test_submitting_a_paper_the_store_lacks_fetches_it_from_arxiv(db_url: str, tmp_path: Path) -> None:
    recorded = (FIXTURES / "arxiv_api" / "id_1707.08567_s0_m100_6a1afebfc6a3.body.xml").read_bytes()

    def answer(_path: str, query: dict[str, str]) -> Answer:
        assert query["id_list"] == "1707.08567"
        return 200, recorded, {"Content-Type": "application/atom+xml"}

    runner = CliRunner()
    with replay_server(answer) as (url, seen):
        env = {
            "PAPERRADAR_CONFIG": str(tmp_path / "config.toml"),
            "PAPERRADAR_CACHE_DIR": str(tmp_path / "cache"),
            "PAPERRADAR_ARXIV_API_URL": f"{url}/api/query",
        }
        refused = runner.invoke(app, ["--db", db_url, "submit", "1707.08567", "--no-fetch"], env=env)
        assert refused.exit_code == 1 and "no work '1707.08567' in the store (--no-fetch)" in refused.output
        assert not seen
        args = [
            "--db",
            db_url,
            "submit",
            "https://arxiv.org/abs/1707.08567v2",
            "--day",
            "2026-06-12",
            "--user",
            "ada",
        ]
        done = runner.invoke(app, args, env=env)
    assert done.exit_code == 0, done.output
    assert "on the feed of 2026-06-12 (submitted by ada)" in done.output and len(seen) == 1
    day = runner.invoke(app, ["--db", db_url, "daily", "2026-06-12", "--json"])
    assert [i["arxiv_id"] for i in json.loads(day.output)["items"]] == ["1707.08567"]
    nothing = runner.invoke(app, ["--db", db_url, "submit", "not-an-id"])
    assert nothing.exit_code == 1 and "no work 'not-an-id' in the store" in nothing.output

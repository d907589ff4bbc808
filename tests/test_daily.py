"""Daily papers, upvotes and trending on the recorded Hugging Face day, on both backends."""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine

from paperradar.analysis.daily import HALF_LIFE_HOURS, announced_on, feed, organisation_page, trending
from paperradar.ingest import import_file
from paperradar.store import community, queries
from paperradar.store.database import writing
from tests.conftest import FIXTURES

HF = FIXTURES / "huggingface" / "daily_papers.json"
DAY = dt.date(2026, 6, 12)
ET = dt.timezone(dt.timedelta(hours=-4))  # US Eastern in summer


def work(engine: Engine, arxiv: str) -> int:
    with engine.connect() as conn:
        found = queries.resolve_work(conn, arxiv)
    assert found is not None
    return found


def test_the_recorded_day_is_a_feed_of_its_30_papers_as_hugging_face_shows_them(engine: Engine) -> None:
    import_file(engine, HF)
    recorded = {item["paper"]["id"]: item for item in json.loads(HF.read_text())}
    with engine.connect() as conn:
        items = feed(conn, DAY, DAY, today=DAY)
    assert len(items) == 30
    assert [i.upvotes for i in items] == sorted((i.upvotes for i in items), reverse=True)
    for item in items:
        paper = recorded[item.card.arxiv_id]["paper"]
        org = recorded[item.card.arxiv_id].get("organization") or paper.get("organization")
        assert item.day == DAY and item.why == "featured on Hugging Face"
        assert item.hf_upvotes == paper["upvotes"] and item.local_votes == 0
        assert item.card.n_authors == len(paper["authors"])
        assert item.organisation == (org["name"] if org else None)
        summary = (paper.get("summary") or "").lower()
        mentions_repo = "github.com/" in summary or "gitlab.com/" in summary
        assert item.card.has_code is (bool(paper.get("githubRepo")) or mentions_repo)
        if paper.get("githubRepo"):
            assert item.card.code_url == paper["githubRepo"]
    # The day before and after are empty of featured papers.
    with engine.connect() as conn:
        assert all(
            i.why != "featured on Hugging Face"
            for i in feed(conn, DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=1))
        )


def test_fifty_concurrent_votes_of_fifty_users_count_fifty(engine: Engine) -> None:
    import_file(engine, HF)
    paper = work(engine, "2606.00467")

    def vote(voter: str) -> bool:
        with writing(engine) as conn:
            return community.upvote(conn, paper, voter)

    with ThreadPoolExecutor(max_workers=10) as pool:
        accepted = list(pool.map(vote, [f"user{i}" for i in range(50)]))
        again = list(pool.map(vote, ["user7"] * 10))  # one user, ten times at once
    assert all(accepted) and not any(again)
    with engine.connect() as conn:
        assert community.local_votes(conn, paper) == 50
        item = next(i for i in feed(conn, DAY, DAY) if i.card.work_id == paper)
    assert (item.hf_upvotes, item.local_votes, item.upvotes) == (0, 50, 50)


def test_a_vote_can_be_taken_back_once(engine: Engine) -> None:
    import_file(engine, HF)
    paper = work(engine, "2606.00467")
    with writing(engine) as conn:
        assert community.upvote(conn, paper, "ada")
        assert not community.upvote(conn, paper, "ada")
        assert community.undo_upvote(conn, paper, "ada")
        assert not community.undo_upvote(conn, paper, "ada")
        assert community.local_votes(conn, paper) == 0


def test_trending_follows_the_half_life_formula(engine: Engine) -> None:
    import_file(engine, HF)
    now = dt.datetime(2026, 6, 20, 12, tzinfo=dt.UTC)
    plan = {  # work → hours ago of each local vote
        "2606.00467": [1, 2, 3],  # three fresh votes
        "2606.12730": [30, 30, 30, 30, 30, 30],  # six older ones
        "2606.13594": [100],  # outside the day window, inside the week
    }
    with writing(engine) as conn:
        for arxiv, ages in plan.items():
            for i, hours in enumerate(ages):
                community.upvote(conn, work(engine, arxiv), f"u{i}", now - dt.timedelta(hours=hours))
    expected = {arxiv: sum(0.5 ** (h / HALF_LIFE_HOURS) for h in ages) for arxiv, ages in plan.items()}
    with engine.connect() as conn:
        week = trending(conn, "week", now)
        day = trending(conn, "day", now)
    assert [t.card.arxiv_id for t in week] == sorted(expected, key=lambda a: -expected[a])
    for t in week:
        assert t.card.arxiv_id is not None
        assert t.score == pytest.approx(expected[t.card.arxiv_id], rel=1e-6)
    assert [t.card.arxiv_id for t in day] == ["2606.00467"]  # the others' votes are older than a day
    # Hugging Face's counts are votes of the featured day: on the day after, they lead.
    with engine.connect() as conn:
        featured = trending(conn, "day", dt.datetime(2026, 6, 12, 12, tzinfo=dt.UTC))
    assert featured[0].hf_upvotes == max(i["paper"]["upvotes"] for i in json.loads(HF.read_text()))
    assert featured[0].score == pytest.approx(featured[0].hf_upvotes * 0.5 ** (12 / 24))


@pytest.mark.parametrize(
    ("submitted", "listed"),
    [
        (dt.datetime(2026, 6, 8, 10, tzinfo=ET), dt.date(2026, 6, 9)),  # Monday morning: Tuesday's list
        (dt.datetime(2026, 6, 8, 15, tzinfo=ET), dt.date(2026, 6, 10)),  # after 14:00: a day later
        (dt.datetime(2026, 6, 11, 15, tzinfo=ET), dt.date(2026, 6, 15)),  # Thursday late: Monday
        (dt.datetime(2026, 6, 12, 10, tzinfo=ET), dt.date(2026, 6, 15)),  # Friday: Monday's list
        (dt.datetime(2026, 6, 12, 15, tzinfo=ET), dt.date(2026, 6, 16)),  # Friday late: Tuesday
        (dt.datetime(2026, 6, 13, 9, tzinfo=ET), dt.date(2026, 6, 16)),  # Saturday: Tuesday
        (dt.datetime(2026, 6, 8, 17, 30, tzinfo=dt.UTC), dt.date(2026, 6, 9)),  # 13:30 Eastern
    ],
)
def test_arxiv_papers_are_on_the_day_arxiv_lists_them(submitted: dt.datetime, listed: dt.date) -> None:
    assert announced_on(submitted) == listed


def test_submitted_papers_join_the_days_feed(engine: Engine) -> None:
    import_file(engine, FIXTURES / "arxiv_snapshot" / "arxiv-metadata-oai-snapshot.head200.jsonl")
    paper = work(engine, "0704.0001")
    with writing(engine) as conn:
        assert community.submit(conn, paper, "ada", DAY) == ("ada", DAY)
        assert community.submit(conn, paper, "bob", DAY + dt.timedelta(days=1)) == ("ada", DAY)
    with engine.connect() as conn:
        items = feed(conn, DAY, DAY)
    assert [(i.card.arxiv_id, i.why, i.submitter) for i in items] == [
        ("0704.0001", "submitted here by ada", "ada")
    ]


def test_organisations_have_members_and_the_papers_they_tag(engine: Engine) -> None:
    import_file(engine, HF)
    paper = work(engine, "2606.00467")
    with writing(engine) as conn:
        org = community.create_organisation(conn, "apple-ml", "Apple Machine Learning Research", "ada")
        with pytest.raises(community.OrganisationError, match="already an organisation"):
            community.create_organisation(conn, "apple-ml", "Again", "bob")
        with pytest.raises(community.OrganisationError, match="not a handle"):
            community.create_organisation(conn, "no spaces", "Bad", "bob")
        assert community.add_member(conn, org, "bob") and not community.add_member(conn, org, "bob")
        assert community.tag(conn, org, paper, "bob") and not community.tag(conn, org, paper, "ada")
        with pytest.raises(community.OrganisationError, match="eve is not a member"):
            community.tag(conn, org, paper, "eve")
    with engine.connect() as conn:
        page = organisation_page(conn, org)
        caltech_id = community.organisation_id(conn, "caltech")
        assert caltech_id is not None
        caltech = organisation_page(conn, caltech_id)
    assert (page.handle, page.name, page.source) == ("apple-ml", "Apple Machine Learning Research", "local")
    assert page.members == [("ada", "admin"), ("bob", "member")]
    assert [(i.card.arxiv_id, i.why) for i in page.papers] == [("2606.00467", "tagged by bob")]
    # A Hugging Face organisation's page lists what Hugging Face lists under it.
    assert [i.card.arxiv_id for i in caltech.papers] == ["2606.00467"]
    assert caltech.papers[0].why == "listed under it by Hugging Face"

"""Hugging Face daily papers: the recorded 2026-06-12 response, and broken variants derived from it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from paperradar.records import HUGGINGFACE, Item, UnreadableInput, WorkRecord
from paperradar.sources import hf_papers

DAILY = Path(__file__).parent.parent / "fixtures" / "huggingface" / "daily_papers.json"


def works(items: list[Item]) -> list[WorkRecord]:
    return [item.record for item in items if isinstance(item.record, WorkRecord)]


def test_the_30_featured_papers_with_their_community_signals() -> None:
    items = list(hf_papers.parse(DAILY, 0))
    records = works(items)
    assert len(records) == 30 and all(item.problem is None for item in items)
    assert all(item.source == HUGGINGFACE for item in items)
    assert [item.position for item in items] == list(range(1, 31))
    assert all(r.community is not None for r in records)
    communities = [r.community for r in records if r.community]
    assert all(c.featured_day == dt.date(2026, 6, 12) for c in communities)
    assert all(isinstance(c.upvotes, int) for c in communities)
    assert max(c.upvotes or 0 for c in communities) == 118
    assert sum(1 for c in communities if c.organisation) == 16
    assert sum(1 for r in records if r.code) == 16


def test_first_item_in_detail() -> None:
    first = next(hf_papers.parse(DAILY, 0))
    assert first.location == "item 1 (arXiv 2606.00467)"
    record = first.record
    assert isinstance(record, WorkRecord) and record.community is not None
    assert record.ids == {"arxiv": "2606.00467"}
    assert record.title is not None and record.title.startswith("On the Limits of LLM Adaptability")
    assert record.abstract is not None and record.abstract.startswith("Large Language Models (LLMs)")
    assert [a.name for a in record.authors] == ["Etienne Casanova", "Rafal Kocielnik", "R. Michael Alvarez"]
    assert record.published == dt.date(2026, 5, 30) and record.year == 2026
    assert record.code == []
    community = record.community
    assert (community.upvotes, community.comments) == (0, 2)
    assert (community.submitter, community.submitter_name) == ("RKocielnik", "Rafal Kocielnik")
    assert (community.organisation, community.organisation_name) == (
        "caltech",
        "California institute of technology",
    )
    assert community.n_authors == 3
    assert community.ai_summary is not None and "zero-shot errors" in community.ai_summary
    assert "decision stickiness" in community.ai_keywords


def test_repository_stars_project_page_and_linked_hf_users() -> None:
    records = {r.ids["arxiv"]: r for r in works(list(hf_papers.parse(DAILY, 0)))}
    minimax = records["2606.13392"]
    assert minimax.community is not None and minimax.community.upvotes == 103
    assert minimax.community.organisation == "MiniMaxAI"
    assert [c.url for c in minimax.code] == ["https://github.com/MiniMax-AI/MSA"]
    assert minimax.code[0].stars is not None
    umich = records["2606.13594"].community
    assert umich is not None and umich.project_page == "https://chicychen.github.io/dense-hetero-latent-mas/"
    linked = [a for r in records.values() for a in r.authors if a.ids]
    assert len(linked) == 21
    baena = next(a for a in linked if a.ids == {"hf": "RaphaelBfr"})
    assert baena.name == "Raphaël Baena"  # the name on the paper, not the HF display name


def test_broken_items_become_problems_and_the_rest_parse(tmp_path: Path) -> None:
    real = json.loads(DAILY.read_text(encoding="utf-8"))
    no_id = json.loads(json.dumps(real[2]))
    del no_id["paper"]["id"]
    not_arxiv = json.loads(json.dumps(real[3]))
    not_arxiv["paper"]["id"] = "abc"
    path = tmp_path / "daily.json"
    path.write_text(json.dumps([real[0], "a string", no_id, not_arxiv, {"title": "no paper"}, real[1]]))
    items = list(hf_papers.parse(path, 0))
    assert [item.location for item in items] == [
        "item 1 (arXiv 2606.00467)",
        "item 2",
        "item 3",
        "item 4",
        "item 5",
        "item 6 (arXiv 2606.12730)",
    ]
    reasons = [item.problem.reason for item in items if item.problem]
    assert reasons == [
        "item is not a JSON object",
        "paper has no id",
        "paper.id 'abc' is not an arXiv id",
        "item has no 'paper' object",
    ]
    assert len(works(items)) == 2


def test_resume_skips_earlier_items() -> None:
    assert [item.position for item in hf_papers.parse(DAILY, 29)] == [29, 30]


def test_an_error_body_makes_the_file_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "daily.json"
    path.write_text('{"error": "Invalid date"}')
    with pytest.raises(UnreadableInput, match="Hugging Face error: Invalid date"):
        list(hf_papers.parse(path, 0))

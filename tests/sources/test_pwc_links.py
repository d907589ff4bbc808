"""Papers-with-Code links: the documented example, broken variants and a streamed multi-chunk file."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from paperradar.records import PAPERS_WITH_CODE, Item, WorkRecord
from paperradar.sources import pwc_links

LINKS = (
    Path(__file__).parent.parent
    / "fixtures"
    / "paperswithcode"
    / "links-between-papers-and-code.documented_example.json"
)


def works(items: list[Item]) -> list[WorkRecord]:
    return [item.record for item in items if isinstance(item.record, WorkRecord)]


def real_records() -> list[dict[str, object]]:
    records: list[dict[str, object]] = json.loads(LINKS.read_text(encoding="utf-8"))
    return records


def test_three_links_with_official_flag_and_framework() -> None:
    items = list(pwc_links.parse(LINKS, 0))
    assert [item.location for item in items] == ["record 1", "record 2", "record 3"]
    assert all(item.source == PAPERS_WITH_CODE for item in items)
    records = works(items)
    assert [r.ids for r in records] == [
        {"arxiv": "1601.02063", "pwc": "odyssey-a-public-gpu-based-code-for-general"},
        {"arxiv": "1810.10559", "pwc": "efficient-leave-one-out-cross-validation-for"},
        {"arxiv": "2005.03776", "pwc": "mapping-natural-language-instructions-to"},
    ]
    assert [(c.url, c.is_official, c.framework) for r in records for c in r.code] == [
        ("https://github.com/LeonGeiger/Kerr", False, None),
        ("https://github.com/paul-buerkner/psis-non-factorized-paper", True, None),
        ("https://github.com/deepneuralmachine/seq2act-tensorflow", False, "tf"),
    ]
    assert records[1].title == (
        "Efficient leave-one-out cross-validation for Bayesian non-factorized normal and Student-t models"
    )
    assert records[1].extra == {"mentioned_in_paper": True, "mentioned_in_github": False}


def test_missing_repo_url_is_a_problem_and_a_link_without_arxiv_id_is_kept(tmp_path: Path) -> None:
    records = real_records()
    del records[1]["repo_url"]
    records[2]["paper_arxiv_id"] = None
    path = tmp_path / "links.json"
    path.write_text(json.dumps(records, indent=2))
    items = list(pwc_links.parse(path, 0))
    assert [(item.location, item.problem.reason if item.problem else None) for item in items] == [
        ("record 1", None),
        ("record 2", "no repo_url"),
        ("record 3", None),
    ]
    assert items[1].problem is not None and "efficient-leave-one-out" in (items[1].problem.raw or "")
    assert isinstance(items[2].record, WorkRecord)
    assert items[2].record.ids == {"pwc": "mapping-natural-language-instructions-to"}


def test_a_syntax_error_skips_one_record_and_a_cut_file_ends_with_a_problem(tmp_path: Path) -> None:
    text = json.dumps(real_records(), indent=2)
    broken = tmp_path / "broken.json"
    broken.write_text(text.replace('"is_official": true,', '"is_official": true', 1))
    items = list(pwc_links.parse(broken, 0))
    assert [item.problem is None for item in items] == [True, False, True]
    assert items[1].problem is not None and items[1].problem.reason.startswith("not valid JSON")

    cut = tmp_path / "cut.json"
    cut.write_text(text[: text.index('"repo_url": "https://github.com/deepneuralmachine')])
    items = list(pwc_links.parse(cut, 0))
    assert len(works(items)) == 2
    assert items[-1].location == "record 3"
    assert items[-1].problem is not None and "truncated" in items[-1].problem.reason


def test_a_large_gzip_file_streams_across_chunks(tmp_path: Path) -> None:
    records = real_records()
    records[0]["paper_title"] = "Odyssée: « ünïcode » across chunk boundaries ✓"
    many = records * 4000  # ~2.2 MB: several decoder chunks, split inside records and characters
    path = tmp_path / "links-between-papers-and-code.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        json.dump(many, fh, ensure_ascii=False)
    items = list(pwc_links.parse(path, 0))
    assert len(items) == 12000 and all(item.problem is None for item in items)
    assert [item.position for item in items] == list(range(1, 12001))
    titles = {r.title for r in works(items)}
    assert "Odyssée: « ünïcode » across chunk boundaries ✓" in titles and len(titles) == 3
    assert [item.position for item in pwc_links.parse(path, 11999)] == [11999, 12000]

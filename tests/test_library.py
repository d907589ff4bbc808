"""`paperradar library` as a user runs it: save, tag, note, read; BibTeX and Zotero in and out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bibtexparser.entrypoint import parse_string

from paperradar.sources import detect
from tests.conftest import FIXTURES, Run

BIB = FIXTURES / "bibtex" / "library.bib"  # the sample corpus imports it: its works are all there
EVOARENA, MINIMAX = "2606.13681", "2606.13392"


@pytest.fixture
def zotero(tmp_path: Path) -> Path:
    """A Zotero CSL-JSON export: arXiv items the three ways Zotero writes them, a title-only
    item of the corpus, one the corpus lacks, and one that is not an item at all."""
    items = [
        {
            "id": "http://zotero.org/users/1/items/A1",
            "type": "article",
            "title": "EvoArena (Zotero's title)",
            "number": f"arXiv:{EVOARENA}",
            "keyword": "agents, to-read",
            "note": "for Friday's reading group",
        },
        {"id": "A2", "type": "article", "title": "MiniMax", "URL": f"https://arxiv.org/abs/{MINIMAX}v2"},
        {
            "id": "A3",
            "type": "article-journal",
            "title": "How Much Should We Trust Differences-in-Differences Estimates?",
            "issued": {"date-parts": [[2001]]},
            "keyword": "econometrics",
        },
        {
            "id": "A4",
            "type": "book",
            "title": "A Book the Corpus Has Never Heard Of",
            "issued": {"raw": "1999"},
        },
        "not an item",
    ]
    path = tmp_path / "My Library.json"
    path.write_text(json.dumps(items, indent=1))
    return path


def test_save_tag_note_read_and_list(demo_run: Run) -> None:
    code, out = demo_run("library", "save", EVOARENA, MINIMAX, "--tag", "Agents ", "--user", "ada")
    assert code == 0 and f"saved: {EVOARENA}" in out and f"saved: {MINIMAX}" in out
    assert "already saved" in demo_run("library", "save", EVOARENA, "--user", "ada")[1]
    assert (
        demo_run("library", "tag", MINIMAX, "attention", "to-read", "--user", "ada")[1]
        .strip()
        .endswith("agents, attention, to-read")
    )
    demo_run("library", "tag", MINIMAX, "agents", "--remove", "--user", "ada")
    demo_run("library", "note", MINIMAX, "compare with Longformer", "--user", "ada")
    demo_run("library", "read", EVOARENA, "--user", "ada")

    code, out = demo_run("library", "list", "--json", "--user", "ada")
    listed = {i["arxiv_id"]: i for i in json.loads(out)}
    assert set(listed) == {EVOARENA, MINIMAX}
    assert listed[MINIMAX]["tags"] == ["attention", "to-read"] and listed[EVOARENA]["tags"] == ["agents"]
    assert listed[MINIMAX]["note"] == "compare with Longformer" and listed[MINIMAX]["read_at"] is None
    assert listed[EVOARENA]["read_at"] is not None
    unread = json.loads(
        demo_run("library", "list", "--unread", "--tag", "to-read", "--json", "--user", "ada")[1]
    )
    assert [i["arxiv_id"] for i in unread] == [MINIMAX]
    code, out = demo_run("library", "list", "--user", "ada")
    assert "MiniMax Sparse Attention" in out and "note: compare with Longformer" in out and "2 papers" in out
    assert "nothing saved yet" in demo_run("library", "list", "--user", "nobody")[1]

    demo_run("library", "remove", MINIMAX, "--user", "ada")
    assert [i["arxiv_id"] for i in json.loads(demo_run("library", "list", "--json", "--user", "ada")[1])] == [
        EVOARENA
    ]
    code, out = demo_run("library", "save", "9999.99999", "--user", "ada")
    assert code == 1 and "no work '9999.99999'" in out
    code, out = demo_run("library", "tag", EVOARENA, "   ", "--user", "ada")
    assert code == 1 and "is not a tag" in out


def test_a_zotero_export_is_matched_by_arxiv_id_url_and_title(demo_run: Run, zotero: Path) -> None:
    assert detect(zotero).name == "csl-json"
    code, out = demo_run("library", "import", str(zotero), "--user", "grace")
    assert code == 0, out
    assert "3 saved · 0 already in your library · 1 not in the corpus · 1 unreadable" in out
    assert "item 4 ('A4') 'A Book the Corpus Has Never Heard Of': not in the corpus" in out
    assert "item 5" in out and "expected an object" in out

    listed = {i["title"]: i for i in json.loads(demo_run("library", "list", "--json", "--user", "grace")[1])}
    evo = next(i for i in listed.values() if i["arxiv_id"] == EVOARENA)
    assert evo["tags"] == ["agents", "to-read"] and evo["note"] == "for Friday's reading group"
    assert evo["title"].startswith("EvoArena: Tracking Memory Evolution")  # the corpus's title, not Zotero's
    assert listed["How Much Should We Trust Differences-in-Differences Estimates?"]["tags"] == [
        "econometrics"
    ]
    assert any(i["arxiv_id"] == MINIMAX for i in listed.values())

    again = demo_run("library", "import", str(zotero), "--user", "grace")[1]
    assert "0 saved · 3 already in your library" in again  # importing twice changes nothing
    assert len(json.loads(demo_run("library", "list", "--json", "--user", "grace")[1])) == 3

    # the missing book goes into the corpus like any import, and then matches
    assert demo_run("import", str(zotero))[0] == 0
    assert "1 saved · 3 already" in demo_run("library", "import", str(zotero), "--user", "grace")[1]


def test_a_bibtex_library_round_trips(demo_run: Run, tmp_path: Path) -> None:
    code, out = demo_run("library", "import", str(BIB), "--user", "bob")
    entries = BIB.read_text().count("\n@")
    assert code == 0 and f"{entries} saved · 0 already" in out and "0 not in the corpus" in out
    mine = json.loads(demo_run("library", "list", "--json", "--user", "bob")[1])
    zotero_style = next(i for i in mine if i["arxiv_id"] == "0704.0062")
    assert zotero_style["tags"]  # Zotero's keywords became tags

    exported = tmp_path / "export.bib"
    assert demo_run("library", "export", "-o", str(exported), "--user", "bob")[0] == 0
    parsed = parse_string(exported.read_text())
    assert not parsed.failed_blocks and len(parsed.entries) == entries
    assert len({e.key for e in parsed.entries}) == entries  # unique citation keys
    by_eprint = {e.fields_dict["eprint"].value: e for e in parsed.entries if "eprint" in e.fields_dict}
    assert set(by_eprint) == {i["arxiv_id"] for i in mine if i["arxiv_id"]} >= {"0704.0001", "0704.0062"}
    assert by_eprint["0704.0062"].fields_dict["keywords"].value == ", ".join(zotero_style["tags"])

    # another user imports the export and ends up with the same works and tags
    assert demo_run("library", "import", str(exported), "--user", "carol")[0] == 0
    theirs = json.loads(demo_run("library", "list", "--json", "--user", "carol")[1])
    assert {(i["work_id"], tuple(i["tags"])) for i in theirs} == {
        (i["work_id"], tuple(i["tags"])) for i in mine
    }

    code, out = demo_run("library", "export", "-f", "jsonl", "--user", "bob")
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert len(lines) == entries and all(
        {"title", "tags", "note", "saved_at", "read_at"} <= set(x) for x in lines
    )


def test_library_imports_refuse_what_they_cannot_read(demo_run: Run, tmp_path: Path) -> None:
    code, out = demo_run("library", "import", str(tmp_path / "missing.bib"))
    assert code == 1 and "file not found" in out
    hf = FIXTURES / "huggingface" / "daily_papers.json"
    code, out = demo_run("library", "import", str(hf))
    assert code == 1 and "reads BibTeX or CSL-JSON, not hf-daily" in out.replace("\n", " ")
    code, out = demo_run("library", "import", str(BIB), "--format", "ris")
    assert code == 2 and "bibtex or csl-json" in out

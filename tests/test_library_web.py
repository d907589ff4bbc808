"""The library in the web app: tags, notes, reading status, filters, import and export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from bibtexparser.entrypoint import parse_string
from fastapi.testclient import TestClient

from paperradar.web.app import create_app
from tests.conftest import FIXTURES
from tests.pages import LOCAL, csrf_of, shown_text

EVOARENA, MINIMAX = "2606.13681", "2606.13392"


@pytest.fixture(scope="module")
def client(demo_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(str(demo_db)), base_url=LOCAL) as test_client:
        yield test_client


@pytest.fixture(autouse=True)
def reader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERRADAR_USER", "lin")


def edit(client: TestClient, ident: str, **fields: str) -> None:
    token = csrf_of(client.get("/library").text)
    answer = client.post(f"/library/{ident}/edit", data={"csrf": token, "next": "/library", **fields})
    assert answer.status_code == 200, answer.text


def test_tag_note_and_read_from_the_library_page(client: TestClient) -> None:
    token = csrf_of(client.get("/").text)
    for ident in (EVOARENA, MINIMAX):
        assert client.put(f"/api/v1/papers/{ident}/save", headers={"X-CSRF-Token": token}).status_code == 200
    edit(client, MINIMAX, add_tags="Attention, to-read")
    edit(client, EVOARENA, add_tags="agents")
    edit(client, MINIMAX, note="compare with <b>Longformer</b>")
    edit(client, EVOARENA, read="1")

    page = client.get("/library")
    text = shown_text(page.text)
    assert "2 saved papers" in text and "attention (1)" in text and "to-read (1)" in text
    assert "compare with &lt;b&gt;Longformer&lt;/b&gt;" in page.text  # a note is text, never markup
    assert "Mark unread" in text and "Mark read" in text

    to_read = shown_text(client.get("/library", params={"tag": "to-read"}).text)
    assert "1 saved paper tagged “to-read”" in to_read and "MiniMax" in to_read and "EvoArena" not in to_read
    unread = shown_text(client.get("/library", params={"unread": "true"}).text)
    assert "MiniMax" in unread and "EvoArena" not in unread

    edit(client, MINIMAX, remove_tag="to-read")
    api = client.get("/api/v1/library").json()
    mine = {i["arxiv_id"]: i for i in api["items"]}
    assert mine[MINIMAX]["tags"] == ["attention"] and mine[EVOARENA]["read_at"] is not None
    assert mine[MINIMAX]["note"] == "compare with <b>Longformer</b>"

    changed = client.patch(
        f"/api/v1/library/{EVOARENA}",
        json={"add_tags": ["memory"], "read": False, "note": "  "},
        headers={"X-CSRF-Token": token},
    ).json()
    assert changed["tags"] == ["agents", "memory"] and changed["read_at"] is None and changed["note"] is None
    refused = client.patch(f"/api/v1/library/{EVOARENA}", json={"add_tags": ["x"]})
    assert refused.status_code == 403
    bad = client.patch(
        f"/api/v1/library/{EVOARENA}", json={"add_tags": [" "]}, headers={"X-CSRF-Token": token}
    )
    assert bad.status_code == 422 and "is not a tag" in bad.json()["error"]
    wrong = client.patch(
        f"/api/v1/library/{EVOARENA}", json={"read": "maybe"}, headers={"X-CSRF-Token": token}
    )
    assert wrong.status_code == 422 and "read" in wrong.json()["error"]


def test_import_an_upload_and_export_it(client: TestClient, tmp_path: Path) -> None:
    token = csrf_of(client.get("/library").text)
    zotero = json.dumps(
        [
            {"id": "Z1", "type": "article", "title": "x", "number": f"arXiv:{EVOARENA}", "keyword": "zotero"},
            {"id": "Z2", "type": "book", "title": "A Book the Corpus Has Never Heard Of"},
        ]
    )
    report = client.post(
        "/library/import",
        data={"csrf": token},
        files={"file": ("My Library.json", zotero.encode(), "application/json")},
    )
    text = shown_text(report.text)
    assert report.status_code == 200 and "csl-json:" in text
    assert "not in the corpus" in text and "A Book the Corpus Has Never Heard Of" in text
    tagged = [i["arxiv_id"] for i in client.get("/api/v1/library", params={"tag": "zotero"}).json()["items"]]
    assert tagged == [EVOARENA]
    junk = client.post(
        "/library/import", data={"csrf": token}, files={"file": ("notes.txt", b"hello", "text/plain")}
    )
    assert junk.status_code == 400 and "unknown format" in junk.text and "/tmp" not in junk.text
    hf = (FIXTURES / "huggingface" / "daily_papers.json").read_bytes()
    other = client.post(
        "/library/import", data={"csrf": token}, files={"file": ("daily.json", hf, "application/json")}
    )
    assert other.status_code == 400 and "reads BibTeX or CSL-JSON" in other.text
    assert client.post("/library/import", files={"file": ("a.bib", b"", "text/plain")}).status_code == 403

    bib = client.get("/library/export.bib")
    assert bib.status_code == 200 and "attachment" in bib.headers["content-disposition"]
    entries = parse_string(bib.text).entries
    saved = client.get("/api/v1/library").json()["items"]
    assert len(entries) == len(saved)
    assert {e.fields_dict["eprint"].value for e in entries if "eprint" in e.fields_dict} == {
        i["arxiv_id"] for i in saved if i["arxiv_id"]
    }
    lines = client.get("/library/export.jsonl", params={"tag": "zotero"}).text.splitlines()
    assert [json.loads(line)["arxiv_id"] for line in lines] == [EVOARENA]
    assert client.get("/library/export.pdf").status_code == 404

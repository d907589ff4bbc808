"""A paper's page and its JSON twin, through the ASGI app on the demo corpus: the title as the
heading, every author, links out, the full abstract, how to cite it, its references and the works
citing it a page at a time, citations per year, and what the community said.

The corpus is the demo's plus a real Semantic Scholar references page imported as EvoArena's
(``--cites``), the other page of that recording turned round into works citing it, and a paper
whose title and abstract carry markup and TeX.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import orjson
import pytest
from bibtexparser.entrypoint import parse_string
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from paperradar.cli import app as cli
from paperradar.services.community import Community
from paperradar.services.context import AppContext
from paperradar.web.app import create_app
from tests.pages import LOCAL, csrf_of, shown_text
from tests.sources.test_semantic_scholar import REFERENCES

PAPER = "2606.13681"  # EvoArena: 14 authors, featured on Hugging Face, MIT's, with code
ARXIV_PAPER = "0704.0001"  # two versions, a journal reference, comments, a DOI
OPENALEX_PAPER = "10.7717/peerj.4375"  # OpenAlex's references (not stored works) and counts per year
TEX_PAPER = "2606.99997"
TEX_TITLE = "<script>alert('x')</script> Bounds at $O(n \\log n)$"
TEX_ABSTRACT = (
    "We show <img src=x onerror=alert(1)> that $\\alpha < \\beta$ and $$\\sum_i x_i^2 = 1$$, "
    "$\\href{javascript:alert(1)}{see}$."
)
REFERENCED, CITING = 100, 47  # the works the two recorded pages list


def imported(db: Path | str, *args: str) -> dict[str, Any]:
    """``paperradar import --json …`` of one file into ``db`` (a file or URL): its result."""
    done = CliRunner().invoke(cli, ["--db", str(db), "import", "--json", *args])
    assert done.exit_code == 0, done.output
    [result] = json.loads(done.output)
    return dict(result)


def cite_pages(db: Path | str, paper: str, folder: Path) -> None:
    """The recorded references page as ``paper``'s references, and the other page of the recording
    turned round (``citingPaper``) as works citing it."""
    assert imported(db, "--cites", f"arXiv:{paper}", str(REFERENCES[0]))["citations"] == REFERENCED
    page = orjson.loads(REFERENCES[1].read_bytes())
    for entry in page["data"]:
        entry["citingPaper"] = entry.pop("citedPaper")
    citing = folder / "citing.json"
    citing.write_bytes(orjson.dumps(page))
    assert imported(db, "--cites", f"arXiv:{paper}", str(citing))["citations"] == CITING


def paper_corpus(db: Path) -> Path:
    """The demo corpus at ``db`` with EvoArena's references and citing works, and the TeX paper."""
    cite_pages(db, PAPER, db.parent)
    tex = db.parent / "tex.jsonl"
    record = {
        "id": TEX_PAPER,
        "authors": "Ada Lovelace",
        "title": TEX_TITLE,
        "abstract": TEX_ABSTRACT,
        "categories": "cs.DS",
        "versions": [{"version": "v1", "created": "Fri, 12 Jun 2026 10:00:00 GMT"}],
        "authors_parsed": [["Lovelace", "Ada", ""]],
    }
    tex.write_text(json.dumps(record) + "\n")
    assert imported(db, str(tex))["new"] == 1
    return db


@pytest.fixture(scope="module")
def client(demo_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(str(paper_corpus(demo_db))), base_url=LOCAL) as test_client:
        yield test_client


def listed(html: str, section: str) -> list[str]:
    """The titles (link texts) of the numbered list in the page's section ``section``."""
    part = html.split(f'<section id="{section}"', 1)[1].split("</section>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", part, re.S)
    return [shown_text(re.search(r"<a [^>]*>(.*?)</a>", i, re.S).group(1)) for i in items]  # type: ignore[union-attr]


def test_the_title_is_the_heading_and_every_author_links_to_a_profile(client: TestClient) -> None:
    page = client.get(f"/papers/{PAPER}")
    assert page.status_code == 200
    [title] = re.findall(r"<h1>(.*?)</h1>", page.text)
    assert title == "EvoArena: Tracking Memory Evolution for Robust LLM Agents in Dynamic Environments"
    folded = page.text.split('<details class="more-authors">', 1)[1]
    authors = re.findall(r'<a href="/authors/(\d+)">([^<]+)</a>', page.text)
    assert len(authors) == 14 and authors[0][1] == "Jundong Xu" and authors[-1][1] == "Zhiyuan Hu"
    assert len(re.findall(r'<a href="/authors/\d+">', folded.split("</details>")[0])) == 4  # after 10
    assert "Show all 14 authors" in shown_text(folded)
    profile = client.get(f"/authors/{authors[-1][0]}")
    assert profile.status_code == 200 and "Zhiyuan Hu" in shown_text(profile.text)


def test_links_out_and_the_facts_of_the_record(client: TestClient) -> None:
    evoarena = client.get(f"/papers/{PAPER}").text
    for link in (
        f"https://arxiv.org/pdf/{PAPER}",
        f"https://arxiv.org/abs/{PAPER}",
        f"https://huggingface.co/papers/{PAPER}",
        "https://github.com/Aiden0526/EvoArena",
    ):
        assert f'href="{link}"' in evoarena
    arxiv = client.get(f"/papers/{ARXIV_PAPER}").text
    text = shown_text(arxiv)
    assert 'href="https://doi.org/10.1103/physrevd.76.013009"' in arxiv
    assert "huggingface.co/papers" not in arxiv  # Hugging Face never featured it
    assert "Journal reference Phys.Rev.D76:013009,2007" in text
    assert "Comments 37 pages, 15 figures; published version" in text
    assert "Versions v1 · Apr 2, 2007 v2 · Jul 24, 2007" in text
    assert "Categories hep-ph" in text


def test_the_abstract_in_full_and_hugging_faces_summary(client: TestClient) -> None:
    detail = client.get(f"/api/v1/papers/{PAPER}").json()
    text = shown_text(client.get(f"/papers/{PAPER}").text)
    assert len(detail["abstract"]) > 1000 and " ".join(detail["abstract"].split()) in text
    [summary] = [c["ai_summary"] for c in detail["community"] if c["ai_summary"]]
    assert f"AI summary {summary}" in text and "Written by a language model" in text


def test_upvotes_submitter_and_organisation(client: TestClient) -> None:
    page = client.get(f"/papers/{PAPER}").text
    text = shown_text(page)
    assert "▲ 118 upvotes · Massachusetts Institute of Technology" in text
    assert "submitted by Zhiyuan Hu" in text and 'href="https://huggingface.co/zhiyuanhucs"' in page
    org = re.search(r'<a href="(/orgs/[^"]+)">Massachusetts Institute of Technology</a>', page)
    assert org and "EvoArena" in client.get(org.group(1)).text  # the organisation lists it back


def test_filed_under_a_local_organisation(
    client: TestClient, demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERRADAR_USER", "lin")
    Community(AppContext.open(str(demo_db))).create("reading-group", "Reading Group", "lin")
    page = client.get(f"/papers/{ARXIV_PAPER}").text
    assert "File under your organisation" in page and "/orgs/reading-group" not in page
    filed = client.post(
        f"/papers/{ARXIV_PAPER}/organisation", data={"csrf": csrf_of(page), "handle": "reading-group"}
    )
    assert filed.status_code == 200 and "Calculation of prompt diphoton" in filed.text
    page = client.get(f"/papers/{ARXIV_PAPER}").text
    assert '<a href="/orgs/reading-group">Reading Group</a>' in page
    organisations = client.get(f"/api/v1/papers/{ARXIV_PAPER}").json()["organisations"]
    assert organisations == [{"handle": "reading-group", "name": "Reading Group", "source": "local"}]


def test_cite_as_bibtex_and_apa(client: TestClient) -> None:
    page = client.get(f"/papers/{PAPER}").text
    bibtex = unescape(re.search(r'<pre id="bibtex">(.*?)</pre>', page, re.S).group(1))  # type: ignore[union-attr]
    [entry] = parse_string(bibtex).entries
    assert entry.key == "xu2026evoarena" and entry["eprint"] == PAPER
    assert entry["author"].split(" and ") == [
        a["name"] for a in client.get(f"/api/v1/papers/{PAPER}").json()["authors"]
    ]
    assert 'data-copy="bibtex"' in page  # the button that copies it
    assert (
        "APA Xu, J., Li, Q., Wu, J., Lan, Y., Li, S. S., Zhou, H., Jiang, B., Wang, L., Wang, J., "
        "Luu, A. T., Xiong, C., Park, H. W., Hooi, B., & Hu, Z. (2026). EvoArena: Tracking Memory "
        "Evolution for Robust LLM Agents in Dynamic Environments (arXiv:2606.13681). arXiv. "
        "https://doi.org/10.48550/arXiv.2606.13681"
    ) in shown_text(page)
    published = shown_text(client.get(f"/papers/{ARXIV_PAPER}").text)
    assert (
        "Balázs, C., Berger, E. L., Nadolsky, P. M., & Yuan, C.-P. (2007). Calculation of prompt diphoton "
        "production cross sections at Tevatron and LHC energies. Phys.Rev.D76:013009,2007. "
        "https://doi.org/10.1103/physrevd.76.013009"
    ) in published


def test_the_page_cites_as_the_library_exports(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERRADAR_USER", "lin")
    few = "2606.00467"  # three authors: the library's entry names them all too
    token = csrf_of(client.get("/").text)
    assert client.put(f"/api/v1/papers/{few}/save", headers={"X-CSRF-Token": token}).status_code == 200
    cited = client.get(f"/api/v1/papers/{few}").json()["cite"]["bibtex"]
    assert cited in client.get("/library/export.bib").text


def test_references_and_citing_works_a_page_at_a_time(client: TestClient) -> None:
    first = client.get(f"/papers/{PAPER}").text
    text = shown_text(first)
    assert f"References ({REFERENCED})" in text and f"Citations ({CITING} here)" in text
    assert len(listed(first, "references")) == len(listed(first, "citations")) == 20
    assert "page 1 of 5" in text and "page 1 of 3" in text
    assert 'href="?refs=2#references"' in first and 'href="?cites=2#citations"' in first

    later = client.get(f"/papers/{PAPER}", params={"refs": 5, "cites": 3}).text
    assert '<ol class="works" start="81">' in later and '<ol class="works" start="41">' in later
    assert len(listed(later, "references")) == 20 and len(listed(later, "citations")) == CITING - 40
    assert 'href="?refs=4&amp;cites=3#references"' in later  # the other list keeps its page
    everything = [
        t for n in range(1, 6) for t in listed(client.get(f"/papers/{PAPER}?refs={n}").text, "references")
    ]
    assert len(set(everything)) == REFERENCED  # every reference once
    assert "Controlled Sparsity via Constrained Optimization" in " ".join(everything)

    beyond = client.get(f"/papers/{PAPER}", params={"refs": 99}).text
    assert "page 5 of 5" in shown_text(beyond)  # a stale link shows the last page
    assert client.get(f"/papers/{PAPER}", params={"refs": 0}).status_code == 422


def test_references_not_in_the_corpus_link_to_their_source(client: TestClient) -> None:
    page = client.get(f"/papers/{OPENALEX_PAPER}").text
    assert "References (45)" in shown_text(page)
    assert '<a class="ref-id" href="https://openalex.org/W1560783210" rel="nofollow noopener">' in page


def test_citations_per_year(client: TestClient) -> None:
    page = client.get(f"/papers/{PAPER}").text
    canvas = re.search(r"data-years='([^']*)' data-counts='([^']*)'", page)
    assert canvas is not None
    years, counts = json.loads(canvas.group(1)), json.loads(canvas.group(2))
    assert sum(counts) == CITING and years == list(range(years[0], years[-1] + 1))
    assert "Counted from the works citing it in this corpus" in shown_text(page)
    assert '<script src="/static/vendor/chart.js/chart.umd.min.js" defer></script>' in page
    openalex = client.get(f"/papers/{OPENALEX_PAPER}").text
    assert "As OpenAlex counts them, as of 2025-06-11" in shown_text(openalex)
    assert "data-counts='[9, 59, 130, 179, 146, 147, 142, 118, 30]'" in openalex


def test_the_json_twin_carries_the_same(client: TestClient) -> None:
    page = client.get(f"/papers/{PAPER}", params={"refs": 2, "cites": 3}).text
    data = client.get(f"/api/v1/papers/{PAPER}", params={"refs": 2, "cites": 3}).json()
    assert data["title"].startswith("EvoArena") and data["references"] == REFERENCED  # as before
    assert data["links"] == {
        "pdf": f"https://arxiv.org/pdf/{PAPER}",
        "arxiv": f"https://arxiv.org/abs/{PAPER}",
        "huggingface": f"https://huggingface.co/papers/{PAPER}",
    }
    assert data["cite"]["bibtex"] in unescape(page) and data["cite"]["apa"] in shown_text(page)
    assert data["upvotes"] == {"huggingface": 118, "local": 0}
    assert data["organisations"] == [
        {"handle": "MIT", "name": "Massachusetts Institute of Technology", "source": "huggingface"}
    ]
    refs, cites = data["reference_list"], data["citing_works"]
    assert (refs["total"], refs["page"], refs["pages"], len(refs["items"])) == (REFERENCED, 2, 5, 20)
    assert (cites["total"], cites["page"], cites["pages"], len(cites["items"])) == (CITING, 3, 3, 7)
    assert [r["card"]["title"] for r in refs["items"]] == listed(page, "references")
    assert [c["title"] for c in cites["items"]] == listed(page, "citations")
    series = data["citations_per_year"]["series"]
    assert f"data-counts='{json.dumps(list(series.values()))}'" in page
    assert data["citations_per_year"]["source"] == "citing works"


def test_markup_and_tex_stay_text(client: TestClient) -> None:
    page = client.get(f"/papers/{TEX_PAPER}")
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Bounds at $O(n \\log n)$" in page.text
    abstract = re.search(r'<p class="abstract full" data-math>(.*?)</p>', page.text, re.S)
    assert abstract and unescape(abstract.group(1)) == TEX_ABSTRACT  # drawn by KaTeX in the browser
    scripts = re.findall(r"<script([^>]*)>", page.text)
    assert scripts and all('src="/static/' in s for s in scripts)  # the CSP allows no inline script
    for asset in ("katex.min.js", "auto-render.min.js", "katex.min.css", "fonts/KaTeX_Math-Italic.woff2"):
        assert client.get(f"/static/vendor/katex/{asset}").status_code == 200
    assert "/static/vendor/katex/" not in client.get("/").text  # only the paper page loads KaTeX


def test_sqlite_and_postgresql_page_alike(db_url: str, engine: Engine, tmp_path: Path) -> None:
    cite_pages(db_url, "2106.15928", tmp_path)  # into an empty store: the paper is known by its id
    with TestClient(create_app(engine), base_url=LOCAL) as client:
        data = client.get("/api/v1/papers/2106.15928", params={"refs": 5, "cites": 3}).json()
        refs, cites = data["reference_list"], data["citing_works"]
        assert (refs["total"], refs["page"], len(refs["items"])) == (REFERENCED, 5, 20)
        assert (cites["total"], cites["page"], len(cites["items"])) == (CITING, 3, CITING - 40)
        days = [c["published"] for c in cites["items"] if c["published"]]
        assert days == sorted(days, reverse=True)  # newest first
        text = shown_text(client.get("/papers/2106.15928").text)
        assert f"References ({REFERENCED})" in text and f"Citations ({CITING} here)" in text

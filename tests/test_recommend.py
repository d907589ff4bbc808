"""Recommendations that learn: saves pull a topic up, a "not for me" takes a paper away and moves
papers like it down, each item says why, and the For you page and API work through the app.

The corpus is the 200 real papers of the arXiv snapshot fixture (physics, maths, astronomy…),
plus "twins" written here: a copy of an astronomy paper's text under another id, so that
what a dislike does to papers *like* the disliked one can be seen on a known pair.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from paperradar.analysis.recommend import Recommendations, recommend
from paperradar.cli import app
from paperradar.search.hybrid import vector_dir
from paperradar.search.tfidf import term_dir
from paperradar.store import library
from paperradar.store import schema as t
from paperradar.store.database import open_store, writing
from paperradar.web.app import create_app
from tests.conftest import FIXTURES
from tests.pages import LOCAL, csrf_of, shown_text

SNAPSHOT = FIXTURES / "arxiv_snapshot" / "arxiv-metadata-oai-snapshot.head200.jsonl"


def astro(line: dict[str, str]) -> bool:
    return line["categories"].split()[0].startswith("astro-ph")


def write_twins(folder: Path, how_many: int = 2) -> tuple[Path, list[tuple[str, str]]]:
    """A snapshot file of twins of the last astronomy papers: (original id, twin id) pairs."""
    lines = [json.loads(x) for x in SNAPSHOT.read_text().splitlines()]
    originals = [x for x in lines if astro(x)][-how_many:]
    twins, pairs = [], []
    for n, paper in enumerate(originals):
        twin = {**paper, "id": f"9912.{n + 1:05d}", "doi": None, "journal-ref": None}
        twin["title"] = "Companion study: " + paper["title"]
        twin["authors"] = f"T. Win{n}, A. Nother{n}"
        twin["authors_parsed"] = [[f"Win{n}", "T.", ""], [f"Nother{n}", "A.", ""]]
        twins.append(twin)
        pairs.append((paper["id"], twin["id"]))
    path = folder / "twins.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in twins))
    return path, pairs


def cli(db: str) -> Callable[..., tuple[int, str]]:
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["--db", db, *args], catch_exceptions=False)
        return result.exit_code, result.output

    return run


class Corpus:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    t.works.c.id,
                    t.works.c.arxiv_id,
                    t.works.c.primary_category,
                    t.works.c.title,
                    t.works.c.abstract,
                )
            ).all()
        self.by_arxiv: dict[str, int] = {r.arxiv_id: r.id for r in rows}
        self.category: dict[int, str] = {r.id: r.primary_category or "" for r in rows}
        self.title: dict[int, str] = {r.id: r.title for r in rows}
        self.text: dict[int, str] = {r.id: f"{r.title} {r.abstract}".lower() for r in rows}

    def topic(self, prefix: str) -> list[int]:
        return sorted(w for w, c in self.category.items() if c.startswith(prefix))

    def share(self, ids: list[int], prefix: str) -> float:
        return sum(self.category[w].startswith(prefix) for w in ids) / max(1, len(ids))

    def save(self, user: str, ids: list[int]) -> None:
        with writing(self.engine) as conn:
            for w in ids:
                library.save(conn, user, w)


# The imported corpus, a snapshot file of twins of some of its papers, and (original, twin) arXiv ids.
CorpusAndTwins = tuple[Corpus, str, list[tuple[str, str]]]


@pytest.fixture
def corpus(db_url: str, tmp_path: Path) -> Iterator[CorpusAndTwins]:
    run = cli(db_url)
    assert run("import", str(SNAPSHOT))[0] == 0
    twins, pairs = write_twins(tmp_path)
    engine = open_store(db_url)
    yield Corpus(engine), str(twins), pairs
    engine.dispose()


def ids_of(found: Recommendations) -> list[int]:
    return [i.work_id for i in found.items]


# ------------------------------------------------------------------------------ tf-idf only
def test_with_nothing_saved_there_is_a_clear_message_not_an_error(db_url: str) -> None:
    run = cli(db_url)
    run("import", str(SNAPSHOT))
    code, out = run("recommend", "--user", "newcomer", "--json")
    body = json.loads(out)
    assert code == 0 and body["results"] == [] and "Nothing saved yet" in body["message"]
    code, out = run("recommend", "--user", "newcomer")
    assert code == 0 and "Nothing saved yet" in out


def test_saving_papers_on_a_topic_brings_that_topic_up(corpus: CorpusAndTwins) -> None:
    c, _, _ = corpus
    stars, maths = c.topic("astro-ph"), c.topic("math")
    base_rate = len(stars) / len(c.category)
    c.save("ada", maths[:1])
    before = recommend(c.engine, "ada", 10)
    assert before.features == "tf-idf" and any("tf-idf features only" in n for n in before.notes)
    c.save("ada", stars[:6])
    after = recommend(c.engine, "ada", 10)
    assert after.saved == 7 and len(after.items) == 10
    shown = ids_of(after)
    assert not set(shown) & set(stars[:6] + maths[:1])  # saved papers are not recommended again
    assert c.share(shown, "astro-ph") >= max(0.5, 4 * base_rate)  # 13 unsaved astronomy papers of 193
    assert c.share(shown[:5], "astro-ph") >= 0.8
    assert c.share(shown, "astro-ph") >= c.share(ids_of(before), "astro-ph") + 0.3
    scores = [i.score for i in after.items]
    assert scores == sorted(scores, reverse=True)


def test_each_reason_names_a_saved_paper_and_words_of_the_recommended_one(corpus: CorpusAndTwins) -> None:
    c, _, _ = corpus
    saved = c.topic("astro-ph")[:5]
    c.save("grace", saved)
    found = recommend(c.engine, "grace", 8)
    assert found.items
    for item in found.items:
        assert item.nearest_saved in saved and item.nearest_title == c.title[item.nearest_saved]
        assert 0 < item.similarity <= 1.0001
        assert item.terms, "the words that drove the score"
        for term in item.terms:
            assert all(word in c.text[item.work_id] for word in term.split()), (term, item.work_id)
        assert c.title[item.nearest_saved] in item.reason
    # the nearest saved paper is the most similar one by the stored tf-idf rows
    matrix = term_dir(c.engine)
    m = matrix.load()
    first = found.items[0]
    _, rows = matrix.rows_of([first.work_id])
    keys, saved_rows = matrix.rows_of(saved)
    sims = (m.matrix[saved_rows] @ m.matrix[rows].T).toarray().ravel()
    assert keys[int(np.argmax(sims))] == first.nearest_saved
    assert first.similarity == pytest.approx(float(sims.max()), abs=1e-5)


def test_new_works_are_added_and_a_dislike_moves_papers_like_it_down(corpus: CorpusAndTwins) -> None:
    c, twins_file, pairs = corpus
    originals = {a for a, _ in pairs}
    liked = [w for w in c.topic("astro-ph") if w not in {c.by_arxiv[a] for a in originals}][:8]
    c.save("lin", liked)
    recommend(c.engine, "lin", 5)  # builds the features
    before_rows = len(term_dir(c.engine))
    run = cli(str(c.engine.url.render_as_string(hide_password=False)))
    assert run("import", twins_file)[0] == 0  # works that arrive after the features were built
    ranked = recommend(c.engine, "lin", 500)
    assert len(term_dir(c.engine)) == before_rows + len(pairs)
    c2 = Corpus(c.engine)
    order = ids_of(ranked)
    original, twin = c2.by_arxiv[pairs[0][0]], c2.by_arxiv[pairs[0][1]]
    assert twin in order and original in order  # the new twin is recommended like its original
    score = {i.work_id: i.score for i in ranked.items}

    code, out = run("dislike", pairs[0][0], "--user", "lin")
    assert code == 0 and "not for lin" in out
    after = recommend(c.engine, "lin", 500)
    assert after.disliked == 1
    new_order, new_score = ids_of(after), {i.work_id: i.score for i in after.items}
    assert original not in new_order  # gone
    assert new_score[twin] < score[twin] - 0.1  # and the paper just like it fell
    assert new_order.index(twin) > order.index(twin)
    other = c2.by_arxiv[pairs[1][1]]  # an unrelated twin moves far less
    assert abs(new_score[other] - score[other]) < abs(new_score[twin] - score[twin])

    assert run("dislike", pairs[0][0], "--user", "lin", "--undo")[0] == 0
    assert original in ids_of(recommend(c.engine, "lin", 500))


# ------------------------------------------------------------------------------ with embeddings
@pytest.mark.slow
def test_with_embeddings_the_model_uses_the_stored_vectors(tmp_path: Path) -> None:
    db = str(tmp_path / "embedded.db")
    run = cli(db)
    run("import", str(SNAPSHOT))
    assert run("index")[0] == 0  # embeds the 200 works
    engine = open_store(db)
    c = Corpus(engine)
    saved = c.topic("astro-ph")[:6]
    c.save("ada", saved)
    code, out = run("recommend", "--user", "ada", "-n", "10", "--json")
    body = json.loads(out)
    assert code == 0 and body["features"] == "tf-idf + embeddings" and body["notes"] == []
    shown = [r["id"] for r in body["results"]]
    assert c.share(shown, "astro-ph") >= 0.6 and not set(shown) & set(saved)
    vectors = vector_dir(engine)
    for r in body["results"]:  # the nearest saved paper by meaning, from the stored vectors
        mine = vectors.vector_of(r["id"])
        theirs = {s: vectors.vector_of(s) for s in saved}
        assert mine is not None
        sims = {s: float(v @ mine) for s, v in theirs.items() if v is not None}
        assert len(sims) == len(saved)
        assert r["nearest_saved"] == max(sims, key=sims.__getitem__)
        assert r["similarity"] == pytest.approx(max(sims.values()), abs=1e-3)
        assert r["nearest_saved_title"] == c.title[r["nearest_saved"]]
    engine.dispose()


# ------------------------------------------------------------------------------ the web app


@pytest.fixture(scope="module")
def local(demo_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(str(demo_db)), base_url=LOCAL) as client:
        yield client


def test_the_for_you_page_and_api_learn_from_saves_and_not_for_me(
    local: TestClient, demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERRADAR_USER", "ada")
    page = local.get("/for-you")
    assert page.status_code == 200 and "Nothing saved yet" in shown_text(page.text)
    assert 'href="/for-you"' in page.text  # in the navigation
    assert local.get("/api/v1/recommendations").json()["message"].startswith("Nothing saved yet")

    headers = {"X-CSRF-Token": csrf_of(page.text)}
    with open_store(str(demo_db)).connect() as conn:
        works = conn.execute(
            select(t.works.c.arxiv_id, t.works.c.title)
            .where(t.works.c.arxiv_id.is_not(None))
            .order_by(t.works.c.id)
        ).all()
    liked = works[:3]
    for arxiv_id, _ in liked:
        assert local.put(f"/api/v1/papers/{arxiv_id}/save", headers=headers).json()["saved"] is True
    body = local.get("/api/v1/recommendations", params={"limit": 5}).json()
    assert body["user"] == "ada" and body["saved"] == 3 and body["features"] == "tf-idf"
    assert body["notes"] and body["message"] is None and 0 < len(body["items"]) <= 5
    saved_ids = {a for a, _ in liked}
    assert not {i["arxiv_id"] for i in body["items"]} & saved_ids
    for item in body["items"]:
        assert item["nearest_saved_title"] in {title for _, title in liked}
        assert item["nearest_saved_title"] in item["reason"]

    page = local.get("/for-you")
    shown = shown_text(page.text)
    top = body["items"][0]
    assert "Learned from 3 saved papers" in shown and top["title"] in shown and "Why: like" in shown
    ident = top["arxiv_id"] or top["work_id"]
    assert f'action="/papers/{ident}/dislike"' in page.text and "Not for me" in shown
    gone = local.post(
        f"/papers/{ident}/dislike",
        data={"csrf": csrf_of(page.text), "next": "/for-you"},
        follow_redirects=False,
    )
    assert gone.status_code == 303 and gone.headers["location"] == "/for-you"
    after = local.get("/api/v1/recommendations", params={"limit": 5}).json()
    assert after["disliked"] == 1 and ident not in {i["arxiv_id"] or i["work_id"] for i in after["items"]}
    assert local.delete(f"/api/v1/papers/{ident}/dislike", headers=headers).json()["disliked"] is False
    assert local.put(f"/api/v1/papers/{ident}/dislike", headers=headers).json()["disliked"] is True
    refused = local.put(f"/api/v1/papers/{ident}/dislike")  # no CSRF token
    assert refused.status_code == 403


def test_for_you_asks_visitors_to_sign_in(demo_db: Path, tmp_path: Path) -> None:
    import shutil

    from paperradar.store import accounts

    copy = tmp_path / "shared.db"
    shutil.copyfile(demo_db, copy)
    engine = open_store(str(copy))
    with writing(engine) as conn:
        accounts.add_user(conn, "bob", "bob-secret-pw")
    with TestClient(create_app(engine, local=False)) as client:
        page = client.get("/for-you", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/login?next=/for-you"
        assert client.get("/api/v1/recommendations").status_code == 401

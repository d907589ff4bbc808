"""The map of the corpus: the projection, placing works incrementally, the CLI and /api/v1/map.

Embedding the demo with the model would take minutes on a shared CPU, so the tests store
synthetic vectors (one direction per category, plus noise) through the store API the
embedding job writes with, under the real model's name: ``paperradar index`` then finds
nothing to embed and goes on to the vector index and the map, as after a real embedding run.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperradar.search.atlas import Atlas, atlas_of
from paperradar.search.embeddings import DIM, Embedder
from paperradar.search.hybrid import vector_dir
from paperradar.services.atlas import Cartographer
from paperradar.services.context import AppContext
from paperradar.services.library import Library
from paperradar.store import accounts, indexing, queries
from paperradar.store.database import open_store, writing
from paperradar.store.indexing import Embedded
from paperradar.web.app import create_app
from tests.conftest import Run

LOCAL = "http://127.0.0.1:8000"  # the local mode answers on a loopback address only


def embed_synthetic(engine: Engine, share: float = 1.0) -> list[int]:
    """Store a vector for the first ``share`` of the works still without one (of the model's
    name), each near its primary category's direction; returns their ids."""
    model = Embedder().name
    with engine.connect() as conn:
        pending = indexing.pending(conn, model, 0, 100_000)
        pending = pending[: int(len(pending) * share)]
        rows = queries.work_summaries(conn, [p[0] for p in pending])
    embedded = []
    for work_id, _, _, revision, _, _ in pending:
        category = rows[work_id]["primary_category"] or "none"
        centre = np.random.default_rng(sum(map(ord, category))).standard_normal(DIM)
        vector = centre + 0.3 * np.random.default_rng(work_id).standard_normal(DIM)
        vector /= np.linalg.norm(vector)
        embedded.append(Embedded(work_id, f"synthetic-{work_id}", vector.astype("<f2").tobytes(), revision))
    with writing(engine) as conn:
        indexing.write_embeddings(conn, model, dt.datetime.now(dt.UTC), embedded, [])
    return [e.work_id for e in embedded]


def coordinates(engine: Engine) -> dict[int, tuple[float, float]]:
    vectors = vector_dir(engine)
    return {p.work_id: (p.x, p.y) for p in atlas_of(vectors).points(vectors)}


@pytest.fixture(scope="module")
def engine(demo_db: Path) -> Engine:
    return open_store(str(demo_db))


@pytest.fixture(scope="module")
def first(engine: Engine) -> list[int]:
    """Half the demo embedded and placed (the vector index and the map brought up to date)."""
    ids = embed_synthetic(engine, 0.5)
    vector_dir(engine).catch_up(engine, Embedder().name)
    assert Cartographer(AppContext(engine)).place() == len(ids)
    return ids


def test_the_projection_is_deterministic(engine: Engine, first: list[int], tmp_path: Path) -> None:
    vectors = vector_dir(engine)
    again = Atlas(tmp_path / "atlas")
    assert again.catch_up(vectors) == len(first)
    stored = atlas_of(vectors).points(vectors)
    assert [(p.x, p.y) for p in again.points(vectors)] == [(p.x, p.y) for p in stored]
    spots = {(round(p.x, 3), round(p.y, 3)) for p in again.points(vectors)}
    assert len(spots) > len(first) / 2  # spread out, not collapsed onto a few spots


def test_index_places_new_works_without_moving_the_others(
    engine: Engine, first: list[int], demo_run: Run
) -> None:
    before = coordinates(engine)
    assert sorted(before) == sorted(first)
    added = embed_synthetic(engine)
    assert added
    code, out = demo_run("index")
    assert code == 0, out
    after = coordinates(engine)
    assert sorted(after) == sorted(first + added)
    assert {k: after[k] for k in first} == before  # the old points stayed put

    code, out = demo_run("map")
    assert code == 0, out
    assert f"0 works placed, {len(after):,} on the map" in out
    code, out = demo_run("map", "--refit")
    assert code == 0, out
    assert f"{len(after):,} works placed, {len(after):,} on the map" in out


def test_map_without_embeddings_says_to_run_index(demo_db: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare.db"
    shutil.copyfile(demo_db, bare)  # the store without its index folder
    from typer.testing import CliRunner

    from paperradar.cli import app

    result = CliRunner().invoke(app, ["--db", str(bare), "map"])
    assert result.exit_code == 1
    assert "run `paperradar index` first" in result.output
    with TestClient(create_app(str(bare)), base_url=LOCAL) as client:
        page = client.get("/map")
        assert page.status_code == 200
        assert "run `paperradar index`" in page.text
        assert "<canvas" not in page.text
        body = client.get("/api/v1/map").json()
        assert body["points"] == [] and "paperradar index" in body["message"]


def test_the_map_endpoint_gives_points_by_category_with_the_library_marked(
    engine: Engine, first: list[int], demo_db: Path
) -> None:
    context = AppContext(engine)
    with engine.connect() as conn:
        owner = accounts.local_user()
        paper = queries.work_summaries(conn, first[:1])[first[0]]
    Library(context).save(owner, [paper["arxiv_id"] or str(paper["id"])])
    with TestClient(create_app(str(demo_db)), base_url=LOCAL) as client:
        body = client.get("/api/v1/map").json()
        page = client.get("/map")
    assert page.status_code == 200
    assert 'data-src="/api/v1/map"' in page.text and 'src="/static/map.js"' in page.text
    points = body["points"]
    assert len(points) == body["total"] >= len(first)
    assert set(points[0]) == {"id", "x", "y", "category", "title", "href", "in_library"}
    assert len(body["categories"]) <= 11
    assert {p["category"] for p in points} <= set(body["categories"])
    saved = [p for p in points if p["in_library"]]
    assert paper["id"] in {p["id"] for p in saved}
    mine = next(p for p in points if p["id"] == paper["id"])
    assert mine["href"] == f"/papers/{paper['arxiv_id'] or paper['id']}"
    assert mine["title"] == paper["title"]

"""Shared test fixtures: every store test runs on SQLite *and* on a real PostgreSQL server.

PostgreSQL comes from ``$PAPERRADAR_TEST_PG`` (default: the local server's
``paperradar_test`` database, which ``.ci/run`` creates). Each test gets its own
schema, so tests are isolated and can run in parallel. Set ``PAPERRADAR_TEST_PG=skip``
to run the SQLite half only (never in CI).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from paperradar.store.database import normalise_url, open_store

FIXTURES = Path(__file__).parent / "fixtures"
PG_URL = os.environ.get("PAPERRADAR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/paperradar_test")


def _pg_schema_url(schema: str) -> str:
    base = normalise_url(PG_URL)
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for an empty store on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'paperradar.db'}"
        return
    if PG_URL == "skip":
        pytest.skip("PAPERRADAR_TEST_PG=skip")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    store = open_store(db_url)
    yield store
    store.dispose()

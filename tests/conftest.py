"""Shared test fixtures: every store test runs on SQLite *and* on a real PostgreSQL server.

PostgreSQL comes from ``$PAPERRADAR_TEST_PG`` (default: the local server's
``paperradar_test`` database, which ``.ci/run`` creates). Each test gets its own
schema, so tests are isolated and can run in parallel. Set ``PAPERRADAR_TEST_PG=skip``
to run the SQLite half only (never in CI).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from paperradar.store.database import normalise_url, open_store

pytest_plugins = ["tests.browsing"]  # the browser fixture of the browser tests

FIXTURES = Path(__file__).parent / "fixtures"
# Indexes of server databases go to a scratch folder, not the user's data folder.
os.environ.setdefault("PAPERRADAR_INDEX_HOME", tempfile.mkdtemp(prefix="paperradar-indexes-"))
PG_URL = os.environ.get("PAPERRADAR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/paperradar_test")


def _pg_schema_url(schema: str) -> str:
    base = normalise_url(PG_URL)
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@contextmanager
def empty_store_url(backend: str, folder: Path) -> Iterator[str]:
    """A URL for an empty store: a SQLite file in ``folder``, or a fresh PostgreSQL schema."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'paperradar.db'}"
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


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for an empty store on each backend."""
    with empty_store_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    store = open_store(db_url)
    yield store
    store.dispose()


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database (no embeddings: fast), built once per test process."""
    from typer.testing import CliRunner

    from paperradar.cli import app

    target = tmp_path_factory.mktemp("demo-template") / "demo.db"
    built = CliRunner().invoke(app, ["demo", "--no-serve", "--no-embed", "--path", str(target)])
    assert built.exit_code == 0, built.output
    with sqlite3.connect(target) as conn:  # everything into the main file, so a copy of it is whole
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return target


@pytest.fixture(scope="module")
def demo_db(_demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh copy of the demo database for one test module to change as it likes."""
    import shutil

    copy = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copyfile(_demo_template, copy)
    return copy


Run = Callable[..., tuple[int, str]]
"""Run ``paperradar`` with arguments; returns (exit status, output)."""


@pytest.fixture(scope="module")
def demo_run(demo_db: Path) -> Run:
    """``paperradar`` commands on this module's copy of the demo database."""
    from typer.testing import CliRunner

    from paperradar.cli import app

    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["--db", str(demo_db), *args], catch_exceptions=False)
        return result.exit_code, result.output

    return invoke

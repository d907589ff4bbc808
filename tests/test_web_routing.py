"""The rules every route of the web app keeps (see :mod:`paperradar.web.routing`), checked on the
code itself so a new route cannot quietly break them: no route on the event loop, no SQL outside
the store, the config file read once."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from paperradar.config import ConfigError
from paperradar.services.context import AppContext
from paperradar.web import (
    account_pages,
    actions,
    api,
    digest_pages,
    feed_pages,
    library_pages,
    pages,
    recommend_pages,
)

WEB = Path(inspect.getfile(pages)).parent
ROUTERS = [account_pages, actions, api, digest_pages, feed_pages, library_pages, pages, recommend_pages]


def test_no_route_runs_on_the_event_loop() -> None:
    routes = [r for module in ROUTERS for r in module.router.routes if isinstance(r, APIRoute)]
    assert len(routes) > 50
    on_the_loop = [r.path for r in routes if inspect.iscoroutinefunction(r.endpoint)]
    assert on_the_loop == []  # a plain def runs in FastAPI's threadpool


def test_the_web_package_holds_no_sql() -> None:
    allowed = {"Connection", "Engine"}  # types only: statements live in paperradar.store
    for path in WEB.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                assert {a.name for a in node.names} <= allowed, path.name
            if isinstance(node, ast.ImportFrom) and node.module == "paperradar.store":
                assert "schema" not in {a.name for a in node.names}, path.name


def test_the_config_file_is_read_once_and_the_environment_still_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[sources.arxiv_api]\nbase_url = "https://mirror.example/api/query"\n')
    monkeypatch.setenv("PAPERRADAR_CONFIG", str(config))
    monkeypatch.setenv("PAPERRADAR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PAPERRADAR_ARXIV_API_URL", raising=False)
    upstream = AppContext.open(str(tmp_path / "radar.db"))
    with upstream.fetcher("arxiv_api") as client:
        assert client.base_url == "https://mirror.example/api/query"
    config.write_text("not [valid toml")  # read at the first fetch: a later edit is not seen
    with upstream.fetcher("arxiv_api") as client:
        assert client.base_url == "https://mirror.example/api/query"
    monkeypatch.setenv("PAPERRADAR_ARXIV_API_URL", "http://127.0.0.1:9/api/query")
    with upstream.fetcher("arxiv_api") as client:
        assert client.base_url == "http://127.0.0.1:9/api/query"


def test_a_broken_config_file_stops_only_the_fetches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text("not [valid toml")
    monkeypatch.setenv("PAPERRADAR_CONFIG", str(config))
    upstream = AppContext.open(str(tmp_path / "radar.db"))  # the app still starts
    with pytest.raises(ConfigError, match="not valid TOML"):
        upstream.fetcher("arxiv_api")

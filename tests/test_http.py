"""The shared HTTP layer against real recorded answers (tests/fixtures), never the network.

Upstream behaviour comes from recordings: arXiv's 503 + ``Retry-After: 10`` then 200,
Semantic Scholar's 504 and 404 bodies. Clock and sleep are fakes, so waits are asserted
exactly and no test sleeps; one test goes through real sockets to a server on 127.0.0.1.
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import orjson
import pytest
from lxml import etree

from paperradar.sync.http import Fetcher, Response, UpstreamError

FIXTURES = Path(__file__).parent / "fixtures"
RECORDING = FIXTURES / "arxiv_oai" / "arXiv" / "ListRecords.recording-with-503.json"
S2 = FIXTURES / "semantic_scholar"
S2_504 = [S2 / f"test_get_paper_citations_async@0e62a04.0{n}.504.json" for n in (0, 1)]
S2_404 = S2 / "test_not_found@73c7726.00.404.json"

UA = "paperradar-tests (mailto:radar@example.org)"
SECRET = "sk-test-5ecret-Value-0123456789"
OAI_PARAMS = {"verb": "ListRecords", "metadataPrefix": "arXiv", "from": "2015-01-01", "until": "2015-01-03"}


class FakeTime:
    """Monotonic and wall clocks that only move when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return 1_750_000_000.0 + self.now


Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that logs requests (with the fake time they started)."""

    def __init__(self, answer: Handler, clock: FakeTime | None = None) -> None:
        self.answer = answer
        self.clock = clock
        self.requests: list[httpx.Request] = []
        self.starts: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.clock is not None:
            self.starts.append(self.clock.now)
        return self.answer(request)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unexpected network request: {request.method} {request.url}")


def ok(body: bytes = b'{"ok": true}', content_type: str = "application/json") -> Handler:
    return lambda request: httpx.Response(200, headers={"Content-Type": content_type}, content=body)


def sequence(*answers: httpx.Response | Exception) -> Handler:
    """Answer each request with the next item (an exception is raised instead)."""
    queue = list(answers)

    def answer(request: httpx.Request) -> httpx.Response:
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return answer


def make(
    fake: FakeTime,
    transport: httpx.BaseTransport | None,
    *,
    source: str = "semantic_scholar",
    base_url: str = "https://api.semanticscholar.org/graph/v1",
    events: list[str] | None = None,
    **kwargs: Any,
) -> Fetcher:
    kwargs.setdefault("min_interval", 0.0)
    kwargs.setdefault("jitter", 0.0)
    return Fetcher(
        source,
        base_url,
        user_agent=UA,
        transport=transport,
        sleep=fake.sleep,
        clock=fake.monotonic,
        wall_clock=fake.wall,
        on_event=events.append if events is not None else None,
        **kwargs,
    )


# --------------------------------------------------------------------------- the arXiv 503 recording


def load_recording() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = orjson.loads(RECORDING.read_bytes())
    assert [e["status"] for e in entries] == [503, 200]
    return entries


def replay(entry: dict[str, Any]) -> httpx.Response:
    raw = entry["rawHeaders"]
    headers = list(zip(raw[::2], raw[1::2], strict=True))
    return httpx.Response(entry["status"], headers=headers, content=entry["response"].encode())


def assert_oai_list_records(content: bytes) -> None:
    root = etree.fromstring(content)
    ns = "{http://www.openarchives.org/OAI/2.0/}"
    assert root.tag == f"{ns}OAI-PMH"
    assert len(root.findall(f"{ns}ListRecords/{ns}record")) == 2


def test_recorded_503_is_waited_out_for_exactly_retry_after() -> None:
    entries = load_recording()
    fake = FakeTime()
    pending = list(entries)

    def answer(request: httpx.Request) -> httpx.Response:
        entry = pending.pop(0)
        recorded = urlsplit(entry["path"])
        assert request.method == entry["method"]
        assert request.url.path == recorded.path
        assert dict(request.url.params) == dict(parse_qsl(recorded.query))
        return replay(entry)

    recorder = Recorder(answer, fake)
    events: list[str] = []
    with make(
        fake,
        recorder.transport,
        source="arxiv_oai",
        base_url="http://export.arxiv.org/oai2",
        min_interval=3.0,
        events=events,
    ) as fetcher:
        response = fetcher.get("", OAI_PARAMS)

    assert fake.sleeps == [10.0]
    assert events == ["arXiv OAI-PMH asked us to wait 10 s (HTTP 503); retrying (retry 1 of 5)"]
    assert response.status == 200 and not response.from_cache
    assert response.content == entries[1]["response"].encode()
    assert response.headers["content-type"] == "text/xml"
    assert_oai_list_records(response.content)
    assert "<resumptionToken" not in response.text  # the recorded page is the last one
    assert [r.headers["user-agent"] for r in recorder.requests] == [UA, UA]
    assert recorder.starts == [0.0, 10.0]


class ReplayServer(ThreadingHTTPServer):
    """A real HTTP server that hands out queued (status, headers, body) answers in order."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ReplayHandler)
        self.answers: list[tuple[int, list[tuple[str, str]], bytes]] = []
        self.seen: list[tuple[str, str, str | None]] = []

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/oai2"


class ReplayHandler(BaseHTTPRequestHandler):
    server: ReplayServer

    def do_GET(self) -> None:
        self.server.seen.append(("GET", self.path, self.headers.get("User-Agent")))
        status, headers, body = self.server.answers.pop(0)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def local_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = ReplayServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def queue_503_then_200(server: ReplayServer) -> bytes:
    entries = load_recording()
    body_503: bytes = entries[0]["response"].encode()
    body_200: bytes = entries[1]["response"].encode()
    server.answers += [
        (503, [("Retry-After", "1"), ("Content-Type", "text/html")], body_503),
        (200, [("Content-Type", "text/xml")], body_200),
    ]
    return body_200


def test_real_local_server_503_then_200(local_server: ReplayServer) -> None:
    body = queue_503_then_200(local_server)
    fake = FakeTime()
    events: list[str] = []
    with make(
        fake, None, source="arxiv_oai", base_url=local_server.base_url, min_interval=3.0, events=events
    ) as fetcher:
        response = fetcher.get("", OAI_PARAMS)

    # Retry-After (1 s) is obeyed exactly; the 3 s rate limit then tops the pause up to 3 s.
    assert fake.sleeps == [1.0, 2.0]
    assert events == ["arXiv OAI-PMH asked us to wait 1 s (HTTP 503); retrying (retry 1 of 5)"]
    assert response.status == 200
    assert response.content == body
    assert_oai_list_records(response.content)
    assert len(local_server.seen) == 2
    for method, path, agent in local_server.seen:
        assert method == "GET" and agent == UA
        assert urlsplit(path).path == "/oai2"
        assert dict(parse_qsl(urlsplit(path).query)) == OAI_PARAMS


def test_real_local_server_never_logs_a_query_key(
    local_server: ReplayServer, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """httpx logs every request URL at INFO; a query-parameter key must not reach the logs."""
    queue_503_then_200(local_server)
    caplog.set_level(logging.DEBUG)
    fake = FakeTime()
    with make(
        fake,
        None,
        source="openalex",
        base_url=local_server.base_url,
        api_key=SECRET,
        api_key_param="api_key",
        cache_dir=tmp_path,
    ) as fetcher:
        fetcher.get("", OAI_PARAMS)
    assert all(dict(parse_qsl(urlsplit(p).query))["api_key"] == SECRET for _, p, _ in local_server.seen)
    assert "HTTP Request: GET" in caplog.text  # httpx did log the requests …
    assert SECRET not in caplog.text  # … without the key
    assert "api_key=***" in caplog.text


# --------------------------------------------------------------------------- rate limit


def test_rate_limit_spaces_request_starts() -> None:
    fake = FakeTime()
    recorder = Recorder(ok(), fake)
    with make(fake, recorder.transport, min_interval=3.0) as fetcher:
        for n in range(3):
            fetcher.get("paper/x", {"n": n})
    assert recorder.starts == [0.0, 3.0, 6.0]
    assert fake.sleeps == [3.0, 3.0]
    assert all(b - a >= 3.0 for a, b in zip(recorder.starts, recorder.starts[1:], strict=False))


def test_rate_limit_does_not_wait_when_time_has_passed() -> None:
    fake = FakeTime()
    recorder = Recorder(ok(), fake)
    with make(fake, recorder.transport, min_interval=1.0) as fetcher:
        fetcher.get("a")
        fake.now += 0.4  # the caller spent 0.4 s parsing
        fetcher.get("b")
        fake.now += 5.0
        fetcher.get("c")
    assert fake.sleeps == [pytest.approx(0.6)]
    assert recorder.starts == [0.0, 1.0, 6.0]


def test_cache_hit_costs_no_wait(tmp_path: Path) -> None:
    fake = FakeTime()
    recorder = Recorder(ok(), fake)
    with make(fake, recorder.transport, min_interval=3.0, cache_dir=tmp_path) as fetcher:
        first = fetcher.get("paper/x")
        again = [fetcher.get("paper/x") for _ in range(3)]
    assert fake.sleeps == []
    assert len(recorder.requests) == 1
    assert not first.from_cache and all(r.from_cache for r in again)


# --------------------------------------------------------------------------- retries and errors


def s2_504(n: int) -> httpx.Response:
    return httpx.Response(504, headers={"Content-Type": "application/json"}, content=S2_504[n].read_bytes())


def test_504_is_retried_with_backoff_then_fails_clearly() -> None:
    fake = FakeTime()
    recorder = Recorder(lambda request: s2_504(len(recorder.requests) % 2))
    events: list[str] = []
    with (
        make(fake, recorder.transport, max_retries=3, events=events) as fetcher,
        pytest.raises(UpstreamError) as caught,
    ):
        fetcher.get("paper/649def34f8be52c8b66281af98ae884c09aef38b/citations", {"fields": "title"})

    assert len(recorder.requests) == 4
    assert fake.sleeps == [1.0, 2.0, 4.0]
    assert events == [
        "Semantic Scholar answered HTTP 504 Gateway Timeout; waiting 1 s before retrying (retry 1 of 3)",
        "Semantic Scholar answered HTTP 504 Gateway Timeout; waiting 2 s before retrying (retry 2 of 3)",
        "Semantic Scholar answered HTTP 504 Gateway Timeout; waiting 4 s before retrying (retry 3 of 3)",
    ]
    error = caught.value
    assert error.status == 504 and error.source == "semantic_scholar"
    assert error.url == (
        "https://api.semanticscholar.org/graph/v1/paper/649def34f8be52c8b66281af98ae884c09aef38b/citations"
        "?fields=title"
    )
    message = str(error)
    assert message.startswith(
        "Semantic Scholar is failing (HTTP 504 Gateway Timeout: Endpoint request timed out"
    )
    assert "after 3 retries" in message and "try again later" in message


def test_504_then_success() -> None:
    fake = FakeTime()
    recorder = Recorder(sequence(s2_504(0), s2_504(1), httpx.Response(200, json={"data": []})))
    with make(fake, recorder.transport) as fetcher:
        response = fetcher.get("paper/x/citations")
    assert response.json() == {"data": []}
    assert fake.sleeps == [1.0, 2.0]


def test_backoff_is_capped_and_jitter_deterministic() -> None:
    def waits(**kwargs: Any) -> list[float]:
        fake = FakeTime()
        recorder = Recorder(lambda request: httpx.Response(502))
        with make(fake, recorder.transport, max_retries=8, **kwargs) as fetcher, pytest.raises(UpstreamError):
            fetcher.get("x")
        return fake.sleeps

    assert waits() == [1, 2, 4, 8, 16, 32, 60, 60]
    jittered = waits(jitter=0.1, rng=random.Random(7))
    assert jittered == waits(jitter=0.1, rng=random.Random(7))
    for plain, noisy in zip([1, 2, 4, 8, 16, 32, 60, 60], jittered, strict=True):
        assert plain <= noisy <= min(60, plain * 1.1)


def test_404_fails_at_once_or_comes_back_when_allowed() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, headers={"Content-Type": "application/json"}, content=S2_404.read_bytes())

    fake = FakeTime()
    recorder = Recorder(answer)
    with make(fake, recorder.transport) as fetcher:
        with pytest.raises(UpstreamError) as caught:
            fetcher.get("paper/0")
        assert len(recorder.requests) == 1 and fake.sleeps == []
        assert caught.value.status == 404
        assert str(caught.value) == (
            "Semantic Scholar has nothing at https://api.semanticscholar.org/graph/v1/paper/0 "
            "(HTTP 404 Not Found: Paper with id 0 not found): check the id or the query"
        )

        response = fetcher.get("paper/0", allow_status={404})
        assert response.status == 404
        assert response.json() == {"error": "Paper with id 0 not found"}
        assert len(recorder.requests) == 2 and fake.sleeps == []


def test_other_4xx_is_not_retried() -> None:
    fake = FakeTime()
    recorder = Recorder(lambda request: httpx.Response(400, text="Invalid id: abc"))
    with make(fake, recorder.transport) as fetcher, pytest.raises(UpstreamError) as caught:
        fetcher.get("paper/abc")
    assert len(recorder.requests) == 1 and fake.sleeps == []
    assert caught.value.status == 400
    assert "rejected the request (HTTP 400 Bad Request: Invalid id: abc)" in str(caught.value)


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_key_points_to_config_and_env(status: int) -> None:
    fake = FakeTime()
    recorder = Recorder(lambda request: httpx.Response(status, json={"message": "Forbidden"}))
    with (
        make(fake, recorder.transport, api_key=SECRET, api_key_header="x-api-key") as fetcher,
        pytest.raises(UpstreamError) as caught,
    ):
        fetcher.get("paper/x")
    assert len(recorder.requests) == 1
    message = str(caught.value)
    assert message.startswith("Semantic Scholar rejected the API key")
    assert message.endswith(
        "check sources.semantic_scholar.api_key in the config or PAPERRADAR_SEMANTIC_SCHOLAR_KEY"
    )
    assert SECRET not in message


def test_refused_without_key_says_how_to_set_one() -> None:
    fake = FakeTime()
    recorder = Recorder(lambda request: httpx.Response(403))
    with make(fake, recorder.transport, source="openalex") as fetcher, pytest.raises(UpstreamError) as caught:
        fetcher.get("works")
    message = str(caught.value)
    assert message.startswith("OpenAlex refused access (HTTP 403 Forbidden)")
    assert message.endswith(
        "no API key is configured: set sources.openalex.api_key in the config or PAPERRADAR_OPENALEX_KEY"
    )


def test_429_forever_says_try_later() -> None:
    fake = FakeTime()
    recorder = Recorder(lambda request: httpx.Response(429))
    events: list[str] = []
    with (
        make(fake, recorder.transport, max_retries=2, events=events, source="openalex") as fetcher,
        pytest.raises(UpstreamError) as caught,
    ):
        fetcher.get("works")
    message = str(caught.value)
    assert caught.value.status == 429
    assert message.startswith("OpenAlex keeps rate-limiting us (HTTP 429 Too Many Requests, after 2 retries)")
    assert message.endswith("try later or raise min_interval for openalex")
    assert len(events) == 2


def test_retry_after_as_http_date_and_cap() -> None:
    fake = FakeTime()
    in_20s = email.utils.formatdate(fake.wall() + 20, usegmt=True)
    recorder = Recorder(
        sequence(
            httpx.Response(429, headers={"Retry-After": in_20s}),
            httpx.Response(503, headers={"Retry-After": "3600"}),
            httpx.Response(200, json={}),
        )
    )
    events: list[str] = []
    with make(fake, recorder.transport, events=events) as fetcher:
        fetcher.get("x")
    assert fake.sleeps == [20.0, 300.0]
    assert events[0] == "Semantic Scholar asked us to wait 20 s (HTTP 429); retrying (retry 1 of 5)"
    assert events[1] == (
        "Semantic Scholar asked us to wait 3600 s (HTTP 503); waiting 300 s, our limit; "
        "retrying (retry 2 of 5)"
    )


def test_unparseable_retry_after_falls_back_to_backoff() -> None:
    fake = FakeTime()
    recorder = Recorder(sequence(httpx.Response(503, headers={"Retry-After": "soon"}), httpx.Response(200)))
    with make(fake, recorder.transport) as fetcher:
        fetcher.get("x")
    assert fake.sleeps == [1.0]


def test_network_errors_and_timeouts_are_retried() -> None:
    fake = FakeTime()
    recorder = Recorder(
        sequence(
            httpx.ConnectError("connection refused"), httpx.ReadTimeout("timed out"), httpx.Response(200)
        )
    )
    events: list[str] = []
    with make(fake, recorder.transport, events=events, timeout=20.0) as fetcher:
        assert fetcher.get("x").status == 200
    assert fake.sleeps == [1.0, 2.0]
    assert events == [
        "Semantic Scholar could not be reached (connection refused); "
        "waiting 1 s before retrying (retry 1 of 5)",
        "Semantic Scholar could not be reached (no answer within 20 s); "
        "waiting 2 s before retrying (retry 2 of 5)",
    ]


def test_network_down_for_good_says_check_the_network() -> None:
    fake = FakeTime()

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Name or service not known")

    recorder = Recorder(unreachable)
    with make(fake, recorder.transport, max_retries=1) as fetcher, pytest.raises(UpstreamError) as caught:
        fetcher.get("x")
    assert caught.value.status is None
    assert str(caught.value) == (
        "Semantic Scholar could not be reached at https://api.semanticscholar.org/graph/v1/x after 1 retries "
        "(Name or service not known): check your network connection or the base URL "
        "(PAPERRADAR_SEMANTIC_SCHOLAR_URL)"
    )


# --------------------------------------------------------------------------- API key


def test_api_key_as_param_is_sent_but_never_leaks(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeTime()
    recorder = Recorder(
        sequence(
            httpx.Response(503, headers={"Retry-After": "2"}),
            httpx.Response(200, json={"results": []}),
            httpx.ConnectError(f"boom while fetching ?api_key={SECRET}"),
            httpx.Response(401, json={"error": f"invalid api_key {SECRET}"}),
        )
    )
    events: list[str] = []
    fetcher = make(
        fake,
        recorder.transport,
        source="openalex",
        base_url="https://api.openalex.org",
        api_key=SECRET,
        api_key_param="api_key",
        cache_dir=tmp_path,
        events=events,
    )
    with fetcher:
        response = fetcher.get("works", {"filter": "doi:10.1/x"})
        with pytest.raises(UpstreamError) as caught:
            fetcher.get("authors", {"api_key": "caller-supplied"})
        texts = [
            str(caught.value),
            repr(caught.value),
            caught.value.url,
            repr(fetcher),
            response.url,
            *events,
        ]

    assert [r.url.params["api_key"] for r in recorder.requests] == [SECRET, SECRET, SECRET, SECRET]
    assert response.url == "https://api.openalex.org/works?filter=doi%3A10.1%2Fx"
    assert caught.value.url == "https://api.openalex.org/authors"
    assert len(events) == 2
    for text in texts:
        assert SECRET not in text, text
    assert SECRET not in caplog.text
    cache_files = list(tmp_path.rglob("*"))
    assert cache_files
    for path in cache_files:
        assert SECRET not in str(path)
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes()


def test_api_key_as_header_is_sent_but_not_cached(tmp_path: Path) -> None:
    fake = FakeTime()
    recorder = Recorder(ok())
    with make(
        fake, recorder.transport, api_key=SECRET, api_key_header="x-api-key", cache_dir=tmp_path
    ) as fetcher:
        response = fetcher.get("paper/x", {"fields": "title"})
        assert "x-api-key" not in repr(fetcher) and SECRET not in repr(fetcher)
    assert recorder.requests[0].headers["x-api-key"] == SECRET
    assert "x-api-key" not in recorder.requests[0].url.params
    assert SECRET not in response.url
    for path in tmp_path.rglob("*"):
        assert SECRET not in str(path)
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes()


def test_key_stays_with_its_host_across_redirects_and_foreign_links() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.semanticscholar.org" and request.url.path.endswith("/moved"):
            return httpx.Response(302, headers={"Location": "https://elsewhere.example/landing"})
        return httpx.Response(200)

    fake = FakeTime()
    recorder = Recorder(answer)
    with make(fake, recorder.transport, api_key=SECRET, api_key_header="x-api-key") as fetcher:
        fetcher.get("moved")
        fetcher.get("https://elsewhere.example/page")
        fetcher.get("paper/x")
    hosts_with_key = [(r.url.host, "x-api-key" in r.headers) for r in recorder.requests]
    assert hosts_with_key == [
        ("api.semanticscholar.org", True),
        ("elsewhere.example", False),
        ("elsewhere.example", False),
        ("api.semanticscholar.org", True),
    ]


def test_key_configuration_must_say_how_to_send_it() -> None:
    with pytest.raises(ValueError, match="either as a header or as a query parameter"):
        Fetcher("openalex", "https://api.openalex.org", min_interval=0, user_agent=UA, api_key=SECRET)


def test_a_user_agent_is_required() -> None:
    with pytest.raises(ValueError, match="User-Agent"):
        Fetcher("openalex", "https://api.openalex.org", min_interval=0, user_agent=" ")


# --------------------------------------------------------------------------- cache


def test_cache_serves_a_rerun_without_network(tmp_path: Path) -> None:
    fake = FakeTime()
    body = RECORDING.read_bytes()
    recorder = Recorder(ok(body, "application/json; charset=utf-8"))
    with make(fake, recorder.transport, cache_dir=tmp_path) as fetcher:
        first = fetcher.get("paper/x", {"fields": "title", "limit": 10})
    assert len(recorder.requests) == 1
    files = list((tmp_path / "semantic_scholar").iterdir())
    assert len(files) == 1 and len(files[0].name) == 64

    with make(fake, httpx.MockTransport(no_network), cache_dir=tmp_path) as rerun:
        again = rerun.get("paper/x", {"limit": 10, "fields": "title"})  # parameter order does not matter
    assert again.from_cache and not first.from_cache
    assert (again.status, again.content, again.url) == (200, body, first.url)
    assert again.headers == {"content-type": "application/json; charset=utf-8"}
    assert again.json() == orjson.loads(body)


def test_cache_can_be_bypassed(tmp_path: Path) -> None:
    fake = FakeTime()
    recorder = Recorder(ok())
    with make(fake, recorder.transport, cache_dir=tmp_path) as fetcher:
        fetcher.get("x", cache=False)
        fetcher.get("x", cache=False)
    assert len(recorder.requests) == 2
    assert not (tmp_path / "semantic_scholar").exists()


def test_post_bodies_are_part_of_the_cache_key(tmp_path: Path) -> None:
    fake = FakeTime()
    recorder = Recorder(lambda request: httpx.Response(200, content=request.content))
    with make(fake, recorder.transport, cache_dir=tmp_path) as fetcher:
        a = fetcher.post_json("paper/batch", {"ids": ["a"]}, {"fields": "title"})
        b = fetcher.post_json("paper/batch", {"ids": ["b"]}, {"fields": "title"})
        a_again = fetcher.post_json("paper/batch", {"ids": ["a"]}, {"fields": "title"})
        other_fields = fetcher.post_json("paper/batch", {"ids": ["a"]}, {"fields": "year"})
    assert [r.method for r in recorder.requests] == ["POST", "POST", "POST"]
    assert recorder.requests[0].headers["content-type"] == "application/json"
    assert a.json() == {"ids": ["a"]} and b.json() == {"ids": ["b"]}
    assert a_again.from_cache and a_again.json() == {"ids": ["a"]}
    assert not other_fields.from_cache
    assert len(list((tmp_path / "semantic_scholar").iterdir())) == 3


def test_cache_ttl_expires_by_wall_clock(tmp_path: Path) -> None:
    fake = FakeTime()
    recorder = Recorder(lambda request: httpx.Response(200, text=f"v{len(recorder.requests)}"))
    with make(fake, recorder.transport, cache_dir=tmp_path, cache_ttl=3600) as fetcher:
        assert fetcher.get("x").text == "v1"
        fake.now += 3599
        assert fetcher.get("x").from_cache
        fake.now += 2
        fresh = fetcher.get("x")
        assert not fresh.from_cache and fresh.text == "v2"
        fake.now += 3000
        cached = fetcher.get("x")
        assert cached.from_cache and cached.text == "v2"  # the refetch was stored with a new date
    assert len(recorder.requests) == 2


def test_only_200_is_cached(tmp_path: Path) -> None:
    fake = FakeTime()
    recorder = Recorder(
        sequence(
            httpx.Response(404, content=S2_404.read_bytes()),
            httpx.Response(404, content=S2_404.read_bytes()),
            httpx.Response(204),
            httpx.Response(204),
        )
    )
    with make(fake, recorder.transport, cache_dir=tmp_path) as fetcher:
        for _ in range(2):
            assert fetcher.get("paper/0", allow_status={404}).status == 404
        for _ in range(2):
            assert fetcher.get("paper/1").status == 204
    assert len(recorder.requests) == 4
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_corrupt_cache_file_is_ignored_and_overwritten(tmp_path: Path) -> None:
    fake = FakeTime()
    recorder = Recorder(ok(S2_404.read_bytes()))
    with make(fake, recorder.transport, cache_dir=tmp_path) as fetcher:
        fetcher.get("x")
        [path] = (tmp_path / "semantic_scholar").iterdir()
        good = path.read_bytes()
        for broken in (b"", b"not json\n" + good, good[:-5], good.replace(b"Paper", b"Paber")):
            path.write_bytes(broken)
            response = fetcher.get("x")
            assert not response.from_cache and response.content == S2_404.read_bytes()
            assert fetcher.get("x").from_cache  # rewritten whole
    assert len(recorder.requests) == 5


def test_failed_cache_write_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(src: str, dst: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("paperradar.sync.http.os.replace", refuse)
    fake = FakeTime()
    recorder = Recorder(ok())
    with make(fake, recorder.transport, cache_dir=tmp_path) as fetcher:
        assert fetcher.get("x").json() == {"ok": True}  # the answer still comes back
    assert os.listdir(tmp_path / "semantic_scholar") == []


def test_response_text_and_json() -> None:
    response = Response(200, {"content-type": "text/plain; charset=latin-1"}, "café".encode("latin-1"), "u")
    assert response.text == "café"
    assert Response(200, {}, b'{"a": [1]}', "u").json() == {"a": [1]}

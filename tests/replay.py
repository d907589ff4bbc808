"""A real HTTP server on 127.0.0.1 that answers with recorded upstream responses.

Tests give it a function from the request to (status, body, headers); it records every request.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

Answer = tuple[int, bytes, dict[str, str]]
Request = tuple[str, str, dict[str, str], bytes]  # method, path, query, body
Route = Callable[[str, str, dict[str, str], bytes], Answer]
GetRoute = Callable[[str, dict[str, str]], Answer]


@contextmanager
def serve(route: Route) -> Iterator[tuple[str, list[Request]]]:
    """Serve ``route`` (GET and POST) until the block ends; yields the base URL and the requests."""
    seen: list[Request] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append((self.command, url.path, query, body))
            status, content, headers = route(self.command, url.path, query, body)
            self.send_response(status)
            for name, value in {"Content-Length": str(len(content)), **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a client killed mid-answer
                self.wfile.write(content)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def replay_server(route: GetRoute) -> Iterator[tuple[str, list[tuple[str, dict[str, str]]]]]:
    """:func:`serve` for GET-only upstreams; yields the base URL and the (path, query) seen."""
    seen: list[tuple[str, dict[str, str]]] = []

    def answer(_method: str, path: str, query: dict[str, str], _body: bytes) -> Answer:
        seen.append((path, query))
        return route(path, query)

    with serve(answer) as (url, _requests):
        yield url, seen

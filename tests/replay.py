"""A real HTTP server on 127.0.0.1 that answers with recorded upstream responses.

Tests give it a function from (path, query) to (status, body, headers); it records every request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

Answer = tuple[int, bytes, dict[str, str]]
Route = Callable[[str, dict[str, str]], Answer]


@contextmanager
def replay_server(route: Route) -> Iterator[tuple[str, list[tuple[str, dict[str, str]]]]]:
    """Serve ``route`` until the block ends; yields the base URL and the list of requests seen."""
    seen: list[tuple[str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            seen.append((url.path, query))
            status, body, headers = route(url.path, query)
            self.send_response(status)
            for name, value in {"Content-Length": str(len(body)), **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

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

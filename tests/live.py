"""The app under a real uvicorn server, for tests that need a live one (a browser, a fuzzer)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import uvicorn

from paperradar.web.app import create_app


class LiveServer:
    """The app under a real uvicorn in a thread, on a free port of 127.0.0.1."""

    def __init__(self, db: Path | str, *, local: bool) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        config = uvicorn.Config(
            create_app(str(db), local=local), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

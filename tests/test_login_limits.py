"""Issue 17, sign-in limits: failures count per client and name, per client and per name (a short,
growing back-off, never a lock-out of the owner), successes per client; the client is the
connecting address unless that is a configured trusted proxy, whose X-Forwarded-For is believed.
Every refusal is a 429 saying how long to wait, with Retry-After."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.requests import Request

from paperradar.config import ConfigError, load_config
from paperradar.store import accounts
from paperradar.store.database import open_store, writing
from paperradar.web import security
from paperradar.web.app import create_app
from paperradar.web.security import backoff_seconds, client_address
from tests.pages import csrf_of, shown_text

PASSWORDS = {"ada": "ada-secret-pw", "bob": "bob-secret-pw"}
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"
PROXIES = "192.0.2.0/24"  # the trusted reverse proxies of the proxied app
PROXY = "192.0.2.10"
FIFTEEN_MINUTES = "try again in 15 min."
Answer = Any  # a response: of the test client (httpx2's) or of httpx, talking to `paperradar serve`


def configure(folder: Path, monkeypatch: pytest.MonkeyPatch, text: str = "") -> Path:
    """A config file of our own (never the developer's), and no proxies from the environment."""
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("PAPERRADAR_CONFIG", str(path))
    monkeypatch.delenv("PAPERRADAR_TRUSTED_PROXIES", raising=False)
    return path


class Clock:
    """The sign-in limits' clock, moved by the test: waits are exact however slow the machine."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(security, "time", fake)  # the limits read time.monotonic only
    return fake


@pytest.fixture
def users(engine: Engine) -> Engine:
    with writing(engine) as conn:
        for name, password in PASSWORDS.items():
            accounts.add_user(conn, name, password, admin=name == "ada")
    return engine


@pytest.fixture
def app(users: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> FastAPI:
    """A lab server that clients reach directly."""
    configure(tmp_path, monkeypatch)
    return create_app(users, local=False)


@pytest.fixture
def proxied_app(users: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> FastAPI:
    """A lab server behind reverse proxies in 192.0.2.0/24."""
    configure(tmp_path, monkeypatch, f'trusted_proxies = ["{PROXIES}"]\n')
    return create_app(users, local=False)


def sign_in(app: FastAPI, address: str, name: str, password: str, forwarded: str | None = None) -> Answer:
    """The sign-in form, fetched and sent by a browser whose connection comes from ``address``."""
    browser = TestClient(app, client=(address, 50000))
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    form = browser.get("/login", headers=headers).text
    data = {"csrf": csrf_of(form), "name": name, "password": password}
    return browser.post("/login", data=data, headers=headers, follow_redirects=False)


def refused_for(response: Answer) -> int:
    """How long a refused sign-in is told to wait (its Retry-After, also said on the page)."""
    assert response.status_code == 429, response.text
    seconds = int(response.headers["retry-after"])
    shown = f"{seconds} s." if seconds < 120 else f"{-(-seconds // 60)} min."
    assert f"try again in {shown}" in shown_text(response.text)
    return seconds


# ------------------------------------------------------------------------------ one account, many addresses
def test_failures_from_one_address_do_not_lock_the_owner_out_from_another(app: FastAPI, clock: Clock) -> None:
    for _ in range(5):
        assert sign_in(app, ATTACKER, "ada", "guess-guess-1").status_code == 401
    stopped = sign_in(app, ATTACKER, "ada", PASSWORDS["ada"])  # even the right password waits there
    assert refused_for(stopped) > 60 and FIFTEEN_MINUTES in shown_text(stopped.text)
    assert "Too many failed sign-ins with this name" in shown_text(stopped.text)

    owner = sign_in(app, OWNER, "ada", PASSWORDS["ada"])  # elsewhere: the account's short back-off
    assert refused_for(owner) == 1 and "with this name lately" in shown_text(owner.text)
    clock.advance(1.05)
    assert sign_in(app, OWNER, "ada", PASSWORDS["ada"]).status_code == 303
    assert refused_for(sign_in(app, ATTACKER, "ada", PASSWORDS["ada"])) > 60  # still stopped


def test_an_attack_from_many_addresses_slows_the_account_but_not_its_owner_at_home(
    app: FastAPI, clock: Clock
) -> None:
    home = "198.51.100.20"
    assert sign_in(app, home, "ada", PASSWORDS["ada"]).status_code == 303  # ada, last week
    bots = [f"203.0.113.{n}" for n in range(1, 10)]
    for bot in bots[:5]:
        assert sign_in(app, bot, "ada", "guess-guess-1").status_code == 401
    assert refused_for(sign_in(app, bots[5], "ada", "guess-guess-1")) == 1
    clock.advance(1.05)
    assert sign_in(app, bots[5], "ada", "guess-guess-1").status_code == 401  # the 6th failure
    assert refused_for(sign_in(app, bots[6], "ada", "guess-guess-1")) == 2  # the wait doubles
    assert refused_for(sign_in(app, OWNER, "ada", PASSWORDS["ada"])) == 2  # a new address waits too
    assert sign_in(app, home, "ada", PASSWORDS["ada"]).status_code == 303  # ada's own: no wait
    assert sign_in(app, bots[7], "bob", PASSWORDS["bob"]).status_code == 303  # bob is not slowed


def test_the_back_off_doubles_from_one_second_and_stops_at_five_minutes() -> None:
    waits = [backoff_seconds(failures) for failures in range(1, 16)]
    assert waits == [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert backoff_seconds(10_000) == 300


def test_successful_sign_ins_are_limited_per_client_too(proxied_app: FastAPI) -> None:
    for _ in range(30):
        assert sign_in(proxied_app, PROXY, "bob", PASSWORDS["bob"], forwarded=ATTACKER).status_code == 303
    for password in (PASSWORDS["bob"], "wrong-guess-1"):  # no more answers: right or wrong, it waits
        refused = sign_in(proxied_app, PROXY, "bob", password, forwarded=ATTACKER)
        assert refused_for(refused) > 60 and FIFTEEN_MINUTES in shown_text(refused.text)
        assert "Too many sign-ins from your address" in shown_text(refused.text)
    # the proxy's other clients are counted on their own
    assert sign_in(proxied_app, PROXY, "bob", PASSWORDS["bob"], forwarded=OWNER).status_code == 303


# ------------------------------------------------------------------------------ who the client is
def test_a_direct_client_cannot_dodge_the_limits_with_x_forwarded_for(proxied_app: FastAPI) -> None:
    for n in range(5):  # a new made-up address each time: it is no trusted proxy, so it is itself
        refused = sign_in(proxied_app, ATTACKER, "ada", "guess-guess-1", forwarded=f"198.51.100.{n}")
        assert refused.status_code == 401
    stopped = sign_in(proxied_app, ATTACKER, "ada", PASSWORDS["ada"], forwarded="198.51.100.99")
    assert refused_for(stopped) > 60


def test_behind_a_trusted_proxy_each_forwarded_client_is_counted_alone(
    proxied_app: FastAPI, clock: Clock
) -> None:
    for n in range(5):  # what the client wrote stands left of what the proxy saw, and is not believed
        guess = sign_in(proxied_app, PROXY, "bob", "guess-guess-1", forwarded=f"10.9.9.{n}, {ATTACKER}")
        assert guess.status_code == 401
    stopped = sign_in(proxied_app, PROXY, "bob", PASSWORDS["bob"], forwarded=f"10.9.9.99, {ATTACKER}")
    assert refused_for(stopped) > 60
    # through a second trusted proxy, the same client is still itself
    inner = sign_in(proxied_app, PROXY, "bob", PASSWORDS["bob"], forwarded=f"{ATTACKER}, 192.0.2.77")
    assert refused_for(inner) > 60
    owner = sign_in(proxied_app, PROXY, "bob", PASSWORDS["bob"], forwarded=OWNER)
    assert refused_for(owner) == 1  # only the account's back-off, not the attacker's limit
    clock.advance(1.05)
    assert sign_in(proxied_app, PROXY, "bob", PASSWORDS["bob"], forwarded=OWNER).status_code == 303


def request_from(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "client": (peer, 1)})


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.5", ("198.51.100.1",), "203.0.113.5"),  # no trusted proxy: its header is ignored
        ("192.0.2.10", (), "192.0.2.10"),  # a proxy with no header: the proxy
        ("192.0.2.10", ("198.51.100.1",), "198.51.100.1"),
        ("192.0.2.10", ("6.6.6.6, 198.51.100.1",), "198.51.100.1"),  # right-most untrusted entry
        ("192.0.2.10", ("6.6.6.6", "198.51.100.1, 192.0.2.11"), "198.51.100.1"),  # two headers
        ("192.0.2.10", ("198.51.100.1:5123",), "198.51.100.1"),  # with a port
        ("192.0.2.10", ("[2001:db8::7]:443",), "2001:db8::7"),
        ("192.0.2.10", ("::ffff:198.51.100.1",), "198.51.100.1"),  # IPv4-mapped IPv6
        ("192.0.2.10", ("6.6.6.6, not-an-address",), "192.0.2.10"),  # malformed: the proxy
        ("192.0.2.10", ("198.51.100.1, ",), "192.0.2.10"),  # an empty entry: the proxy
        ("192.0.2.10", ("192.0.2.12, 192.0.2.11",), "192.0.2.12"),  # all proxies: the first
        ("testclient", ("198.51.100.1",), "testclient"),  # no IP address at all: as it is
    ],
)
def test_the_client_is_the_right_most_address_no_trusted_proxy_added(
    peer: str, forwarded: tuple[str, ...], client: str
) -> None:
    trusted = load_config(Path("/nonexistent"), env={"PAPERRADAR_TRUSTED_PROXIES": PROXIES}).trusted_proxies
    assert client_address(request_from(peer, *forwarded), trusted) == client


def test_trusted_proxies_are_read_from_the_config_and_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('trusted_proxies = ["127.0.0.1", "10.0.0.0/8", "::1", "10.0.0.0/8"]\n', encoding="utf-8")
    shown = [str(n) for n in load_config(path, env={}).trusted_proxies]
    assert shown == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]  # duplicates dropped
    env = {"PAPERRADAR_TRUSTED_PROXIES": "172.16.0.0/12, 192.0.2.1"}
    assert [str(n) for n in load_config(path, env=env).trusted_proxies] == ["172.16.0.0/12", "192.0.2.1/32"]
    path.write_text('trusted_proxies = ["10.0.0.0/33"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"trusted_proxies entries must be IP addresses or networks"):
        load_config(path, env={})
    path.write_text('trusted_proxies = "10.0.0.1"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"trusted_proxies must be a list"):
        load_config(path, env={})


# ------------------------------------------------------------------------------ paperradar serve
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def served(db: Path, config: Path) -> Iterator[httpx.Client]:
    """``paperradar serve`` on a free port of 127.0.0.1, stopped at the end."""
    port = free_port()
    env = {**os.environ, "PAPERRADAR_CONFIG": str(config)}
    env.pop("PAPERRADAR_TRUSTED_PROXIES", None)
    command = [sys.executable, "-m", "paperradar.cli", "--db", str(db), "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            deadline = time.monotonic() + 30
            while True:
                assert server.poll() is None, server.stderr.read() if server.stderr else "serve stopped"
                assert time.monotonic() < deadline, "paperradar serve did not start"
                try:
                    client.get("/login")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield client
    finally:
        server.terminate()
        server.wait(15)


def post_sign_in(client: httpx.Client, password: str, forwarded: str) -> httpx.Response:
    form = client.get("/login").text
    data = {"csrf": csrf_of(form), "name": "ada", "password": password}
    return client.post("/login", data=data, headers={"X-Forwarded-For": forwarded})


def test_paperradar_serve_believes_x_forwarded_for_only_from_configured_proxies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "lab.db"
    engine = open_store(str(db))
    with writing(engine) as conn:
        accounts.add_user(conn, "ada", PASSWORDS["ada"], admin=True)
    engine.dispose()

    config = configure(tmp_path, monkeypatch)  # no proxies: a local one is not believed either
    with served(db, config) as client:
        for n in range(5):
            assert post_sign_in(client, "guess-guess-1", f"198.51.100.{n}").status_code == 401
        assert refused_for(post_sign_in(client, PASSWORDS["ada"], "198.51.100.99")) > 60

    config.write_text('trusted_proxies = ["127.0.0.1"]\n', encoding="utf-8")
    with served(db, config) as client:
        for _ in range(5):
            assert post_sign_in(client, "guess-guess-1", ATTACKER).status_code == 401
        assert refused_for(post_sign_in(client, PASSWORDS["ada"], ATTACKER)) > 60
        assert refused_for(post_sign_in(client, PASSWORDS["ada"], OWNER)) == 1  # counted apart

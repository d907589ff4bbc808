"""The one HTTP layer every live source goes through (arXiv, Hugging Face, OpenAlex, S2).

Every upstream service rate-limits hard and fails transiently, so the rules live here once
instead of in each connector:

* **rate limit** — at least ``min_interval`` seconds between the starts of two requests
  of the same :class:`Fetcher` (arXiv asks for 3 s, Semantic Scholar for 1 s); a cache
  hit costs no wait;
* **retries** — timeouts, network errors and HTTP 429/500/502/503/504 are retried with
  exponential backoff (1, 2, 4 … s, capped at 60 s), except that a ``Retry-After``
  header (seconds or an HTTP date) is obeyed exactly, up to 300 s; every wait is told
  to the user through ``on_event`` in a plain sentence; a fetcher made for a person
  waiting on an answer (:meth:`Fetcher.within`) instead ends each call by a deadline,
  retrying only while a retry can still start before it;
* **errors say what to do** — :class:`UpstreamError` names the source, the status and
  the next step (check the key, try later, fix the base URL);
* **secrets stay secret** — the API key is sent as a header or a query parameter but
  never appears in messages, ``repr``, logs (httpx's own request log included), URLs
  handed back, or the cache;
* **on-disk cache** — successful (200) responses are kept under
  ``cache_dir/<source>/<sha256>`` so a re-run does not touch the network.

Clock, sleep and transport are injectable so tests replay real recordings without
waiting or touching the network.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import logging
import os
import random
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

import httpx
import orjson

from paperradar.config import SOURCE_LABELS, env_key_var, env_url_var

__all__ = ["RETRYABLE_STATUSES", "Fetcher", "Response", "UpstreamError"]

log = logging.getLogger(__name__)

RETRYABLE_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
BACKOFF_BASE: Final = 1.0
BACKOFF_CAP: Final = 60.0
RETRY_AFTER_CAP: Final = 300.0
MIN_ATTEMPT: Final = 1.0  # under a deadline, a retry needs at least this many seconds left


_SOURCE_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_CACHE_FORMAT: Final = 1
_CACHED_HEADERS: Final = ("content-type", "date", "etag", "last-modified")
_MASK: Final = "***"


def _key_hint(source: str) -> str:
    return f"sources.{source}.api_key in the config or {env_key_var(source)}"


# --------------------------------------------------------------------------- secrets and logging


class _Secret:
    """Holds the API key so that no ``repr``/``vars`` dump can show it by accident."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"<secret {_MASK}>"

    __str__ = __repr__


_live_secrets: Counter[str] = Counter()
_secrets_lock = threading.Lock()


def _scrub_all(text: str) -> str:
    with _secrets_lock:
        secrets = [s for s, n in _live_secrets.items() if n > 0]
    for secret in secrets:
        text = text.replace(secret, _MASK)
    return text


class _ScrubSecrets(logging.Filter):
    """httpx logs every request URL at INFO; a query-parameter key would land in the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        with _secrets_lock:
            if not +_live_secrets:
                return True
        message = record.getMessage()
        scrubbed = _scrub_all(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


_httpx_filter = _ScrubSecrets()
logging.getLogger("httpx").addFilter(_httpx_filter)


# --------------------------------------------------------------------------- response and errors


@dataclass(frozen=True, slots=True)
class Response:
    """What a connector needs from an answer; ``url`` never carries the API key.

    ``headers`` has lower-case names.
    """

    status: int
    headers: dict[str, str]
    content: bytes
    url: str
    from_cache: bool = False

    def json(self) -> Any:
        return orjson.loads(self.content)

    @property
    def text(self) -> str:
        charset = "utf-8"
        match = re.search(r"charset=([\w.-]+)", self.headers.get("content-type", ""), re.IGNORECASE)
        if match:
            charset = match.group(1)
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")


class UpstreamError(Exception):
    """A request that failed for good; the message says what happened and what to do.

    ``status`` is ``None`` when no HTTP answer came (timeouts, network errors).
    """

    def __init__(self, message: str, *, source: str, status: int | None, url: str) -> None:
        super().__init__(message)
        self.source = source
        self.status = status
        self.url = url

    def __repr__(self) -> str:
        return f"UpstreamError(source={self.source!r}, status={self.status!r}, url={self.url!r})"


def _seconds(value: float) -> str:
    if value == int(value):
        return f"{int(value)} s"
    return f"{value:.1f} s"


def _status_text(status: int) -> str:
    reason = httpx.codes.get_reason_phrase(status)
    return f"HTTP {status} {reason}" if reason else f"HTTP {status}"


def _body_detail(content: bytes, content_type: str) -> str:
    """A short hint from an error body (``{"error": …}``/``{"message": …}`` or plain text)."""
    text = ""
    stripped = content.lstrip()[:1]
    if "json" in content_type or stripped in (b"{", b"["):
        try:
            data = orjson.loads(content)
        except orjson.JSONDecodeError:
            data = None
        if isinstance(data, dict):
            for key in ("error", "message", "detail", "error_description"):
                if isinstance(data.get(key), str):
                    text = data[key]
                    break
    elif content_type.startswith("text/plain"):
        text = content[:400].decode("utf-8", errors="replace")
    text = " ".join(text.split())
    return text[:200] + ("…" if len(text) > 200 else "")


# --------------------------------------------------------------------------- cache


@dataclass(slots=True)
class _Cache:
    """``<dir>/<sha256>`` files: one JSON header line, then the body bytes."""

    directory: Path
    ttl: float | None
    wall_clock: Callable[[], float]

    def path(self, key: str) -> Path:
        return self.directory / key

    def load(self, key: str) -> Response | None:
        path = self.path(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("cannot read cache file %s (%s); fetching again", path, exc)
            return None
        try:
            head, _, body = raw.partition(b"\n")
            meta = orjson.loads(head)
            if (
                not isinstance(meta, dict)
                or meta.get("v") != _CACHE_FORMAT
                or meta.get("length") != len(body)
                or meta.get("sha256") != hashlib.sha256(body).hexdigest()
            ):
                raise ValueError("bad header or truncated body")
            stored_at = float(meta["stored_at"])
            headers = {str(k): str(v) for k, v in dict(meta["headers"]).items()}
            response = Response(int(meta["status"]), headers, body, str(meta["url"]), from_cache=True)
        except (ValueError, KeyError, TypeError) as exc:
            log.debug("ignoring corrupt cache file %s (%s)", path, exc)
            return None
        if self.ttl is not None and self.wall_clock() - stored_at > self.ttl:
            return None
        return response

    def store(self, key: str, response: Response) -> None:
        meta = {
            "v": _CACHE_FORMAT,
            "status": response.status,
            "url": response.url,
            "headers": {k: v for k, v in response.headers.items() if k in _CACHED_HEADERS},
            "stored_at": self.wall_clock(),
            "length": len(response.content),
            "sha256": hashlib.sha256(response.content).hexdigest(),
        }
        tmp_name: str | None = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", dir=self.directory)
            with os.fdopen(fd, "wb") as fh:
                fh.write(orjson.dumps(meta) + b"\n")
                fh.write(response.content)
            os.replace(tmp_name, self.path(key))
            tmp_name = None
        except OSError as exc:
            # A cache that cannot be written costs speed, not correctness.
            log.warning("cannot write cache file in %s (%s)", self.directory, exc)
        finally:
            if tmp_name is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp_name)


# --------------------------------------------------------------------------- fetcher


@dataclass(slots=True)
class _Outcome:
    """The last failure of a request, kept to build the final error."""

    status: int | None = None
    response: httpx.Response | None = None
    error: str = ""
    retries: int = 0


class Fetcher:
    """One per upstream source: rate limit, retries, key, User-Agent and cache in one place.

    ``source`` is the config name (``arxiv_oai``, ``semantic_scholar`` …): it names the
    cache folder, ``sources.<source>.api_key`` and ``PAPERRADAR_<SOURCE>_KEY`` in messages.
    ``label`` is the human name used in sentences (defaults from :data:`paperradar.config.SOURCE_LABELS`).
    ``max_retries`` counts retries after the first attempt.
    ``wall_clock`` dates cache entries (for ``cache_ttl``) and resolves HTTP-date
    ``Retry-After`` values; ``clock`` (monotonic) drives the rate limit.
    """

    def __init__(
        self,
        source: str,
        base_url: str,
        *,
        min_interval: float,
        timeout: float = 30.0,
        max_retries: int = 5,
        user_agent: str,
        api_key: str | None = None,
        api_key_header: str | None = None,
        api_key_param: str | None = None,
        cache_dir: Path | None = None,
        cache_ttl: float | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_event: Callable[[str], None] | None = None,
        label: str | None = None,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        jitter: float = 0.1,
    ) -> None:
        if not _SOURCE_RE.match(source):
            raise ValueError(f"source must be a lower-case config name like 'openalex', not {source!r}")
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"{source}: base URL must start with http:// or https://, not {base_url!r}")
        if not user_agent.strip():
            raise ValueError(f"{source}: a User-Agent is required (services block anonymous crawlers)")
        if min_interval < 0 or timeout <= 0 or max_retries < 0 or jitter < 0:
            raise ValueError(f"{source}: min_interval, timeout, max_retries and jitter must not be negative")
        if api_key is not None and not api_key.strip():
            api_key = None
        if api_key is not None and (api_key_header is None) == (api_key_param is None):
            raise ValueError(f"{source}: send the API key either as a header or as a query parameter")
        self.source = source
        self.label = label or SOURCE_LABELS.get(source, source)
        self.base_url = base_url
        self.min_interval = min_interval
        self.timeout = timeout
        self.max_retries = max_retries
        self._key = _Secret(api_key) if api_key is not None else None
        self._key_header = api_key_header
        self._key_param = api_key_param
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._on_event = on_event
        self._rng = rng if rng is not None else random.Random()
        self._jitter = jitter
        self._cache = _Cache(cache_dir / source, cache_ttl, wall_clock) if cache_dir is not None else None
        self._limit_lock = threading.Lock()
        self._next_start: float | None = None
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": user_agent},
            follow_redirects=True,
            event_hooks={"request": [self._keep_key_home]},
        )
        self._origin = httpx.URL(base_url).copy_with(path="/", query=None, fragment=None)
        self._closed = False
        self.deadline: float | None = None  # seconds a whole call may take (see within)
        if api_key is not None:
            with _secrets_lock:
                _live_secrets[api_key] += 1

    def within(self, seconds: float) -> Self:
        """End every call within ``seconds``, retries and waits included: for someone waiting on
        the answer (a paper submitted from a form), not a bulk sync, which waits out what the
        service asks. Each attempt's timeout is what is left; a retry is made only if it can start
        at least :data:`MIN_ATTEMPT` seconds before the deadline."""
        if seconds <= 0:
            raise ValueError(f"{self.source}: a deadline must be positive, not {seconds!r}")
        self.deadline = seconds
        return self

    # ---- lifecycle

    def close(self) -> None:
        """Close the connection pool and forget the key for log scrubbing."""
        if self._closed:
            return
        self._closed = True
        self._client.close()
        if self._key is not None:
            with _secrets_lock:
                _live_secrets[self._key.reveal()] -= 1
                if _live_secrets[self._key.reveal()] <= 0:
                    del _live_secrets[self._key.reveal()]

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        key = "set" if self._key is not None else "none"
        return f"Fetcher(source={self.source!r}, base_url={self.base_url!r}, api_key={key})"

    # ---- public requests

    def get(
        self,
        path: str,
        params: Mapping[str, str | int] | None = None,
        *,
        cache: bool = True,
        allow_status: Collection[int] = (),
    ) -> Response:
        """GET ``base_url/path``; statuses in ``allow_status`` come back instead of raising."""
        return self._request("GET", path, params, None, cache=cache, allow_status=allow_status)

    def post_json(
        self,
        path: str,
        json_body: Any,
        params: Mapping[str, str | int] | None = None,
        *,
        cache: bool = True,
        allow_status: Collection[int] = (),
    ) -> Response:
        """POST a JSON body (S2 batch endpoints); cached by URL *and* body."""
        body = orjson.dumps(json_body, option=orjson.OPT_SORT_KEYS)
        return self._request("POST", path, params, body, cache=cache, allow_status=allow_status)

    # ---- internals

    def _url(self, path: str, params: Mapping[str, str | int] | None) -> httpx.URL:
        if path.startswith(("http://", "https://")):
            raw = path  # absolute links handed back by the service (next pages)
        elif not path:
            raw = self.base_url
        else:
            raw = self.base_url.rstrip("/") + "/" + path.lstrip("/")
        url = httpx.URL(raw)
        if params:
            url = url.copy_merge_params({k: str(v) for k, v in params.items()})
        if self._key_param is not None and self._key_param in url.params:
            url = url.copy_remove_param(self._key_param)
        return url

    def _is_home(self, url: httpx.URL) -> bool:
        return (url.scheme, url.host, url.port) == (self._origin.scheme, self._origin.host, self._origin.port)

    def _keep_key_home(self, request: httpx.Request) -> None:
        """Never hand a header key to another host (a redirect or an absolute link elsewhere)."""
        if self._key_header is not None and not self._is_home(request.url):
            request.headers.pop(self._key_header, None)

    def _scrub(self, text: str) -> str:
        if self._key is not None:
            text = text.replace(self._key.reveal(), _MASK)
        return text

    def _cache_key(self, method: str, url: httpx.URL, body: bytes | None) -> str:
        digest = hashlib.sha256()
        base = url.copy_with(query=None, fragment=None)
        digest.update(f"{method}\n{base}\n".encode())
        for name, value in sorted(url.params.multi_items()):
            digest.update(f"{name}={value}\n".encode())
        digest.update(b"\n")
        digest.update(body or b"")
        return digest.hexdigest()

    def _wait_for_slot(self) -> None:
        """Reserve the next start time under a lock, then sleep outside it."""
        with self._limit_lock:
            now = self._clock()
            start = now if self._next_start is None else max(now, self._next_start)
            self._next_start = start + self.min_interval
        if start > now:
            self._sleep(start - now)

    def _event(self, message: str) -> None:
        message = self._scrub(message)
        if self._on_event is not None:
            self._on_event(message)
        else:
            log.info("%s", message)

    def _backoff(self, retry: int) -> float:
        delay = min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** (retry - 1))
        if self._jitter:
            delay = min(BACKOFF_CAP, delay * (1 + self._rng.uniform(0, self._jitter)))
        return delay

    def _retry_after(self, response: httpx.Response) -> float | None:
        value = response.headers.get("retry-after")
        if value is None:
            return None
        value = value.strip()
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                return None
            if when.tzinfo is None:
                return None
            seconds = when.timestamp() - self._wall_clock()
        if seconds != seconds:  # NaN
            return None
        return max(0.0, seconds)

    def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str | int] | None,
        body: bytes | None,
        *,
        cache: bool,
        allow_status: Collection[int],
    ) -> Response:
        if self._closed:
            raise RuntimeError(f"{self.label} fetcher is closed")
        url = self._url(path, params)
        shown = self._scrub(str(url))
        store = self._cache if cache else None
        key = self._cache_key(method, url, body) if store is not None else ""
        if store is not None:
            hit = store.load(key)
            if hit is not None:
                log.debug("%s: cache hit for %s %s", self.source, method, shown)
                return hit

        send_url = url
        headers: dict[str, str] = {}
        if self._key is not None and self._is_home(url):
            if self._key_param is not None:
                send_url = url.copy_add_param(self._key_param, self._key.reveal())
            elif self._key_header is not None:
                headers[self._key_header] = self._key.reveal()
        if body is not None:
            headers["Content-Type"] = "application/json"

        ends = None if self.deadline is None else self._clock() + self.deadline
        outcome = _Outcome()
        for attempt in range(self.max_retries + 1):
            self._wait_for_slot()
            log.debug("%s: %s %s (attempt %d)", self.source, method, shown, attempt + 1)
            timeout = self.timeout if ends is None else max(0.1, min(self.timeout, ends - self._clock()))
            try:
                answer = self._client.request(
                    method, send_url, headers=headers, content=body, timeout=timeout
                )
            except httpx.TimeoutException:
                outcome = _Outcome(error=f"no answer within {_seconds(timeout)}")
            except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                outcome = _Outcome(error=self._scrub(str(exc)) or type(exc).__name__)
            except httpx.HTTPError as exc:
                reason = self._scrub(str(exc)) or type(exc).__name__
                if isinstance(exc, httpx.UnsupportedProtocol | httpx.ProxyError):
                    advice = f"check the base URL ({env_url_var(self.source)}) and proxy settings"
                else:
                    advice = "try again later; if it persists, report it as a paperradar bug"
                raise UpstreamError(
                    f"{self.label}: cannot fetch {shown} ({reason}): {advice}",
                    source=self.source,
                    status=None,
                    url=shown,
                ) from None
            else:
                status = answer.status_code
                if status in allow_status or 200 <= status < 300:
                    response = Response(
                        status,
                        {k.lower(): v for k, v in answer.headers.items()},
                        answer.content,
                        shown,
                    )
                    if store is not None and status == 200:
                        store.store(key, response)
                    return response
                outcome = _Outcome(status=status, response=answer)
                if status not in RETRYABLE_STATUSES:
                    raise self._error(outcome, shown)
            if attempt == self.max_retries or not self._announce_wait(outcome, attempt + 1, ends):
                outcome.retries = attempt
                break
        raise self._error(outcome, shown)

    def _announce_wait(self, outcome: _Outcome, retry: int, ends: float | None) -> bool:
        """Sleep before retry number ``retry`` and say why, in a sentence a user can act on;
        ``False`` (and no wait) when the retry could not start in time for the deadline ``ends``."""
        wait, told = self._wait_before(outcome, retry)
        if ends is not None:
            starts = max(self._clock() + wait, self._next_start or 0.0)  # the rate limit holds too
            if starts + MIN_ATTEMPT > ends:
                return False
        self._event(told)
        self._sleep(wait)
        return True

    def _wait_before(self, outcome: _Outcome, retry: int) -> tuple[float, str]:
        """How long to wait before retry number ``retry``, and the sentence that says why."""
        of = f"retry {retry} of {self.max_retries}"
        asked = self._retry_after(outcome.response) if outcome.response is not None else None
        if outcome.status is not None and asked is not None:
            wait = min(asked, RETRY_AFTER_CAP)
            told = f"{self.label} asked us to wait {_seconds(asked)} (HTTP {outcome.status})"
            if wait < asked:
                told += f"; waiting {_seconds(wait)}, our limit"
            return wait, f"{told}; retrying ({of})"
        wait = self._backoff(retry)
        if outcome.status is not None:
            return wait, (
                f"{self.label} answered {_status_text(outcome.status)}; "
                f"waiting {_seconds(wait)} before retrying ({of})"
            )
        return wait, (
            f"{self.label} could not be reached ({outcome.error}); "
            f"waiting {_seconds(wait)} before retrying ({of})"
        )

    def _error(self, outcome: _Outcome, shown: str) -> UpstreamError:
        status = outcome.status
        tries = f"after {outcome.retries} retries" if outcome.retries else "at once"
        detail = ""
        if outcome.response is not None:
            detail = self._scrub(
                _body_detail(outcome.response.content, outcome.response.headers.get("content-type", ""))
            )
        what = _status_text(status) if status is not None else ""
        if detail:
            what += f": {detail}"
        if status is None:
            message = (
                f"{self.label} could not be reached at {shown} {tries} ({outcome.error}): "
                f"check your network connection or the base URL ({env_url_var(self.source)})"
            )
        elif status in (401, 403):
            if self._key is not None:
                message = (
                    f"{self.label} rejected the API key ({what}) for {shown}: check {_key_hint(self.source)}"
                )
            else:
                message = (
                    f"{self.label} refused access ({what}) for {shown} and no API key is configured: "
                    f"set {_key_hint(self.source)}"
                )
        elif status == 404:
            message = f"{self.label} has nothing at {shown} ({what}): check the id or the query"
        elif status == 429:
            message = (
                f"{self.label} keeps rate-limiting us ({what}, {tries}) at {shown}: "
                f"try later or raise min_interval for {self.source}"
            )
        elif status in RETRYABLE_STATUSES:
            message = (
                f"{self.label} is failing ({what}, {tries}) at {shown}: "
                "the service may be down or overloaded; try again later"
            )
        elif 400 <= status < 500:
            message = (
                f"{self.label} rejected the request ({what}) for {shown}: "
                "the query or an id in it is probably malformed"
            )
        else:
            message = f"{self.label} answered {what} for {shown}, which paperradar does not handle"
        return UpstreamError(self._scrub(message), source=self.source, status=status, url=shown)

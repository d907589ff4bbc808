"""User configuration: what to follow, which sources to call and how politely, read from TOML.

One file (``config.toml`` in the user config folder, or ``$PAPERRADAR_CONFIG``) plus a few
environment overrides, so a cron job, a mirror or a test server can change URLs and keys without
editing the file. Everything is validated up front with messages that name the file and the key,
because a typo that is silently ignored shows up weeks later as a radar that never refreshed.
API keys are never shown whole: ``repr`` omits them and ``masked``/``describe`` keep the last 4
characters only.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from platformdirs import user_cache_path, user_config_path

from paperradar import __version__

ENV_CONFIG = "PAPERRADAR_CONFIG"
ENV_CONTACT_EMAIL = "PAPERRADAR_CONTACT_EMAIL"
ENV_CACHE_DIR = "PAPERRADAR_CACHE_DIR"
ENV_TRUSTED_PROXIES = "PAPERRADAR_TRUSTED_PROXIES"
PROJECT_URL = "https://github.com/paperradar"
NOT_SET = "(not set)"

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_HF_DAYS_BACK = 3
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
SMTP_SECURITY: tuple[str, ...] = ("starttls", "ssl", "none")
SMTP_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
ENV_SMTP: dict[str, str] = {  # [smtp] key → the variable that overrides it
    "host": "PAPERRADAR_SMTP_HOST",
    "port": "PAPERRADAR_SMTP_PORT",
    "security": "PAPERRADAR_SMTP_SECURITY",
    "username": "PAPERRADAR_SMTP_USERNAME",
    "password": "PAPERRADAR_SMTP_PASSWORD",
    "from_address": "PAPERRADAR_SMTP_FROM",
    "base_url": "PAPERRADAR_BASE_URL",
}


@dataclass(frozen=True)
class _SourceDefaults:
    base_url: str
    min_interval: float
    about: str


# The services' own published endpoints and the request spacing they ask for (arXiv: one request
# every 3 s; Semantic Scholar: 1 request/s without a key; OpenAlex: 10 requests/s).
SOURCE_DEFAULTS: dict[str, _SourceDefaults] = {
    "arxiv_oai": _SourceDefaults("https://oaipmh.arxiv.org/oai", 3.0, "arXiv OAI-PMH harvesting (sets)"),
    "arxiv_api": _SourceDefaults("https://export.arxiv.org/api/query", 3.0, "arXiv API (queries, id lists)"),
    "huggingface": _SourceDefaults("https://huggingface.co/api", 1.0, "Hugging Face daily papers"),
    "openalex": _SourceDefaults("https://api.openalex.org", 0.1, "OpenAlex enrichment"),
    "semantic_scholar": _SourceDefaults(
        "https://api.semanticscholar.org/graph/v1", 1.0, "Semantic Scholar enrichment"
    ),
}
SOURCE_NAMES: tuple[str, ...] = tuple(SOURCE_DEFAULTS)
SOURCE_LABELS: dict[str, str] = {
    "arxiv_oai": "arXiv OAI-PMH",
    "arxiv_api": "arXiv API",
    "huggingface": "Hugging Face",
    "openalex": "OpenAlex",
    "semantic_scholar": "Semantic Scholar",
}
"""Human names of the sources, for messages."""

_TOP_KEYS = (
    "contact_email",
    "schedule",
    "cache_dir",
    "trusted_proxies",
    "arxiv",
    "huggingface",
    "sources",
    "smtp",
)
_ARXIV_KEYS = ("sets", "categories")
_HF_KEYS = ("days_back",)
_SOURCE_KEYS = ("enabled", "base_url", "api_key", "min_interval", "timeout", "max_retries")
_SMTP_KEYS = ("host", "port", "security", "username", "password", "from_address", "base_url", "timeout")
# arXiv set specs ("cs", "physics:hep-th") and categories ("cs.LG", "astro-ph.CO"): no spaces or commas,
# so "cs, math" written as one string is caught instead of matching nothing.
_ARXIV_NAME = re.compile(r"[A-Za-z][A-Za-z0-9.:_-]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConfigError(ValueError):
    """A config file or environment value that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class SourceConfig:
    """How to reach one upstream service; ``api_key`` is left out of ``repr`` so logs never hold it."""

    enabled: bool
    base_url: str
    api_key: str | None = field(repr=False)
    min_interval: float  # seconds between two requests to this service
    timeout: float  # seconds per request
    max_retries: int


@dataclass(frozen=True)
class SmtpConfig:
    """Where digests are sent from; ``password`` is left out of ``repr`` so logs never hold it."""

    host: str | None  # None: digests cannot be sent (a dry run still works)
    port: int | None  # None: the standard port of ``security``
    security: str  # starttls | ssl | none
    username: str | None
    password: str | None = field(repr=False)
    from_address: str | None  # "paperradar <radar@example.org>" or a bare address
    base_url: str  # the web app as readers reach it: paper links and unsubscribe links
    timeout: float

    @property
    def port_number(self) -> int:
        return self.port or SMTP_PORTS[self.security]


def default_smtp() -> SmtpConfig:
    return SmtpConfig(
        host=None,
        port=None,
        security="starttls",
        username=None,
        password=None,
        from_address=None,
        base_url=DEFAULT_BASE_URL,
        timeout=DEFAULT_TIMEOUT,
    )


@dataclass(frozen=True)
class Config:
    """Everything the sync and enrichment commands need to know about the user's wishes."""

    contact_email: str | None
    arxiv_sets: tuple[str, ...]  # OAI-PMH sets to harvest, e.g. ("cs",)
    arxiv_categories: tuple[str, ...]  # categories to keep/follow, e.g. ("cs.LG", "cs.CL")
    hf_days_back: int
    schedule: str | None  # cron-like or "daily 06:00"; stored for `sync all` wrappers, not interpreted
    cache_dir: Path
    sources: dict[str, SourceConfig]
    smtp: SmtpConfig = field(default_factory=default_smtp)
    # The reverse proxies in front of the web app: only from these is X-Forwarded-For believed.
    trusted_proxies: tuple[IPNetwork, ...] = ()


def env_url_var(source: str) -> str:
    """The variable that overrides a source's base URL, e.g. ``PAPERRADAR_ARXIV_OAI_URL``."""
    return f"PAPERRADAR_{source.upper()}_URL"


def env_key_var(source: str) -> str:
    """The variable that provides a source's API key, e.g. ``PAPERRADAR_OPENALEX_KEY``."""
    return f"PAPERRADAR_{source.upper()}_KEY"


def config_path(env: Mapping[str, str] = os.environ) -> Path:
    """``$PAPERRADAR_CONFIG``, else ``config.toml`` in the user config folder."""
    if override := env.get(ENV_CONFIG):
        return Path(override).expanduser()
    return user_config_path("paperradar", appauthor=False) / "config.toml"


def default_cache_dir() -> Path:
    """Where HTTP responses are cached unless the config says otherwise."""
    return user_cache_path("paperradar", appauthor=False)


def default_config() -> Config:
    """The configuration used when there is no file: every source on, nothing followed on arXiv yet."""
    return Config(
        contact_email=None,
        arxiv_sets=(),
        arxiv_categories=(),
        hf_days_back=DEFAULT_HF_DAYS_BACK,
        schedule=None,
        cache_dir=default_cache_dir(),
        sources={
            name: SourceConfig(
                enabled=True,
                base_url=d.base_url,
                api_key=None,
                min_interval=d.min_interval,
                timeout=DEFAULT_TIMEOUT,
                max_retries=DEFAULT_MAX_RETRIES,
            )
            for name, d in SOURCE_DEFAULTS.items()
        },
    )


# --- loading -----------------------------------------------------------------------------------


def _show(value: object) -> str:
    """A short rendering of a bad value for an error message (strings quoted, long ones cut)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _unknown(where: str, key: str, allowed: tuple[str, ...], what: str = "key") -> ConfigError:
    close = difflib.get_close_matches(key.rsplit(".", 1)[-1], allowed, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; expected one of {', '.join(allowed)}"
    return ConfigError(f"{where}: unknown {what} {key!r}{hint}")


def _table(where: str, key: str, value: object, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {key} must be a table ([{key}]), got {_show(value)}")
    for sub in value:
        if sub not in allowed:
            raise _unknown(where, f"{key}.{sub}", allowed)
    return value


def _text(where: str, key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {key} must be a non-empty string, got {_show(value)}")
    if _CONTROL.search(value):
        raise ConfigError(f"{where}: {key} must not contain control characters (newlines, tabs)")
    return value.strip()


def _email(where: str, key: str, value: object) -> str:
    text = _text(where, key, value)
    # It goes into the User-Agent header, so anything that is not one token would break the header.
    if "@" not in text or any(c.isspace() for c in text):
        raise ConfigError(f"{where}: {key} must be an email address like you@example.org, got {_show(value)}")
    return text


def _url(where: str, key: str, value: object) -> str:
    text = _text(where, key, value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{where}: {key} must be an http(s) URL, got {_show(value)}")
    return text.rstrip("/")  # callers append "/path"


def _from_address(where: str, key: str, value: object) -> str:
    """A bare address or ``Name <address>``: what goes into the From header."""
    text = _text(where, key, value)
    _, address = parseaddr(text)
    if "@" not in address or any(c.isspace() for c in address):
        raise ConfigError(
            f"{where}: {key} must be an email address like radar@example.org "
            f"or 'paperradar <radar@example.org>', got {_show(value)}"
        )
    return text


def _host(where: str, key: str, value: object) -> str:
    text = _text(where, key, value)
    if "/" in text or any(c.isspace() for c in text):
        raise ConfigError(
            f"{where}: {key} must be a host name like smtp.example.org (no scheme), got {_show(value)}"
        )
    return text


def _port(where: str, key: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
        raise ConfigError(f"{where}: {key} must be a port number from 1 to 65535, got {_show(value)}")
    return value


def _security(where: str, key: str, value: object) -> str:
    if value not in SMTP_SECURITY:
        raise ConfigError(f"{where}: {key} must be one of {', '.join(SMTP_SECURITY)}, got {_show(value)}")
    return str(value)


def _optional_text(where: str, key: str, value: object) -> str | None:
    """A string where "" means not set (user names, passwords)."""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key} must be a string, got a {type(value).__name__}")
    return _text(where, key, value) if value.strip() else None


def _smtp(where: str, table: object, base: SmtpConfig) -> SmtpConfig:
    s = _table(where, "smtp", table, _SMTP_KEYS)
    return SmtpConfig(
        host=_host(where, "smtp.host", s["host"]) if "host" in s else base.host,
        port=_port(where, "smtp.port", s["port"]) if "port" in s else base.port,
        security=_security(where, "smtp.security", s["security"]) if "security" in s else base.security,
        username=_optional_text(where, "smtp.username", s["username"]) if "username" in s else base.username,
        password=_optional_text(where, "smtp.password", s["password"]) if "password" in s else base.password,
        from_address=_from_address(where, "smtp.from_address", s["from_address"])
        if "from_address" in s
        else base.from_address,
        base_url=_url(where, "smtp.base_url", s["base_url"]) if "base_url" in s else base.base_url,
        timeout=_number(where, "smtp.timeout", s["timeout"], positive=True)
        if "timeout" in s
        else base.timeout,
    )


def _smtp_from_env(smtp: SmtpConfig, env: Mapping[str, str]) -> SmtpConfig:
    values: dict[str, Any] = {}
    for key, var in ENV_SMTP.items():
        raw = env.get(var, "")
        if not raw.strip():
            continue
        if key == "port":
            if not raw.strip().isdigit():
                raise ConfigError(
                    f"environment: {var} must be a port number from 1 to 65535, got {_show(raw)}"
                )
            values[key] = _port("environment", var, int(raw.strip()))
        elif key == "security":
            values[key] = _security("environment", var, raw.strip().lower())
        elif key == "host":
            values[key] = _host("environment", var, raw)
        elif key == "from_address":
            values[key] = _from_address("environment", var, raw)
        elif key == "base_url":
            values[key] = _url("environment", var, raw)
        else:
            values[key] = _text("environment", var, raw)
    return SmtpConfig(**{**smtp.__dict__, **values}) if values else smtp


def _number(where: str, key: str, value: object, *, positive: bool) -> float:
    number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan
    if math.isfinite(number) and (number > 0 or (number == 0 and not positive)):
        return number
    bound = "> 0" if positive else "≥ 0"
    raise ConfigError(f"{where}: {key} must be a number {bound}, got {_show(value)}")


def _integer(where: str, key: str, value: object, *, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigError(f"{where}: {key} must be a whole number ≥ {minimum}, got {_show(value)}")
    return value


def _boolean(where: str, key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key} must be true or false, got {_show(value)}")
    return value


def _names(where: str, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(f'{where}: {key} must be a list of strings like ["cs"], got {_show(value)}')
    names: list[str] = []
    for item in value:
        if not isinstance(item, str) or not _ARXIV_NAME.fullmatch(item):
            raise ConfigError(
                f"{where}: {key} entries must be arXiv names like 'cs' or 'cs.LG' (one per string), "
                f"got {_show(item)}"
            )
        if item not in names:
            names.append(item)
    return tuple(names)


def _networks(where: str, key: str, value: object) -> tuple[IPNetwork, ...]:
    """IP addresses or CIDR networks (``"127.0.0.1"``, ``"10.0.0.0/8"``, ``"::1"``), duplicates dropped."""
    if not isinstance(value, list):
        raise ConfigError(
            f'{where}: {key} must be a list of IP addresses or networks like ["127.0.0.1", "10.0.0.0/8"], '
            f"got {_show(value)}"
        )
    networks: list[IPNetwork] = []
    for item in value:
        try:
            network = ipaddress.ip_network(item.strip(), strict=False) if isinstance(item, str) else None
        except ValueError:
            network = None
        if network is None:
            raise ConfigError(
                f"{where}: {key} entries must be IP addresses or networks like '127.0.0.1' or "
                f"'10.0.0.0/8' (one per string), got {_show(item)}"
            )
        if network not in networks:
            networks.append(network)
    return tuple(networks)


def _read(path: Path) -> dict[str, Any] | None:
    """The parsed file, or None when it does not exist."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror or exc}") from exc
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message ends with "(at line N, column M)".
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def _source(where: str, name: str, table: object, base: SourceConfig) -> SourceConfig:
    prefix = f"sources.{name}"
    t = _table(where, prefix, table, _SOURCE_KEYS)
    key = t.get("api_key", base.api_key)
    if key is not None:
        if not isinstance(key, str):
            raise ConfigError(f"{where}: {prefix}.api_key must be a string, got a {type(key).__name__}")
        key = _text(where, f"{prefix}.api_key", key) if key.strip() else None  # "" means not set
    return SourceConfig(
        enabled=_boolean(where, f"{prefix}.enabled", t.get("enabled", base.enabled)),
        base_url=_url(where, f"{prefix}.base_url", t.get("base_url", base.base_url)),
        api_key=key,
        min_interval=_number(
            where, f"{prefix}.min_interval", t.get("min_interval", base.min_interval), positive=False
        ),
        timeout=_number(where, f"{prefix}.timeout", t.get("timeout", base.timeout), positive=True),
        max_retries=_integer(
            where, f"{prefix}.max_retries", t.get("max_retries", base.max_retries), minimum=0
        ),
    )


def _from_file(path: Path, data: dict[str, Any], base: Config) -> Config:
    where = str(path)
    for key in data:
        if key not in _TOP_KEYS:
            raise _unknown(where, key, _TOP_KEYS)
    arxiv = _table(where, "arxiv", data.get("arxiv", {}), _ARXIV_KEYS)
    hf = _table(where, "huggingface", data.get("huggingface", {}), _HF_KEYS)
    sources_table = data.get("sources", {})
    if not isinstance(sources_table, dict):
        raise ConfigError(f"{where}: sources must be a table ([sources.<name>]), got {_show(sources_table)}")
    sources = dict(base.sources)
    for name, table in sources_table.items():
        if name not in SOURCE_DEFAULTS:
            raise _unknown(where, f"sources.{name}", SOURCE_NAMES, what="source")
        sources[name] = _source(where, name, table, base.sources[name])

    smtp = _smtp(where, data["smtp"], base.smtp) if "smtp" in data else base.smtp
    cache_dir = base.cache_dir
    if "cache_dir" in data:
        cache_dir = Path(_text(where, "cache_dir", data["cache_dir"])).expanduser()
        if not cache_dir.is_absolute():  # relative to the file, not to wherever cron runs us
            cache_dir = path.parent / cache_dir
    return Config(
        contact_email=_email(where, "contact_email", data["contact_email"])
        if "contact_email" in data
        else base.contact_email,
        arxiv_sets=_names(where, "arxiv.sets", arxiv["sets"]) if "sets" in arxiv else base.arxiv_sets,
        arxiv_categories=_names(where, "arxiv.categories", arxiv["categories"])
        if "categories" in arxiv
        else base.arxiv_categories,
        hf_days_back=_integer(where, "huggingface.days_back", hf["days_back"], minimum=1)
        if "days_back" in hf
        else base.hf_days_back,
        schedule=_text(where, "schedule", data["schedule"]) if "schedule" in data else base.schedule,
        cache_dir=cache_dir,
        sources=sources,
        smtp=smtp,
        trusted_proxies=_networks(where, "trusted_proxies", data["trusted_proxies"])
        if "trusted_proxies" in data
        else base.trusted_proxies,
    )


def apply_env(config: Config, env: Mapping[str, str]) -> Config:
    """Apply ``PAPERRADAR_*`` overrides; an empty variable counts as unset (``FOO= cmd`` in shells)."""
    sources = {}
    for name, src in config.sources.items():
        url_var, key_var = env_url_var(name), env_key_var(name)
        url = _url("environment", url_var, env[url_var]) if env.get(url_var, "").strip() else src.base_url
        key = _text("environment", key_var, env[key_var]) if env.get(key_var, "").strip() else src.api_key
        sources[name] = SourceConfig(
            enabled=src.enabled,
            base_url=url,
            api_key=key,
            min_interval=src.min_interval,
            timeout=src.timeout,
            max_retries=src.max_retries,
        )
    email = config.contact_email
    if env.get(ENV_CONTACT_EMAIL, "").strip():
        email = _email("environment", ENV_CONTACT_EMAIL, env[ENV_CONTACT_EMAIL])
    cache_dir = config.cache_dir
    if env.get(ENV_CACHE_DIR, "").strip():
        cache_dir = Path(env[ENV_CACHE_DIR].strip()).expanduser().absolute()
    proxies = config.trusted_proxies
    if raw := env.get(ENV_TRUSTED_PROXIES, "").replace(",", " ").split():
        proxies = _networks("environment", ENV_TRUSTED_PROXIES, raw)
    return Config(
        contact_email=email,
        arxiv_sets=config.arxiv_sets,
        arxiv_categories=config.arxiv_categories,
        hf_days_back=config.hf_days_back,
        schedule=config.schedule,
        cache_dir=cache_dir,
        sources=sources,
        smtp=_smtp_from_env(config.smtp, env),
        trusted_proxies=proxies,
    )


def load_config(path: Path | None = None, env: Mapping[str, str] = os.environ) -> Config:
    """Defaults, then the file (if it exists), then the environment; raises ConfigError on bad values."""
    path = config_path(env) if path is None else path
    config = default_config()
    data = _read(path)
    if data is not None:
        config = _from_file(path, data, config)
    return apply_env(config, env)


# --- display -----------------------------------------------------------------------------------


def mask_key(key: str | None) -> str:
    """Enough of a key to tell which one is in use, never enough to use it."""
    if not key:
        return NOT_SET
    return "…" + key[-4:] if len(key) >= 12 else "… (set, too short to show a tail)"


def masked(config: Config) -> dict[str, Any]:
    """The config as plain data in the file's layout, safe to print: every api_key masked."""
    return {
        "contact_email": config.contact_email,
        "schedule": config.schedule,
        "cache_dir": str(config.cache_dir),
        "trusted_proxies": [str(n) for n in config.trusted_proxies],
        "arxiv": {"sets": list(config.arxiv_sets), "categories": list(config.arxiv_categories)},
        "huggingface": {"days_back": config.hf_days_back},
        "sources": {
            name: {
                "enabled": src.enabled,
                "base_url": src.base_url,
                "api_key": mask_key(src.api_key),
                "min_interval": src.min_interval,
                "timeout": src.timeout,
                "max_retries": src.max_retries,
            }
            for name, src in config.sources.items()
        },
        "smtp": {
            "host": config.smtp.host,
            "port": config.smtp.port,
            "security": config.smtp.security,
            "username": config.smtp.username,
            "password": mask_key(config.smtp.password),
            "from_address": config.smtp.from_address,
            "base_url": config.smtp.base_url,
            "timeout": config.smtp.timeout,
        },
    }


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # JSON string escapes are valid TOML ones


def _toml_lines(table: dict[str, Any]) -> list[str]:
    lines = []
    for key, value in table.items():
        if value is None or value == NOT_SET:
            lines.append(f"# {key} = {NOT_SET}")
        elif key in ("api_key", "password"):
            lines.append(f"{key} = {_toml_value(value)}  # masked")
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    return lines


def describe(config: Config, path: Path | None = None) -> str:
    """A TOML-like rendering for ``paperradar config show`` (keys masked; unset values commented)."""
    data = masked(config)
    lines = []
    if path is not None:
        state = "" if path.exists() else " (file not found: defaults and environment only)"
        lines.append(f"# {path}{state}")
    lines += _toml_lines({k: data[k] for k in ("contact_email", "schedule", "cache_dir", "trusted_proxies")})
    for section in ("arxiv", "huggingface"):
        lines += ["", f"[{section}]", *_toml_lines(data[section])]
    for name, table in data["sources"].items():
        lines += ["", f"[sources.{name}]", *_toml_lines(table)]
    lines += ["", "[smtp]", *_toml_lines(data["smtp"])]
    return "\n".join(lines) + "\n"


class MissingApiKeyError(ConfigError):
    """A source that needs a key has none; the message says where to put it."""


def require_key(config: Config, source: str) -> str:
    """The source's API key, or :class:`MissingApiKeyError` saying how to set one."""
    key = config.sources[source].api_key
    if not key:
        raise MissingApiKeyError(
            f"{SOURCE_LABELS.get(source, source)} key missing: "
            f"set sources.{source}.api_key in the config or {env_key_var(source)}"
        )
    return key


def user_agent(config: Config) -> str:
    """The User-Agent arXiv, OpenAlex and Crossref ask for: who we are and how to reach the operator."""
    contact = f"; mailto:{config.contact_email}" if config.contact_email else ""
    return f"paperradar/{__version__} (+{PROJECT_URL}{contact})"


# --- template ----------------------------------------------------------------------------------


def _template() -> str:
    """Built from SOURCE_DEFAULTS so the documented defaults cannot drift from the real ones."""
    out = [
        "# paperradar configuration. Uncomment a line to change it; the value shown is the default.",
        "# Environment overrides: PAPERRADAR_CONTACT_EMAIL, PAPERRADAR_CACHE_DIR,",
        "# PAPERRADAR_<SOURCE>_URL and PAPERRADAR_<SOURCE>_KEY (e.g. PAPERRADAR_OPENALEX_KEY),",
        "# PAPERRADAR_SMTP_HOST, _PORT, _SECURITY, _USERNAME, _PASSWORD, _FROM and PAPERRADAR_BASE_URL,",
        '# PAPERRADAR_TRUSTED_PROXIES ("127.0.0.1, 10.0.0.0/8").',
        "",
        "# Your email, sent in the User-Agent as arXiv and OpenAlex ask (default: not set).",
        '# contact_email = "you@example.org"',
        "",
        '# When `paperradar sync all` should run, cron-like or "daily 06:00" (default: not set).',
        '# schedule = "daily 06:00"',
        "",
        "# Where HTTP responses are cached (default: your user cache folder).",
        f"# cache_dir = {_toml_value(str(default_cache_dir()))}",
        "",
        "# The reverse proxies in front of `paperradar serve` (IP addresses or CIDR networks): only",
        "# from these is X-Forwarded-For believed, so sign-in limits count the real client's address.",
        '# Leave empty when clients connect directly. For example: ["127.0.0.1", "10.0.0.0/8"].',
        "# trusted_proxies = []",
        "",
        "[arxiv]",
        '# OAI-PMH sets to harvest, e.g. ["cs", "math", "physics:hep-th"] (default: none).',
        "# sets = []",
        '# Categories to follow, e.g. ["cs.LG", "cs.CL"] (default: none).',
        "# categories = []",
        "",
        "[huggingface]",
        "# How many past days of Hugging Face daily papers each sync fetches.",
        f"# days_back = {DEFAULT_HF_DAYS_BACK}",
    ]
    for name, d in SOURCE_DEFAULTS.items():
        out += [
            "",
            f"# {d.about}.",
            f"[sources.{name}]",
            "# Set to false to skip this source in `paperradar sync all`.",
            "# enabled = true",
            f"# Service root; point it at a mirror or a local server (or set {env_url_var(name)}).",
            f"# base_url = {_toml_value(d.base_url)}",
            f"# API key (default: none); prefer {env_key_var(name)} to keep it out of this file.",
            '# api_key = ""',
            "# Seconds to wait between two requests to this service.",
            f"# min_interval = {d.min_interval!r}",
            "# Seconds before a request is abandoned and retried.",
            f"# timeout = {DEFAULT_TIMEOUT!r}",
            "# Retries after 429/5xx/network errors (with backoff, honouring Retry-After).",
            f"# max_retries = {DEFAULT_MAX_RETRIES}",
        ]
    out += [
        "",
        "# Email digests (`paperradar digest send`): nothing is sent until host is set.",
        "[smtp]",
        '# host = "smtp.example.org"',
        "# Default: 587 for starttls, 465 for ssl, 25 for none.",
        "# port = 587",
        '# "starttls" (upgrade a plain connection), "ssl" (TLS from the start) or "none" (a local relay).',
        '# security = "starttls"',
        "# Sign-in, when the server asks for one; prefer PAPERRADAR_SMTP_PASSWORD for the password.",
        '# username = ""',
        '# password = ""',
        "# The sender of the digests: an address, or a name and an address.",
        '# from_address = "paperradar <radar@example.org>"',
        "# This paperradar's web app as readers reach it: paper and unsubscribe links point there.",
        f"# base_url = {_toml_value(DEFAULT_BASE_URL)}",
        "# Seconds before the mail server is given up on.",
        f"# timeout = {DEFAULT_TIMEOUT!r}",
    ]
    return "\n".join(out) + "\n"


TEMPLATE: str = _template()


def init_config(path: Path | None = None, force: bool = False) -> Path:
    """Write TEMPLATE (owner-only, since keys may go in it); never clobbers a file unless ``force``."""
    path = config_path() if path is None else path
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError as exc:
        raise ConfigError(f"{path} already exists; use --force to overwrite it") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(TEMPLATE)
    return path

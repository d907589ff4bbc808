"""The config file as a user writes it: defaults, overrides, masked keys, messages that find the typo."""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from paperradar import __version__
from paperradar.config import (
    SOURCE_NAMES,
    TEMPLATE,
    Config,
    ConfigError,
    MissingApiKeyError,
    config_path,
    default_cache_dir,
    default_config,
    describe,
    init_config,
    load_config,
    masked,
    require_key,
    user_agent,
)

SECRET = "sk-oa-9f8e7d6c5b4a39281706ZQXW"
S2_SECRET = "s2key-0123456789abcdefghij"

FULL = f"""
contact_email = "ada@example.org"
schedule = "daily 06:00"
cache_dir = "cache"

[arxiv]
sets = ["cs", "physics:hep-th", "cs"]
categories = ["cs.LG", "cs.CL"]

[huggingface]
days_back = 7

[sources.arxiv_oai]
enabled = false
base_url = "http://127.0.0.1:8080/oai/"
min_interval = 0
timeout = 5
max_retries = 0

[sources.openalex]
api_key = "{SECRET}"
min_interval = 0.25

[sources.semantic_scholar]
api_key = ""
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    config = load_config(tmp_path / "missing" / "config.toml", env={})
    assert config == default_config()
    assert config.contact_email is None and config.schedule is None
    assert config.arxiv_sets == () and config.arxiv_categories == ()
    assert config.hf_days_back == 3
    assert config.cache_dir == default_cache_dir()
    assert set(config.sources) == set(SOURCE_NAMES)
    expected = {
        "arxiv_oai": ("https://oaipmh.arxiv.org/oai", 3.0),
        "arxiv_api": ("https://export.arxiv.org/api/query", 3.0),
        "huggingface": ("https://huggingface.co/api", 1.0),
        "openalex": ("https://api.openalex.org", 0.1),
        "semantic_scholar": ("https://api.semanticscholar.org/graph/v1", 1.0),
    }
    for name, (url, interval) in expected.items():
        src = config.sources[name]
        assert (src.base_url, src.min_interval) == (url, interval)
        assert src.enabled and src.api_key is None
        assert src.timeout > 0 and src.max_retries >= 0


def test_config_path_honours_env(tmp_path: Path) -> None:
    assert config_path({"PAPERRADAR_CONFIG": str(tmp_path / "x.toml")}) == tmp_path / "x.toml"
    default = config_path({})
    assert default.name == "config.toml" and default.parent.name == "paperradar"
    # load_config without a path follows the same variable
    write(tmp_path, 'contact_email = "env@example.org"\n')
    config = load_config(env={"PAPERRADAR_CONFIG": str(tmp_path / "config.toml")})
    assert config.contact_email == "env@example.org"


def test_a_full_file_is_read(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL), env={})
    assert config.contact_email == "ada@example.org"
    assert config.schedule == "daily 06:00"
    assert config.cache_dir == tmp_path / "cache"  # relative to the file, not the cwd
    assert config.arxiv_sets == ("cs", "physics:hep-th")  # duplicates dropped, order kept
    assert config.arxiv_categories == ("cs.LG", "cs.CL")
    assert config.hf_days_back == 7
    oai = config.sources["arxiv_oai"]
    assert not oai.enabled
    assert oai.base_url == "http://127.0.0.1:8080/oai"  # trailing slash dropped
    assert (oai.min_interval, oai.timeout, oai.max_retries) == (0.0, 5.0, 0)
    assert config.sources["openalex"].api_key == SECRET
    assert config.sources["openalex"].min_interval == 0.25
    assert config.sources["openalex"].base_url == "https://api.openalex.org"  # untouched keys keep defaults
    assert config.sources["semantic_scholar"].api_key is None  # "" means not set
    assert config.sources["huggingface"] == default_config().sources["huggingface"]


def test_describe_is_toml_that_reads_back_to_the_same_config(tmp_path: Path) -> None:
    text = FULL.replace(f'api_key = "{SECRET}"', "")
    config = load_config(write(tmp_path, text), env={})
    shown = tmp_path / "shown"
    shown.mkdir()
    again = load_config(write(shown, describe(config)), env={})
    assert again == config


def test_env_overrides_url_key_and_email(tmp_path: Path) -> None:
    env = {
        "PAPERRADAR_ARXIV_OAI_URL": "http://127.0.0.1:9999/oai2/",
        "PAPERRADAR_SEMANTIC_SCHOLAR_URL": "http://localhost:1234/graph/v1",
        "PAPERRADAR_SEMANTIC_SCHOLAR_KEY": S2_SECRET,
        "PAPERRADAR_OPENALEX_KEY": "from-env-key-0000",
        "PAPERRADAR_CONTACT_EMAIL": "ops@example.org",
        "PAPERRADAR_HUGGINGFACE_URL": "",  # empty counts as unset
        "PAPERRADAR_CACHE_DIR": str(tmp_path / "c"),
    }
    config = load_config(write(tmp_path, FULL), env=env)
    assert config.sources["arxiv_oai"].base_url == "http://127.0.0.1:9999/oai2"  # env beats the file
    assert not config.sources["arxiv_oai"].enabled  # the rest of the file still applies
    assert config.sources["semantic_scholar"].base_url == "http://localhost:1234/graph/v1"
    assert config.sources["semantic_scholar"].api_key == S2_SECRET
    assert config.sources["openalex"].api_key == "from-env-key-0000"
    assert config.sources["huggingface"].base_url == "https://huggingface.co/api"
    assert config.contact_email == "ops@example.org"
    assert config.cache_dir == tmp_path / "c"


def test_bad_env_values_name_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PAPERRADAR_OPENALEX_URL must be an http"):
        load_config(tmp_path / "none.toml", env={"PAPERRADAR_OPENALEX_URL": "api.openalex.org"})
    with pytest.raises(ConfigError, match="PAPERRADAR_CONTACT_EMAIL must be an email"):
        load_config(tmp_path / "none.toml", env={"PAPERRADAR_CONTACT_EMAIL": "nobody"})


def test_keys_never_appear_in_output(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL), env={"PAPERRADAR_SEMANTIC_SCHOLAR_KEY": S2_SECRET})
    shown = [describe(config, tmp_path / "config.toml"), repr(masked(config)), repr(config), str(config)]
    for text in shown:
        assert SECRET not in text and S2_SECRET not in text
    data = masked(config)
    assert data["sources"]["openalex"]["api_key"] == "…" + SECRET[-4:]
    assert data["sources"]["semantic_scholar"]["api_key"] == "…" + S2_SECRET[-4:]
    assert data["sources"]["arxiv_api"]["api_key"] == "(not set)"
    assert "…" + SECRET[-4:] in shown[0]


def test_a_short_key_is_not_shown_at_all(tmp_path: Path) -> None:
    config = load_config(tmp_path / "none.toml", env={"PAPERRADAR_OPENALEX_KEY": "abcd"})
    assert "abcd" not in describe(config)
    assert "abcd" not in masked(config)["sources"]["openalex"]["api_key"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('contact_emial = "a@b.org"\n', "unknown key 'contact_emial'; did you mean 'contact_email'?"),
        ("[sources.openalx]\nenabled = true\n", "unknown source 'sources.openalx'; did you mean 'openalex'?"),
        ("[sources.openalex]\nmin_intervall = 1\n", "unknown key 'sources.openalex.min_intervall'"),
        ("[arxiv]\ncategory = []\n", "unknown key 'arxiv.category'; did you mean 'categories'?"),
        (
            '[sources.openalex]\nmin_interval = "fast"\n',
            "sources.openalex.min_interval must be a number ≥ 0, got 'fast'",
        ),
        ("[sources.openalex]\nmin_interval = -1\n", "sources.openalex.min_interval must be a number ≥ 0"),
        ("[sources.openalex]\ntimeout = 0\n", "sources.openalex.timeout must be a number > 0"),
        ('[sources.openalex]\nenabled = "yes"\n', "sources.openalex.enabled must be true or false"),
        ("[sources.openalex]\nmax_retries = 2.5\n", "sources.openalex.max_retries must be a whole number"),
        ('[sources.openalex]\nbase_url = "api.openalex.org"\n', "base_url must be an http(s) URL"),
        ('[arxiv]\nsets = "cs"\n', "arxiv.sets must be a list of strings"),
        ('[arxiv]\ncategories = ["cs.LG, cs.CL"]\n', "arxiv.categories entries must be arXiv names"),
        ("[huggingface]\ndays_back = 0\n", "huggingface.days_back must be a whole number ≥ 1"),
        ('contact_email = "not an email"\n', "contact_email must be an email address"),
        ('arxiv = "cs"\n', "arxiv must be a table"),
        ("sources = 1\n", "sources must be a table"),
    ],
)
def test_mistakes_name_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'contact_email = "a@b.org"\n\n[arxiv]\nsets = ["cs" "math"]\n\n[huggingface]\n')
    with pytest.raises(ConfigError, match=r"config\.toml: not valid TOML: .*line 4"):
        load_config(path, env={})


def test_a_file_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'schedule = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path, env={})


def test_init_writes_a_template_that_loads_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "config.toml"
    assert init_config(path) == path
    assert path.read_text(encoding="utf-8") == TEMPLATE
    assert path.stat().st_mode & 0o077 == 0  # keys may go in here: owner only
    assert load_config(path, env={}) == default_config()

    path.write_text('contact_email = "mine@example.org"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="already exists"):
        init_config(path)
    assert "mine@example.org" in path.read_text(encoding="utf-8")  # untouched
    init_config(path, force=True)
    assert path.read_text(encoding="utf-8") == TEMPLATE


def test_template_documents_every_key_with_its_default(tmp_path: Path) -> None:
    # Uncommenting every key line must give a valid file whose values are the defaults
    # (apart from the example email and schedule).
    lines = [line[2:] if re.match(r"# [a-z_]+ = ", line) else line for line in TEMPLATE.splitlines()]
    data = tomllib.loads("\n".join(lines))
    assert set(data) == {
        *("contact_email", "schedule", "cache_dir", "trusted_proxies"),
        *("arxiv", "huggingface", "sources", "smtp"),
    }
    assert set(data["sources"]) == set(SOURCE_NAMES)
    for table in data["sources"].values():
        assert set(table) == {"enabled", "base_url", "api_key", "min_interval", "timeout", "max_retries"}
    config = load_config(write(tmp_path, "\n".join(lines)), env={})
    defaults = default_config()
    assert config == Config(
        contact_email="you@example.org",
        arxiv_sets=defaults.arxiv_sets,
        arxiv_categories=defaults.arxiv_categories,
        hf_days_back=defaults.hf_days_back,
        schedule="daily 06:00",
        cache_dir=defaults.cache_dir,
        sources=defaults.sources,
        smtp=replace(  # the example server and sender; every other [smtp] value is the default
            defaults.smtp, host="smtp.example.org", port=587, from_address="paperradar <radar@example.org>"
        ),
    )


def test_user_agent_with_and_without_email(tmp_path: Path) -> None:
    config = load_config(tmp_path / "none.toml", env={})
    assert user_agent(config) == f"paperradar/{__version__} (+https://github.com/paperradar)"
    config = load_config(tmp_path / "none.toml", env={"PAPERRADAR_CONTACT_EMAIL": "ada@example.org"})
    assert user_agent(config) == (
        f"paperradar/{__version__} (+https://github.com/paperradar; mailto:ada@example.org)"
    )


def test_a_missing_required_key_says_where_to_set_it(tmp_path: Path) -> None:
    config = load_config(tmp_path / "none.toml", env={})
    with pytest.raises(MissingApiKeyError) as caught:
        require_key(config, "openalex")
    assert str(caught.value) == (
        "OpenAlex key missing: set sources.openalex.api_key in the config or PAPERRADAR_OPENALEX_KEY"
    )
    keyed = load_config(tmp_path / "none.toml", env={"PAPERRADAR_OPENALEX_KEY": "from-env-0123456789"})
    assert require_key(keyed, "openalex") == "from-env-0123456789"

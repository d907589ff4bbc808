"""The services a request may call (arXiv, for a submitted paper the store lacks), set up once.

The config file is read when the app is made, never per request. The environment overrides
(``PAPERRADAR_*_URL``, the cache folder, the contact address) are laid over it at each fetch, as
:func:`paperradar.config.load_config` does, so they win over the file as they do for every
command. A file that cannot be used stops only the fetches, with its message, as it always did.
"""

from __future__ import annotations

import os

from paperradar.config import Config, ConfigError, apply_env, config_path, load_config
from paperradar.sync import fetcher
from paperradar.sync.http import Fetcher


class Upstream:
    def __init__(self, config: Config | None, problem: ConfigError | None = None) -> None:
        self.config = config  # the file's settings, environment not yet applied
        self.problem = problem  # why the file cannot be used, when it cannot

    @classmethod
    def load(cls) -> Upstream:
        """The config file as it is now (``$PAPERRADAR_CONFIG`` or the user's), read once."""
        try:
            return cls(load_config(config_path(), env={}))
        except ConfigError as exc:
            return cls(None, exc)

    def fetcher(self, source: str) -> Fetcher:
        """A client of ``source``; raises ConfigError when the file or the environment is unusable."""
        if self.config is None:
            raise self.problem or ConfigError("no configuration")
        return fetcher(apply_env(self.config, os.environ), source)

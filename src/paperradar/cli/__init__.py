"""The ``paperradar`` command: a thin layer over sources → store → analysis.

``app`` holds the shared options; each module adds its commands to it.
"""

from paperradar.cli import (  # noqa: F401 (they register their commands)
    atlas,
    authors,
    community,
    corpus,
    digest,
    feeds,
    library,
    recommend,
    search,
    sync,
    users,
)
from paperradar.cli.app import app, run

__all__ = ["app", "run"]

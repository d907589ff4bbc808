"""What the web tests read off a page: its CSRF token and its text as a reader sees it."""

from __future__ import annotations

import re
from html import unescape

LOCAL = "http://127.0.0.1:8000"  # a localhost app answers to loopback host names only


def csrf_of(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', html)
    assert found, "every page carries a CSRF token for its forms"
    return found.group(1)


def shown_text(html: str) -> str:
    """The page's text as a reader sees it: tags out, entities decoded, white space folded."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())

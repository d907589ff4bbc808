"""Small text helpers shared by the analysis (provenance sentences) and the interfaces: wording, and
keeping untrusted imported text inert in HTML links, terminals and XML feeds."""

from __future__ import annotations

import re
from urllib.parse import urlsplit


def plural(n: int, noun: str) -> str:
    """``1 work``, ``12 works``, ``1,024 works``."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


# ---------------------------------------------------------------------------- untrusted text
# Everything imported (titles, abstracts, names, links) is untrusted: these keep it inert wherever
# it is shown. A link is a link only over http(s); a terminal never receives an escape sequence; an
# XML document never receives a character XML 1.0 forbids (which would break the whole feed).
LINK_SCHEMES = frozenset({"http", "https"})
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, erasing
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[@-Z\\-_]?"  # any other escape, or a lone ESC
    r"|\x9b[0-?]*[ -/]*[@-~]"  # the 8-bit CSI
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 but tab and newline, DEL, C1
_LINE_BREAKERS = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+"
)  # + bidi overrides
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def safe_url(value: object) -> str | None:
    """``value`` when it is an absolute http(s) URL fit for an ``href``, else ``None`` (show it as text).

    ``javascript:``, ``data:``, ``vbscript:``, relative and scheme-less addresses, and any address
    with a space or a control character (which browsers drop, so ``java\\tscript:`` still runs)
    are refused.
    """
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or any(ch <= " " or "\x7f" <= ch <= "\x9f" for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in LINK_SCHEMES and parts.netloc else None


def printable(value: object, newlines: bool = True) -> str:
    """``value`` as text safe to print on a terminal: escape sequences and control characters removed
    (tabs become spaces; newlines are kept, or become spaces with ``newlines=False``)."""
    text = "" if value is None else str(value)
    text = _ANSI.sub("", text.replace("\r\n", "\n"))
    text = _CONTROLS.sub("", text).replace("\t", " ")
    return text if newlines else text.replace("\n", " ")


def xml_text(value: object) -> str:
    """``value`` without the characters XML 1.0 does not allow (NUL, most C0 controls, lone
    surrogates, U+FFFE/U+FFFF), so one odd title cannot make a feed unparseable."""
    return _NOT_XML.sub("", "" if value is None else str(value))


def one_line(text: str, limit: int) -> str:
    """``text`` as one line of at most ``limit`` characters: control characters (a line break in
    a saved search, a NUL) become spaces, runs of spaces one, and a longer text ends with "…".
    What a digest says of user data is safe in a mail header or a log line this way."""
    flat = " ".join(_LINE_BREAKERS.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: max(limit - 1, 0)].rstrip() + "…"

"""Canonical forms of identifiers and titles, so the same work is recognised across sources."""

from __future__ import annotations

import functools
import re
import unicodedata

# New-style ids (0704.0001, 2104.12255) and legacy ids (astro-ph/0601001, math.GT/0309136).
_ARXIV_NEW = re.compile(r"(?<![\w.])(\d{4}\.\d{4,5})(v\d+)?(?![\w])")
_ARXIV_OLD = re.compile(r"(?<![\w.-])([a-z-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?(?![\w])")
_DOI = re.compile(r"10\.\d{4,9}/\S+", re.IGNORECASE)
_ORCID = re.compile(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]", re.IGNORECASE)


def split_arxiv_id(value: str) -> tuple[str, str | None] | None:
    """``'arXiv:2104.12255v2'`` → ``('2104.12255', 'v2')``; ``None`` when no arXiv id is found.

    Accepts bare ids, ``arXiv:`` prefixes, abs/pdf URLs and OAI identifiers.
    """
    text = value.strip()
    for pattern in (_ARXIV_NEW, _ARXIV_OLD):
        match = pattern.search(text)
        if match:
            return match.group(1), match.group(2)
    return None


def arxiv_id(value: str | None) -> str | None:
    """The version-less canonical arXiv id, or ``None``."""
    if not value:
        return None
    parts = split_arxiv_id(value)
    return parts[0] if parts else None


def doi(value: str | None) -> str | None:
    """Lower-case DOI without resolver prefix: ``https://doi.org/10.1/X`` → ``10.1/x``."""
    if not value:
        return None
    match = _DOI.search(value.strip())
    if not match:
        return None
    return match.group(0).rstrip(".,;)").lower()


# Letters that Unicode does not decompose into a base letter and an accent.
_UNDECOMPOSABLE = str.maketrans(
    {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "đ": "d", "Đ": "D",
     "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ı": "i", "ȷ": "j", "ß": "ss"}
)  # fmt: skip


def strip_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSABLE))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_NON_WORD = re.compile(r"[^0-9a-z]+")

# LaTeX accent commands → Unicode combining marks, and the letters LaTeX spells as commands.
_ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
    "r": "\u030a", "d": "\u0323", "b": "\u0331", "t": "\u0361",
}  # fmt: skip
_LETTERS = {
    "o": "ø", "O": "Ø", "l": "ł", "L": "Ł", "ss": "ß", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
    "aa": "å", "AA": "Å", "i": "ı", "j": "ȷ",
}  # fmt: skip
_LATEX_ACCENT = re.compile(r"\\([`'^\"~=.]|[uvHcdkrbt](?=[{\s]))\s*\{?\s*(\\[ij]|[A-Za-z])\s*\}?")
_LATEX_LETTER = re.compile(r"\\(ss|ae|AE|oe|OE|aa|AA|[oOlLij])(?![A-Za-z])\s*")
_LATEX_CMD = re.compile(r"\\([A-Za-z]+)\s*")


def _accent(match: re.Match[str]) -> str:
    letter = match.group(2)
    base = {"\\i": "i", "\\j": "j"}.get(letter, letter)
    return unicodedata.normalize("NFC", base + _ACCENTS[match.group(1)])


def delatex(text: str) -> str:
    """Turn the LaTeX that arXiv metadata uses in names into text: ``Bal\\'azs`` → ``Balázs``,
    ``Gj{\\o}rup`` → ``Gjørup``; other commands keep their name, braces go."""
    if "\\" not in text and "{" not in text:
        return text
    text = _LATEX_ACCENT.sub(_accent, text)
    text = _LATEX_LETTER.sub(lambda m: _LETTERS[m.group(1)], text)
    text = _LATEX_CMD.sub(r"\1 ", text)  # other commands keep their word: "$\\alpha$" → "$alpha $"
    return text.replace("{", "").replace("}", "")


@functools.lru_cache(maxsize=8192)  # a batch asks for each title twice (matching key, display)
def normalise_title(title: str | None) -> str:
    """Casefolded, accent-free, punctuation collapsed to single spaces."""
    if not title:
        return ""
    text = strip_accents(delatex(title)).casefold()
    return _NON_WORD.sub(" ", text).strip()


@functools.lru_cache(maxsize=1 << 18)  # names repeat a lot across a corpus
def normalise_name(name: str) -> str:
    """Name key: ``'Balázs, C.'`` and ``'C. Bal\\'azs'`` → ``'c balazs'``.

    "Last, First" is reordered; accents, LaTeX, punctuation and case are dropped.
    """
    text = delatex(name).strip()
    if text.count(",") == 1:
        last, first = (part.strip() for part in text.split(","))
        if first and last and not first.lower().startswith(("jr", "sr", "ii", "iii")):
            text = f"{first} {last}"
    text = strip_accents(text).casefold()
    return _NON_WORD.sub(" ", text).strip()


def family_name(name: str) -> str:
    """Last word of the normalised name (used in the title + first author + year key)."""
    key = normalise_name(name)
    return key.rsplit(" ", 1)[-1] if key else ""


def arxiv_from_doi(value: str | None) -> str | None:
    """The arXiv id inside an arXiv-minted DOI (``10.48550/arXiv.2104.12255``), else ``None``."""
    canonical = doi(value)
    if canonical is None or not canonical.startswith("10.48550/arxiv."):
        return None
    return arxiv_id(canonical.removeprefix("10.48550/arxiv."))


def orcid(value: str | None) -> str | None:
    """Bare ORCID (``0000-0002-1825-0097``) from a bare id or an ``https://orcid.org/`` URL."""
    if not value:
        return None
    match = _ORCID.search(value)
    return match.group(0).upper() if match else None


def pmid(value: str | int | None) -> str | None:
    """PubMed id digits from a number, a bare id or a ``pubmed.ncbi.nlm.nih.gov`` URL."""
    if value is None:
        return None
    text = str(value).strip().rstrip("/").rsplit("/", 1)[-1]
    return text if text.isdigit() else None


def pmcid(value: str | int | None) -> str | None:
    """``PMC`` + digits from ``5815332``, ``PMC5815332`` or a PMC article URL (sources disagree)."""
    if value is None:
        return None
    text = str(value).strip().rstrip("/").rsplit("/", 1)[-1].upper().removeprefix("PMC")
    return f"PMC{text}" if text.isdigit() else None

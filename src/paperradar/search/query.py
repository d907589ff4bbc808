"""What a user typed, understood: words, phrases, exclusions and the filters ``au: ti: cat: year: has:``.

Parsing never fails. Anything the grammar does not know is read as plain words, syntax
characters of the underlying engines are never passed through, and over-long input is cut
down with a note saying so, so every query answers with results or a clear message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

MAX_CHARS = 2000  # longer input is cut (with a note) before parsing
MAX_TERMS = 32  # words and phrases kept from the free text

# term := [-]field:value | [-]field:"quoted" | [-]"quoted" | [-]word ; OR between two terms
_TOKEN = re.compile(r'(-?)(?:(\w+):)?(?:"([^"]*)"?|(\S+))')
_WORD = re.compile(r"\w+")
_YEAR = re.compile(r"^(\d{4})?(?:(\.\.)(\d{4})?)?$")
FIELDS = {"au", "author", "authors", "ti", "title", "cat", "category", "year", "has"}


@dataclass
class Term:
    """A word or a phrase (several words), already reduced to search-safe word characters."""

    words: list[str]
    field: str | None = None  # None (title, abstract and authors), "title" or "authors"
    negated: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass
class SearchQuery:
    """The parsed query. ``groups`` are ANDed; the terms of one group are ORed."""

    groups: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)  # any of them (cs.LG, or an archive: cs)
    year_from: int | None = None
    year_to: int | None = None
    has_code: bool = False
    notes: list[str] = field(default_factory=list)  # what was ignored or cut, to tell the user
    raw: str = ""

    @property
    def free_text(self) -> str:
        """The words to rank by meaning (dense search): free text and title words, no filters."""
        return " ".join(t.text for group in self.groups for t in group if t.field != "authors")

    @property
    def has_terms(self) -> bool:
        return bool(self.groups)

    @property
    def has_filters(self) -> bool:
        return bool(
            self.categories
            or self.year_from is not None
            or self.year_to is not None
            or self.has_code
            or self.excluded
            or any(t.field == "authors" for g in self.groups for t in g)
        )

    @property
    def is_empty(self) -> bool:
        return not self.has_terms and not self.has_filters


def clean(text: str) -> str:
    """Drop control and format characters (NUL, bidi marks…); keep letters of every script."""
    text = unicodedata.normalize("NFC", text)
    return "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)


def words(text: str) -> list[str]:
    """Lower-cased word characters only: what every engine underneath can take safely."""
    return [w.lower() for w in _WORD.findall(text.replace("_", " "))]


def parse(text: str) -> SearchQuery:
    """Parse a query; see the module docstring for the grammar."""
    query = SearchQuery(raw=text)
    text = clean(text).strip()
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS]
        query.notes.append(f"the query was cut to its first {MAX_CHARS:,} characters")
    pending_or = False
    kept = 0
    for match in _TOKEN.finditer(text):
        negated, name, quoted, bare = match.group(1) == "-", match.group(2), match.group(3), match.group(4)
        value = quoted if quoted is not None else bare or ""
        if name is None and value.endswith(":") and value[:-1].lower() in FIELDS:
            query.notes.append(f"ignored {value!r}: a filter needs a value, e.g. cat:cs.LG or au:hinton")
            continue
        if name is not None and name.lower() not in FIELDS:
            value, name = f"{name} {value}", None  # "foo:bar" is two words, not a field
        if name is None and quoted is None and value in ("OR", "|", "||"):
            pending_or = bool(query.groups)
            continue
        if name is None and quoted is None and value in ("AND", "&&", "+"):
            continue
        if name is not None and _filter(query, name.lower(), value, negated):
            continue
        field_name = {"au": "authors", "author": "authors", "ti": "title"}.get((name or "").lower(), name)
        term_words = words(value)
        if not term_words:
            if value.strip():
                query.notes.append(f"ignored {match.group(0)!r}: no words in it")
            continue
        if kept >= MAX_TERMS:
            query.notes.append(f"only the first {MAX_TERMS} words and phrases were used")
            break
        kept += 1
        if quoted is None and len(term_words) > 1 and field_name != "authors":
            # "state-of-the-art" or "x/y": one token to the user, several words to the index
            terms = [Term([w], field_name, negated) for w in term_words]
        else:
            terms = [Term(term_words, field_name, negated)]
        if negated:
            query.excluded.extend(terms)
        elif pending_or:
            query.groups[-1].extend(terms)
        else:
            query.groups.extend([t] for t in terms)
        pending_or = False
    return query


def _filter(query: SearchQuery, name: str, value: str, negated: bool) -> bool:
    """Apply a filter term; False when ``name`` is a text field (au:, ti:) rather than a filter."""
    value = value.strip()
    if negated and name in ("cat", "category", "year", "has"):
        query.notes.append(f"ignored -{name}:{value}: filters cannot be negated")
        return True
    if name in ("cat", "category"):
        cats = [c for c in re.split(r"[,\s]+", value) if re.fullmatch(r"[\w.\-]+", c)]
        if not cats:
            query.notes.append(f"ignored {name}:{value!r}: not a category such as cs.LG")
        query.categories.extend(cats)
        return True
    if name == "year":
        m = _YEAR.match(value)
        if not m or (m.group(1) is None and m.group(3) is None):
            query.notes.append(f"ignored year:{value!r}: use year:2023, year:2023..2025 or year:2020..")
            return True
        low = int(m.group(1)) if m.group(1) else None
        high = int(m.group(3)) if m.group(3) else (low if not m.group(2) else None)
        if low is not None and high is not None and low > high:
            low, high = high, low
        query.year_from, query.year_to = low, high
        return True
    if name == "has":
        if value.lower() == "code" and not negated:
            query.has_code = True
        else:
            query.notes.append(f"ignored has:{value!r}: only has:code is known")
        return True
    return False

"""Did you mean: a typed word the keyword index has never seen, corrected from its own vocabulary.

The index keeps the words of every title and abstract as written (the ``words`` field, beside the
stemmed ones) and the authors' names; their term dictionaries are the vocabulary. No dictionary
is shipped: a word is corrected only towards a word that papers of this store use. A word needs
correcting when no work holds it, or when a word one or two edits away is held by at least
:data:`RATIO` times as many works (a typo that slipped into a few abstracts is still a typo).
Candidates are the most frequent words sharing its first letter, so a typo in the first letter
is not corrected; short words, numbers and ids are left alone, and so is another form of a word
the papers use ("transformers" where they say "transformer": the stemmed search finds it anyway),
unless that word is common and the typed one differs inside it ("reinforcment").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from paperradar.search import query as q
from paperradar.search.lexical import NAMES, STEMS, WORDS, LexicalIndex, analyzers

MIN_LENGTH = 4  # shorter words are more often acronyms than typos
RATIO = 1000  # a known word is corrected only towards one this many times as frequent
SAME_STEM_MIN = 20  # a word of the same stem is a correction only when this many works use it
CANDIDATES = 5000  # most frequent words sharing the first letter, per field
FILTERS = {"cat", "category", "year", "has"}
AUTHORS = "authors"  # the field of the names


def max_edits(word: str) -> int:
    return 1 if len(word) <= 5 else 2


def edits(a: str, b: str, limit: int) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) from ``a`` to ``b``; ``limit + 1``
    as soon as more than ``limit`` are needed."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


class Speller:
    """Corrects the words of a query against one keyword index's vocabulary."""

    def __init__(self, index: LexicalIndex) -> None:
        self.index = index
        tokenizers = analyzers()
        # Each field's words read the way the index wrote them (names without their accents).
        self._fold: dict[str, Callable[[str], list[str]]] = {
            WORDS: tokenizers[WORDS].analyze,
            AUTHORS: tokenizers[NAMES].analyze,
            STEMS: tokenizers[STEMS].analyze,
        }

    def correct(self, word: str, field: str = WORDS) -> str | None:
        """The word this one most likely meant, or None when it needs no correcting (or none is near)."""
        terms = self._fold[field](word)
        if len(terms) != 1 or len(terms[0]) < MIN_LENGTH or not terms[0].isalpha():
            return None
        typed = terms[0]
        seen = self.index.frequency(field, typed)
        if seen * RATIO > self.index.size():  # no word can be that much more frequent
            return None
        limit, best = max_edits(typed), None
        for term, count in self.index.vocabulary(field, typed[0], CANDIDATES):
            if count < max(1, seen * RATIO) or term == typed or self._other_form(typed, term, count, field):
                continue
            distance = edits(typed, term, limit)
            if distance <= limit and (best is None or (distance, -count) < best[0]):
                best = ((distance, -count), term)
        return best[1] if best else None

    def _other_form(self, typed: str, term: str, count: int, field: str) -> bool:
        """Another form of the same word ("transformers" for "transformer", "assistants" for
        "assistance"): keyword search finds it anyway by its stem, so it is no typo, unless the
        other form is a word many papers use and this one only differs inside it ("reinforcment")."""
        if field != WORDS or self._fold[STEMS](typed) != self._fold[STEMS](term):
            return False
        return typed.startswith(term) or term.startswith(typed) or count < SAME_STEM_MIN

    def suggest(self, text: str) -> str | None:
        """``text`` with each misspelt word corrected (filters and syntax kept), or None if none is."""
        parsed = q.parse(text)
        fixes: dict[str, str] = {}
        for term in (t for group in parsed.groups for t in group):
            field = AUTHORS if term.field == "authors" else WORDS
            for word in term.words:
                if word not in fixes and (fixed := self.correct(word, field)):
                    fixes[word] = fixed
        return rewrite(text, fixes) if fixes else None


def rewrite(text: str, fixes: dict[str, str]) -> str:
    """``text`` with the words of ``fixes`` replaced (whole words, any case; a capital kept), in
    every term but the filters ``cat: year: has:``."""
    if not fixes:
        return text
    pattern = re.compile(r"(?<![^\W_])(" + "|".join(map(re.escape, fixes)) + r")(?![^\W_])", re.IGNORECASE)

    def fixed(match: re.Match[str]) -> str:
        word = fixes[match.group(1).lower()]
        return word[:1].upper() + word[1:] if match.group(1)[:1].isupper() else word

    kept: list[str] = []
    for match in q._TOKEN.finditer(q.clean(text)):
        token, name = match.group(0), match.group(2)
        kept.append(token if name is not None and name.lower() in FILTERS else pattern.sub(fixed, token))
    return " ".join(kept)

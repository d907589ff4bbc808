"""Why a search found nothing, and the nearest query that finds something.

Each part of the query is tried on its own against the keyword index (a category, a year, the
code filter, an author, each word), so the answer names the part no paper of this store has
("no paper in this store has the category cs.CR; it has cs.LG, cs.SE…", "no paper is from 1990:
they run from 1899 to 2026"), or says that every part matches but not all together. The nearest
query is the first of a few relaxations that finds papers: the spelling corrected, the filters
that match nothing dropped, the words no paper has dropped, one filter dropped, all of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from paperradar.search import query as q
from paperradar.search.hybrid import Searcher
from paperradar.text import plural

FILTER_NAMES = {"cat": "cat", "category": "cat", "year": "year", "has": "has"}
AUTHOR_NAMES = {"au", "author", "authors"}
SHOWN_CATEGORIES = 6  # categories named as "it has …"


@dataclass(frozen=True)
class Nearest:
    """A query close to the one that found nothing, and what it finds."""

    query: str
    total: int  # results it finds, counted up to the depth the pages go
    change: str  # "with the spelling corrected", "without cat:cs.CR", …
    more: bool = False  # it finds more than ``total``

    @property
    def papers(self) -> str:
        """``9 papers``, ``200+ papers``."""
        return f"{self.total:,}+ papers" if self.more else plural(self.total, "paper")


@dataclass(frozen=True)
class WhyEmpty:
    reasons: list[str] = field(default_factory=list)
    nearest: Nearest | None = None


def _tokens(text: str) -> list[tuple[str, str | None, list[str]]]:
    """The query's terms as typed: (text, filter kind or "au" or None, its words)."""
    found: list[tuple[str, str | None, list[str]]] = []
    for match in q._TOKEN.finditer(q.clean(text)):
        name = (match.group(2) or "").lower()
        kind = FILTER_NAMES.get(name) or ("au" if name in AUTHOR_NAMES else None)
        value = match.group(3) if match.group(3) is not None else match.group(4) or ""
        found.append((match.group(0), kind, q.words(value)))
    return found


def without(text: str, drop: Callable[[str | None, list[str]], bool]) -> str:
    """``text`` without the terms ``drop`` (given the term's kind and words) says to leave out."""
    return " ".join(token for token, kind, words in _tokens(text) if not drop(kind, words))


class Explainer:
    """Says why a query found nothing, over one searcher's keyword index."""

    def __init__(self, searcher: Searcher, depth: int, label: Callable[[str], str] = str) -> None:
        self.searcher, self.depth, self.label = searcher, depth, label

    def explain(self, text: str, did_you_mean: str | None = None) -> WhyEmpty:
        parsed = q.parse(text)
        if parsed.is_empty:
            return WhyEmpty()  # the notes already say the query is empty
        empty_filters = [kind for kind in ("cat", "year", "has", "au") if self._empty_alone(parsed, kind)]
        unknown = self._unknown_words(parsed)
        reasons = [self._reason(parsed, kind) for kind in empty_filters]
        reasons += [f"no paper has the word {w!r}" for w in unknown]
        if not reasons:
            reasons.append(self._together(text, parsed))
        if not empty_filters and parsed.free_text and self.searcher.semantic_ready():
            reasons.append("no paper is close enough in meaning to the words either")
        return WhyEmpty(reasons, self._nearest(text, did_you_mean, empty_filters, unknown))

    # ------------------------------------------------------------------ why
    def _count(self, query: q.SearchQuery) -> int:
        return self.searcher.lexical.count(query)

    def _empty_alone(self, parsed: q.SearchQuery, kind: str) -> bool:
        probe = q.SearchQuery()
        if kind == "cat" and parsed.categories:
            probe.categories = parsed.categories
        elif kind == "year" and (parsed.year_from is not None or parsed.year_to is not None):
            probe.year_from, probe.year_to = parsed.year_from, parsed.year_to
        elif kind == "has" and parsed.has_code:
            probe.has_code = True
        elif kind == "au":
            probe.groups = [g for g in parsed.groups if all(t.field == "authors" for t in g)]
        if probe.is_empty:
            return False
        return self._count(probe) == 0

    def _reason(self, parsed: q.SearchQuery, kind: str) -> str:
        if kind == "cat":
            cats = ", ".join(self.label(c.lower()) for c in parsed.categories)
            return f"no paper in this store has the category {cats}{self._categories_near(parsed.categories)}"
        if kind == "year":
            span = self.searcher.lexical.year_span()
            low, high = parsed.year_from, parsed.year_to
            when = f"from {low}" if low == high else f"from {low or '…'} to {high or '…'}"
            known = f": its papers run from {span[0]} to {span[1]}" if span else ": no paper has a year"
            known = f": its papers are all from {span[0]}" if span and span[0] == span[1] else known
            return f"no paper in this store is {when}{known}"
        if kind == "has":
            return "no paper in this store has a code link (has:code)"
        names = " ".join(t.text for g in parsed.groups for t in g if t.field == "authors")
        return f"no author in this store is called {names!r}"

    def _categories_near(self, categories: Iterable[str]) -> str:
        """The categories the store has in the same archives, to say what exists instead."""
        archives = dict.fromkeys(c.lower().partition(".")[0] for c in categories)
        near = [
            term
            for archive in archives
            for term, _ in self.searcher.lexical.vocabulary("categories", archive, 50)
            if term.partition(".")[0] == archive and term != archive
        ][:SHOWN_CATEGORIES]
        return f"; it has {', '.join(map(self.label, near))}" if near else ""

    def _unknown_words(self, parsed: q.SearchQuery) -> list[str]:
        words: list[str] = []
        for term in (t for group in parsed.groups for t in group if t.field != "authors"):
            for word in term.words:
                if (
                    word not in words
                    and self._count(q.SearchQuery(groups=[[q.Term([word], term.field)]])) == 0
                ):
                    words.append(word)
        return words

    def _together(self, text: str, parsed: q.SearchQuery) -> str:
        filters = q.parse(self._filters_only(text))
        if not parsed.has_terms:
            return "each filter matches papers, but no paper passes them all"
        if filters.is_empty:
            return "each word is in some papers, but no paper has them all"
        words = without(text, lambda kind, _: kind in ("cat", "year", "has"))
        return (
            f"{words!r} alone finds {plural(self._count(q.parse(words)), 'paper')} and"
            f" {filters.raw!r} alone {plural(self._count(filters), 'paper')}, but no paper has both"
        )

    def _archives(self, text: str) -> list[str]:
        """The archives of the query's categories that papers of this store are in (cs for cs.CL)."""
        wanted = dict.fromkeys(c.lower().partition(".")[0] for c in q.parse(text).categories if "." in c)
        return [self.label(a) for a in wanted if self.searcher.lexical.frequency("categories", a)]

    @staticmethod
    def _filters_only(text: str) -> str:
        return without(text, lambda kind, _: kind not in ("cat", "year", "has"))

    # ------------------------------------------------------------------ the nearest query
    def _nearest(
        self, text: str, did_you_mean: str | None, empty_filters: list[str], unknown: list[str]
    ) -> Nearest | None:
        tried: set[str] = {" ".join(text.split())}
        for candidate, change in self._relaxations(text, did_you_mean, empty_filters, unknown):
            candidate = " ".join(candidate.split())
            if not candidate or candidate in tried or q.parse(candidate).is_empty:
                continue
            tried.add(candidate)
            total = len(self.searcher.search(candidate, self.depth + 1).hits)
            if total:
                return Nearest(candidate, min(total, self.depth), change, more=total > self.depth)
        return None

    def _relaxations(
        self, text: str, did_you_mean: str | None, empty_filters: list[str], unknown: list[str]
    ) -> Iterable[tuple[str, str]]:
        typed = {kind: token for token, kind, _ in reversed(_tokens(text)) if kind}
        if did_you_mean:
            yield did_you_mean, "with the spelling corrected"
        if empty_filters:
            yield (
                without(text, lambda kind, _: kind in empty_filters),
                "without " + " ".join(typed[k] for k in empty_filters if k in typed),
            )
        if "cat" in empty_filters and (archives := self._archives(text)):
            wider = "cat:" + ",".join(archives)
            yield f"{without(text, lambda kind, _: kind == 'cat')} {wider}", f"in the whole of {wider}"
        if unknown:
            yield (
                without(text, lambda kind, words: kind is None and bool(set(words) & set(unknown))),
                "without " + ", ".join(repr(w) for w in unknown),
            )
        for kind, token in typed.items():
            yield without(text, _of_kind(kind)), f"without {token}"
        yield without(text, lambda kind, _: kind is not None), "without its filters"
        if re.search(r"\S", self._filters_only(text)):
            yield self._filters_only(text), "its filters alone (the newest papers that pass them)"


def _of_kind(kind: str) -> Callable[[str | None, list[str]], bool]:
    """Whether a term is of this kind (to leave out the terms of one kind)."""
    return lambda term_kind, _: term_kind == kind

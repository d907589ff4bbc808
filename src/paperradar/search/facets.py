"""Facets of a search: how its results divide by primary category, by year and by code.

They are counted over the ranked results themselves, the top :data:`DEPTH` hits of the hybrid
search, which is the very list the result pages step through, and not over every keyword
match in tantivy: a hybrid result list mixes keyword matches with works found by meaning
alone, so counting the keyword matches would count works never shown and miss others that
are. ``complete`` says whether those hits were all the results or the list was cut at
``DEPTH``. Counting is one grouped query on ``works`` per chunk of ids
(:func:`paperradar.store.search.facet_rows`), a single one for 200 ids.

Each facet value carries the filter of the query language that narrows to it (``cat:cs.LG``,
``year:2024``, ``has:code``), and :func:`refine` writes a query with that filter set, for
links. A filtered search ranks anew, so it can find works that were below the cut, and
``cat:`` also finds the works cross-listed in a category: its results may outnumber a count.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection

from paperradar.search import query as q
from paperradar.store import search as store_search

DEPTH = 200  # results counted (and paged through) per query
FILTERS = {"cat", "category", "year", "has"}  # the filter fields; au: and ti: are words, not filters
_YEAR = re.compile(r"\d{4}")


@dataclass(frozen=True)
class Value:
    """One facet value: what it is, how many results have it, and the filter that selects it."""

    label: str  # "cs.LG", "2024", "with code"; "no category" / "no year" where the store has none
    count: int
    term: str | None  # "cat:cs.LG"; None where the query language cannot say it (no code, no year)


@dataclass(frozen=True)
class Facets:
    counted: int  # how many results the counts are over
    complete: bool  # False when there were more than ``depth`` results: only the top ones count
    category: list[Value] = field(default_factory=list)  # primary category, most frequent first
    year: list[Value] = field(default_factory=list)  # newest first
    code: list[Value] = field(default_factory=list)  # with code, without
    depth: int = DEPTH


def count(conn: Connection, work_ids: Sequence[int], complete: bool = True) -> Facets:
    """The facets of these results (work ids; ids no longer in the store are not counted)."""
    categories: Counter[str | None] = Counter()
    years: Counter[int | None] = Counter()
    code: Counter[bool] = Counter()
    for category, year, has_code, n in store_search.facet_rows(conn, list(dict.fromkeys(work_ids))):
        categories[category or None] += n
        years[year] += n
        code[bool(has_code)] += n
    by_category = sorted(categories.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))
    by_year = sorted(years.items(), key=lambda kv: (kv[0] is None, -(kv[0] or 0)))
    return Facets(
        counted=sum(code.values()),
        complete=complete,
        category=[Value(c or "no category", n, f"cat:{c}" if c else None) for c, n in by_category],
        year=[Value(str(y) if y else "no year", n, f"year:{y}" if y else None) for y, n in by_year],
        code=[
            Value(label, code[has], term)
            for label, has, term in (("with code", True, "has:code"), ("without code", False, None))
            if code[has]
        ],
    )


# ---------------------------------------------------------------------- queries with filters set
def words_of(text: str) -> str:
    """The query without its filters (``cat: year: has:``): words, phrases, ``au:``/``ti:`` and OR."""
    kept: list[str] = []
    for match in q._TOKEN.finditer(q.clean(text)):
        name, token = match.group(2), match.group(0)
        if name is not None and name.lower() in FILTERS:
            continue
        if name is None and token.endswith(":") and token[:-1].lstrip("-").lower() in FILTERS:
            continue  # a filter with no value ("cat:"): the parser notes it the first time
        kept.append(token)
    return " ".join(kept)


def filter_terms(parsed: q.SearchQuery) -> list[str]:
    """The filters of a parsed query, written the way the parser reads them back."""
    terms: list[str] = []
    if parsed.categories:
        terms.append("cat:" + ",".join(dict.fromkeys(parsed.categories)))
    low, high = parsed.year_from, parsed.year_to
    if low is not None and low == high:
        terms.append(f"year:{low}")
    elif low is not None or high is not None:
        terms.append(f"year:{low or ''}..{high or ''}")
    if parsed.has_code:
        terms.append("has:code")
    return terms


def refine(text: str, term: str | None = None) -> str:
    """``text`` with its filters written out at its end, and ``term``'s filter (``cat:cs.LG``,
    ``year:2024``, ``has:code``) replacing any of the same kind: a facet value's link."""
    parsed = q.parse(text)
    if term:
        wanted = q.parse(term)
        if wanted.categories:
            parsed.categories = wanted.categories
        if wanted.year_from is not None or wanted.year_to is not None:
            parsed.year_from, parsed.year_to = wanted.year_from, wanted.year_to
        parsed.has_code = parsed.has_code or wanted.has_code
    return " ".join(part for part in (words_of(text), *filter_terms(parsed)) if part)


def from_form(
    text: str, categories: str = "", year_from: str = "", year_to: str = "", has_code: bool = False
) -> tuple[str, list[str]]:
    """The query a search form asks for, filters written out (see :func:`refine`), and notes on
    what of the form was ignored (those of the parser included, as the written query loses them).

    The form's filter controls are written into the query before the box's text, so filters
    typed in the box add to them the way the query language says: categories either way, the
    typed year winning.
    """
    notes: list[str] = []
    terms: list[str] = []
    cats = [c for c in re.split(r"[,\s]+", categories) if c]
    if cats:
        terms.append("cat:" + ",".join(cats))
    years: list[str] = []
    for what, value in (("from", year_from), ("to", year_to)):
        value = value.strip()
        if value and not _YEAR.fullmatch(value):
            notes.append(f"ignored year {what} {value!r}: a year has four digits, e.g. 2024")
            value = ""
        years.append(value)
    if any(years):
        terms.append(f"year:{years[0]}..{years[1]}")
    if has_code:
        terms.append("has:code")
    combined = " ".join([*terms, text])
    return refine(combined), notes + q.parse(combined).notes

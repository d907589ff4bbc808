"""Author metrics (docs/metrics.md), computed over the works of each author that are in the corpus.

One vectorised computation serves both a single profile and every author of a 1M-work
corpus: the inputs are flat arrays (one entry per work, one per author–work pair), the
outputs one entry per author. Nothing here touches the database; :mod:`.facts` loads the
arrays.

* **h-index**: the largest h such that h works have at least h citations each, over the works
  with citation data; **i10**: works with ≥ 10 citations; **citations**: their sum. By
  construction h ≤ cited works ≤ papers and h² ≤ citations.
* **citations per year**: each work's citations in the five calendar years ending at its data's
  as-of year (``facts.CitationFact.last_year``: a snapshot's year, this year for citing works in
  the corpus, never after this year), summed over the works with per-year data and divided by
  five.
* **main category**: the most frequent primary category; ties go to the most recent.
* **Novelty %**: the median of the author's papers' novelty percentiles, first- and last-author
  works counted twice; only with at least :data:`MIN_WORKS` such papers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

MIN_WORKS = 3  # below this, Novelty % and the AI Score are "—" (docs/metrics.md)
RECENT_YEARS = 5

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class WorkArrays:
    """Per-work inputs, aligned by work index."""

    citations: Floats  # NaN: no source gave a count
    recent: Floats  # citations in the five years up to its data's as-of year; NaN: no per-year data
    category: Ints  # code of the primary category, -1: none
    day: Ints  # first-version date as days since 1970, min int64: unknown
    has_code: npt.NDArray[np.bool_]
    upvotes: Floats
    novelty: Floats  # the paper's novelty percentile, NaN: not computed


@dataclass(frozen=True)
class Authorships:
    """Author–work pairs (each pair once), with whether the author is first or last on the work."""

    author: Ints  # author index 0..n-1
    work: Ints  # work index into WorkArrays
    first_or_last: npt.NDArray[np.bool_]


@dataclass(frozen=True)
class AuthorTable:
    """Per-author outputs, aligned by author index."""

    works: Ints
    cited_works: Ints  # works with citation data
    h_index: Ints
    i10_index: Ints
    citations: Ints
    per_year_works: Ints  # works with per-year citation data
    citations_per_year: Floats  # NaN: no per-year data
    main_category: Ints  # -1: none of the works has a category
    novelty_works: Ints
    novelty: Floats  # NaN: fewer than MIN_WORKS papers with a novelty percentile
    code_rate: Floats
    upvotes: Ints


def _group_starts(sorted_keys: Ints) -> Ints:
    if not len(sorted_keys):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])


def _h_index(author: Ints, citations: Floats, n: int) -> Ints:
    """h per author: in each author's citations sorted high to low, the ranks r with count ≥ r
    form a prefix, so h is how many there are."""
    if not len(author):
        return np.zeros(n, dtype=np.int64)
    order = np.lexsort((-citations, author))
    a, c = author[order], citations[order]
    starts = _group_starts(a)
    sizes = np.diff(np.r_[starts, len(a)])
    rank = np.arange(len(a)) - np.repeat(starts, sizes) + 1
    return np.bincount(a[c >= rank], minlength=n).astype(np.int64)


def _main_category(author: Ints, category: Ints, day: Ints, n: int) -> Ints:
    """The most frequent category per author; ties go to the category of the most recent work."""
    result = np.full(n, -1, dtype=np.int64)
    known = category >= 0
    a, c, d = author[known], category[known], day[known]
    if not len(a):
        return result
    pair = a * (int(c.max()) + 1) + c
    pairs, inverse, counts = np.unique(pair, return_inverse=True, return_counts=True)
    latest = np.full(len(pairs), np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(latest, inverse, d)
    pair_author = pairs // (int(c.max()) + 1)
    pair_category = pairs % (int(c.max()) + 1)
    order = np.lexsort((latest, counts, pair_author))  # the last of each author's group wins
    last = np.r_[pair_author[order][1:] != pair_author[order][:-1], True]
    winners = order[last]
    result[pair_author[winners]] = pair_category[winners]
    return result


def _novelty(author: Ints, value: Floats, weight2: npt.NDArray[np.bool_], n: int) -> tuple[Ints, Floats]:
    """Per author: how many papers have a novelty percentile, and their weighted median."""
    known = ~np.isnan(value)
    counts = np.bincount(author[known], minlength=n).astype(np.int64)
    # Counting a paper twice is repeating it once more.
    a = np.r_[author[known], author[known & weight2]]
    v = np.r_[value[known], value[known & weight2]]
    median = np.full(n, np.nan)
    if not len(a):
        return counts, median
    order = np.lexsort((v, a))
    a, v = a[order], v[order]
    starts = _group_starts(a)
    sizes = np.diff(np.r_[starts, len(a)])
    mid = (v[starts + (sizes - 1) // 2] + v[starts + sizes // 2]) / 2
    median[a[starts]] = mid
    median[counts < MIN_WORKS] = np.nan
    return counts, median


def compute(works: WorkArrays, pairs: Authorships, n_authors: int) -> AuthorTable:
    """Every author's figures from their works; ``n_authors`` = number of author indexes."""
    a, w = pairs.author, pairs.work
    n = n_authors
    count = np.bincount(a, minlength=n).astype(np.int64)
    citations = works.citations[w]
    cited = ~np.isnan(citations)
    recent = works.recent[w]
    per_year = ~np.isnan(recent)
    per_year_works = np.bincount(a[per_year], minlength=n).astype(np.int64)
    recent_sum = np.bincount(a[per_year], weights=recent[per_year], minlength=n)
    novelty_works, novelty = _novelty(a, works.novelty[w], pairs.first_or_last, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        code_rate = np.bincount(a, weights=works.has_code[w].astype(np.float64), minlength=n) / count
    return AuthorTable(
        works=count,
        cited_works=np.bincount(a[cited], minlength=n).astype(np.int64),
        h_index=_h_index(a[cited], citations[cited], n),
        i10_index=np.bincount(a[cited & (citations >= 10)], minlength=n).astype(np.int64),
        citations=np.bincount(a[cited], weights=citations[cited], minlength=n).round().astype(np.int64),
        per_year_works=per_year_works,
        citations_per_year=np.where(per_year_works > 0, recent_sum / RECENT_YEARS, np.nan),
        main_category=_main_category(a, works.category[w], works.day[w], n),
        novelty_works=novelty_works,
        novelty=novelty,
        code_rate=np.nan_to_num(code_rate),
        upvotes=np.bincount(a, weights=works.upvotes[w], minlength=n).round().astype(np.int64),
    )

"""A paper's page beyond its card: its references and the works citing it, a page at a time; its
citations per year; where its ids lead outside; and its APA reference (BibTeX is the library
export's, :func:`paperradar.library_files.bibtex_entry`)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import quote

from sqlalchemy.engine import Connection

from paperradar.analysis.cards import Card, cards
from paperradar.analysis.facts import citing_years, load_works
from paperradar.store import papers as stored

PER_PAGE = 20  # references or citing works a page
CITING_WORKS = "citing works"  # the per-year series counted from the corpus's own citation edges
ID_URLS = {
    "arxiv": "https://arxiv.org/abs/{}",
    "doi": "https://doi.org/{}",
    "s2": "https://www.semanticscholar.org/paper/{}",
    "s2_corpus": "https://api.semanticscholar.org/CorpusID:{}",
    "openalex": "https://openalex.org/{}",
    "pmid": "https://pubmed.ncbi.nlm.nih.gov/{}/",
    "pmcid": "https://www.ncbi.nlm.nih.gov/pmc/articles/{}/",
    "dblp": "https://dblp.org/rec/{}",
    "acl": "https://aclanthology.org/{}",
}
T = TypeVar("T")
APA_AUTHORS = 20  # APA 7 names up to 20 authors; beyond, the first 19, an ellipsis and the last


def id_url(scheme: str, value: str) -> str | None:
    """Where an id of ``scheme`` leads on its own site (``None``: no page to link to)."""
    pattern = ID_URLS.get(scheme)
    return pattern.format(quote(value, safe="/:;()._-")) if pattern else None


@dataclass(frozen=True)
class Reference:
    """One work the paper cites: its card when the corpus holds it, else its id and where it leads."""

    card: Card | None
    scheme: str | None = None
    value: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Paged(Generic[T]):
    """One page of a list: ``total`` items in all, pages of ``per_page`` (page 1 first)."""

    total: int
    page: int
    per_page: int
    items: list[T]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _page(total: int, wanted: int, per_page: int) -> tuple[int, int]:
    """(page, offset): ``wanted`` held within the pages there are, so a stale link shows the last."""
    page = min(max(wanted, 1), max(1, -(-total // per_page)))
    return page, (page - 1) * per_page


def references(conn: Connection, work_id: int, page: int, today: dt.date) -> Paged[Reference]:
    """The works the paper cites, once each however many sources list them: stored works newest
    first, then the ids of works not stored. A paper's references are hundreds at most, so they are
    sorted here rather than paged in SQL."""
    years: dict[int, int | None] = {}
    outside: set[tuple[str, str]] = set()
    for scheme, value, cited, year in stored.reference_rows(conn, work_id):
        if cited is None:
            outside.add((scheme, value))
        elif cited != work_id:
            years[cited] = year
    inside = sorted(years, key=lambda w: (years[w] is None, -(years[w] or 0), w))
    ordered: list[int | tuple[str, str]] = [*inside, *sorted(outside)]
    page, offset = _page(len(ordered), page, PER_PAGE)
    shown = ordered[offset : offset + PER_PAGE]
    found = cards(conn, [w for w in shown if isinstance(w, int)], today)
    items = [
        Reference(found[w]) if isinstance(w, int) else Reference(None, w[0], w[1], id_url(*w))
        for w in shown
        if not isinstance(w, int) or w in found
    ]
    return Paged(len(ordered), page, PER_PAGE, items)


def citations(conn: Connection, work_id: int, page: int, today: dt.date) -> Paged[Card]:
    """The stored works that cite the paper, newest first."""
    total = stored.citing_count(conn, work_id)
    page, offset = _page(total, page, PER_PAGE)
    ids = stored.citing_works(conn, work_id, offset, PER_PAGE) if total else []
    found = cards(conn, ids, today)
    return Paged(total, page, PER_PAGE, [found[w] for w in ids if w in found])


@dataclass(frozen=True)
class PerYear:
    """Citations per year (years without any are 0, up to the data's as-of year), and whence."""

    series: dict[int, int]
    source: str | None  # a source name, or "citing works" (the corpus's own edges)
    as_of: str | None  # UTC, ISO: when the source said so (the corpus's edges: now)


def per_year(conn: Connection, work_id: int, today: dt.date) -> PerYear:
    """The paper's citations per year as its metrics count them (:mod:`paperradar.analysis.facts`):
    the freshest source's ``counts_by_year``, else the years of the works citing it here."""
    fact = load_works(conn, [work_id], today).citations.get(work_id)
    if fact and fact.per_year:
        counted, source, as_of = fact.per_year, fact.per_year_from, fact.per_year_as_of
        last = fact.last_year(today)
    else:
        counted, source, as_of = citing_years(conn, [work_id]).get(work_id, {}), CITING_WORKS, None
        last = today.year
    if not counted:
        return PerYear({}, None, None)
    first = min(counted)
    return PerYear({y: counted.get(y, 0) for y in range(first, max(max(counted), last) + 1)}, source, as_of)


def links(arxiv_id: str | None, doi: str | None, on_hugging_face: bool) -> dict[str, str]:
    """Where to read the paper: its PDF and abstract on arXiv, its DOI, its Hugging Face page."""
    found: dict[str, str] = {}
    if arxiv_id:
        found["pdf"] = f"https://arxiv.org/pdf/{quote(arxiv_id, safe='/')}"
        found["arxiv"] = f"https://arxiv.org/abs/{quote(arxiv_id, safe='/')}"
    if doi:
        found["doi"] = id_url("doi", doi) or ""
    if arxiv_id and on_hugging_face:
        found["huggingface"] = f"https://huggingface.co/papers/{quote(arxiv_id, safe='/')}"
    return found


def _apa_name(name: str) -> str:
    """A name as APA writes it: "Anh Tuan Luu" → "Luu, A. T."; "Yuan, C.-P." and one word stay."""
    if "," in name:
        return name.strip()
    words = name.split()
    if len(words) < 2:
        return name.strip()
    initials = " ".join("-".join(f"{part[0]}." for part in w.split("-") if part) for w in words[:-1])
    return f"{words[-1]}, {initials}"


def apa(
    names: Sequence[str],
    year: int | None,
    title: str,
    venue: str | None,
    doi: str | None,
    arxiv_id: str | None,
) -> str:
    """The paper as an APA (7th edition) reference: a preprint when it has no venue."""
    shown = [_apa_name(n) for n in names]
    if len(shown) > APA_AUTHORS:
        authors = ", ".join(shown[: APA_AUTHORS - 1]) + ", . . . " + shown[-1]
    elif len(shown) > 1:
        authors = ", ".join(shown[:-1]) + ", & " + shown[-1]
    else:
        authors = "".join(shown)
    title = title.strip()
    if arxiv_id and not venue:
        title, venue = f"{title} (arXiv:{arxiv_id})", "arXiv"
    doi = doi or (f"10.48550/arXiv.{arxiv_id}" if arxiv_id else None)
    parts = [
        f"{authors} ({year or 'n.d.'}).",
        title if re.search(r"[.?!]$", title) else f"{title}.",
        f"{venue}." if venue else "",
        id_url("doi", doi) if doi else "",
    ]
    return " ".join(p for p in parts if p)

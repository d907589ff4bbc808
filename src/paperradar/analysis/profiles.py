"""A researcher's profile: every figure with where it comes from, then their papers as cards.

Figures are computed live from the author's works in the corpus (one author is a few hundred
rows at most), with the same code that ``metrics refresh`` runs over every author; only the
AI Score's peer percentiles come from the distributions saved by the last refresh. Values that
OpenAlex, Semantic Scholar or a captured page *report* are listed beside the computed ones,
flagged when they differ and when they are impossible (h > papers, h² > citations).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import weakref
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote

import numpy as np
from sqlalchemy.engine import Connection, Engine

from paperradar.analysis import facts as f
from paperradar.analysis.ai_score import AIScore, Distribution, ai_score
from paperradar.analysis.cards import Card, cards
from paperradar.analysis.metrics import MIN_WORKS, AuthorTable, compute
from paperradar.analysis.novelty import WINDOW_MONTHS
from paperradar.analysis.refresh import distributions_for, last_refresh
from paperradar.store import authors as stored
from paperradar.store import queries
from paperradar.store.authors import Report
from paperradar.store.works import text_hashes
from paperradar.text import plural

PER_PAGE = 50

# An author's id in each scheme, on its own site: label, page (``{}``: the quoted id).
AUTHOR_ID_URLS = {
    "orcid": ("ORCID", "https://orcid.org/{}"),
    "s2": ("Semantic Scholar", "https://www.semanticscholar.org/author/{}"),
    "openalex": ("OpenAlex", "https://openalex.org/{}"),
    "dblp": ("DBLP", "https://dblp.org/pid/{}"),
}
DBLP_PID = re.compile(r"[\w-]+/[\w-]+")  # "d/EdsgerWDijkstra", "123/4567"; else a name to search

SOURCE_NAMES = {
    "semantic_scholar": "Semantic Scholar",
    "openalex": "OpenAlex",
    "seed_cards": "the captured profile page",
    "seed_listings": "the captured daily listings",
    "huggingface": "Hugging Face",
    "bibtex": "BibTeX",
    "csl_json": "CSL-JSON",
    "citing works": "the citing works in the corpus",
}


def source_name(source: str) -> str:
    return SOURCE_NAMES.get(source, source)


@dataclass
class Reported:
    """A value an upstream source states for the author, next to ours."""

    source: str
    value: float | int
    seen: dt.datetime | None  # when paperradar read it
    differs: bool  # from the computed value (False when there is none to compare)
    problems: list[str] = field(default_factory=list)  # invariants the reported figures break
    note: str | None = None  # why it may differ (the source counts works the corpus lacks)
    as_of: dt.datetime | None = None  # when the source's figure was true (its own date, else ``seen``)


@dataclass
class Figure:
    value: Any  # None: unknown, see ``reason``
    basis: str  # how it was obtained: "computed here from …" or "reported by …"
    reason: str | None = None
    reported: list[Reported] = field(default_factory=list)
    # When the figure was true: the newest of the citation facts it is computed from (each source's
    # own date), or the day it was computed for figures of the corpus itself (papers, category).
    as_of: dt.date | None = None


@dataclass
class WorkNovelty:
    novelty: float | None  # N(p)
    percentile: float | None
    neighbours: int
    category: str | None
    month: str | None
    reason: str | None = None
    graded_among: int = 0  # scored papers of the same category and month (the percentile's base)


@dataclass
class ProfileWork:
    card: Card
    position: int | None  # 1-based; None when only an author record lists the work
    citations: int | None
    citation_source: str | None
    novelty: WorkNovelty


@dataclass
class ExternalId:
    """One of the author's ids elsewhere, with the page it leads to."""

    scheme: str
    label: str
    value: str
    url: str


def external_ids(ids: dict[str, list[str]]) -> list[ExternalId]:
    """The author's ids in the schemes readers know (ORCID, Semantic Scholar, OpenAlex, DBLP),
    each linked to its site; a DBLP entry stored as a name (no pid) links to DBLP's search."""
    found = []
    for scheme, (label, pattern) in AUTHOR_ID_URLS.items():
        for value in ids.get(scheme, []):
            if scheme == "dblp" and not DBLP_PID.fullmatch(value):
                url = f"https://dblp.org/search?q={quote(value)}"
            else:
                url = pattern.format(quote(value, safe="/:-._"))
            found.append(ExternalId(scheme, label, value, url))
    return found


@dataclass
class Coauthor:
    author_id: int
    name: str
    works: int  # shared


@dataclass
class Profile:
    author_id: int
    name: str
    names: list[str]  # as written on the works
    ids: dict[str, list[str]]
    affiliations: list[str]
    merged_from: list[int]
    today: dt.date
    main_category: Figure
    papers: Figure
    h_index: Figure
    i10_index: Figure
    citations: Figure
    citations_per_year: Figure  # value: mean of the last five years; ``series`` below
    series: dict[int, int]  # citations per year
    novelty: Figure
    ai_score: AIScore
    ai_score_as_of: dt.datetime | None
    works: list[ProfileWork]  # the requested page, in ``sort`` order
    page: int
    per_page: int | None
    coauthors: list[Coauthor]
    links: list[ExternalId] = field(default_factory=list)  # ``ids`` a reader can follow
    sort: str = "year"  # the cards' order: "year" (newest first) or "citations" (most cited first)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["series"] = {str(year): n for year, n in self.series.items()}
        return data


# ----------------------------------------------------------------------------- finding people
def find(conn: Connection, text: str, limit: int = 20) -> list[dict[str, Any]]:
    """Authors the text may mean, most prolific first, each with context to tell them apart:
    main category (last refresh), affiliations, paper count."""
    found = queries.find_authors(conn, text, limit)
    if not found:
        return []
    ids = [row["id"] for row in found]
    metrics = stored.main_categories(conn, ids)
    affiliations = _affiliations(conn, ids)
    return [
        {**row, "main_category": metrics.get(row["id"]), "affiliations": affiliations.get(row["id"], [])[:3]}
        for row in found
    ]


def _affiliations(conn: Connection, author_ids: list[int]) -> dict[int, list[str]]:
    """Per author: affiliations as written on their works (most frequent first), then reported ones."""
    counts: dict[int, Counter[str]] = {}
    found = stored.affiliations(conn, author_ids)
    for author_id, names in found.signed:
        counter = counts.setdefault(author_id, Counter())
        for name in names:
            counter[name] += 1
    for author_id, names in found.reported:
        counter = counts.setdefault(author_id, Counter())
        for name in names:
            counter.setdefault(name, 0)
    return {author_id: [name for name, _ in counter.most_common()] for author_id, counter in counts.items()}


# ----------------------------------------------------------------------------- the profile
def _newest(stamps: list[str]) -> dt.date | None:
    """The day of the newest of some as-of stamps (ISO text, see ``facts.CitationFact``)."""
    return dt.date.fromisoformat(max(stamps)[:10]) if stamps else None


def _problems(h: int | None, works: int | None, citations: int | None) -> list[str]:
    """The invariants a set of reported figures breaks (h ≤ papers, h² ≤ citations)."""
    problems = []
    if h is not None and works is not None and h > works:
        problems.append(f"impossible: h-index {h} > {plural(works, 'paper')}")
    if h is not None and citations is not None and h * h > citations:
        problems.append(f"impossible: h-index {h}² = {h * h} > {plural(citations, 'citation')}")
    return problems


def _citation_basis(work_facts: dict[int, f.CitationFact], total: int) -> str:
    by_source: dict[str, list[str]] = {}
    for fact in work_facts.values():
        by_source.setdefault(fact.source, []).append(fact.as_of)
    parts = []
    for source, dates in sorted(by_source.items(), key=lambda item: -len(item[1])):
        newest = max(dates)[:10]
        parts.append(f"{source_name(source)} for {len(dates):,}, as of {newest}")
    counted = f"the {len(work_facts):,} of {plural(total, 'work')} with a citation count"
    return f"computed here from {counted} ({'; '.join(parts)})"


@dataclass
class _Author:
    """What one profile's figures are computed from."""

    id: int
    today: dt.date
    works: list[int]  # every work on the profile
    facts: f.WorkFacts
    table: AuthorTable  # this one author's row
    positions: dict[int, int]  # work → the author's position, where the author list shows them
    reports: list[Report]  # what sources report for the author

    @property
    def n(self) -> int:
        return len(self.works)

    def first(self, column: np.ndarray) -> Any:
        return column[0].item() if self.n else None


def profile(
    conn: Connection,
    author_id: int,
    today: dt.date | None = None,
    page: int = 1,
    per_page: int | None = PER_PAGE,
    sort: str = "year",
) -> Profile | None:
    """The author's profile with one page of their cards (``per_page`` None: all) in ``sort``
    order ("year" or "citations"), or ``None`` when there is no such author (a merged id leads to
    the person)."""
    today = today or dt.date.today()
    found = stored.author(conn, author_id)
    if found is None:
        return None
    if found.merged_into:
        return profile(conn, found.merged_into, today, page, per_page, sort)
    me = _load(conn, author_id, today)
    h_index, i10_index, citations = _citation_figures(me)
    citations_per_year, series = _per_year(me)
    main_category = _main_category(me)
    novelty_rows = _novelty_rows(conn, author_id)
    works, unscored = _cards_page(conn, me, novelty_rows, page, per_page, sort)
    novelty = _novelty(me, novelty_rows, unscored)
    refreshed = last_refresh(conn)
    names = stored.names(conn, author_id)
    ids = stored.external_ids(conn, author_id)
    return Profile(
        author_id=author_id,
        name=found.name,
        names=names or [found.name],
        ids=ids,
        affiliations=_affiliations(conn, [author_id]).get(author_id, []),
        merged_from=stored.merged_from(conn, author_id),
        today=today,
        main_category=main_category,
        papers=_papers(conn, me),
        h_index=h_index,
        i10_index=i10_index,
        citations=citations,
        citations_per_year=citations_per_year,
        series=series,
        novelty=novelty,
        ai_score=_ai_score(conn, me, h_index, citations_per_year, novelty, main_category, refreshed),
        ai_score_as_of=refreshed,
        works=works,
        page=page,
        per_page=per_page,
        coauthors=_coauthors(conn, author_id),
        links=external_ids(ids),
        sort=sort,
    )


def _load(conn: Connection, author_id: int, today: dt.date) -> _Author:
    """The author's works, their metric inputs, the author's computed row and reported figures."""
    mine = f.OneAuthor(author_id)
    pairs = f.load_author_works(conn, mine)
    facts = f.load_works(conn, mine, today)
    return _Author(
        author_id,
        today,
        pairs.work_ids,
        facts,
        compute(facts.arrays, pairs.authorships(facts), max(1, len(pairs.author_ids))),
        stored.positions(conn, author_id),
        stored.reports(conn, author_id),
    )


def _ai_score(
    conn: Connection,
    me: _Author,
    h_index: Figure,
    citations_per_year: Figure,
    novelty: Figure,
    main_category: Figure,
    refreshed: dt.datetime | None,
) -> AIScore:
    """The AI Score of the author's computed figures (those shown as known) among their peers."""
    figures = {
        "h_index": h_index.value,
        "citations_per_year": me.first(me.table.citations_per_year)
        if citations_per_year.value is not None
        else None,
        "novelty": me.first(me.table.novelty) if novelty.value is not None else None,
        "code_rate": me.first(me.table.code_rate),
        "upvotes": me.first(me.table.upvotes),
    }
    return ai_score(
        figures, me.n, main_category.value, _peer_distributions(conn, main_category.value, refreshed)
    )


# Per store: the refresh the peer histograms are of (its ``computed_at``), and those read so far
# by category. A refresh rewrites every histogram with a new ``computed_at``, so a page never
# shows older peers than the refresh it names; parsing them again on every visit costs more than
# the rest of the AI Score.
_PEERS: weakref.WeakKeyDictionary[Engine, tuple[dt.datetime, dict[str, dict[str, Distribution]]]] = (
    weakref.WeakKeyDictionary()
)


def _peer_distributions(
    conn: Connection, category: str | None, refreshed: dt.datetime | None
) -> dict[str, Distribution]:
    """:func:`distributions_for`, kept until the next refresh."""
    if category is None or refreshed is None:
        return distributions_for(conn, category)
    held = _PEERS.get(conn.engine)
    if held is None or held[0] != refreshed:
        held = _PEERS[conn.engine] = (refreshed, {})
    found = held[1].get(category)
    if found is None:
        found = held[1][category] = distributions_for(conn, category)
    return found


def _papers(conn: Connection, me: _Author) -> Figure:
    basis = f"works in the corpus with this author: {len(me.positions)} in their author lists"
    if claimed_only := me.n - len(me.positions):
        claimers = ", ".join(source_name(s) for s in sorted(stored.claimers(conn, me.id)))
        basis += f", {claimed_only} more listed by {claimers}"
    reported = [
        Reported(r.source, r.works_count, r.seen_at, r.works_count != me.n, as_of=r.as_of("works_count"))
        for r in me.reports
        if r.works_count is not None
    ]
    return Figure(me.n, basis, reported=reported, as_of=me.today)


def _citation_figures(me: _Author) -> tuple[Figure, Figure, Figure]:
    """h-index, i10-index and citations, with what the sources report beside them."""
    cited = bool(me.first(me.table.cited_works))
    computed = {
        "h_index": me.first(me.table.h_index) if cited else None,
        "i10_index": me.first(me.table.i10_index) if cited else None,
        "citation_count": me.first(me.table.citations) if cited else None,
    }
    no_data = f"no citation data for any of the {plural(me.n, 'work')}" if me.n else "no works in the corpus"
    facts = {w: me.facts.citations[w] for w in me.works if w in me.facts.citations}
    basis = _citation_basis(facts, me.n) if cited else no_data

    def figure(column: str) -> Figure:
        value = computed[column]
        reported = []
        for r in me.reports:
            stated = getattr(r, column)
            if stated is None:
                continue
            differs = value is not None and stated != value
            note = None
            if differs and r.works_count and r.works_count > me.n:
                note = (
                    f"{source_name(r.source)} counts {r.works_count:,} works; the corpus has {me.n:,} of them"
                )
            problems = _problems(r.h_index, r.works_count, r.citation_count) if column == "h_index" else []
            reported.append(Reported(r.source, stated, r.seen_at, differs, problems, note, r.as_of(column)))
        as_of = _newest([x.as_of for x in facts.values()]) if value is not None else None
        return Figure(value, basis, None if value is not None else no_data, reported, as_of)

    return figure("h_index"), figure("i10_index"), figure("citation_count")


def _per_year(me: _Author) -> tuple[Figure, dict[int, int]]:
    """Citations per year (mean of the last five years), and the whole series (gaps are 0)."""
    series: dict[int, int] = {}
    from_sources: Counter[str] = Counter()
    used: list[f.CitationFact] = []
    for work_id in me.works:
        fact = me.facts.citations.get(work_id)
        if fact and fact.per_year:
            used.append(fact)
            from_sources[fact.per_year_from or fact.source] += 1
            for year, count in fact.per_year.items():
                series[year] = series.get(year, 0) + count
    # The series ends at the data's as-of year: after a snapshot, years are unknown, not 0.
    last = max((fact.last_year(me.today) for fact in used), default=me.today.year)
    if series:
        series = {y: series.get(y, 0) for y in range(min(series), max(max(series), last) + 1)}
    window = f.recent_years(last)
    reported = []
    for r in me.reports:
        if r.counts_by_year is not None:
            stated = r.as_of("counts_by_year")
            years = f.recent_years(min(stated.year, me.today.year) if stated else me.today.year)
            mean = sum(r.counts_by_year.get(str(y), 0) for y in years) / len(years)
            reported.append(Reported(r.source, round(mean, 1), r.seen_at, False, as_of=stated))
    with_data = me.first(me.table.per_year_works) or 0
    if not with_data:
        basis = "no per-year citation data (OpenAlex counts_by_year or citing works in the corpus)"
        return Figure(None, basis, basis, reported), series
    sources = ", ".join(f"{source_name(s)}: {c}" for s, c in from_sources.most_common())
    basis = (
        f"mean over {window.start}–{window.stop - 1} of the yearly citations of "
        f"{plural(with_data, 'work')} of {me.n} with per-year data ({sources})"
    )
    if any(fact.last_year(me.today) != last for fact in used):
        basis += "; each work's five years end at its data's as-of year"
    value = round(me.first(me.table.citations_per_year), 1)
    as_of = _newest([x.per_year_as_of or x.as_of for x in used])
    return Figure(value, basis, reported=reported, as_of=as_of), series


def _main_category(me: _Author) -> Figure:
    code = me.first(me.table.main_category)
    if code is None or code < 0:
        return Figure(None, "", "none of the works has an arXiv category")
    categories = me.facts.arrays.category
    same, known = int(np.sum(categories == code)), int(np.sum(categories >= 0))
    basis = (
        f"the primary category of {same} of the {plural(known, 'work')} with an arXiv category "
        "(ties: the most recent)"
    )
    return Figure(me.facts.categories[code], basis)


def _cards_page(
    conn: Connection,
    me: _Author,
    scored: dict[int, WorkNovelty],
    page: int,
    per_page: int | None,
    sort: str = "year",
) -> tuple[list[ProfileWork], dict[int, WorkNovelty]]:
    """One page of cards, newest first (undated last) or, by ``sort="citations"``, most cited first
    (unknown counts last, ties newest first); and why each unscored work has no novelty."""
    at = me.facts.index(me.works)
    days, codes = me.facts.arrays.day[at], me.facts.arrays.category[at]
    dated = days != f.UNKNOWN_DAY
    citations = me.facts.citations
    keys = [-np.asarray(me.works), -np.where(dated, days, 0), ~dated]
    if sort == "citations":
        counts = [citations[w].citations if w in citations else None for w in me.works]
        keys += [-np.asarray([c or 0 for c in counts]), np.asarray([c is None for c in counts])]
    order = np.lexsort(keys)
    ordered = [me.works[i] for i in order]
    page_ids = ordered[(page - 1) * per_page : page * per_page] if per_page else ordered
    unscored = _no_novelty(
        conn,
        {
            w: (me.facts.categories[c] if c >= 0 else None, bool(d))
            for w, c, d in zip(me.works, codes.tolist(), dated.tolist(), strict=True)
            if w not in scored
        },
    )
    by_id = cards(conn, page_ids, me.today)
    works = [
        ProfileWork(
            by_id[w],
            me.positions.get(w),
            citations[w].citations if w in citations else None,
            citations[w].source if w in citations else None,
            scored.get(w) or unscored[w],
        )
        for w in page_ids
    ]
    return works, unscored


def _novelty(me: _Author, scored: dict[int, WorkNovelty], unscored: dict[int, WorkNovelty]) -> Figure:
    with_novelty = me.first(me.table.novelty_works) or 0
    median = me.first(me.table.novelty)
    value = None if median is None or math.isnan(median) else round(median)
    basis = (
        f"median of the novelty percentiles of {plural(with_novelty, 'work')} of {me.n}, "
        "first- and last-author works counted twice"
    )
    if value is not None:
        return Figure(value, basis)
    why = Counter(nv.reason for nv in [*unscored.values(), *scored.values()] if nv.reason)
    reason = f"{with_novelty} of {plural(me.n, 'work')} have a novelty score, {MIN_WORKS} are needed"
    if why:
        reason += " — " + "; ".join(f"{text} ({count})" for text, count in why.most_common())
    return Figure(None, basis, reason)


def _novelty_rows(conn: Connection, author_id: int) -> dict[int, WorkNovelty]:
    """The novelty scores of the works on the author's profile."""
    out: dict[int, WorkNovelty] = {}
    for row in stored.novelty_rows(conn, author_id):
        reason = None
        if row.novelty is None:
            reason = f"no earlier work of {row.category} in the {WINDOW_MONTHS} months before to compare with"
        out[row.work_id] = WorkNovelty(
            None if row.novelty is None else round(row.novelty, 4),
            None if row.percentile is None else round(row.percentile, 1),
            row.neighbours,
            row.category,
            row.month,
            reason,
            row.graded_among or 0,
        )
    return out


def _no_novelty(conn: Connection, works: dict[int, tuple[str | None, bool]]) -> dict[int, WorkNovelty]:
    """Why each of these works (id → (category, has a date)) has no novelty score."""
    hashes = text_hashes(conn, list(works))
    out = {}
    for work_id, (category, dated) in works.items():
        embedded = hashes.get(work_id)
        if category is None:
            reason = "no arXiv category to compare within"
        elif not dated:
            reason = "no publication date"
        elif embedded is None:
            reason = "no embedding yet: run paperradar index"
        elif embedded == "":
            reason = "no title or abstract to embed"
        else:
            reason = "not scored yet: run paperradar metrics refresh"
        out[work_id] = WorkNovelty(None, None, 0, category, None, reason)
    return out


def _coauthors(conn: Connection, author_id: int, limit: int = 20) -> list[Coauthor]:
    """The most frequent co-authors, on works of a team's size (see
    :func:`paperradar.store.authors.coauthors`)."""
    return [Coauthor(a, name, n) for a, name, n in stored.coauthors(conn, author_id, limit)]

"""People and papers as a reader looks them up: finding an author, a profile, a paper's page,
fixing who is who (merge, split), and ``metrics refresh``, which keeps the profiles' figures current.

``paperradar author``/``metrics refresh`` and the web app's author and paper pages (with their JSON
twins) read these; an unknown author or work is a :class:`~paperradar.services.errors.NotFound`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from paperradar import records
from paperradar.analysis import cards, daily, papers, profiles
from paperradar.analysis.cards import Card
from paperradar.analysis.novelty import NoveltyResult, refresh_novelty
from paperradar.analysis.papers import Paged, PerYear, Reference
from paperradar.analysis.profiles import PER_PAGE, Profile
from paperradar.analysis.refresh import RefreshResult, refresh_metrics
from paperradar.library_files import bibtex_entry
from paperradar.search.embeddings import Embedder
from paperradar.services.community import refusing
from paperradar.services.context import AppContext
from paperradar.services.errors import NotFound
from paperradar.services.library import work_of
from paperradar.services.submissions import Marks, marks_among
from paperradar.store import community, overrides, queries
from paperradar.store import papers as paper_reads

Progress = Callable[[str, int, int | None], None]  # (what is being done, done, total if known)
RELATED = 8  # papers like this one, on a paper's page
NO_VECTORS = "no vectors yet: run `paperradar index` to score novelty"
ProfileSort = Literal["year", "citations"]  # a profile's cards: newest first, or most cited first


@dataclass(frozen=True)
class PaperPage:
    """A paper's page: what every source said, its card, upvotes, papers like it, the reader's marks,
    and what a reader looks for beside the abstract: links out, how to cite it, its references and
    the works citing it (a page of each), its citations per year, who submitted it and where."""

    detail: dict[str, Any]
    card: Card
    hf_upvotes: int
    local_votes: int
    related: list[Card]
    member_of: list[tuple[str, str]]  # the reader's organisations (handle, name), to file it under
    marks: Marks
    links: dict[str, str]  # pdf, arxiv, doi, huggingface: the ones it has
    bibtex: str
    apa: str
    references: Paged[Reference]
    citations: Paged[Card]
    per_year: PerYear
    organisations: list[tuple[str, str, str]]  # (handle, name, source) it is listed or filed under
    submitted: tuple[str, dt.date] | None  # (who, for which day) it was submitted here

    def as_dict(self) -> dict[str, Any]:
        """The JSON twin: the detail and what the page adds (the reader's own marks left out)."""
        return {
            **self.detail,
            "links": self.links,
            "cite": {"bibtex": self.bibtex, "apa": self.apa},
            "upvotes": {"huggingface": self.hf_upvotes, "local": self.local_votes},
            "organisations": [{"handle": h, "name": n, "source": s} for h, n, s in self.organisations],
            "submitted_here": {"by": self.submitted[0], "day": self.submitted[1]} if self.submitted else None,
            "reference_list": {**asdict(self.references), "pages": self.references.pages},
            "citing_works": {**asdict(self.citations), "pages": self.citations.pages},
            "citations_per_year": asdict(self.per_year),
            "related": [c.as_dict() for c in self.related],
        }


@dataclass(frozen=True)
class MetricsRefresh:
    """What ``metrics refresh`` did: paper novelty (``None``: not asked; text: why not) and authors."""

    novelty: NoveltyResult | str | None
    authors: RefreshResult

    def as_dict(self) -> dict[str, Any]:
        report: dict[str, Any] = {}
        if isinstance(self.novelty, NoveltyResult):
            report["novelty"] = {
                "scored": self.novelty.computed,
                "without_predecessor": self.novelty.without_predecessor,
                "no_category_or_date": self.novelty.skipped,
                "percentiles_changed": len(self.novelty.regraded),
            }
        elif self.novelty:
            report["novelty"] = self.novelty
        report["authors"] = {
            "recomputed": self.authors.authors,
            "full": self.authors.full,
            "peer_distributions": self.authors.distributions,
            "seconds": {k: round(v, 2) for k, v in self.authors.seconds.items()},
        }
        return report


def _citable(card: Card, detail: dict[str, Any]) -> Card:
    """The card with every author, as a reference names them (a card shows the first three)."""
    names = [a["name"] for a in detail["authors"]]
    return replace(card, authors=names, et_al=False) if names else card


def _unchanged(_what: str, _done: int, _total: int | None) -> None:
    """No progress to show."""


class Profiles:
    """Authors and papers over one store."""

    def __init__(self, context: AppContext) -> None:
        self.context = context

    # ------------------------------------------------------------------ finding and showing
    def find(self, text: str) -> list[dict[str, Any]]:
        """Authors a name (or an id like 1072, s2:1723755) may mean: case, accents, initials and
        "Last, First" forgiven; most prolific first, each with context to tell them apart."""
        with self.context.reading() as conn:
            return profiles.find(conn, text)

    def matches(self, name: str) -> list[dict[str, Any]]:
        """Like :meth:`find`, but no match at all is :class:`NotFound`."""
        found = self.find(name)
        if not found:
            raise NotFound(f"no author matches {name!r} (try part of the name, or an id like s2:1723755)")
        return found

    def profile(
        self, author_id: int, page: int = 1, per_page: int | None = PER_PAGE, sort: ProfileSort = "year"
    ) -> Profile:
        """The author's profile with one page of their cards (``per_page`` None: all), newest
        first or (``sort="citations"``) most cited first."""
        with self.context.reading() as conn:
            found = profiles.profile(conn, author_id, page=page, per_page=per_page, sort=sort)
        if found is None:
            raise NotFound(f"no author {author_id}")
        return found

    def work_detail(self, ident: str) -> dict[str, Any]:
        """Everything every source said about one work (arXiv id, DOI or internal id)."""
        with self.context.reading() as conn:
            return queries.work_detail(conn, work_of(conn, ident))

    def paper(self, ident: str, reader: str | None, refs: int = 1, cites: int = 1) -> PaperPage:
        """A paper's page as ``reader`` sees it (``None``: a visitor who is not signed in), with
        page ``refs`` of its references and page ``cites`` of the works citing it."""
        today = dt.date.today()
        searcher = self.context.searcher
        with self.context.reading() as conn:
            work_id = work_of(conn, ident)
            detail = queries.work_detail(conn, work_id)
            card = cards.cards(conn, [work_id], today)[work_id]
            related = searcher.related(work_id, RELATED).hits if searcher.semantic_ready() else []
            neighbours = cards.cards(conn, [h.work_id for h in related], today)
            hf, local = daily.upvotes(conn, work_id)
            marks = marks_among(conn, reader, [work_id, *neighbours])
            member_of = community.memberships(conn, reader) if reader else []
            references = papers.references(conn, work_id, refs, today)
            citations = papers.citations(conn, work_id, cites, today)
            per_year = papers.per_year(conn, work_id, today)
            organisations = paper_reads.organisations_of(conn, work_id)
            submitted = paper_reads.submission(conn, work_id)
        alike = [neighbours[h.work_id] for h in related if h.work_id in neighbours]
        detail["ids"] = [{**i, "url": papers.id_url(i["scheme"], i["value"])} for i in detail["ids"]]
        on_hf = any(c["source"] == records.HUGGINGFACE for c in detail["community"])
        cited_as = _citable(card, detail)
        return PaperPage(
            detail=detail,
            card=card,
            hf_upvotes=hf,
            local_votes=local,
            related=alike,
            member_of=member_of,
            marks=marks,
            links=papers.links(card.arxiv_id, card.doi, on_hf),
            bibtex=bibtex_entry(cited_as, set()),
            apa=papers.apa(
                cited_as.authors,
                detail["year"] or (card.published.year if card.published else None),
                card.title,
                detail["journal_ref"] or detail["venue"],
                card.doi,
                card.arxiv_id,
            ),
            references=references,
            citations=citations,
            per_year=per_year,
            organisations=organisations,
            submitted=submitted,
        )

    # ------------------------------------------------------------------ who is who
    def merge(self, keep: int, others: Sequence[int]) -> None:
        """Declare several author records one person, ``keep``; sticks through every later import."""
        with refusing(overrides.OverrideError), self.context.writing() as conn:
            for other in others:
                overrides.merge(conn, keep, other)

    def split(self, author_id: int, works: Sequence[str], into: int | None = None) -> tuple[int, int]:
        """Move works (arXiv ids, DOIs or ids) off an author onto ``into`` or a new person;
        ``(how many works, the author they are on now)``."""
        with self.context.reading() as conn:
            work_ids = [work_of(conn, ident) for ident in works]
        with refusing(overrides.OverrideError), self.context.writing() as conn:
            return len(work_ids), overrides.split(conn, author_id, work_ids, into)

    # ------------------------------------------------------------------ metrics refresh
    def refresh_metrics(
        self, full: bool = False, novelty: bool = True, progress: Progress = _unchanged
    ) -> MetricsRefresh:
        """Score new papers' novelty (with ``novelty``), then recompute the authors touched since
        the last run (``full``: every paper and every author)."""
        engine = self.context.engine
        scored: NoveltyResult | str | None = None
        if novelty:
            vectors = self.context.vectors
            vectors.catch_up(engine, Embedder().name)
            scored = NO_VECTORS
            if len(vectors):
                progress("paper novelty", 0, None)
                scored = refresh_novelty(
                    engine, vectors, full, lambda done, total: progress("paper novelty", done, total)
                )
        regraded = sorted(scored.regraded) if isinstance(scored, NoveltyResult) else []
        progress("author metrics…", 0, None)
        return MetricsRefresh(scored, refresh_metrics(engine, full, regraded, dt.date.today()))

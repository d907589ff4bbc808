"""Enriching the works the store holds: ``paperradar enrich`` and the enrichments of ``sync all``.

Semantic Scholar adds citation counts and author ids, OpenAlex also counts per year, references
and institutions (or, per author, the figures they report); the arXiv API adds the categories that works known
only by their arXiv id lack. Each is one *step* of a sync session (:class:`Session`): the
configuration read once, the keyword index following every batch written, and each step's
outcome kept and told as it ends, so that one failing upstream is said in one line and does
not stop the next. :mod:`paperradar.services.syncing` runs its harvests in the same sessions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Literal

from paperradar.config import SOURCE_LABELS
from paperradar.records import UnreadableInput
from paperradar.search.lexical import Follower
from paperradar.services.context import AppContext
from paperradar.store.writer import Changes
from paperradar.sync.arxiv_api import QueryResult
from paperradar.sync.arxiv_oai import HarvestResult
from paperradar.sync.enrich import (
    EnrichResult,
    WorkIds,
    arxiv_works_to_enrich,
    authors_to_enrich,
    enrich_arxiv,
    enrich_openalex,
    enrich_openalex_authors,
    enrich_s2,
    enrich_s2_authors,
    works_to_enrich,
)
from paperradar.sync.hf_papers import DailyResult
from paperradar.sync.http import Fetcher, UpstreamError

SYNC_ERRORS = (UpstreamError, UnreadableInput, ValueError)
"""What one source can fail with without stopping the others: each is said in one line."""
ARXIV_CATEGORIES = "arXiv API categories"
FEATURED = "Hugging Face papers"  # what the categories of Hugging Face's featured papers count

Kind = Literal["harvest", "daily", "query", "categories", "enrich"]
Result = HarvestResult | DailyResult | QueryResult | EnrichResult
Ask = Callable[..., EnrichResult]
"""An enrichment of :mod:`paperradar.sync.enrich`: ``(engine, client, todo, selection=, on_batch=)``."""


@dataclass(frozen=True)
class Step:
    """One source's part of a session: an OAI harvest, Hugging Face days, an arXiv API query,
    the arXiv categories, or a Semantic Scholar / OpenAlex look-up; ``unit``: what it counts."""

    kind: Kind
    label: str  # "arXiv cs", "Hugging Face 2026-06-12", "arXiv API categories of works", "OpenAlex"
    unit: str = ""  # "works", "authors", "Hugging Face papers" (categories and look-ups)


@dataclass(frozen=True)
class Tick:
    """A step's progress: records, entries, works or authors done (of ``total`` if known); for
    Hugging Face, the papers of the ``day`` just stored."""

    step: Step
    done: int
    total: int | None = None
    day: dt.date | None = None


@dataclass(frozen=True)
class Outcome:
    """How a step ended: its result, or the error it failed with; neither: nothing to do."""

    step: Step
    result: Result | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None

    @property
    def failed(self) -> bool:
        return self.error is not None


def _ignore(*_args: object) -> None:
    """No one is watching."""


@dataclass(frozen=True)
class SyncWatch:
    """What a session tells as it goes: a step starts (with its total, if known), advances, ends."""

    started: Callable[[Step, int | None], None] = _ignore
    advanced: Callable[[Tick], None] = _ignore
    ended: Callable[[Outcome], None] = _ignore


class Session:
    """What the steps of a sync share: the configuration (read once: a broken file is a
    ConfigError before anything is asked), the keyword index following the store while they
    write, and their outcomes in order."""

    def __init__(self, context: AppContext, watch: SyncWatch | None = None) -> None:
        self.config = context.config
        self.context = context
        self.watch = watch or SyncWatch()
        self.outcomes: list[Outcome] = []
        self._follower: Follower | None = None

    @contextmanager
    def following(self) -> Iterator[None]:
        """Keep the keyword index following what the steps inside write (once, however nested)."""
        if self._follower is not None:
            yield
            return
        self._follower = self.context.lexical.follow(self.context.engine)
        try:
            yield
        finally:
            follower, self._follower = self._follower, None
            follower.close()

    def changed(self, changes: Changes) -> None:
        """A batch was committed: the keyword index takes it in."""
        if self._follower is not None:
            self._follower.step(changes)

    def client(self, step: Step, source: str, total: int | None = None) -> Fetcher:
        """Tell that ``step`` starts (``total``: how much it has to do), and open the HTTP client of
        ``source`` for it (a source that needs a key and has none fails here, as a step)."""
        self.watch.started(step, total)
        return self.context.fetcher(source)

    def fetching(self, step: Step, source: str, sync: Callable[..., Result]) -> Outcome:
        """Run a step that asks ``source``: ``sync(engine, client, after_batch=…)``, its start,
        progress and outcome told as for every step."""

        def run() -> Result:
            with self.client(step, source) as client:
                return sync(self.context.engine, client, after_batch=self.changed)

        return self.attempt(step, run)

    def ticker(self, step: Step) -> Callable[[int, int | None], None]:
        """``(done, total)`` progress of ``step``, told to the watcher."""
        return lambda done, total: self.watch.advanced(Tick(step, done, total))

    def attempt(self, step: Step, run: Callable[[], Result | None]) -> Outcome:
        """Run a step: its outcome (a failure in :data:`SYNC_ERRORS` is one), kept and told."""
        try:
            outcome = Outcome(step, run())
        except SYNC_ERRORS as exc:
            outcome = Outcome(step, error=exc)
        self.outcomes.append(outcome)
        self.watch.ended(outcome)
        return outcome


class Enricher:
    """Asks Semantic Scholar, OpenAlex and the arXiv API about the works (or authors) stored.

    ``session``: run as steps of another service's session (``sync all``) instead of one's own.
    """

    def __init__(
        self, context: AppContext, watch: SyncWatch | None = None, *, session: Session | None = None
    ) -> None:
        self.context = context
        self.session = session or Session(context, watch)

    def categories(
        self,
        *,
        featured_only: bool = False,
        refresh: bool = False,
        limit: int | None = None,
        skip: Collection[str] = (),
    ) -> Outcome:
        """Ask the arXiv API, 100 ids a request, for the categories of works that lack them (of all
        works with ``refresh``; of Hugging Face's featured ones with ``featured_only``), leaving
        out the arXiv ids in ``skip`` (already asked in this session)."""
        unit = FEATURED if featured_only else "works"
        step = Step("categories", f"{ARXIV_CATEGORIES} of {unit}", unit)

        def run() -> EnrichResult | None:
            todo = arxiv_works_to_enrich(
                self.context.engine, refresh=refresh, featured_only=featured_only, limit=limit
            )
            todo = [work for work in todo if work[1]["arxiv"] not in skip]
            if not todo:
                return None
            ask = partial(enrich_arxiv, after_batch=self.session.changed)
            return self._ask(step, "arxiv_api", todo, ask, f"{unit} refresh={refresh} limit={limit}")

        with self.session.following():
            return self.session.attempt(step, run)

    def look_up(
        self,
        source: str,
        *,
        authors: bool = False,
        missing_only: bool = False,
        limit: int | None = None,
        author: str | None = None,
    ) -> Outcome:
        """Citation counts, references, counts per year and author ids of works from ``source``
        (semantic_scholar or openalex): every work, those without its citations yet
        (``missing_only``), or those of an ``author``. With ``authors``, the figures it reports
        per author instead (S2 hIndex, OpenAlex summary_stats)."""
        unit = "authors" if authors else "works"
        step = Step("enrich", SOURCE_LABELS[source], unit)
        engine, s2 = self.context.engine, source == "semantic_scholar"

        def run() -> EnrichResult:
            if unit == "authors":
                todo = authors_to_enrich(engine, source, missing_only=missing_only, limit=limit)
                ask = partial(enrich_s2_authors if s2 else enrich_openalex_authors)
            else:
                todo = works_to_enrich(engine, source, missing_only=missing_only, author=author, limit=limit)
                ask = partial(enrich_s2 if s2 else enrich_openalex, after_batch=self.session.changed)
            selection = f"{unit} missing_only={missing_only} author={author} limit={limit}"
            return self._ask(step, source, todo, ask, selection)

        with self.session.following():
            return self.session.attempt(step, run)

    def _ask(
        self, step: Step, source: str, todo: Sequence[WorkIds], ask: Ask, selection: str
    ) -> EnrichResult:
        """Ask ``source`` about ``todo`` (``selection`` names them, for resuming), showing progress."""
        with self.session.client(step, source, len(todo)) as client:
            ticker = self.session.ticker(step)
            return ask(self.context.engine, client, todo, selection=selection, on_batch=ticker)

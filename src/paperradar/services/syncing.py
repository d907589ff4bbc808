"""Keeping the radar fresh from the upstream services: ``paperradar sync …``.

An arXiv OAI-PMH harvest per set (each run continues from the last), an arXiv API query or
list of ids, Hugging Face's daily papers by day (then, from the arXiv API, the categories
Hugging Face does not give), and ``sync all``, which runs every source the configuration
enables, then the enrichments, then brings the indexes up to date. Every source is a step of
one session (:class:`~paperradar.services.enriching.Session`): a failing one is an outcome
like the others and does not stop the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from paperradar.services.context import AppContext
from paperradar.services.enriching import Enricher, Outcome, Session, Step, SyncWatch, Tick
from paperradar.services.errors import ServiceError
from paperradar.services.indexing import Ended, Indexer, IndexWatch
from paperradar.sync.arxiv_api import run_query
from paperradar.sync.arxiv_oai import DEFAULT_PREFIX, harvest
from paperradar.sync.enrich import EnrichResult
from paperradar.sync.hf_papers import sync_days

ENRICH_PER_RUN = 5000
"""Works ``sync all`` enriches per service and run: a backlog clears over days."""


class NoSetToHarvest(ServiceError):
    """Neither the command nor the configuration names an arXiv set."""


@dataclass(frozen=True)
class SyncReport:
    """The outcomes of a sync's steps in order; for ``sync all``, how the indexing ended (``None``:
    not run, as when every source failed)."""

    outcomes: list[Outcome]
    indexed: Ended | None = None

    @property
    def successes(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.ok]

    @property
    def failures(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.failed]

    @property
    def attempted(self) -> int:
        """Steps that did something or failed (not those that found nothing to do)."""
        return len(self.successes) + len(self.failures)


def _ignore(_report: SyncReport) -> None:
    """No one is told."""


class Syncer:
    """Fetches new and changed papers from the upstream services into one store."""

    def __init__(self, context: AppContext, watch: SyncWatch | None = None) -> None:
        self.context = context
        self.session = Session(context, watch)
        self.enricher = Enricher(context, session=self.session)

    @property
    def _report(self) -> SyncReport:
        return SyncReport(list(self.session.outcomes))

    def arxiv(
        self,
        sets: Sequence[str] = (),
        *,
        from_date: dt.date | None = None,
        until: dt.date | None = None,
        prefix: str = DEFAULT_PREFIX,
    ) -> SyncReport:
        """Harvest each set (default: the config's ``arxiv.sets``) by OAI-PMH, from where the last
        harvest ended (or ``from_date``) to today (or ``until``); an interrupted one resumes."""
        chosen = list(sets) or list(self.session.config.arxiv_sets)
        if not chosen:
            raise NoSetToHarvest("no set to harvest: pass --set cs, or set arxiv.sets in the config")
        with self.session.following():
            for set_spec in chosen:
                self._harvest(set_spec, from_date, until, prefix)
        return self._report

    def arxiv_query(self, query: str | None, ids: Sequence[str] = (), max_results: int = 100) -> SyncReport:
        """Fetch the results of an arXiv API search, and/or papers by id."""
        step = Step("query", f"arXiv API {query or ','.join(ids)}")
        ticker = self.session.ticker(step)
        sync = partial(run_query, search=query, ids=ids, max_results=max_results, on_page=ticker)
        with self.session.following():
            self.session.fetching(step, "arxiv_api", sync)
        return self._report

    def hf(
        self, first: dt.date | None = None, last: dt.date | None = None, *, categories: bool = True
    ) -> SyncReport:
        """Hugging Face's daily papers from ``first`` to ``last`` (default: the config's last
        ``huggingface.days_back`` days), then (``categories``) their arXiv categories."""
        with self.session.following():
            self._daily(*self.hf_window(first, last), categories=categories)
        return self._report

    def hf_window(self, first: dt.date | None, last: dt.date | None) -> tuple[dt.date, dt.date]:
        """The days asked for, or the last ``huggingface.days_back`` days up to today."""
        today = dt.datetime.now(dt.UTC).date()
        return first or today - dt.timedelta(days=self.session.config.hf_days_back - 1), last or today

    def all(
        self, *, synced: Callable[[SyncReport], None] = _ignore, indexing: IndexWatch | None = None
    ) -> SyncReport:
        """Every sync the config asks for (each arXiv set from where it stopped, the last days of
        Hugging Face, arXiv categories for works that lack them, then citations from Semantic
        Scholar and OpenAlex for works without any), told to ``synced``; then, if any succeeded,
        the indexes brought up to date (as ``paperradar index`` does)."""
        with self.session.following():
            self._every_source()
        report = self._report
        synced(report)
        if not report.successes:
            return report
        return SyncReport(report.outcomes, Indexer(self.context, indexing).run())

    def _every_source(self) -> None:
        sources = self.session.config.sources
        if sources["arxiv_oai"].enabled:
            for set_spec in self.session.config.arxiv_sets:
                self._harvest(set_spec, None, None, DEFAULT_PREFIX)
        categories = sources["arxiv_api"].enabled
        unknown: list[str] = []
        if sources["huggingface"].enabled:
            featured = self._daily(*self.hf_window(None, None), categories=categories)
            unknown = featured.unknown if featured is not None else []
        failed = any(o.failed and o.step.kind == "categories" for o in self.session.outcomes)
        if categories and not failed:  # the rest of the corpus (imports, S2), a slice per run
            self.enricher.categories(limit=ENRICH_PER_RUN, skip=set(unknown))
        for source in ("semantic_scholar", "openalex"):  # citations for what is new since last time
            if sources[source].enabled:
                self.enricher.look_up(source, missing_only=True, limit=ENRICH_PER_RUN)

    def _harvest(self, set_spec: str, from_date: dt.date | None, until: dt.date | None, prefix: str) -> None:
        step = Step("harvest", f"arXiv {set_spec}")
        sync = partial(
            harvest,
            set_spec=set_spec,
            from_date=from_date,
            until=until,
            metadata_prefix=prefix,
            categories=self.session.config.arxiv_categories,
            on_page=lambda _pages, records, size: self.session.watch.advanced(Tick(step, records, size)),
        )
        self.session.fetching(step, "arxiv_oai", sync)

    def _daily(self, first: dt.date, last: dt.date, *, categories: bool) -> EnrichResult | None:
        """Sync the days, then (``categories``) ask arXiv for the categories of the featured
        papers. The days are stored first, so an arXiv failure costs only the categories, which
        the next run or ``paperradar enrich arxiv`` fills in. The categories' result, if any."""
        span = f"{first}" if first == last else f"{first} → {last}"
        step = Step("daily", f"Hugging Face {span}")
        on_day = partial(self._day_done, step)
        sync = partial(sync_days, first=first, last=last, on_day=on_day)
        if not self.session.fetching(step, "huggingface", sync).ok or not categories:
            return None
        found = self.enricher.categories(featured_only=True).result
        return found if isinstance(found, EnrichResult) else None

    def _day_done(self, step: Step, day: dt.date, papers: int) -> None:
        """Hugging Face's progress: a day stored, with its papers."""
        self.session.watch.advanced(Tick(step, papers, day=day))

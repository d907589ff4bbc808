"""What each digest holds: the papers of one subscription for one period, as cards.

* ``daily-trending`` / ``weekly-trending``: :func:`paperradar.analysis.daily.trending` over the
  day or week, as of the end of the period.
* ``author``: the author's papers published in the period (on their profile: by authorship or a
  source's author record), newest first.
* ``search``: the saved query (:meth:`paperradar.search.hybrid.Searcher.search`), kept to the
  works published in the period; best match first.
* ``personal``: :func:`recommend_for` — the user's recommendations among the period's works.

A digest with no papers is not sent (the send log records it as ``empty``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Connection, Engine

from paperradar.analysis.cards import Card, cards
from paperradar.analysis.daily import Window, trending
from paperradar.digest.periods import DigestPeriod
from paperradar.search import query as q
from paperradar.search.hybrid import Searcher
from paperradar.store import subscriptions as subs
from paperradar.store.subscriptions import Subscription
from paperradar.text import one_line, plural

DEFAULT_LIMIT = 10  # papers per email
SEARCH_DEPTH = 500  # how deep a saved search looks before keeping the period's works
PERSONAL_DEPTH = 500  # how many of a user's recommendations are looked at for the period's works
QUERY_SHOWN = 100  # characters of a saved search shown in a digest's heading and subject
# C0 and C1 controls (CR, LF, NUL, …), Unicode line and paragraph separators, bidi overrides


@dataclass
class DigestItem:
    card: Card
    note: str  # why it is here: "▲ 118 upvotes", "like “Attention Is All You Need”"


@dataclass
class Digest:
    subscription: Subscription
    period: DigestPeriod
    title: str  # the subject line
    heading: str  # what the email says it is
    items: list[DigestItem] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.items


Picks = list[tuple[int, str]]  # (work id, reason), best first
Recommender = Callable[["Composer", str, DigestPeriod, int], Picks]


def _in_period(conn: Connection, period: DigestPeriod, among: list[int] | None = None) -> set[int]:
    return subs.published_between(conn, period.first, period.last, among)


def recommend_for(composer: Composer, owner: str, period: DigestPeriod, limit: int) -> Picks:
    """Personal picks: the user's recommendations (:func:`paperradar.analysis.recommend.recommend`,
    the model trained on their saves and dislikes) kept to the works published in the period, so
    each digest brings new papers rather than the same favourites again. Nothing saved yet: none."""
    from paperradar.analysis.recommend import recommend  # numpy/scipy: loaded only when needed

    found = recommend(composer.engine, owner, limit=PERSONAL_DEPTH)
    if not found.items:
        return []
    with composer.engine.connect() as conn:
        fresh = _in_period(conn, period, [r.work_id for r in found.items])
    return [(r.work_id, r.reason or "recommended for you") for r in found.items if r.work_id in fresh][:limit]


class Composer:
    """Builds digests over one store; the search index is opened (and caught up) on first use."""

    def __init__(
        self,
        engine: Engine,
        *,
        limit: int = DEFAULT_LIMIT,
        searcher: Searcher | None = None,
        recommender: Recommender | None = None,
    ) -> None:
        self.engine = engine
        self.limit = limit
        self._searcher = searcher
        self.recommender = recommender or recommend_for

    @cached_property
    def searcher(self) -> Searcher:
        searcher = self._searcher or Searcher(self.engine)
        searcher.lexical.catch_up(self.engine)  # the index follows the store: bring it up to date
        return searcher

    def compose(self, sub: Subscription, period: DigestPeriod) -> Digest:
        with self.engine.connect() as conn:
            if sub.kind in ("daily-trending", "weekly-trending"):
                return self._trending(conn, sub, period)
            if sub.kind == "author":
                return self._author(conn, sub, period)
        if sub.kind == "search":
            return self._search(sub, period)
        if sub.kind == "personal":
            picks = self.recommender(self, sub.owner, period, self.limit)
            return self._digest(sub, period, "Recommended for you", picks)
        raise ValueError(f"unknown digest kind {sub.kind!r}")

    def _digest(self, sub: Subscription, period: DigestPeriod, heading: str, picks: Picks) -> Digest:
        with self.engine.connect() as conn:
            shown = cards(conn, [w for w, _ in picks], period.last)
        items = [DigestItem(shown[w], note) for w, note in picks if w in shown]
        return Digest(sub, period, f"{heading} · {period.label}", heading, items)

    def _trending(self, conn: Connection, sub: Subscription, period: DigestPeriod) -> Digest:
        window: Window = "day" if sub.kind == "daily-trending" else "week"
        found = trending(conn, window, period.as_of, self.limit)
        heading = "Trending papers" if window == "day" else "Trending this week"
        items = [DigestItem(f.card, f"▲ {plural(f.hf_upvotes + f.local_votes, 'upvote')}") for f in found]
        return Digest(sub, period, f"{heading} · {period.label}", heading, items)

    def _author(self, conn: Connection, sub: Subscription, period: DigestPeriod) -> Digest:
        author_id = int(sub.target)
        name = subs.author_name(conn, author_id) or f"author {author_id}"
        found = subs.newest_works_of(conn, author_id, period.first, period.last, self.limit)
        shown = cards(conn, found, period.last)
        items = [DigestItem(shown[w], "") for w in found]
        heading = f"New papers by {one_line(name, QUERY_SHOWN)}"
        return Digest(sub, period, f"{heading} · {period.label}", heading, items)

    def _search(self, sub: Subscription, period: DigestPeriod) -> Digest:
        searcher = self.searcher
        result = searcher.search(sub.target, limit=SEARCH_DEPTH)
        ranked = [h.work_id for h in result.hits]
        with self.engine.connect() as conn:
            fresh = _in_period(conn, period, ranked)
            kept = [w for w in ranked if w in fresh][: self.limit]
            if len(kept) < self.limit:  # a big corpus: look among the period's works themselves
                period_ids = _in_period(conn, period)
                if period_ids:
                    more = searcher.lexical.search(q.parse(sub.target), self.limit, within=period_ids)
                    kept += [w for w, _ in more if w not in kept][: self.limit - len(kept)]
        heading = f"New papers matching “{one_line(sub.target, QUERY_SHOWN)}”"
        return self._digest(sub, period, heading, [(w, "matches your search") for w in kept])

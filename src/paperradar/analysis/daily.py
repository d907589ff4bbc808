"""Daily papers: which papers belong to a day, and what each listing item shows.

A paper is on a day's feed when Hugging Face featured it that day, when a local user submitted
it for that day, or — for arXiv papers neither of those know — when arXiv announced it that day
(:func:`announced_on`). Each item carries the paper card plus the community signals: upvotes
(Hugging Face's count and local votes, kept apart and summed for display), the organisation,
the submitter, the number of authors.

Trending (docs/metrics.md): every upvote decays with a half-life of 24 hours, score = Σ 0.5^(age/24 h),
over the votes of the window (day, week, month); ties go to the more recent. Hugging Face gives
counts, not vote times, so its votes count as cast at the start of the featured day. Every list
of trending papers is as of one moment (:func:`trending_as_of`) and shows each paper's one count.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from paperradar import records as r
from paperradar.analysis.cards import Card, cards
from paperradar.analysis.profiles import source_name
from paperradar.store import feed as stored

EASTERN = ZoneInfo("America/New_York")
CUTOFF = dt.time(14, 0)  # arXiv's daily submission deadline, US Eastern
HALF_LIFE_HOURS = 24.0
LIVE_WITHIN = dt.timedelta(days=7)  # a corpus featured this lately is live: trending is as of now
Window = Literal["day", "week", "month"]
WINDOWS: dict[str, dt.timedelta] = {
    "day": dt.timedelta(days=1),
    "week": dt.timedelta(days=7),
    "month": dt.timedelta(days=30),
}


Span = Literal["day", "week", "month"]
SPANS: tuple[Span, ...] = ("day", "week", "month")


# The days a feed can show: wide, yet far enough from year 1 and 9999 that a view's span and
# its previous/next links stay valid dates.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def days_of(day: dt.date, span: Span = "day") -> tuple[dt.date, dt.date]:
    """First and last day of a feed view: the day, the seven days ending on it, or its month.
    A ``ValueError`` for a day outside FIRST_DAY..LAST_DAY."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"no feed for {day.isoformat()}: days run from {FIRST_DAY} to {LAST_DAY}")
    if span == "week":
        return day - dt.timedelta(days=6), day
    if span == "month":
        first = day.replace(day=1)
        return first, (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return day, day


def announced_on(submitted: dt.datetime) -> dt.date:
    """The date of the arXiv listing that announces a paper submitted at ``submitted`` (naive:
    UTC); arXiv's holidays are not modelled.

    Submissions close at 14:00 US Eastern on weekdays, and each weekday's batch runs from the
    previous weekday's deadline to its own: Monday's holds Friday after 14:00 and the weekend.
    Monday–Thursday's batches are announced at 20:00 Eastern that evening, Friday's on Sunday
    evening. The listing carries the date of the day after the announcement (20:00 Eastern is
    already that day in UTC): Tuesday–Friday for Monday–Thursday's batches, Monday for Friday's.
    """
    local = (
        submitted.astimezone(EASTERN)
        if submitted.tzinfo
        else submitted.replace(tzinfo=dt.UTC).astimezone(EASTERN)
    )
    day = local.date()
    if local.weekday() >= 5 or local.time() >= CUTOFF:  # after the deadline: the next weekday's cycle
        day += dt.timedelta(days=1)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
    announce = day if day.weekday() < 4 else day + dt.timedelta(days=2)  # Friday's cycle: Sunday
    return announce + dt.timedelta(days=1)


@dataclass
class FeedItem:
    card: Card
    day: dt.date  # the feed day it is on
    why: str  # "featured on Hugging Face", "submitted here by ada", "announced on arXiv"
    hf_upvotes: int
    local_votes: int
    organisation: str | None  # handle, e.g. "CohereLabs"
    organisation_name: str | None
    submitter: str | None

    @property
    def upvotes(self) -> int:
        """What is shown: Hugging Face's upvotes plus local votes."""
        return self.hf_upvotes + self.local_votes

    def as_dict(self) -> dict[str, Any]:
        """The card's fields and the listing's, upvotes split by where they come from."""
        return {
            **self.card.as_dict(),
            "feed_day": self.day,
            "why": self.why,
            "upvotes": self.upvotes,
            "upvotes_huggingface": self.hf_upvotes,
            "upvotes_local": self.local_votes,
            "organisation": self.organisation,
            "organisation_name": self.organisation_name,
            "submitter": self.submitter,
        }


def _featured(conn: Connection, first: dt.date, last: dt.date) -> dict[int, tuple[dt.date, str, str | None]]:
    """work → (day, why, submitter) for Hugging Face features and local submissions in the range."""
    found: dict[int, tuple[dt.date, str, str | None]] = {}
    for work_id, day, source, submitter in stored.featured(conn, first, last):
        found.setdefault(work_id, (day, f"featured on {source_name(source)}", submitter))
    for work_id, day, submitter in stored.submitted(conn, first, last):
        found.setdefault(work_id, (day, f"submitted here by {submitter}", submitter))
    return found


def _announced(conn: Connection, first: dt.date, last: dt.date, known: set[int]) -> dict[int, dt.date]:
    """arXiv works announced in the range that no feature or submission placed already."""
    found = {}
    # A paper is listed at most four days after its first version (Thursday after 14:00: Monday).
    for work_id, published, submitted in stored.arxiv_works(conn, first - dt.timedelta(days=4), last):
        if work_id in known:
            continue
        when = submitted or dt.datetime.combine(published, dt.time(12), dt.UTC)
        day = announced_on(when)
        if first <= day <= last:
            found[work_id] = day
    return found


@dataclass
class _Signals:
    """The community signals of some works: Hugging Face upvotes, local votes, organisation."""

    hf: dict[int, int]
    local: dict[int, int]
    organisation: dict[int, tuple[str, str | None]]  # work → (handle, name)

    def upvotes(self, work_id: int) -> int:
        """The one count a paper shows everywhere: Hugging Face's upvotes plus local votes."""
        return self.hf.get(work_id, 0) + self.local.get(work_id, 0)


def _signals(conn: Connection, ids: list[int]) -> _Signals:
    hf: dict[int, int] = defaultdict(int)
    organisation: dict[int, tuple[str, str | None]] = {}
    for work_id, source, upvotes, key, name in stored.community_rows(conn, ids):
        if source == r.HUGGINGFACE and upvotes:
            hf[work_id] = max(hf[work_id], upvotes)
        if key and work_id not in organisation:
            organisation[work_id] = (key.split(":", 1)[-1], name)
    return _Signals(hf, stored.local_votes(conn, ids), organisation)


def upvotes(conn: Connection, work_id: int) -> tuple[int, int]:
    """A work's (Hugging Face upvotes, local votes): what is shown is their sum."""
    signals = _signals(conn, [work_id])
    return signals.hf.get(work_id, 0), signals.local.get(work_id, 0)


Order = Callable[[int, dt.date, int], tuple[int, ...]]
"""A listing's sort key from (work, day, upvotes)."""


def _items(
    conn: Connection,
    placed: dict[int, tuple[dt.date, str, str | None]],
    today: dt.date,
    order: Order,
    offset: int = 0,
    limit: int | None = None,
) -> list[FeedItem]:
    """Listing items for works placed on a day (work → (day, why, submitter)), sorted by ``order``;
    only the ``limit`` from ``offset`` (``None``: all) are made, cards and all."""
    signals = _signals(conn, list(placed))
    ranked = sorted(placed, key=lambda w: order(w, placed[w][0], signals.upvotes(w)))
    chosen = ranked[offset : None if limit is None else offset + limit]
    shown = cards(conn, chosen, today)
    items = []
    for work_id in chosen:
        day, why, submitter = placed[work_id]
        handle, name = signals.organisation.get(work_id, (None, None))
        hf, local = signals.hf.get(work_id, 0), signals.local.get(work_id, 0)
        items.append(FeedItem(shown[work_id], day, why, hf, local, handle, name, submitter))
    return items


def _most_upvoted(work_id: int, day: dt.date, upvotes: int) -> tuple[int, ...]:
    """Most upvoted first, then the newest day."""
    return -upvotes, -day.toordinal(), -work_id


def _newest(work_id: int, day: dt.date, _upvotes: int) -> tuple[int, ...]:
    return -day.toordinal(), -work_id


def feed(conn: Connection, first: dt.date, last: dt.date, today: dt.date | None = None) -> list[FeedItem]:
    """The papers of the days ``first``–``last``: most upvoted first, then the newest day."""
    return feed_page(conn, first, last, 0, None, today)[1]


def feed_page(
    conn: Connection,
    first: dt.date,
    last: dt.date,
    offset: int,
    limit: int | None,
    today: dt.date | None = None,
) -> tuple[int, list[FeedItem]]:
    """How many papers the days ``first``–``last`` have, and ``limit`` of them (``None``: all) from
    ``offset``, in the order of :func:`feed`. Only those get cards: a month can hold thousands."""
    placed = _featured(conn, first, last)
    for work_id, day in _announced(conn, first, last, set(placed)).items():
        placed[work_id] = (day, "announced on arXiv", None)
    items = _items(conn, placed, today or dt.date.today(), _most_upvoted, offset, limit) if placed else []
    return len(placed), items


def end_of_day(day: dt.date) -> dt.datetime:
    """The last second of a day, UTC: what "as of a day" means for trending."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), dt.UTC)


def trending_as_of(now: dt.datetime, newest_featured: dt.date | None) -> dt.datetime:
    """The one moment every trending list (page, home box, feed, API) is computed as of: ``now``,
    unless the newest day Hugging Face featured papers is more than ``LIVE_WITHIN`` old (a corpus
    not synced lately, like the demo) — then the end of that day, so its upvotes stay in the window.
    Local votes never move it: a vote cast today must not push the corpus's days out of the window
    (it did: one vote turned 29 trending papers into 1); it counts in the paper's upvotes at once,
    and in the score once the corpus is synced past it."""
    if newest_featured is None or newest_featured >= now.date() - LIVE_WITHIN:
        return now
    return end_of_day(newest_featured)


@dataclass
class Trending:
    """A trending paper: its score over the window's votes, and the one count it shows everywhere
    (Hugging Face's upvotes plus every local vote, as on its daily card and its page)."""

    card: Card
    score: float
    hf_upvotes: int
    local_votes: int
    latest_vote: dt.datetime  # the newest vote the score counts
    organisation: str | None = None  # handle
    organisation_name: str | None = None

    @property
    def upvotes(self) -> int:
        return self.hf_upvotes + self.local_votes

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.card.as_dict(),
            "score": round(self.score, 4),
            "upvotes": self.upvotes,
            "upvotes_huggingface": self.hf_upvotes,
            "upvotes_local": self.local_votes,
            "latest_vote": self.latest_vote,
            "organisation": self.organisation,
            "organisation_name": self.organisation_name,
        }


def _decayed(cast: list[tuple[dt.datetime, int]], now: dt.datetime) -> float:
    """Σ votes × 0.5^(age in hours / the half-life), over (cast at, how many) pairs."""
    return sum(n * math.pow(0.5, (now - at).total_seconds() / 3600 / HALF_LIFE_HOURS) for at, n in cast)


def trending(
    conn: Connection, window: Window = "day", now: dt.datetime | None = None, limit: int = 30
) -> list[Trending]:
    """Papers by time-decayed upvotes cast within the window before ``now``: the window is
    [``now`` − its length, ``now``], for Hugging Face's upvotes (cast at the start of the featured
    day) and local votes alike."""
    now = now or dt.datetime.now(dt.UTC)
    since = now - WINDOWS[window]
    votes: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)  # work → (cast at, how many)
    for work_id, day, count in stored.hf_upvotes_featured(conn, since.date(), now.date()):
        cast = dt.datetime.combine(day, dt.time(0), dt.UTC)
        if since <= cast <= now:
            votes[work_id].append((cast, int(count)))
    for work_id, at in stored.local_votes_cast(conn, since, now):
        votes[work_id].append((at, 1))
    ranked = sorted(
        ((_decayed(cast, now), max(cast)[0], w) for w, cast in votes.items()),
        key=lambda s: (-s[0], -s[1].timestamp(), -s[2]),
    )[:limit]
    ids = [w for _, _, w in ranked]
    shown, signals = cards(conn, ids, now.date()), _signals(conn, ids)
    return [
        Trending(
            shown[w],
            score,
            signals.hf.get(w, 0),
            signals.local.get(w, 0),
            latest,
            *signals.organisation.get(w, (None, None)),
        )
        for score, latest, w in ranked
    ]


@dataclass
class OrganisationPage:
    handle: str
    name: str
    source: str  # "local" or "huggingface"
    members: list[tuple[str, str]]  # (user, role)
    papers: list[FeedItem]  # newest first


def organisation_page(conn: Connection, org_id: int, today: dt.date | None = None) -> OrganisationPage:
    """An organisation with its members and papers: those a source lists under it (Hugging Face)
    and those its members tagged, newest first."""
    key, name, source = stored.organisation(conn, org_id)
    placed: dict[int, tuple[dt.date, str, str | None]] = {}
    for work_id, day, lister, published in stored.listed_works(conn, org_id):
        placed[work_id] = (day or published or dt.date.min, f"listed under it by {source_name(lister)}", None)
    for work_id, by, published in stored.tagged_works(conn, org_id):
        placed.setdefault(work_id, (published or dt.date.min, f"tagged by {by}", by))
    papers = _items(conn, placed, today or dt.date.today(), _newest) if placed else []
    return OrganisationPage(key.split(":", 1)[-1], name, source, stored.members(conn, org_id), papers)

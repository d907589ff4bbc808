"""Digest periods: a day (key ``2026-06-12``) or an ISO week (key ``2026-W24``), in UTC.

A run at time *now* sends the periods that ended last: yesterday's daily digest and last
week's weekly one, so each covers a whole period. ``--at DATE`` sends the periods that contain
DATE instead (to catch up, or to try the digests on old data).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class DigestPeriod:
    period: str  # daily | weekly
    key: str  # 2026-06-12 | 2026-W24
    first: dt.date
    last: dt.date

    @property
    def as_of(self) -> dt.datetime:
        """The end of the period: what trending is computed as of."""
        return dt.datetime.combine(self.last, dt.time(23, 59, 59), dt.UTC)

    @property
    def label(self) -> str:
        if self.period == "daily":
            return f"{self.first:%a %b} {self.first.day}, {self.first.year}"
        return f"week of {self.first:%b} {self.first.day} – {self.last:%b} {self.last.day}, {self.last.year}"


def containing(period: str, day: dt.date) -> DigestPeriod:
    """The day itself, or the ISO week (Monday to Sunday) that contains it."""
    if period == "daily":
        return DigestPeriod("daily", day.isoformat(), day, day)
    if period != "weekly":
        raise ValueError(f"{period!r} is not a period (daily or weekly)")
    year, week, weekday = day.isocalendar()
    monday = day - dt.timedelta(days=weekday - 1)
    return DigestPeriod("weekly", f"{year}-W{week:02d}", monday, monday + dt.timedelta(days=6))


def last_complete(period: str, now: dt.datetime) -> DigestPeriod:
    """The latest period that has ended by ``now``: yesterday, or last week."""
    today = now.astimezone(dt.UTC).date()
    return containing(period, today - dt.timedelta(days=1 if period == "daily" else 7))


def due(
    periods: tuple[str, ...], now: dt.datetime | None = None, at: dt.date | None = None
) -> list[DigestPeriod]:
    """The periods a run sends: those containing ``at`` when given, else the last complete ones."""
    if at is not None:
        return [containing(p, at) for p in periods]
    now = now or dt.datetime.now(dt.UTC)
    return [last_complete(p, now) for p in periods]

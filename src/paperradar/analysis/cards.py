"""Paper cards as on the captured profile page (docs/sources.md): the one place their rules live.

A card shows the category tag (the primary arXiv category, ``cs.`` dropped: ``cs.LG`` → ``LG``,
``stat.ML`` stays), the date (``Oct 26, 2023``; ``May 8`` in the current year), a Code badge, the
title, the first three authors then "et al." when there are more, `` · `` and the affiliations,
and the abstract as text (markup is the renderer's job to escape).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.engine import Connection

from paperradar.store.works import card_rows

SHOWN_AUTHORS = 3
SHOWN_AFFILIATIONS = 3


def category_tag(category: str | None) -> str | None:
    """``cs.LG`` → ``LG``; other archives keep their full code (``stat.ML``, ``eess.AS``, ``hep-th``)."""
    if not category:
        return None
    return category.removeprefix("cs.") if category.startswith("cs.") else category


def date_text(published: dt.date | None, today: dt.date) -> str | None:
    """``Oct 26, 2023``; the year is left out in the current year (``May 8``)."""
    if published is None:
        return None
    text = f"{published:%b} {published.day}"
    return text if published.year == today.year else f"{text}, {published.year}"


def authors_text(names: Sequence[str], et_al: bool) -> str:
    return ", ".join(names) + (" et al." if et_al else "")


@dataclass
class Card:
    work_id: int
    arxiv_id: str | None
    doi: str | None
    category: str | None  # the primary category, in full
    tag: str | None
    published: dt.date | None
    date: str | None
    has_code: bool
    code_url: str | None
    title: str
    authors: list[str]  # the shown ones
    et_al: bool
    n_authors: int | None
    affiliations: list[str]
    abstract: str

    def byline(self) -> str:
        text = authors_text(self.authors, self.et_al)
        return f"{text} · {', '.join(self.affiliations)}" if self.affiliations else text

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _unique(values: Sequence[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        value = value.strip()
        if value and value.casefold() not in seen:
            seen[value.casefold()] = value
    return list(seen.values())


def cards(conn: Connection, work_ids: Sequence[int], today: dt.date) -> dict[int, Card]:
    """The cards of the given works, by work id."""
    # One author more than shown tells whether there are more.
    found = card_rows(conn, work_ids, SHOWN_AUTHORS + 1)
    names: dict[int, list[str]] = defaultdict(list)
    affiliations: dict[int, list[str]] = defaultdict(list)
    for work_id, name, affs in found.authors:
        names[work_id].append(name)
        affiliations[work_id].extend(affs)
    captured: dict[int, dict[str, Any]] = {}  # what a captured card showed (seed source)
    for work_id, extra in found.captured:
        held = captured.setdefault(work_id, {})
        for key in ("card_affiliations", "date_text"):
            if extra.get(key) and key not in held:
                held[key] = extra[key]
    code_urls: dict[int, str] = {}
    for work_id, url in found.code_urls:
        code_urls.setdefault(work_id, url)
    result: dict[int, Card] = {}
    for work_id, row in found.works.items():
        shown = names.get(work_id, [])
        seen = captured.get(work_id, {})
        # More authors than shown; a list of unknown length (n_authors None) stopped at "et al.".
        total = len(shown) + 1 if row.n_authors is None else max(row.n_authors, len(shown))
        et_al = bool(shown) and total > len(shown[:SHOWN_AUTHORS])
        affs = _unique(affiliations.get(work_id, [])) or _unique(seen.get("card_affiliations", []))
        result[work_id] = Card(
            work_id=work_id,
            arxiv_id=row.arxiv_id,
            doi=row.doi,
            category=row.primary_category,
            tag=category_tag(row.primary_category),
            published=row.published,
            # A capture that left the year out (its current year) is shown as it was.
            date=date_text(row.published, today) or seen.get("date_text"),
            has_code=bool(row.has_code),
            code_url=code_urls.get(work_id),
            title=row.title or "",
            authors=shown[:SHOWN_AUTHORS],
            et_al=et_al,
            n_authors=row.n_authors,
            affiliations=affs[:SHOWN_AFFILIATIONS],
            abstract=row.abstract or "",
        )
    return result

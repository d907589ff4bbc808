"""RSS 2.0 and Atom feeds of paper lists (a day, trending, an author, a saved search).

Built with feedgen, which writes spec-valid documents; every text goes in as text (feedgen
escapes it), so a title with ``<script>`` or an abstract full of LaTeX stays what it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from feedgen.feed import FeedGenerator

from paperradar import __version__
from paperradar.analysis.cards import Card
from paperradar.analysis.daily import FeedItem

Format = Literal["rss", "atom"]
FORMATS = ("rss", "atom")


@dataclass(frozen=True)
class Entry:
    card: Card
    when: dt.date | dt.datetime  # when the paper entered this list (a day is its start, UTC)
    note: str | None = None  # e.g. "▲ 118 · featured on Hugging Face"

    @property
    def moment(self) -> dt.datetime:
        if isinstance(self.when, dt.datetime):
            return self.when
        return dt.datetime.combine(self.when, dt.time(0), dt.UTC)


def daily_feed(kind: Format, day: dt.date, items: Sequence[FeedItem], link: str) -> bytes:
    """A day's listing as a feed (the CLI's ``feed daily`` and the web's ``/daily/{day}/feed.*``)."""
    entries = [Entry(i.card, i.day, f"▲ {i.upvotes} · {i.why}") for i in items]
    title = f"Daily papers · {day:%b %-d, %Y}"
    return render(kind, f"urn:paperradar:daily:{day}", title, f"{title} — paperradar", link, entries)


def paper_link(card: Card) -> str:
    if card.arxiv_id:
        return f"https://arxiv.org/abs/{card.arxiv_id}"
    if card.doi:
        return f"https://doi.org/{card.doi}"
    return f"urn:paperradar:work:{card.work_id}"


def render(
    kind: Format, feed_id: str, title: str, description: str, link: str, entries: Sequence[Entry]
) -> bytes:
    """The feed document. ``feed_id`` is a stable URI naming the list (Atom needs one)."""
    fg = FeedGenerator()
    fg.id(feed_id)
    fg.title(title)
    fg.subtitle(description)  # RSS <description>, Atom <subtitle>
    fg.link(href=link, rel="alternate")
    fg.generator("paperradar", __version__)
    fg.language("en")
    newest = max((e.moment for e in entries), default=dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
    fg.updated(newest)
    for entry in reversed(entries):  # feedgen prepends: add the last first to keep the order
        card = entry.card
        item = fg.add_entry()
        url = paper_link(card)
        item.id(url)
        item.guid(url, permalink=url.startswith("http"))
        item.title(card.title or "(untitled)")
        item.link(href=url)
        byline = card.byline()
        head = " · ".join(x for x in (byline, entry.note) if x)
        item.description("\n\n".join(x for x in (head, card.abstract) if x) or card.title or "")
        if kind == "atom":  # RSS wants an e-mail address for an author: the names are in the text
            for name in card.authors:
                item.author(name=name)
        if card.category:
            item.category(term=card.category)
        item.published(entry.moment)
        item.updated(entry.moment)
    out: bytes = fg.atom_str(pretty=True) if kind == "atom" else fg.rss_str(pretty=True)
    return out

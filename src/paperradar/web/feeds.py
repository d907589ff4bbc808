"""RSS 2.0 and Atom feeds of paper lists (a day, trending, an author, a saved search).

Built with feedgen, which writes spec-valid documents; every text goes in as text (feedgen
escapes it), so a title with ``<script>`` or an abstract full of LaTeX stays what it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from feedgen.feed import FeedGenerator

from paperradar import __version__
from paperradar.analysis.cards import Card
from paperradar.analysis.daily import FeedItem, OrganisationPage, Trending
from paperradar.analysis.profiles import Profile

Format = Literal["rss", "atom"]
FORMATS = ("rss", "atom")
MEDIA_TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml"}
SITE = "urn:paperradar"


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


@dataclass(frozen=True)
class Listing:
    """What a feed holds: its stable id, title, where the web app shows it, and the entries."""

    feed_id: str
    title: str
    path: str  # on the web app, e.g. /daily/2026-06-12
    entries: list[Entry]

    def document(self, kind: Format, base_url: str) -> bytes:
        link = base_url.rstrip("/") + self.path
        return render(
            kind, self.feed_id, self.title, f"{self.title} — paperradar", link, self.entries, base_url
        )


def daily_listing(day: dt.date, items: Sequence[FeedItem]) -> Listing:
    entries = [Entry(i.card, i.day, f"▲ {i.upvotes} · {i.why}") for i in items]
    return Listing(f"{SITE}:daily:{day}", f"Daily papers · {day:%b %-d, %Y}", f"/daily/{day}", entries)


def trending_listing(window: str, found: Sequence[Trending]) -> Listing:
    entries = [Entry(t.card, t.latest_vote, f"score {t.score:.2f}") for t in found]
    path = f"/trending?window={window}"
    return Listing(f"{SITE}:trending:{window}", f"Trending papers · past {window}", path, entries)


def author_listing(profile: Profile) -> Listing:
    entries = [Entry(w.card, w.card.published or profile.today) for w in profile.works]
    path = f"/authors/{profile.author_id}"
    return Listing(f"{SITE}:author:{profile.author_id}", f"Papers by {profile.name}", path, entries)


def organisation_listing(page: OrganisationPage) -> Listing:
    entries = [Entry(i.card, i.day, i.why) for i in page.papers]
    return Listing(f"{SITE}:org:{page.handle}", f"Papers of {page.name}", f"/orgs/{page.handle}", entries)


def search_listing(query: str, found: Sequence[Card], today: dt.date) -> Listing:
    entries = [Entry(c, c.published or today) for c in found]
    path = f"/search?q={quote(query)}"
    return Listing(f"{SITE}:search:{quote(query)}", f"Search: {query}", path, entries)


def paper_link(card: Card, base_url: str | None = None) -> str:
    """arXiv's page, else the DOI's, else this paper on the web app (or a URN without one)."""
    if card.arxiv_id:
        return f"https://arxiv.org/abs/{card.arxiv_id}"
    if card.doi:
        return f"https://doi.org/{card.doi}"
    if base_url:
        return f"{base_url.rstrip('/')}/papers/{card.work_id}"
    return f"urn:paperradar:work:{card.work_id}"


def render(
    kind: Format,
    feed_id: str,
    title: str,
    description: str,
    link: str,
    entries: Sequence[Entry],
    base_url: str | None = None,
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
        url = paper_link(card, base_url)
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

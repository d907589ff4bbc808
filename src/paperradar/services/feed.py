"""The daily feed (a page at a time), trending, the organisations' directory and pages, and the
same lists as RSS 2.0 or Atom feeds.

``paperradar daily``/``trending``/``org show``/``feed`` and the web app's home, daily, trending and
organisation pages (with their JSON twins and ``…/feed.rss``/``…/feed.atom``) read these. A feed
document is built here, once for both interfaces, with feedgen, which writes spec-valid documents;
every text goes in as text (feedgen escapes it), so a title with ``<script>`` or an abstract full
of LaTeX stays what it is. RSS readers take a description for HTML, so it is escaped once more there;
characters XML 1.0 forbids are dropped from every text (:func:`paperradar.text.xml_text`), so one
title with a control character cannot break every feed that lists it.

An organisation's members are user names, which sign in: the web page, its JSON twin and its
feeds name them (and who tagged each paper) only to the organisation's members and the site's
admins; everyone else sees how many there are. ``paperradar org show`` is the operator's and
shows all.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import quote

from feedgen.feed import FeedGenerator

from paperradar import __version__
from paperradar.analysis import daily
from paperradar.analysis.cards import Card
from paperradar.analysis.daily import FeedItem, OrganisationPage, Span, Trending, Window
from paperradar.analysis.profiles import PER_PAGE, Profile
from paperradar.services.context import AppContext
from paperradar.services.errors import NotFound, OutOfRange, ServiceError
from paperradar.services.profiles import Profiles
from paperradar.services.searching import Search
from paperradar.store import community, queries
from paperradar.text import plural, xml_text

Format = Literal["rss", "atom"]
FORMATS = ("rss", "atom")
SITE = "urn:paperradar"
HOME_TRENDING = 10  # trending papers beside the home page's feed
TRENDING_LIMIT = 30  # papers on the trending page, in its feed, and the API's default
DEFAULT_WINDOW: Window = "week"  # the window of every trending list that names none
DAILY_PAGE = 120  # papers on a page of the daily feed, and the API's default limit


# ---------------------------------------------------------------------------- the lists
@dataclass(frozen=True)
class TrendingNow:
    """A trending list as every interface shows it: over the votes of ``window`` before ``as_of``
    (:func:`paperradar.analysis.daily.trending_as_of`); ``stale``: ``as_of`` is the end of the
    corpus's newest featured day, long past, rather than now."""

    window: Window
    as_of: dt.datetime
    items: list[Trending]
    stale: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The JSON twin (dates still dates)."""
        return {
            "window": self.window,
            "as_of": self.as_of,
            "stale": self.stale,
            "items": [t.as_dict() for t in self.items],
        }


@dataclass(frozen=True)
class Daily:
    """Papers ``offset`` + 1… (``limit`` of them; ``None``: all) of the ``total`` of ``first``–``last``,
    most upvoted first; ``trending``: on the home page, the box of the week's trending papers."""

    first: dt.date
    last: dt.date
    items: list[FeedItem]
    total: int
    offset: int = 0
    limit: int | None = None
    trending: TrendingNow | None = None

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1 if self.limit else 1

    @property
    def pages(self) -> int:
        """How many pages of ``limit`` the papers make (one, even for none)."""
        return max(1, -(-self.total // self.limit)) if self.limit else 1

    @property
    def more(self) -> bool:
        """Whether papers follow this page's."""
        return self.offset + len(self.items) < self.total


@dataclass(frozen=True)
class OrganisationEntry:
    """An organisation in the directory: no member is named, only counted."""

    handle: str
    name: str
    source: str
    papers: int
    member_count: int

    @property
    def path(self) -> str:
        return f"/orgs/{quote(self.handle)}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "handle": self.handle,
            "name": self.name,
            "source": self.source,
            "papers": self.papers,
            "member_count": self.member_count,
            "url": self.path,
        }


def organisation_data(page: OrganisationPage) -> dict[str, Any]:
    """An organisation page as JSON-ready fields (dates still dates), every name in it."""
    return {
        "handle": page.handle,
        "name": page.name,
        "source": page.source,
        "member_count": len(page.members),
        "members": [{"user": u, "role": r} for u, r in page.members],
        "papers": [i.as_dict() for i in page.papers],
    }


TAGGED_BY_A_MEMBER = "tagged by a member"


@dataclass(frozen=True)
class OrganisationView:
    """An organisation page as one visitor may see it: ``page`` names no member (neither in its
    member list nor as who tagged a paper) unless ``names_shown``; the counts are for everyone."""

    page: OrganisationPage
    member_count: int
    roles: dict[str, int]  # role → how many members have it
    names_shown: bool

    def as_dict(self) -> dict[str, Any]:
        """The JSON twin: ``members`` is ``null`` for a visitor who may not see the names."""
        data = organisation_data(self.page)
        data |= {"member_count": self.member_count, "roles": self.roles}
        if not self.names_shown:
            data["members"] = None
        return data


def organisation_view(page: OrganisationPage, visitor: str | None, is_admin: bool) -> OrganisationView:
    """What ``visitor`` (``None``: anonymous) sees of ``page``: names only as a member or an admin."""
    count, roles = len(page.members), dict(sorted(Counter(role for _, role in page.members).items()))
    names_shown = is_admin or any(user == visitor for user, _ in page.members)
    if not names_shown:
        papers = [
            replace(i, why=TAGGED_BY_A_MEMBER, submitter=None) if i.submitter else i for i in page.papers
        ]
        page = replace(page, members=[], papers=papers)
    return OrganisationView(page, count, roles, names_shown)


class Feed:
    """What the feed pages and commands show, over one store."""

    def __init__(self, context: AppContext) -> None:
        self.context = context

    def latest_day(self) -> dt.date:
        """Today, or the newest day something was featured when today has nothing yet."""
        with self.context.reading() as conn:
            newest = queries.newest_featured_day(conn)
        return min(dt.date.today(), newest) if newest else dt.date.today()

    def daily(
        self,
        day: dt.date,
        span: Span = "day",
        offset: int = 0,
        limit: int | None = None,
        with_trending: bool = False,
    ) -> Daily:
        """The day (or the week ending on it, or its month): ``limit`` papers from ``offset``
        (``None``: all); with the week's trending papers too (the home page's box)."""
        try:
            first, last = daily.days_of(day, span)
        except ValueError as exc:
            raise OutOfRange(str(exc)) from exc
        with self.context.reading() as conn:
            total, items = daily.feed_page(conn, first, last, offset, limit)
        hot = self.trending_now(DEFAULT_WINDOW, HOME_TRENDING) if with_trending else None
        return Daily(first, last, items, total, offset, limit, hot)

    def daily_page(
        self, day: dt.date, span: Span, page: int, per_page: int = DAILY_PAGE, with_trending: bool = False
    ) -> Daily:
        """Page ``page`` (from 1) of :meth:`daily`, ``per_page`` papers a page; :class:`NotFound`
        past the last page, saying which that is."""
        shown = self.daily(day, span, (page - 1) * per_page, per_page, with_trending)
        if page > shown.pages:
            raise NotFound(
                f"no page {page}: the {plural(shown.total, 'paper')} make {plural(shown.pages, 'page')}"
                f" of {per_page}; go to page {shown.pages}"
            )
        return shown

    def trending_as_of(self) -> tuple[dt.datetime, bool]:
        """The moment every trending list is as of, and whether it is the end of the corpus's
        newest featured day (long past) rather than now: :func:`~paperradar.analysis.daily.trending_as_of`."""
        now = dt.datetime.now(dt.UTC)
        with self.context.reading() as conn:
            moment = daily.trending_as_of(now, queries.newest_featured_day(conn))
        return moment, moment != now

    def trending(
        self, window: Window, now: dt.datetime | None = None, limit: int = TRENDING_LIMIT
    ) -> list[Trending]:
        """Papers by upvotes fading with a 24-hour half-life, over the votes of the window before
        ``now`` (``None``: the shared moment of :meth:`trending_as_of`)."""
        return self.trending_now(window, limit, now).items

    def trending_now(
        self, window: Window = DEFAULT_WINDOW, limit: int = TRENDING_LIMIT, at: dt.datetime | None = None
    ) -> TrendingNow:
        """The trending list the page, the home page's box, the feed and the API show: one window
        definition, one moment (``at``, else :meth:`trending_as_of`), one count per paper."""
        as_of, stale = (at, False) if at else self.trending_as_of()
        with self.context.reading() as conn:
            return TrendingNow(window, as_of, daily.trending(conn, window, as_of, limit), stale)

    def organisations(self) -> list[OrganisationEntry]:
        """The directory: every organisation with a page, by name, with its papers and members counted."""
        with self.context.reading() as conn:
            found = community.organisation_directory(conn)
        return [
            OrganisationEntry(h, name, source, papers, members) for h, name, source, members, papers in found
        ]

    def organisation(self, handle: str) -> OrganisationPage:
        """An organisation's members and papers (local or Hugging Face handle), or :class:`NotFound`."""
        with self.context.reading() as conn:
            org_id = community.organisation_id(conn, handle)
            if org_id is None:
                raise NotFound(f"no organisation {handle!r}")
            return daily.organisation_page(conn, org_id)

    def organisation_for(self, handle: str, visitor: str | None, is_admin: bool = False) -> OrganisationView:
        """An organisation's page as ``visitor`` may see it (see :func:`organisation_view`)."""
        return organisation_view(self.organisation(handle), visitor, is_admin)

    # ------------------------------------------------------------------------ as feeds
    def daily_listing(self, day: dt.date, limit: int | None = None) -> Listing:
        """A day's papers (the first ``limit``; ``None``: all), as a feed."""
        return _daily_listing(day, self.daily(day, limit=limit).items)

    def trending_listing(
        self, window: Window = DEFAULT_WINDOW, now: dt.datetime | None = None, limit: int = TRENDING_LIMIT
    ) -> Listing:
        """The papers trending over ``window`` before ``now`` (``None``: as the page shows them),
        as a feed."""
        return _trending_listing(window, self.trending(window, now, limit))

    def author_listing(self, author_id: int, limit: int = PER_PAGE) -> Listing:
        """An author's newest papers, or :class:`NotFound`."""
        return _author_listing(Profiles(self.context).profile(author_id, per_page=limit))

    def named_author_listing(self, name: str, limit: int) -> Listing:
        """The papers of the one author a name matches; refused when none or several do."""
        matches = Profiles(self.context).find(name)
        if len(matches) != 1:
            problem = NotFound if not matches else ServiceError
            raise problem(f"{len(matches)} authors match {name!r}: name one (see paperradar author)")
        return self.author_listing(matches[0]["id"], limit)

    def organisation_listing(self, handle: str, limit: int | None = None) -> Listing:
        """An organisation's newest papers, as a feed (read by anyone: who tagged them unnamed),
        or :class:`NotFound`."""
        page = self.organisation_for(handle, None).page
        return _organisation_listing(replace(page, papers=page.papers[:limit]))  # None: all

    def search_listing(self, query: str, limit: int) -> Listing:
        """The first ``limit`` results of a search, as the feed of a saved search; refused without words."""
        words = xml_text(query).strip()
        if not words:
            raise ServiceError("a search feed needs words to search for")
        return _search_listing(words, Search(self.context).feed(words, limit), dt.date.today())


# ---------------------------------------------------------------------------- feed documents
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
        """The RSS or Atom document, its links under ``base_url`` (where the web app is served)."""
        link = base_url.rstrip("/") + self.path
        return render(
            kind, self.feed_id, self.title, f"{self.title} — paperradar", link, self.entries, base_url
        )


def _daily_listing(day: dt.date, items: Sequence[FeedItem]) -> Listing:
    entries = [Entry(i.card, i.day, f"▲ {i.upvotes} · {i.why}") for i in items]
    return Listing(f"{SITE}:daily:{day}", f"Daily papers · {day:%b %-d, %Y}", f"/daily/{day}", entries)


def _trending_listing(window: str, found: Sequence[Trending]) -> Listing:
    entries = [Entry(t.card, t.latest_vote, f"▲ {t.upvotes} · score {t.score:.2f}") for t in found]
    path = f"/trending?window={window}"
    return Listing(f"{SITE}:trending:{window}", f"Trending papers · past {window}", path, entries)


def _author_listing(profile: Profile) -> Listing:
    entries = [Entry(w.card, w.card.published or profile.today) for w in profile.works]
    path = f"/authors/{profile.author_id}"
    return Listing(f"{SITE}:author:{profile.author_id}", f"Papers by {profile.name}", path, entries)


def _organisation_listing(page: OrganisationPage) -> Listing:
    entries = [Entry(i.card, i.day, i.why) for i in page.papers]
    return Listing(f"{SITE}:org:{page.handle}", f"Papers of {page.name}", f"/orgs/{page.handle}", entries)


def _search_listing(query: str, found: Sequence[Card], today: dt.date) -> Listing:
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
    fg.id(xml_text(feed_id))
    fg.title(xml_text(title))
    fg.subtitle(xml_text(description))  # RSS <description>, Atom <subtitle>
    fg.link(href=xml_text(link), rel="alternate")
    fg.generator("paperradar", __version__)
    fg.language("en")
    newest = max((e.moment for e in entries), default=dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
    fg.updated(newest)
    for entry in reversed(entries):  # feedgen prepends: add the last first to keep the order
        _add_entry(fg, kind, entry, base_url)
    out: bytes = fg.atom_str(pretty=True) if kind == "atom" else fg.rss_str(pretty=True)
    return out


def _add_entry(fg: FeedGenerator, kind: Format, entry: Entry, base_url: str | None) -> None:
    card = entry.card
    item = fg.add_entry()
    url = xml_text(paper_link(card, base_url))
    item.id(url)
    item.guid(url, permalink=url.startswith("http"))
    item.title(xml_text(card.title) or "(untitled)")
    item.link(href=url)
    head = " · ".join(x for x in (card.byline(), entry.note) if x)
    parts = [xml_text(x) for x in (head, card.abstract) if x] or [xml_text(card.title)]
    item.description("\n\n".join(parts) if kind == "atom" else _html_paragraphs(parts))
    if kind == "atom":  # RSS wants an e-mail address for an author: the names are in the text
        for name in card.authors:
            item.author(name=xml_text(name))
    if card.category:
        item.category(term=xml_text(card.category))
    item.published(entry.moment)
    item.updated(entry.moment)


def _html_paragraphs(parts: Sequence[str]) -> str:
    """Texts as the HTML an RSS description holds: each escaped, one paragraph each."""
    return "".join(f"<p>{html.escape(part)}</p>" for part in parts)

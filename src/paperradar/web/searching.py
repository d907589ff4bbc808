"""Search as the pages, the JSON API and the feeds show it, and the similar-authors list.

Kept apart from the routes because three of them ask the same: one page of cards out of the
top results with the facets of all of them, the cards of a saved search, authors alike in meaning.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from paperradar.analysis.cards import Card, cards
from paperradar.search import facets
from paperradar.search.similar_authors import SimilarAuthor, similar_authors
from paperradar.web.site import PER_PAGE, Site


def results(site: Site, q: str, offset: int, limit: int) -> tuple[list[Card], list[str], facets.Facets]:
    """One page of the top ``facets.DEPTH`` results, and the facets of all of those."""
    searcher = site.searcher
    searcher.lexical.catch_up(site.engine)
    result = searcher.search(q, facets.DEPTH + 1)  # one more tells whether the list is cut
    hits = [h.work_id for h in result.hits[: facets.DEPTH]]
    wanted = hits[offset : offset + limit]
    with site.reading() as conn:
        counted = facets.count(conn, hits, complete=len(result.hits) <= facets.DEPTH)
        shown = cards(conn, wanted, dt.date.today())
    return [shown[w] for w in wanted if w in shown], result.notes, counted


def feed_cards(site: Site, conn: Connection, q: str) -> list[Card]:
    """The first page of a search, for its feed."""
    site.searcher.lexical.catch_up(site.engine)
    hits = site.searcher.search(q, PER_PAGE).hits
    shown = cards(conn, [h.work_id for h in hits], dt.date.today())
    return [c for h in hits if (c := shown.get(h.work_id))]


def similar_to(site: Site, author_id: int) -> list[SimilarAuthor] | None:
    """People whose papers are closest in meaning; None before `paperradar index` ran."""
    if not site.searcher.semantic_ready():
        return None
    return similar_authors(site.engine, site.searcher.vectors, author_id, 8)

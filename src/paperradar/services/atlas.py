"""The map of the corpus for the CLI and the web app: placing works, and the points to draw.

The coordinates are derived (see :mod:`paperradar.search.atlas`): ``paperradar index`` places
the works it embedded, ``paperradar map --refit`` fits the projection anew.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from filelock import FileLock, Timeout

from paperradar.search.atlas import Atlas, atlas_of
from paperradar.services.context import AppContext
from paperradar.store import library, queries

TOP = 10  # categories with a colour of their own; the rest are "other"
MAX_POINTS = 20_000  # drawn at most (an even sample above): a canvas stays responsive
OTHER = "other"


@dataclass(frozen=True)
class MapPoint:
    id: int
    x: float
    y: float
    category: str
    title: str
    href: str
    in_library: bool


@dataclass(frozen=True)
class CorpusMap:
    points: list[MapPoint]
    categories: list[str]  # the coloured ones, most frequent first, then "other" if any
    total: int  # works placed (points holds at most MAX_POINTS of them)


class Cartographer:
    """The map of one store."""

    def __init__(self, context: AppContext) -> None:
        self.context = context

    @property
    def atlas(self) -> Atlas:
        return atlas_of(self.context.vectors)

    def place(self, *, refit: bool = False) -> int | None:
        """Give the newly embedded works their coordinates (``refit``: fit anew, place all);
        how many were placed, or None when a ``paperradar index`` run holds the indexes."""
        vectors = self.context.vectors
        lock = FileLock(str(vectors.path) + ".lock")  # the one Indexer.run holds
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return None
        try:
            return self.atlas.catch_up(vectors, refit=refit)
        finally:
            lock.release()

    def placed(self) -> int:
        """How many works have coordinates (0: run ``paperradar index``)."""
        return len(self.atlas.points(self.context.vectors))

    def corpus_map(self, visitor: str | None) -> CorpusMap:
        """The points to draw, coloured by primary category, the visitor's saved ones marked."""
        placed = self.atlas.points(self.context.vectors)
        shown = placed[:: max(1, -(-len(placed) // MAX_POINTS))]
        ids = [point.work_id for point in shown]
        with self.context.reading() as conn:
            rows = queries.work_summaries(conn, ids)
            saved = library.saved_among(conn, visitor, ids) if visitor else set()
        counts = Counter((row["primary_category"] or OTHER) for row in rows.values())
        top = [name for name, _ in counts.most_common() if name != OTHER][:TOP]
        categories = top + ([OTHER] if len(counts) > len(top) else [])
        points = []
        for point in shown:
            row = rows.get(point.work_id)
            if row is None:  # merged away since it was placed
                continue
            category = row["primary_category"] if row["primary_category"] in top else OTHER
            href = f"/papers/{row['arxiv_id'] or row['id']}"
            points.append(
                MapPoint(row["id"], point.x, point.y, category, row["title"] or "", href, row["id"] in saved)
            )
        return CorpusMap(points, categories, len(placed))

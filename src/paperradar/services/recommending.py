"""A reader's radar: recommendations that learn from their library, and the "not for me"s that teach it.

The model (:mod:`paperradar.analysis.recommend`) is trained per request on the user's saves and
dislikes over precomputed tf-idf features, which follow the store like the other indexes: a
small corpus has them built on first use, a large one by :meth:`Radar.refresh` (``paperradar
recommend --refresh``). The command line gets short rows, the web app cards; both carry each
paper's reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from paperradar.analysis.cards import Card, cards
from paperradar.analysis.recommend import (
    AUTO_BUILD,
    Recommendation,
    Recommendations,
    Recommender,
    recommend,
    recommender,
)
from paperradar.services.context import AppContext
from paperradar.services.library import work_of
from paperradar.store import library, queries


def overview(result: Recommendations) -> dict[str, Any]:
    """What the recommendations were made from, as JSON fields (of the command line and the API)."""
    return {
        "user": result.user,
        "features": result.features,
        "saved": result.saved,
        "disliked": result.disliked,
        "notes": result.notes,
        "message": result.message,
    }


def explained(item: Recommendation) -> dict[str, Any]:
    """A recommendation's score and reason as JSON fields (of the command line and the API)."""
    return {
        "score": round(item.score, 4),
        "reason": item.reason,
        "nearest_saved": item.nearest_saved,
        "nearest_saved_title": item.nearest_title,
        "similarity": round(item.similarity, 4),
        "terms": item.terms,
    }


@dataclass(frozen=True)
class Refreshed:
    added: int  # works whose tf-idf row was (re)computed
    total: int  # rows of the matrix


@dataclass(frozen=True)
class Ranked:
    """Recommendations as short rows (``queries.work_summaries``) with their score and reason."""

    result: Recommendations
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class ForYou:
    """Recommendations with the card of each that is still in the store."""

    result: Recommendations
    items: list[tuple[Card, Recommendation]]


class Radar:
    """Recommendations and dislikes over one store (its recommender is shared by the process)."""

    def __init__(self, context: AppContext) -> None:
        self.context = context

    @property
    def _recommender(self) -> Recommender:
        return recommender(self.context.engine)

    # ------------------------------------------------------------------ the features
    def ready(self) -> bool:
        """The tf-idf features have been built."""
        return self._recommender.matrix.ready()

    def refresh(self, rebuild: bool = False, on_progress: Callable[[int], None] | None = None) -> Refreshed:
        """Bring the tf-idf features up to date (``rebuild``: fit the vocabulary anew)."""
        matrix = self._recommender.matrix
        step = matrix.rebuild if rebuild else matrix.catch_up
        added = step(self.context.engine, on_progress)
        return Refreshed(added, len(matrix))

    # ------------------------------------------------------------------ recommendations
    def ranked(self, user: str, limit: int = 20) -> Ranked:
        """The user's recommendations as rows; the features are built whatever the corpus's size."""
        found = recommend(self.context.engine, user, limit, build_limit=None)
        with self.context.reading() as conn:
            summaries = queries.work_summaries(conn, [r.work_id for r in found.items])
        rows = [
            {**summaries[r.work_id], **explained(r)}
            for r in found.items
            if r.work_id in summaries  # merged into another work since the features were built
        ]
        return Ranked(found, rows)

    def for_you(self, user: str, limit: int = 20, build_limit: int | None = AUTO_BUILD) -> ForYou:
        """The user's recommendations as cards (a missing matrix is built for a small corpus only)."""
        found = recommend(self.context.engine, user, limit, build_limit)
        with self.context.reading() as conn:
            shown = cards(conn, [i.work_id for i in found.items], dt.date.today())
        return ForYou(found, [(shown[i.work_id], i) for i in found.items if i.work_id in shown])

    # ------------------------------------------------------------------ not for me
    def dislike(self, user: str, ident: str, undo: bool = False) -> bool:
        """Mark a paper not for the user (unsaving it), or take that back; False: nothing changed."""
        with self.context.writing() as conn:
            work_id = work_of(conn, ident)
            return (library.undo_dislike if undo else library.dislike)(conn, user, work_id)

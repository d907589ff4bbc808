"""Putting a paper on a day's feed, and what a reader marks on a paper: upvote, save, "not for me".

One piece of code for ``paperradar submit``/``upvote`` and the web app's forms and API. A paper
the store lacks is fetched from the arXiv API first (through the context's fetcher, so the
configured mirror, rate limit and cache apply), within :data:`FETCH_DEADLINE` seconds all told:
someone is waiting at a form or a prompt, so an offline machine or a silent arXiv is a clear
refusal in seconds, not the retries and back-off a bulk sync waits through. A mark answers with
the paper's counts and the reader's marks after it, which the web app shows and the CLI prints.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection

from paperradar.analysis import daily
from paperradar.config import ConfigError
from paperradar.identity import ids
from paperradar.records import UnreadableInput
from paperradar.services.context import AppContext
from paperradar.services.errors import NotFound, Unavailable
from paperradar.services.library import work_of
from paperradar.store import community, library, queries
from paperradar.sync.arxiv_api import fetch_work
from paperradar.sync.http import UpstreamError

Mark = Literal["vote", "save", "dislike"]
FETCH_ERRORS = (UpstreamError, ConfigError, UnreadableInput, ValueError)  # nothing was written
FETCH_DEADLINE = 3.0  # seconds a submission waits for arXiv, retries included: it fails within 5 s


@dataclass(frozen=True)
class Submitted:
    """A paper on a day's feed: the first submission counts, so ``submitter`` may be someone else."""

    work_id: int
    day: dt.date
    submitter: str

    def as_dict(self) -> dict[str, Any]:
        return {"work_id": self.work_id, "day": self.day, "submitter": self.submitter}


@dataclass(frozen=True)
class Marks:
    """The works on a page that the reader upvoted and saved (to draw the buttons)."""

    voted: set[int]
    saved: set[int]


@dataclass(frozen=True)
class Marked:
    """A paper after a reader marked it: did it change, its upvotes, and the reader's marks."""

    work_id: int
    changed: bool
    hf_upvotes: int
    local_votes: int
    voted: bool
    saved: bool
    disliked: bool

    def as_dict(self) -> dict[str, Any]:
        """What the API answers: ``upvotes`` = ``upvotes_huggingface`` + ``upvotes_local``."""
        return {
            "work_id": self.work_id,
            "upvotes": self.hf_upvotes + self.local_votes,
            "upvotes_huggingface": self.hf_upvotes,
            "upvotes_local": self.local_votes,
            "voted": self.voted,
            "saved": self.saved,
            "disliked": self.disliked,
        }


def marks_among(conn: Connection, user: str | None, work_ids: list[int]) -> Marks:
    """Which of ``work_ids`` the user has upvoted and saved (none for a visitor with no name)."""
    if not user:
        return Marks(set(), set())
    return Marks(community.voted_among(conn, user, work_ids), library.saved_among(conn, user, work_ids))


def _toggle(conn: Connection, what: Mark, work_id: int, user: str, undo: bool) -> bool:
    if what == "vote":
        return (community.undo_upvote if undo else community.upvote)(conn, work_id, user)
    if what == "dislike":
        return (library.undo_dislike if undo else library.dislike)(conn, user, work_id)
    return (library.unsave if undo else library.save)(conn, user, work_id)


class Submissions:
    """Submissions to the daily feed and readers' marks, over one store."""

    def __init__(self, context: AppContext) -> None:
        self.context = context

    def submit(self, ident: str, user: str, day: dt.date | None = None, fetch: bool = True) -> Submitted:
        """Put a paper (arXiv id or URL, DOI, internal id) on ``day``'s feed (default: today); one
        the store lacks is fetched from arXiv unless ``fetch`` is off."""
        with self.context.reading() as conn:
            work_id = queries.resolve_work(conn, ident)
        if work_id is None:
            work_id = self._fetched(ident, fetch)
        with self.context.writing() as conn:
            first, on = community.submit(conn, work_id, user, day or dt.date.today())
        return Submitted(work_id, on, first)

    def _fetched(self, ident: str, fetch: bool) -> int:
        """The work of an arXiv id or URL the store lacks, fetched from arXiv now."""
        arxiv = ids.arxiv_id(ident)
        if arxiv is None:
            raise NotFound(f"no work {ident!r} in the store, and it is not an arXiv id or URL")
        if not fetch:
            raise NotFound(f"no work {ident!r} in the store (--no-fetch)")
        try:
            with self.context.fetcher("arxiv_api") as client:
                work_id = fetch_work(self.context.engine, client.within(FETCH_DEADLINE), arxiv)
        except FETCH_ERRORS as exc:
            offline = isinstance(exc, UpstreamError) and exc.status is None
            again = " Submit it again once arXiv can be reached." if offline else ""
            raise Unavailable(
                f"{arxiv} is not in the store, and arXiv could not be asked for it: {exc}.{again}"
            ) from exc
        if work_id is None:
            raise NotFound(f"arXiv does not know {arxiv}")
        return work_id

    def mark(self, ident: str, user: str, what: Mark, undo: bool = False) -> Marked:
        """Upvote, save or dislike a paper as ``user`` (or, with ``undo``, take it back)."""
        with self.context.writing() as conn:
            work_id = work_of(conn, ident)
            changed = _toggle(conn, what, work_id, user, undo)
            hf, local = daily.upvotes(conn, work_id)
            marks = marks_among(conn, user, [work_id])
            disliked = library.is_disliked(conn, user, work_id)
        return Marked(work_id, changed, hf, local, work_id in marks.voted, work_id in marks.saved, disliked)

    def marks(self, user: str | None, work_ids: list[int]) -> Marks:
        """Which of the shown works the user has upvoted and saved."""
        with self.context.reading() as conn:
            return marks_among(conn, user, work_ids)

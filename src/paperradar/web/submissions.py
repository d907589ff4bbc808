"""Putting a paper on today's feed, from the daily page's form or ``POST /api/v1/submissions``.

A paper the store lacks is fetched from arXiv first (:meth:`paperradar.services.context.AppContext.fetcher`);
both routes are plain ``def``, so the fetch runs in a thread.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import HTTPException, Request

from paperradar.config import ConfigError
from paperradar.identity import ids
from paperradar.records import UnreadableInput
from paperradar.store import community, queries
from paperradar.sync.arxiv_api import fetch_work
from paperradar.sync.http import UpstreamError
from paperradar.web.site import Site


def submitter(site: Site, request: Request) -> str:
    """The signed-in visitor, within the submission rate limit."""
    user = site.security.visitor(request).name
    if user is None:
        raise HTTPException(401, "sign in to submit papers")
    site.security.votes.check(user, "submissions")
    return user


def fetched(site: Site, ident: str) -> int:
    """The work of an arXiv id or URL the store lacks, fetched from arXiv now."""
    arxiv = ids.arxiv_id(ident)
    if arxiv is None:
        raise HTTPException(404, f"no work {ident!r} in the corpus, and it is not an arXiv id or URL")
    try:
        with site.context.fetcher("arxiv_api") as client:
            work_id = fetch_work(site.engine, client, arxiv)
    except (UpstreamError, ConfigError, UnreadableInput, ValueError) as exc:
        raise HTTPException(502, f"{arxiv} is not in the corpus and arXiv could not be asked: {exc}") from exc
    if work_id is None:
        raise HTTPException(404, f"arXiv does not know {arxiv}")
    return work_id


def submit_paper(site: Site, ident: str, user: str) -> dict[str, Any]:
    """Put a paper on today's feed; the first submission of a paper counts."""
    with site.reading() as conn:
        work_id = queries.resolve_work(conn, ident)
    if work_id is None:
        work_id = fetched(site, ident)
    with site.writing() as conn:
        first, day = community.submit(conn, work_id, user, dt.date.today())
    return {"work_id": work_id, "day": day, "submitter": first}

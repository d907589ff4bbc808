"""Which works still need their arXiv categories asked for.

Hugging Face daily papers, BibTeX and S2 give a paper's arXiv id but not its categories, and
``cat:`` filters, novelty (per category and month) and the AI Score (per main category) all key
on them; the arXiv API fills them in by id list.
"""

from __future__ import annotations

from sqlalchemy import Connection, exists, func, or_, select

from paperradar.records import HUGGINGFACE
from paperradar.store import schema as t


def arxiv_works(
    conn: Connection, *, refresh: bool = False, featured_only: bool = False, limit: int | None = None
) -> list[tuple[int, str]]:
    """(work id, arXiv id) of works with an arXiv id and no categories, in work id order.

    ``refresh`` takes every work with an arXiv id, categories or not; ``featured_only`` keeps
    the works featured on Hugging Face. Of a work's several arXiv ids (merged works), the
    smallest is asked by: arXiv answers any of them with the same paper.
    """
    if limit is not None and limit < 0:
        raise ValueError(f"limit must not be negative, not {limit}")
    w, wi, c = t.works, t.work_ids, t.community
    arxiv = func.min(wi.c.value)
    query = (
        select(w.c.id, arxiv)
        .join(wi, wi.c.work_id == w.c.id)
        .where(wi.c.scheme == "arxiv")
        .group_by(w.c.id)
        .order_by(w.c.id)
    )
    if not refresh:
        query = query.where(or_(w.c.categories.is_(None), w.c.categories == ""))
    if featured_only:
        query = query.where(exists().where(c.c.work_id == w.c.id, c.c.source == HUGGINGFACE))
    if limit is not None:
        query = query.limit(limit)
    return [(int(work_id), str(value)) for work_id, value in conn.execute(query)]

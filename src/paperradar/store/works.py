"""Work rows for paper cards and for the metric inputs: per-work facts and author–work pairs.

The bulk readers serve both one profile page and ``metrics refresh`` over a whole corpus, so a
*selection* says which rows (see :data:`Selection`) and rows come straight from the driver's
cursor where SQLAlchemy's row objects would cost more than the query. What the driver hands
back differently on SQLite and PostgreSQL (dates as text or objects) is evened out here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
from sqlalchemy import BindParameter, Connection, Dialect, Select, bindparam, func, literal, select, union

from paperradar import records as r
from paperradar.store import schema as t
from paperradar.store.sql import chunks, raw_rows

UNKNOWN_DAY = np.iinfo(np.int64).min


@dataclass(frozen=True)
class OneAuthor:
    """The works on one author's profile (as :func:`works_of`): a profile's selection. Its queries
    are built and compiled once per dialect, since a profile page runs them for every visit."""

    author_id: int


Selection = Sequence[int] | Select[Any] | OneAuthor | None
"""Which rows: a list of ids (asked for in chunks), a subquery of ids (one query), one author's
works (one query, compiled once) or ``None`` (all)."""


def works_of(author_id: int | None = None) -> Select[Any]:
    """The ids of the works on one author's profile, as a subquery (``None``: of the author bound
    as ``author_id`` when it runs)."""
    author: Any = bindparam("author_id") if author_id is None else author_id
    return (
        union(
            select(t.authorships.c.work_id).where(t.authorships.c.author_id == author),
            select(t.author_works.c.work_id).where(t.author_works.c.author_id == author),
        )
        .subquery()
        .select()
    )


# ----------------------------------------------------------------------------- selections
def _parts(selection: Sequence[int] | Select[Any] | None) -> Iterable[Sequence[int] | Select[Any] | None]:
    if selection is None or isinstance(selection, Select):
        return [selection]
    return chunks(list(selection))


_Prepared = tuple[str, tuple[str, ...] | None, dict[str, Any]]
_PREPARED: dict[tuple[type[Dialect], str, str], _Prepared] = {}


def _prepared(conn: Connection, name: str, build: Callable[[], Select[Any]]) -> _Prepared:
    """``build()``'s SQL for ``conn``'s dialect (compiled on first use), the order of its
    positional parameters (``None``: named) and the values of its constants."""
    key = (type(conn.dialect), conn.dialect.paramstyle, name)
    found = _PREPARED.get(key)
    if found is None:
        compiled = build().compile(dialect=conn.dialect)
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        found = _PREPARED[key] = (str(compiled), order, dict(compiled.construct_params({"author_id": 0})))
    return found


def _author_rows(
    conn: Connection, name: str, build: Callable[[], Select[Any]], author_id: int
) -> list[tuple[Any, ...]]:
    """Like :func:`raw_rows` (plain tuples from the driver's cursor, values as the driver gives
    them) for a statement whose only variable is the bound ``author_id``, without compiling it
    again for every call."""
    sql, order, constants = _prepared(conn, name, build)
    values = {**constants, "author_id": author_id}
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, tuple(values[k] for k in order) if order is not None else values)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _rows(conn: Connection, name: str, stmt: Select[Any], column: Any, selection: Selection) -> list[Any]:
    """The raw rows of ``stmt`` restricted to ``selection`` (on ``column``): one author's with the
    statement compiled once, else through :func:`raw_rows`, part by part."""
    if isinstance(selection, OneAuthor):
        return _author_rows(conn, name, lambda: _restrict(stmt, column, works_of()), selection.author_id)
    rows: list[Any] = []
    for part in _parts(selection):
        rows.extend(raw_rows(conn, _restrict(stmt, column, part)))
    return rows


def _restrict(stmt: Select[Any], column: Any, part: Sequence[int] | Select[Any] | None) -> Select[Any]:
    return stmt if part is None else stmt.where(column.in_(part))


# ----------------------------------------------------------------------------- metric inputs
def _days(values: list[Any]) -> np.ndarray:
    """Dates (``date`` objects, or ISO text as SQLite returns them uncoerced) → days since 1970."""
    as_dates = np.array([str(v)[:10] if v is not None else "NaT" for v in values], dtype="datetime64[D]")
    days = as_dates.astype(np.int64)
    days[np.isnat(as_dates)] = UNKNOWN_DAY
    return days


@dataclass(frozen=True)
class WorkColumns:
    """The selected works' columns the metrics use, aligned and sorted by work id."""

    ids: np.ndarray  # int64
    category: list[str | None]  # primary category
    day: np.ndarray  # first-version date as days since 1970, :data:`UNKNOWN_DAY`: unknown
    has_code: np.ndarray  # bool
    n_authors: np.ndarray  # int64, 0: unknown


def work_columns(conn: Connection, selection: Selection) -> WorkColumns:
    """Primary category, date, code badge and author count of the selected works."""
    w = t.works.c
    stmt = select(
        w.id, w.primary_category, w.published, w.has_code, w.n_authors
    )  # raw: dates as numpy parses
    rows = _rows(conn, "works", stmt, w.id, selection)
    rows.sort(key=lambda row: row[0])
    n = len(rows)
    return WorkColumns(
        ids=np.fromiter((row[0] for row in rows), dtype=np.int64, count=n),
        category=[row[1] for row in rows],
        day=_days([row[2] for row in rows]),
        has_code=np.fromiter((bool(row[3]) for row in rows), dtype=np.bool_, count=n),
        n_authors=np.fromiter((row[4] or 0 for row in rows), dtype=np.int64, count=n),
    )


CitationRow = tuple[int, str, int, dict[str, int] | None, str]
"""(work, source, citations, counts_by_year {year: n} or ``None``, as of): a stated citation
count. ``as_of`` is UTC ISO text to the second ("2026-12-01 11:22:33"), so it orders as text."""


def citation_rows(conn: Connection, selection: Selection) -> list[CitationRow]:
    """Every source's citation count of the selected works (those that state one)."""
    cc = t.citation_counts.c
    stmt = select(cc.work_id, cc.source, cc.citations, cc.counts_by_year, cc.as_of).where(
        cc.citations.is_not(None)
    )
    return [
        # SQLite gives text, PostgreSQL a datetime: one ordering for both
        (work_id, source, int(citations), orjson.loads(by_year) if by_year else None, str(stamp)[:19])
        for work_id, source, citations, by_year, stamp in _rows(
            conn, "citations", stmt, cc.work_id, selection
        )
    ]


_ANY_EDGE = select(t.citation_edges.c.citing_id).limit(1)


def citing_years(conn: Connection, work_ids: Sequence[int] | Select[Any] | None) -> dict[int, dict[int, int]]:
    """cited work → {year of the citing work: how many}, over citation edges within the corpus."""
    edges, ids, citing = t.citation_edges, t.work_ids, t.works
    result: dict[int, dict[int, int]] = defaultdict(dict)
    if not conn.execute(_ANY_EDGE).first():
        return result  # no edges at all: skip the join
    stmt = (
        select(ids.c.work_id, citing.c.year, func.count(func.distinct(edges.c.citing_id)))
        .select_from(
            edges.join(
                ids, (ids.c.scheme == edges.c.cited_scheme) & (ids.c.value == edges.c.cited_value)
            ).join(citing, citing.c.id == edges.c.citing_id)
        )
        .where(citing.c.year.is_not(None))
        .group_by(ids.c.work_id, citing.c.year)
    )
    for part in _parts(work_ids):
        for work_id, year, n in conn.execute(_restrict(stmt, ids.c.work_id, part)):
            result[work_id][int(year)] = int(n)
    return result


def max_upvotes(conn: Connection, selection: Selection) -> list[tuple[int, int]]:
    """(work, the largest upvote count any community source reports) of the selected works."""
    cm = t.community.c
    votes = select(cm.work_id, func.max(cm.upvotes)).where(cm.upvotes.is_not(None)).group_by(cm.work_id)
    return _rows(conn, "upvotes", votes, cm.work_id, selection)


def novelty_percentiles(conn: Connection, selection: Selection) -> list[tuple[int, float]]:
    """(work, its novelty percentile) of the selected works that have one."""
    nv = t.work_novelty.c
    scores = select(nv.work_id, nv.percentile).where(nv.percentile.is_not(None))
    return _rows(conn, "novelty", scores, nv.work_id, selection)


def author_work_rows(conn: Connection, author_ids: Selection) -> list[tuple[int, int, int]]:
    """(author, work, position) of the selected authors: authorships, then the works their author
    records claim (position 0)."""
    a, c = t.authorships.c, t.author_works.c
    signed = select(a.author_id, a.work_id, a.position)
    claimed = select(c.author_id, c.work_id, literal(0))
    rows: list[Any] = []
    if isinstance(author_ids, OneAuthor):
        author = author_ids.author_id
        rows.extend(
            _author_rows(conn, "signed", lambda: signed.where(a.author_id == bindparam("author_id")), author)
        )
        rows.extend(
            _author_rows(
                conn, "claimed", lambda: claimed.where(c.author_id == bindparam("author_id")), author
            )
        )
    else:
        for part in _parts(author_ids):
            rows.extend(raw_rows(conn, _restrict(signed, a.author_id, part)))
            rows.extend(raw_rows(conn, _restrict(claimed, c.author_id, part)))
    return rows


# ----------------------------------------------------------------------------- cards
@dataclass(frozen=True)
class CardWork:
    """The columns of a work that its card shows."""

    id: int
    arxiv_id: str | None
    doi: str | None
    primary_category: str | None
    published: Any  # dt.date | None
    has_code: bool | None
    title: str | None
    abstract: str | None
    n_authors: int | None


@dataclass
class CardRows:
    """What the cards of some works are made of."""

    works: dict[int, CardWork] = field(default_factory=dict)
    # (work, name as written, affiliations) of the first authors, by work and position
    authors: list[tuple[int, str, list[str]]] = field(default_factory=list)
    captured: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # captured cards' "extra"
    code_urls: list[tuple[int, str]] = field(default_factory=list)  # official links first


# Built once (every page of cards runs them); the ids and the author count are bound per chunk.
_W, _A, _WS, _CL = t.works.c, t.authorships.c, t.work_sources.c, t.code_links.c
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)
_CARD_WORKS = select(
    _W.id,
    _W.arxiv_id,
    _W.doi,
    _W.primary_category,
    _W.published,
    _W.has_code,
    _W.title,
    _W.abstract,
    _W.n_authors,
).where(_W.id.in_(_IDS))
_BY_POSITION = (
    select(_A.work_id, _A.name, _A.affiliations)
    .where(_A.work_id.in_(_IDS), _A.position <= bindparam("upto"))
    .order_by(_A.work_id, _A.position)
)
_SEED = select(_WS.work_id, _WS.record).where(_WS.work_id.in_(_IDS), _WS.source == r.SEED_CARDS)
_LINKS = (
    select(_CL.work_id, _CL.url).where(_CL.work_id.in_(_IDS), _CL.url != "").order_by(_CL.is_official.desc())
)


def card_rows(conn: Connection, work_ids: Sequence[int], authors: int) -> CardRows:
    """The rows of the given works' cards, with their first ``authors`` authors."""
    found = CardRows()
    for chunk in chunks(list(work_ids)):
        ids = {"ids": chunk}
        found.works.update((row[0], CardWork(*row)) for row in conn.execute(_CARD_WORKS, ids))
        found.authors.extend(
            (work_id, name, orjson.loads(affs) if affs else [])
            for work_id, name, affs in conn.execute(_BY_POSITION, {**ids, "upto": authors})
        )
        found.captured.extend(
            (work_id, orjson.loads(text).get("extra", {})) for work_id, text in conn.execute(_SEED, ids)
        )
        found.code_urls.extend((work_id, url) for work_id, url in conn.execute(_LINKS, ids))
    return found


_TEXT_HASHES = select(t.embeddings.c.work_id, t.embeddings.c.text_hash).where(
    t.embeddings.c.work_id.in_(_IDS)
)


def text_hashes(conn: Connection, work_ids: Sequence[int]) -> dict[int, str]:
    """The hash of the embedded text of those of the works that have an embedding ("": nothing to
    embed)."""
    hashes: dict[int, str] = {}
    for chunk in chunks(list(work_ids)):
        hashes.update(
            (work_id, text_hash) for work_id, text_hash in conn.execute(_TEXT_HASHES, {"ids": chunk})
        )
    return hashes

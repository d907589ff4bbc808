"""Joining spellings of one person's name that differ by initials, when co-authors agree.

``E. W. Dijkstra`` and ``Edsger W. Dijkstra`` have different name keys, so imports keep them
apart. Two such authors are merged when their names are variants of each other
(:func:`paperradar.identity.authors.variant_of`), they share at least one co-author (by
family name and initial), they carry no conflicting external ids, and no user split them.
An initials-only name that fits two different full names (``N. Mackraz`` beside ``Natalie``
and ``Nathan``) joins only the one it shares clearly more co-authors with.

Merges are logged as ``variant`` in ``author_overrides`` and undone like any other with
``paperradar author split``. ``metrics refresh`` runs this for the authors it touches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import combinations

from sqlalchemy import Connection, and_, func, select

from paperradar.identity import authors as identity
from paperradar.store import overrides, queries
from paperradar.store import schema as t
from paperradar.store.sql import chunks

MAX_TEAM = 50


def _groups(conn: Connection, touched: set[int] | None) -> list[list[tuple[int, str]]]:
    """Authors sharing (family name, first initial) under several spellings, one touched at least."""
    a = t.authors.c
    groups: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for author_id, key in conn.execute(select(a.id, a.name_key).where(a.merged_into.is_(None))):
        group = identity.variant_key(key)
        if group:
            groups[group].append((author_id, key))
    return [
        members
        for members in groups.values()
        if len({k for _, k in members}) > 1 and (touched is None or any(m in touched for m, _ in members))
    ]


def _coauthors(conn: Connection, author_ids: set[int]) -> dict[int, set[tuple[str, str]]]:
    """Per author: their co-authors as (family, initial), from works of at most MAX_TEAM authors
    (a 3,000-author collaboration says little about who someone is, and costs a lot to read)."""
    mine, theirs = t.authorships.alias(), t.authorships.alias()
    found: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for chunk in chunks(sorted(author_ids)):
        stmt = (
            select(mine.c.author_id, t.authors.c.name_key)
            .distinct()
            .join(
                t.works,
                and_(t.works.c.id == mine.c.work_id, func.coalesce(t.works.c.n_authors, 0) <= MAX_TEAM),
            )
            .join(theirs, and_(theirs.c.work_id == mine.c.work_id, theirs.c.author_id != mine.c.author_id))
            .join(t.authors, t.authors.c.id == theirs.c.author_id)
            .where(mine.c.author_id.in_(chunk))
        )
        for author_id, key in conn.execute(stmt):
            if group := identity.variant_key(key):
                found[author_id].add(group)
    return found


def _separated(conn: Connection) -> set[frozenset[int]]:
    """Pairs a user split apart: never joined again automatically."""
    o = t.author_overrides.c
    rows = conn.execute(select(o.author_id, o.other_id).where(o.action == "split"))
    return {frozenset(pair) for pair in rows}


def reconcile(conn: Connection, touched: Sequence[int] | None = None) -> list[tuple[int, int]]:
    """Merge the name variants among the touched authors (``None``: all); returns (kept, merged)."""
    groups = _groups(conn, None if touched is None else set(touched))
    pairs = [
        (x, y)
        for members in groups
        for (x, kx), (y, ky) in combinations(members, 2)
        if kx != ky and identity.variant_of(kx, ky)
    ]
    if not pairs:
        return []
    involved = {a for pair in pairs for a in pair}
    coauthors = _coauthors(conn, involved)
    known = queries.author_known_ids(conn, involved)
    separated = _separated(conn)
    keys = {m: k for members in groups for m, k in members}
    evidence: dict[int, dict[int, int]] = defaultdict(dict)  # author → partner → shared co-authors
    for x, y in pairs:
        shared = len(coauthors.get(x, set()) & coauthors.get(y, set()))
        conflict = identity.conflicts(
            {s: next(iter(v)) for s, v in known.get(x, {}).items() if len(v) == 1}, known.get(y, {})
        )
        if shared and not conflict and frozenset((x, y)) not in separated:
            evidence[x][y] = evidence[y][x] = shared
    chosen: dict[int, set[int]] = {}
    for x, partners in evidence.items():
        # Partners that are not variants of each other are different people: only a clear winner joins.
        chosen[x] = set(partners)
        if any(not identity.variant_of(keys[p], keys[q]) for p, q in combinations(partners, 2)):
            best = max(partners.values())
            leaders = [p for p, n in partners.items() if n == best]
            chosen[x] = set(leaders) if len(leaders) == 1 else set()
    parent: dict[int, int] = {}

    def root(a: int) -> int:
        while parent.get(a, a) != a:
            a = parent[a]
        return a

    for x in sorted(chosen):
        for y in sorted(chosen[x]):
            if x in chosen.get(y, set()):  # both sides agree
                parent[root(y)] = root(x)
    components: dict[int, list[int]] = defaultdict(list)
    for a in parent.keys() | set(parent.values()):
        components[root(a)].append(a)
    merges = []
    for members in components.values():
        keep = max(members, key=lambda m: (identity.fullness(keys[m]), -m))
        merges += [
            (keep, m) for m in sorted(members) if m != keep and identity.variant_of(keys[m], keys[keep])
        ]
    overrides.merge_many(conn, merges, action="variant")
    return merges

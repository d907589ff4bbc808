"""Joining spellings of one person's name that differ by initials, when co-authors agree.

``E. W. Dijkstra`` and ``Edsger W. Dijkstra`` have different name keys, so imports keep them
apart. Two such authors are merged when their names are variants of each other
(:func:`paperradar.identity.authors.variant_of`), they share a co-author (by family name and
initial; two when one spelling is initials only, as "J. Wang" may be anyone), they carry no
conflicting external ids, and no user split them.
An initials-only name that fits two different full names (``N. Mackraz`` beside ``Natalie``
and ``Nathan``) joins only the one it shares clearly more co-authors with.

Merges are logged as ``variant`` in ``author_overrides`` and undone like any other with
``paperradar author split``. ``metrics refresh`` runs this for the authors it touches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import chain, combinations
from typing import Any

import numpy as np
from sqlalchemy import Connection, bindparam, select, update

from paperradar.identity import authors as identity
from paperradar.store import overrides, queries
from paperradar.store import schema as t
from paperradar.store.sql import chunks, raw_rows

MAX_TEAM = 50  # works with more authors are no evidence of who someone is
EVIDENCE_WORKS = 100  # an author's latest works whose co-authors are compared
# "J. Wang" may be anyone: an initials-only spelling needs two co-authors in common, not one.
MIN_SHARED_INITIALS = 2
WHOLE_CORPUS_AT = 10_000  # authors to compare from which every authorship is read at once


def _groups(conn: Connection, touched: set[int] | None) -> tuple[list[list[tuple[int, str]]], dict[int, str]]:
    """Authors sharing (family name, first initial) under several spellings, one touched at least;
    and every current author's name key."""
    a = t.authors.c
    keys = dict(conn.execute(select(a.id, a.name_key).where(a.merged_into.is_(None))).all())
    groups: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for author_id, key in keys.items():
        if group := identity.variant_key(key):
            groups[group].append((author_id, key))
    chosen = [
        members
        for members in groups.values()
        if len({k for _, k in members}) > 1 and (touched is None or any(m in touched for m, _ in members))
    ]
    return chosen, keys


Codes = dict[tuple[str, str] | None, int]


def _coauthors(
    conn: Connection, involved: set[int], keys: dict[int, str], everyone: bool
) -> tuple[dict[int, set[int]], Codes, dict[int, int]]:
    """Per involved author: their co-authors' (family, initial), as codes, from their latest
    EVIDENCE_WORKS works of at most MAX_TEAM authors (a 3,000-author collaboration says little
    about who someone is, and costs a lot to read), and their number of authorships.
    Set-wise over flat arrays, no self-joins."""
    a = t.authorships.c
    rows: list[Any] = []
    if everyone:
        rows = raw_rows(conn, select(a.work_id, a.author_id))
    else:
        works: set[int] = set()
        for chunk in chunks(sorted(involved)):
            works.update(conn.execute(select(a.work_id).where(a.author_id.in_(chunk))).scalars())
        for chunk in chunks(sorted(works)):
            rows.extend(conn.execute(select(a.work_id, a.author_id).where(a.work_id.in_(chunk))).all())
    if not rows:
        return {}, {}, {}
    table = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=2 * len(rows)).reshape(-1, 2)
    order = np.argsort(table[:, 0], kind="stable")
    work, author = table[order, 0], table[order, 1]
    starts = np.flatnonzero(np.r_[True, work[1:] != work[:-1]])
    sizes = np.diff(np.r_[starts, len(work)])
    group_of_row = np.repeat(np.arange(len(starts)), sizes)
    # Lookups by author id (ids are dense): involved or not, and the code of its (family, initial).
    top = int(max(author.max(), max(keys))) + 1
    is_involved = np.zeros(top, dtype=bool)
    is_involved[np.fromiter(involved, dtype=np.int64)] = True
    codes: Codes = {}
    code_of = np.full(top, -1, dtype=np.int64)
    for author_id, key in keys.items():
        code_of[author_id] = codes.setdefault(identity.variant_key(key), len(codes))
    candidates = np.flatnonzero(is_involved[author] & (sizes[group_of_row] <= MAX_TEAM))
    by_author = candidates[np.lexsort((-work[candidates], author[candidates]))]  # latest works first
    first = np.flatnonzero(np.r_[True, author[by_author][1:] != author[by_author][:-1]])
    rank = np.arange(len(by_author)) - np.repeat(first, np.diff(np.r_[first, len(by_author)]))
    mine = by_author[rank < EVIDENCE_WORKS]
    # Each (author, work) row expands to the work's other authors.
    team = group_of_row[mine]
    count = sizes[team]
    me = np.repeat(author[mine], count)
    offsets = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    other = author[np.repeat(starts[team], count) + offsets]
    keep = other != me
    width = len(codes) + 1
    pairs = np.sort(me[keep] * width + code_of[other[keep]])
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]
    found: dict[int, set[int]] = defaultdict(set)
    for owner, code in zip((pairs // width).tolist(), (pairs % width).tolist(), strict=True):
        found[owner].add(code)
    written = np.bincount(author, minlength=top)
    return found, codes, {a: int(written[a]) for a in involved}


def _separated(conn: Connection) -> set[frozenset[int]]:
    """Pairs a user split apart: never joined again automatically."""
    o = t.author_overrides.c
    rows = conn.execute(select(o.author_id, o.other_id).where(o.action == "split"))
    return {frozenset(pair) for pair in rows}


def reconcile(conn: Connection, touched: Sequence[int] | None = None) -> list[tuple[int, int]]:
    """Merge the name variants among the touched authors (``None``: all); returns (kept, merged)."""
    wanted = None if touched is None else set(touched)
    groups, keys = _groups(conn, wanted)
    # Pairs of untouched authors were judged by an earlier run on the same evidence.
    pairs = [
        (x, y, identity.variant_key(kx))
        for members in groups
        for (x, kx), (y, ky) in combinations(members, 2)
        if kx != ky and (wanted is None or x in wanted or y in wanted) and identity.variant_of(kx, ky)
    ]
    if not pairs:
        return []
    involved = {a for x, y, _ in pairs for a in (x, y)}
    everyone = touched is None or len(involved) > WHOLE_CORPUS_AT
    coauthors, codes, written = _coauthors(conn, involved, keys, everyone)
    known = queries.author_known_ids(conn, involved)
    separated = _separated(conn)
    evidence: dict[int, dict[int, int]] = defaultdict(dict)  # author → partner → shared co-authors
    for x, y, group in pairs:
        # The pair's own (family, initial) is no evidence: each may just have co-written with the other.
        shared = len((coauthors.get(x, set()) & coauthors.get(y, set())) - {codes.get(group, -1)})
        conflict = identity.conflicts(
            {s: next(iter(v)) for s, v in known.get(x, {}).items() if len(v) == 1}, known.get(y, {})
        )
        needed = (
            MIN_SHARED_INITIALS if identity.initials_only(keys[x]) or identity.initials_only(keys[y]) else 1
        )
        if shared >= needed and not conflict and frozenset((x, y)) not in separated:
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
    renames = []
    for members in components.values():
        # The fullest spelling is shown; the person keeps the id that needs the fewest rows moved.
        fullest = max(members, key=lambda m: (identity.fullness(keys[m]), -m))
        joined = [m for m in members if identity.variant_of(keys[m], keys[fullest])]
        keep = max(joined, key=lambda m: (written.get(m, 0), -m))
        merges += [(keep, m) for m in sorted(joined) if m != keep]
        if fullest != keep:
            renames.append({"kept": keep, "fullest": fullest})
    overrides.merge_many(conn, merges, action="variant")
    if renames:
        people = t.authors.alias()
        fullest_name = select(people.c.name).where(people.c.id == bindparam("fullest")).scalar_subquery()
        stmt = update(t.authors).where(t.authors.c.id == bindparam("kept")).values(name=fullest_name)
        conn.execute(stmt, renames)
    return merges

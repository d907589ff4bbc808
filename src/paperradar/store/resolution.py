"""Resolution: which stored or new work each record of a batch is, and which person each author is.

The decisions read the store but never write it: they return plans (entities to write, stored
works to merge, new people to create, ids to attach) that :mod:`paperradar.store.writer` carries
out in the batch's transaction. The rules themselves live in :mod:`paperradar.identity`; this
module applies them set-wise, a handful of queries per batch (``docs/identity.md``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, Table, and_, func, select

from paperradar import records as r
from paperradar.identity import authors as author_identity
from paperradar.identity import works as work_identity
from paperradar.identity.ids import family_name
from paperradar.store import queries
from paperradar.store import schema as t
from paperradar.store.sql import chunks
from paperradar.store.statements import combine

Key = tuple[str, str]
"""``(scheme, value)``: one identifier."""

AuthorPlan = tuple[int, str, list[r.AuthorRef]]
"""(work, the source whose author list is displayed, that list)."""


def lookup(conn: Connection, table: Table, target: Any, keys: set[Key]) -> dict[Key, int]:
    """``(scheme, value)`` → ``target`` for the keys found in an id table (work_ids, author_ids)."""
    by_scheme: dict[str, list[str]] = defaultdict(list)
    for scheme, value in keys:
        by_scheme[scheme].append(value)
    found: dict[Key, int] = {}
    for scheme, values in by_scheme.items():
        for chunk in chunks(values):
            stmt = select(table.c.value, target).where(table.c.scheme == scheme, table.c.value.in_(chunk))
            for value, target_id in conn.execute(stmt):
                found[(scheme, value)] = target_id
    return found


def lookup_works(conn: Connection, keys: set[Key]) -> dict[Key, int]:
    return lookup(conn, t.work_ids, t.work_ids.c.work_id, keys)


def works_for(conn: Connection, works: list[r.WorkRecord]) -> list[int]:
    """The stored work of each record that has one (by any of its keys, strongest first)."""
    keys = [work_identity.keys(w) for w in works]
    hits = lookup_works(conn, {k for ks in keys for k in ks})
    found = (next((hits[k] for k in ks if k in hits), None) for ks in keys)
    return [work_id for work_id in found if work_id is not None]


# ---------------------------------------------------------------------------------------- works
@dataclass
class Entity:
    """A work being resolved in this batch: an existing work (id > 0) or a new one (id < 0)."""

    id: int
    ids: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    views: dict[str, r.WorkRecord] = field(default_factory=dict)  # this batch's view per source
    kinds: list[str] = field(default_factory=list)  # per record: "new" / "merged" / "existing"
    new_keys: dict[Key, str] = field(default_factory=dict)  # keys first seen now → source
    year: int | None = None  # for title matches: see identity.works.compatible
    family: str | None = None


@dataclass
class Resolved:
    """Where a batch's work records go."""

    entities: dict[int, Entity]
    merges: list[tuple[int, int, str]]  # stored works found to be one: (keep, drop, source that said so)
    id_conflicts: int  # records whose weak id differed from their work's: both kept


Fresh = list[tuple[str, r.PreparedWork]]
Others = list[tuple[str, r.WorkRecord]]


def split_fresh(
    conn: Connection, work_items: list[tuple[str, r.WorkRecord | r.PreparedWork]]
) -> tuple[Fresh, Others, list[list[Key]], dict[Key, int]]:
    """(new works beyond doubt, the other records, their keys, the stored works of every key).

    A record is a new work beyond doubt when none of its keys is stored or shared with another
    record of the batch: whatever :func:`resolve` would do with it, it would make it a new work of
    its own. Plain ones (see ``identity.works.prepare``) skip that machinery: a bulk import's
    common case.
    """
    record_keys = [
        list(rec.keys) if isinstance(rec, r.PreparedWork) else work_identity.keys(rec)
        for _, rec in work_items
    ]
    uses = Counter(k for ks in record_keys for k in ks)
    hits = lookup_works(conn, set(uses))
    fresh: Fresh = []
    others: Others = []
    other_keys: list[list[Key]] = []
    for (source, rec), rec_keys in zip(work_items, record_keys, strict=True):
        new = not any(k in hits or uses[k] > 1 for k in rec_keys)
        if isinstance(rec, r.PreparedWork):
            if new and rec.plain:
                fresh.append((source, rec))
                continue
            rec = replace(work_identity.loads(rec.statement), as_of=rec.as_of)
        elif new and work_identity.is_plain(rec):
            fresh.append((source, work_identity.prepare(source, rec)))
            continue
        others.append((source, rec))
        other_keys.append(rec_keys)
    return fresh, others, other_keys, hits


def resolve(
    conn: Connection,
    work_items: Others,
    record_keys: list[list[Key]],
    hits: dict[Key, int],
    edge_ends: set[int],
) -> Resolved:
    """Assign every record to an entity; find the stored works a record proves identical.

    ``edge_ends`` (``id()`` of records) are citation ends queued only so their edge has works:
    they count when they create a work, not each time they name one the batch already has.
    """
    known = _ids_of(conn, hits.values()) if hits else {}
    traits = _title_traits(conn, known) if known else {}
    entities: dict[int, Entity] = {}
    owner: dict[Key, int] = {}
    merges: list[tuple[int, int, str]] = []
    id_conflicts = 0
    for work_id, ids in known.items():
        year, family = traits.get(work_id, (None, None))
        entity = entities[work_id] = Entity(work_id, year=year, family=family)
        for scheme, values in ids.items():
            entity.ids[scheme] |= values
            for value in values:
                owner[(scheme, value)] = work_id
    next_new = -1
    for (source, rec), rec_keys in zip(work_items, record_keys, strict=True):
        candidates: list[int] = []
        matched_by = ""  # the strength of the ids that placed the record
        for scheme, value in rec_keys:
            holder = owner.get((scheme, value))
            if holder is None or holder in candidates:
                continue
            strength = work_identity.strength(scheme)
            if candidates and strength != matched_by:
                continue  # weaker keys only count when no stronger one placed the record
            if conflicts(rec, entities[holder], title=strength == "title"):
                continue
            candidates.append(holder)
            matched_by = strength
        if not candidates:
            family = work_identity.first_family(rec)
            entity = entities[next_new] = Entity(next_new, year=work_identity.record_year(rec), family=family)
            next_new -= 1
            kind = "new"
        else:
            existing = [c for c in candidates if c > 0]
            keep = min(existing) if existing else max(candidates)  # oldest work, else first new
            for other in candidates:
                if other != keep:
                    _absorb(entities, owner, keep, other)
                    if other > 0:
                        merges.append((keep, other, source))
            entity = entities[keep]
            kind = "existing" if keep > 0 else "merged"
        for scheme, value in rec_keys:
            if (scheme, value) not in owner:
                if entity.ids.get(scheme) and scheme in work_identity.WEAK_SCHEMES:
                    id_conflicts += 1  # kept beside the other value, with its source
                owner[(scheme, value)] = entity.id
                entity.ids[scheme].add(value)
                entity.new_keys[(scheme, value)] = source
        previous = entity.views.get(source)
        entity.views[source] = combine(previous, rec) if previous else rec
        if kind == "new" or id(rec) not in edge_ends:
            entity.kinds.append(kind)
    return Resolved(entities, merges, id_conflicts)


def conflicts(rec: r.WorkRecord, entity: Entity, title: bool) -> bool:
    """May ``rec`` not be ``entity``? An id match is refused only by a different unique strong id
    (two arXiv papers); a title match by any different id, or another first author or year."""
    if title and not work_identity.compatible(
        work_identity.record_year(rec), work_identity.first_family(rec), entity.year, entity.family
    ):
        return True
    schemes = work_identity.ID_SCHEMES if title else work_identity.UNIQUE_SCHEMES
    return any(
        scheme in rec.ids and entity.ids.get(scheme) and rec.ids[scheme] not in entity.ids[scheme]
        for scheme in schemes
    )


def _absorb(entities: dict[int, Entity], owner: dict[Key, int], keep: int, drop: int) -> None:
    """Entity ``drop`` is the same work as ``keep``: move everything over."""
    kept, dropped = entities[keep], entities.pop(drop)
    for scheme, values in dropped.ids.items():
        kept.ids[scheme] |= values
        for value in values:
            owner[(scheme, value)] = keep
    for src, view in dropped.views.items():
        kept.views[src] = combine(kept.views[src], view) if src in kept.views else view
    kept.kinds.extend("merged" if k == "new" else k for k in dropped.kinds)
    kept.new_keys.update(dropped.new_keys)


def _ids_of(conn: Connection, work_ids: Iterable[int]) -> dict[int, dict[str, set[str]]]:
    result: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for chunk in chunks(sorted(set(work_ids))):
        stmt = select(t.work_ids.c.work_id, t.work_ids.c.scheme, t.work_ids.c.value).where(
            t.work_ids.c.work_id.in_(chunk)
        )
        for work_id, scheme, value in conn.execute(stmt):
            result[work_id][scheme].add(value)
    return result


def _title_traits(
    conn: Connection, known: dict[int, dict[str, set[str]]]
) -> dict[int, tuple[int | None, str | None]]:
    """(year, first author's family name) of stored works that were hit by a title key."""
    titled = [w for w, ids in known.items() if work_identity.TITLE_SCHEME in ids]
    traits: dict[int, tuple[int | None, str | None]] = {}
    for chunk in chunks(titled):
        first = t.authorships.alias()
        stmt = (
            select(t.works.c.id, t.works.c.year, first.c.name)
            .select_from(
                t.works.outerjoin(first, and_(first.c.work_id == t.works.c.id, first.c.position == 1))
            )
            .where(t.works.c.id.in_(chunk))
        )
        for work_id, year, name in conn.execute(stmt):
            traits[work_id] = (year, family_name(name) or None if name else None)
    return traits


# ---------------------------------------------------------------------------------------- people
@dataclass
class NewPerson:
    """Someone this batch mentions whom the store does not know yet."""

    name: str
    name_key: str
    slots: list[tuple[int, int]] = field(default_factory=list)  # (work, position) mentions
    ids: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


@dataclass
class People:
    """Who each authorship of a batch is: known people, new people, ids to attach."""

    resolved: dict[tuple[int, int], int]  # (work, position) → author id, for known people
    new: list[NewPerson]
    attach: list[tuple[int, str, str]]  # (author, scheme, value) ids newly learnt of known people


def current_authorships(conn: Connection, work_ids: list[int]) -> dict[int, dict[str, int]]:
    """work → {name key: author id} of its current authorships (to keep identities stable)."""
    current: dict[int, dict[str, int]] = defaultdict(dict)
    for chunk in chunks(work_ids):
        stmt = select(t.authorships.c.work_id, t.authorships.c.name, t.authorships.c.author_id).where(
            t.authorships.c.work_id.in_(chunk)
        )
        for work_id, name, author_id in conn.execute(stmt):
            current[work_id][author_identity.name_key(name)] = author_id
    return current


def resolve_people(
    conn: Connection, plans: list[AuthorPlan], previous: dict[int, dict[str, int]], created: set[int]
) -> People:
    """Who each displayed author of the planned works is (``created``: works new in this batch)."""
    keys = {(s, v) for _, _, refs in plans for a in refs for s, v in a.ids.items()}
    by_id = lookup_authors(conn, keys)
    pins = user_pins(conn, [work_id for work_id, _, _ in plans if work_id not in created])
    candidates = authors_by_name(
        conn, {author_identity.name_key(a.name) for _, _, refs in plans for a in refs}
    )
    ambiguous = {c for cs in candidates.values() if len(cs) > 1 for c in cs}
    # Known ids only matter where a mention has ids of its own or a name is shared by several
    # people; a bulk import of plain names never needs them.
    with_ids = {author_identity.name_key(a.name) for _, _, refs in plans for a in refs if a.ids}
    suspects = {c for key, cs in candidates.items() if len(cs) > 1 or key in with_ids for c in cs}
    suspects |= {a for work in previous.values() for a in work.values()} if with_ids else set()
    known_ids = queries.author_known_ids(conn, suspects) if suspects else {}
    coauthors = _coauthors(conn, ambiguous) if ambiguous else {}
    people = People({}, [], [])
    # Mentions of one name whose ids disagree (S2 splits a name into two authorIds) are two new
    # people, as the ids say; a mention without ids joins the first of that name.
    named: dict[str, list[NewPerson]] = defaultdict(list)
    for work_id, _source, refs in plans:
        ref_keys = [author_identity.name_key(a.name) for a in refs]
        before = previous.get(work_id, {})
        pinned = pins.get(work_id, {})
        for pos, (ref, key) in enumerate(zip(refs, ref_keys, strict=True)):
            author_id = pinned.get(family_name(ref.name)) if pinned else None  # a user's split
            if author_id is None and ref.ids:
                author_id = next((by_id[(s, v)] for s, v in ref.ids.items() if (s, v) in by_id), None)
            if author_id is None:
                author_id = before.get(key)
                if author_id is not None and author_identity.conflicts(ref.ids, known_ids.get(author_id, {})):
                    author_id = None
            if author_id is None and (found := candidates.get(key)):
                if len(found) == 1 and not ref.ids:  # the common case: one person of that name
                    author_id = found[0]
                else:
                    author_id = author_identity.choose(
                        found, ref.ids, known_ids, coauthors, set(ref_keys) - {key}
                    )
            if author_id is None:
                person = next((p for p in named[key] if not author_identity.conflicts(ref.ids, p.ids)), None)
                if person is None:
                    person = NewPerson(ref.name, key)
                    named[key].append(person)
                    people.new.append(person)
                person.slots.append((work_id, pos))
                for s, v in ref.ids.items():
                    person.ids[s].add(v)
                continue
            people.resolved[(work_id, pos)] = author_id
            people.attach.extend((author_id, s, v) for s, v in ref.ids.items() if (s, v) not in by_id)
    return people


def user_pins(conn: Connection, work_ids: list[int]) -> dict[int, dict[str, int]]:
    """work → {family name: author} decided by a user (``author split``)."""
    pins: dict[int, dict[str, int]] = defaultdict(dict)
    for chunk in chunks(work_ids):
        stmt = select(t.author_pins.c.work_id, t.author_pins.c.family, t.author_pins.c.author_id).where(
            t.author_pins.c.work_id.in_(chunk)
        )
        for work_id, family, author_id in conn.execute(stmt):
            pins[work_id][family] = author_id
    return pins


def lookup_authors(conn: Connection, keys: set[Key]) -> dict[Key, int]:
    return lookup(conn, t.author_ids, t.author_ids.c.author_id, keys)


def authors_by_name(conn: Connection, names: set[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = defaultdict(list)
    person = func.coalesce(t.authors.c.merged_into, t.authors.c.id)  # a merged author leads to the person
    for chunk in chunks(sorted(names)):
        stmt = select(t.authors.c.name_key, person).where(t.authors.c.name_key.in_(chunk))
        for key, author_id in conn.execute(stmt):
            if author_id not in found[key]:
                found[key].append(author_id)
    return found


def _coauthors(conn: Connection, author_ids: set[int]) -> dict[int, set[str]]:
    mine, theirs, people = t.authorships.alias(), t.authorships.alias(), t.authors
    result: dict[int, set[str]] = defaultdict(set)
    for chunk in chunks(sorted(author_ids)):
        stmt = (
            select(mine.c.author_id, people.c.name_key)
            .join(theirs, and_(theirs.c.work_id == mine.c.work_id, theirs.c.author_id != mine.c.author_id))
            .join(people, people.c.id == theirs.c.author_id)
            .where(mine.c.author_id.in_(chunk))
        )
        for author_id, key in conn.execute(stmt):
            result[author_id].add(key)
    return result


def author_of_record(conn: Connection, author: r.AuthorRecord, claimed: list[int]) -> int | None:
    """The stored person an author record (S2, OpenAlex) is: by its ids, else the author of the
    same family name on the works it lists, else by name; ``None``: a new person."""
    by_id = lookup_authors(conn, set(author.ids.items()))
    author_id = next((by_id[k] for k in author.ids.items() if k in by_id), None)
    if author_id is None:
        author_id = _author_on_works(conn, claimed, author)
    if author_id is None:
        key = author_identity.name_key(author.name)
        candidates = authors_by_name(conn, {key}).get(key, [])
        known = queries.author_known_ids(conn, set(candidates))
        author_id = author_identity.choose(candidates, author.ids, known, {}, set())
    return author_id


def _author_on_works(conn: Connection, work_ids: list[int], author: r.AuthorRecord) -> int | None:
    """The author already on these works under the same family name, if one person is."""
    if not work_ids:
        return None
    family = family_name(author.name)
    found: set[int] = set()
    for chunk in chunks(sorted(set(work_ids))):
        stmt = select(t.authorships.c.author_id, t.authorships.c.name).where(
            t.authorships.c.work_id.in_(chunk)
        )
        found |= {a for a, name in conn.execute(stmt) if family_name(name) == family}
    known = queries.author_known_ids(conn, found)
    eligible = [a for a in found if not author_identity.conflicts(author.ids, known.get(a, {}))]
    return min(eligible) if len(eligible) == 1 else None

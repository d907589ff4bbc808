"""Writing a batch of parsed items into the store in one transaction.

The writer is set-oriented: a batch of a few thousand records costs a handful of
queries (look up every key at once, insert every new row at once), which is what makes
a multi-million-line bulk import fast, while the same code path handles the rare cases
(a record that matches an existing work, two existing works that turn out to be one).

Per batch:

0. set aside the records that are new works beyond doubt (none of their keys is stored or
   shared within the batch): their rows are written as they come, ready-made by a parse
   worker (:class:`~paperradar.records.PreparedWork`) or prepared here; this is a bulk
   import's common case;
1. resolve every other work record to an existing work, a new work, or a merge of several
   (:mod:`paperradar.identity.works` says which keys count and when they conflict);
2. fold each source's new view into what that source said before; unchanged views cost
   nothing more;
3. write displayed rows, ids, versions, per-source facts (citations, code, community);
4. resolve the displayed authors of changed works and rewrite their authorships;
5. attach author entities (S2 / OpenAlex authors) with their reported metrics.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, Table, and_, bindparam, delete, exists, func, insert, select, update

from paperradar import records as r
from paperradar.identity import authors as author_identity
from paperradar.identity import works as work_identity
from paperradar.identity.ids import family_name
from paperradar.store import queries
from paperradar.store import schema as t
from paperradar.store.sql import allocate_ids, chunks, insert_rows, insert_tuples, upsert, utc


@dataclass
class Counts:
    """What a batch (or a whole import) did. ``merged`` = records that joined an existing work
    or linked works together; ``unchanged`` = records the store already held as they are."""

    new: int = 0
    merged: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    quarantined: int = 0
    authors: int = 0  # author records (S2 / OpenAlex authors) stored
    authors_new: int = 0  # people not seen before (from author records or authorships)
    citations: int = 0  # citation edges from citation records
    organisations: int = 0  # organisation records (institutions)
    works_merged: int = 0  # pairs of stored works found to be one
    id_conflicts: int = 0  # records whose weak id (MAG, DBLP, ACL, PwC) differed from the work's: both kept
    notes: list[str] = field(default_factory=list)

    def add(self, other: Counts) -> None:
        for name in ("new", "merged", "updated", "unchanged", "skipped", "quarantined"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("authors", "authors_new", "citations", "organisations", "works_merged", "id_conflicts"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.notes.extend(other.notes)

    def as_dict(self) -> dict[str, int]:
        return {
            "new": self.new,
            "merged": self.merged,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "quarantined": self.quarantined,
            "authors": self.authors,
            "authors_new": self.authors_new,
            "citations": self.citations,
            "organisations": self.organisations,
            "works_merged": self.works_merged,
            "id_conflicts": self.id_conflicts,
        }


@dataclass
class _Entity:
    """A work being resolved in this batch: an existing work (id > 0) or a new one (id < 0)."""

    id: int
    ids: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    views: dict[str, r.WorkRecord] = field(default_factory=dict)  # this batch's view per source
    kinds: list[str] = field(default_factory=list)  # per record: "new" / "merged" / "existing"
    new_keys: dict[tuple[str, str], str] = field(default_factory=dict)  # keys first seen now → source
    year: int | None = None  # for title matches: see identity.works.compatible
    family: str | None = None


class IndexedWork(NamedTuple):
    """What the derived search indexes need of a work (the keyword index, filters)."""

    id: int
    title: str
    abstract: str
    authors: str  # names as displayed, " ; " between them
    categories: str  # space separated, primary first
    year: int | None
    has_code: bool
    published: dt.date | None


@dataclass(frozen=True, slots=True)
class Changes:
    """What one committed batch changed, for derived indexes to follow without re-reading the store."""

    revision: int
    works: list[IndexedWork]
    dropped: list[int]  # works merged into another, to remove


class Statement(NamedTuple):
    """What one origin (a file, a sync stream) said about a work, and when that was true.

    ``record.as_of`` always equals ``as_of`` in memory; the stored JSON leaves it out (the
    ``work_sources.as_of`` column holds it), so equal statements of different dates compare equal.
    """

    origin: str
    first_seen: dt.datetime
    as_of: dt.datetime
    record: r.WorkRecord


_AuthorPlan = tuple[int, str, list[r.AuthorRef]]
"""(work, the source whose author list is displayed, that list)."""

_FRESH_WORK_COLUMNS = ("id", *work_identity.DISPLAY_COLUMNS, "revision", "created_at", "updated_at")
_WORK_ID_COLUMNS = ("scheme", "value", "work_id", "source", "seen_at")
_SOURCE_COLUMNS = ("work_id", "source", "origin", "record", "run_id", "first_seen", "seen_at", "as_of")
_VERSION_COLUMNS = ("work_id", "version", "date", "size", "source")
_AUTHORSHIP_COLUMNS = ("work_id", "position", "author_id", "name", "affiliations", "source")


def _effective(origins: list[Statement]) -> r.WorkRecord:
    """A source's view of a work: its origins' statements folded by as-of, the freshest values
    winning, whatever order the files came in; a value only older statements give fills the gap.

    The view's ``as_of`` is the as-of of its citation facts (the statement that gave them), or of
    the freshest statement when none has any.
    """
    ordered = sorted(origins, key=lambda s: (s.as_of, s.first_seen, s.origin))
    view = ordered[0].record
    for statement in ordered[1:]:
        view = combine(view, statement.record)
    cited = [s.as_of for s in ordered if _has_citation_facts(s.record)]
    view.as_of = cited[-1] if cited else ordered[-1].as_of
    return view


def _why_not_stored(item: r.Item) -> str:
    if item.problem is not None:
        return item.problem.reason
    return item.record.reason if isinstance(item.record, r.Skipped) else "no record"


def _same(a: r.WorkRecord, b: r.WorkRecord) -> bool:
    return work_identity.dumps(a) == work_identity.dumps(b)


def _has_citation_facts(record: r.WorkRecord) -> bool:
    return record.citation_count is not None or bool(record.counts_by_year)


@dataclass
class FileContext:
    """Where a batch comes from. ``file_key`` identifies the input (quarantine entries are unique
    per key and position); ``origin`` names the stream whose statements a later one supersedes:
    a file's fingerprint for imports, a constant per source for live syncs."""

    source: str
    file: str
    file_key: str
    run_id: int | None
    origin: str | None = None  # defaults to file_key
    # When the input's statements were true, for records that do not say (``import --as-of``,
    # a recorded answer's retrieval time); ``None``: the import time.
    as_of: dt.datetime | None = None


def _json(value: Any) -> str | None:
    if value is None or value == [] or value == {}:
        return None
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SORT_KEYS).decode()


def combine(old: r.WorkRecord, new: r.WorkRecord) -> r.WorkRecord:
    """One source said ``old`` and ``new``: the fresher one's values win (``new``, unless its as-of
    is known to be older), gaps keep the other's.

    A sparse record (an author's paper list) never erases what a full record said.
    """
    if old.as_of is not None and new.as_of is not None and new.as_of < old.as_of:
        old, new = new, old
    merged = replace(old)
    for name in r.WorkRecord.__slots__:
        value = getattr(new, name)
        if name == "ids":
            merged.ids = {**old.ids, **new.ids}
        elif name == "extra":
            merged.extra = {**old.extra, **new.extra}
        elif value not in (None, "", [], {}):
            setattr(merged, name, value)
    return merged


class BatchWriter:
    """Writes one batch in the caller's transaction; :attr:`changes` then says what it changed."""

    def __init__(self, conn: Connection, ctx: FileContext) -> None:
        self.conn = conn
        self.ctx = ctx
        self.now = dt.datetime.now(dt.UTC)
        self.as_of = utc(ctx.as_of) or self.now  # for records that do not say when they were true
        self.counts = Counts()
        self.revision = 0
        self._shown: dict[int, dict[str, Any]] = {}  # displayed rows of changed works
        self._names: dict[int, str] = {}  # their author names, for the keyword index
        self._dropped: list[int] = []
        self._created: set[int] = set()  # works inserted by this batch: they have no authorships yet
        # Citation ends that are only there to give an edge its works (``id()`` of the records): they
        # count when they create a work, not each time they name one the batch already has.
        self._ends: set[int] = set()

    # ---------------------------------------------------------------- entry point
    def write(self, items: Iterable[r.Item]) -> Counts:
        self.counts = Counts()
        self.revision = self._next_revision()
        work_items: list[tuple[str, r.WorkRecord | r.PreparedWork]] = []
        author_records: list[tuple[str, r.AuthorRecord]] = []
        citations: list[tuple[str, r.CitationRecord]] = []
        problems: list[r.Item] = []
        skipped: list[r.Item] = []  # well-formed records paperradar does not store (Skipped)
        listed: set[int] = set()  # ``id()`` of the work records queued, so an edge's end is queued once
        for item in items:
            rec = item.record
            if item.problem is not None or rec is None:
                problems.append(item)
            elif isinstance(rec, r.WorkRecord | r.PreparedWork):
                work_items.append((item.source, self._dated(rec)))
                listed.add(id(rec))
            elif isinstance(rec, r.AuthorRecord):
                rec.as_of = utc(rec.as_of) or self.as_of
                author_records.append((item.source, rec))
                work_items.extend((item.source, self._dated(w)) for w in rec.works)
            elif isinstance(rec, r.CitationRecord):
                citations.append((item.source, rec))
                for end in (rec.citing, rec.cited):
                    if end.ids and id(end) not in listed:
                        work_items.append((item.source, self._dated(end)))
                        self._ends.add(id(end))
                        listed.add(id(end))
            elif isinstance(rec, r.OrganisationRecord):
                self._organisation(item.source, rec)
                self.counts.organisations += 1
            elif isinstance(rec, r.Note):
                self.counts.notes.append(rec.text)
            else:
                skipped.append(item)
        self._quarantine(problems, skipped)
        fresh, others, other_keys, hits = self._split_fresh(work_items)
        fresh_authors = self._write_fresh(fresh)
        entities = self._resolve(others, other_keys, hits)
        changed = self._write_works(entities)
        self._write_authorships(changed, fresh_authors)
        for source, author in author_records:
            self._author_record(source, author)
        for source, citation in citations:
            self._citation(source, citation)
        return self.counts

    def _dated(self, rec: r.WorkRecord | r.PreparedWork) -> r.WorkRecord | r.PreparedWork:
        """The record with its as-of: its own, else the file's (``--as-of``), else now."""
        if isinstance(rec, r.PreparedWork):
            return rec._replace(as_of=utc(rec.as_of) or self.as_of)
        rec.as_of = utc(rec.as_of) or self.as_of
        return rec

    @property
    def changes(self) -> Changes:
        works = [
            IndexedWork(
                w,
                row["title"] or "",
                row["abstract"] or "",
                self._names.get(w, ""),
                row["categories"] or row["primary_category"] or "",
                row["year"],
                bool(row["has_code"]),
                row["published"],
            )
            for w, row in self._shown.items()
        ]
        return Changes(self.revision, works, list(self._dropped))

    def _next_revision(self) -> int:
        current = self.conn.execute(select(t.meta.c.value).where(t.meta.c.key == "revision")).scalar()
        value = int(current or 0) + 1
        upsert(self.conn, t.meta, [{"key": "revision", "value": str(value)}], ["key"])
        return value

    # ---------------------------------------------------------------- quarantine
    def _quarantine(self, problems: list[r.Item], skipped: list[r.Item]) -> None:
        """Keep what was not stored, with where and why: unreadable items, and skipped records."""
        rows = [
            {
                "source": item.source,
                "file": self.ctx.file,
                "file_key": self.ctx.file_key,
                "location": item.location,
                "position": item.position,
                "reason": _why_not_stored(item),
                "raw": (item.problem.raw or "")[:4000] if item.problem else None,
                "run_id": self.ctx.run_id,
                "seen_at": self.now,
                "kind": "quarantined" if item.problem is not None or item.record is None else "skipped",
            }
            for item in (*problems, *skipped)
        ]
        if rows:
            insert_rows(self.conn, t.quarantine, rows, "ignore", ["file_key", "position", "location"])
        self.counts.quarantined += len(problems)
        self.counts.skipped += len(skipped)

    # ---------------------------------------------------------------- resolution
    def _lookup(self, table: Table, target: Any, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """``(scheme, value)`` → ``target`` for the keys found in an id table (work_ids, author_ids)."""
        by_scheme: dict[str, list[str]] = defaultdict(list)
        for scheme, value in keys:
            by_scheme[scheme].append(value)
        found: dict[tuple[str, str], int] = {}
        for scheme, values in by_scheme.items():
            for chunk in chunks(values):
                stmt = select(table.c.value, target).where(table.c.scheme == scheme, table.c.value.in_(chunk))
                for value, target_id in self.conn.execute(stmt):
                    found[(scheme, value)] = target_id
        return found

    def _lookup_ids(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
        return self._lookup(t.work_ids, t.work_ids.c.work_id, keys)

    def _ids_of(self, work_ids: Iterable[int]) -> dict[int, dict[str, set[str]]]:
        result: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for chunk in chunks(sorted(set(work_ids))):
            stmt = select(t.work_ids.c.work_id, t.work_ids.c.scheme, t.work_ids.c.value).where(
                t.work_ids.c.work_id.in_(chunk)
            )
            for work_id, scheme, value in self.conn.execute(stmt):
                result[work_id][scheme].add(value)
        return result

    def _split_fresh(
        self, work_items: list[tuple[str, r.WorkRecord | r.PreparedWork]]
    ) -> tuple[
        list[tuple[str, r.PreparedWork]],
        list[tuple[str, r.WorkRecord]],
        list[list[tuple[str, str]]],
        dict[tuple[str, str], int],
    ]:
        """(new works beyond doubt, the other records, their keys, the stored works of every key).

        A record is a new work beyond doubt when none of its keys is stored or shared with
        another record of the batch: whatever the general resolution would do with it, it would
        make it a new work of its own. Plain ones (see ``prepare``) skip that machinery.
        """
        record_keys = [
            list(rec.keys) if isinstance(rec, r.PreparedWork) else work_identity.keys(rec)
            for _, rec in work_items
        ]
        uses = Counter(k for ks in record_keys for k in ks)
        hits = self._lookup_ids(set(uses))
        fresh: list[tuple[str, r.PreparedWork]] = []
        others: list[tuple[str, r.WorkRecord]] = []
        other_keys: list[list[tuple[str, str]]] = []
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

    def _write_fresh(self, fresh: list[tuple[str, r.PreparedWork]]) -> list[_AuthorPlan]:
        """Insert new works' rows as prepared; return their author lists to resolve."""
        if not fresh:
            return []
        work_ids = allocate_ids(self.conn, t.works, len(fresh), retired=t.work_merges.c.dropped_id)
        now, revision, origin = self.now, self.revision, self.ctx.origin or self.ctx.file_key
        works: list[tuple[Any, ...]] = []
        keys: list[tuple[Any, ...]] = []
        sources: list[tuple[Any, ...]] = []
        versions: list[tuple[Any, ...]] = []
        plans: list[_AuthorPlan] = []
        for (source, work), work_id in zip(fresh, work_ids, strict=True):
            works.append((work_id, *work.row, revision, now, now))
            keys.extend((scheme, value, work_id, source, now) for scheme, value in work.keys)
            sources.append((work_id, source, origin, work.statement, self.ctx.run_id, now, now, work.as_of))
            versions.extend((work_id, version, date, size, source) for version, date, size in work.versions)
            self._shown[work_id] = dict(zip(work_identity.DISPLAY_COLUMNS, work.row, strict=True))
            if work.authors:
                plans.append(
                    (work_id, source, [r.AuthorRef(name, list(affs)) for name, affs in work.authors])
                )
        self._created.update(work_ids)
        self.counts.new += len(fresh)
        insert_tuples(self.conn, t.works, _FRESH_WORK_COLUMNS, works)
        insert_tuples(self.conn, t.work_ids, _WORK_ID_COLUMNS, keys, "ignore")
        insert_tuples(self.conn, t.work_sources, _SOURCE_COLUMNS, sources)
        insert_tuples(self.conn, t.work_versions, _VERSION_COLUMNS, versions, "ignore")
        return plans

    def _resolve(
        self,
        work_items: list[tuple[str, r.WorkRecord]],
        record_keys: list[list[tuple[str, str]]],
        hits: dict[tuple[str, str], int],
    ) -> dict[int, _Entity]:
        """Assign every record to an entity; merge existing works a record proves identical."""
        known = self._ids_of(hits.values()) if hits else {}
        traits = self._title_traits(known) if known else {}
        entities: dict[int, _Entity] = {}
        owner: dict[tuple[str, str], int] = {}
        for work_id, ids in known.items():
            year, family = traits.get(work_id, (None, None))
            entity = entities[work_id] = _Entity(work_id, year=year, family=family)
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
                if self._conflicts(rec, entities[holder], title=strength == "title"):
                    continue
                candidates.append(holder)
                matched_by = strength
            if not candidates:
                family = work_identity.first_family(rec)
                entity = entities[next_new] = _Entity(
                    next_new, year=work_identity.record_year(rec), family=family
                )
                next_new -= 1
                kind = "new"
            else:
                existing = [c for c in candidates if c > 0]
                keep = min(existing) if existing else max(candidates)  # oldest work, else first new
                for other in candidates:
                    if other != keep:
                        self._absorb(entities, owner, keep, other, source)
                entity = entities[keep]
                kind = "existing" if keep > 0 else "merged"
            for scheme, value in rec_keys:
                if (scheme, value) not in owner:
                    if entity.ids.get(scheme) and scheme in work_identity.WEAK_SCHEMES:
                        self.counts.id_conflicts += 1  # kept beside the other value, with its source
                    owner[(scheme, value)] = entity.id
                    entity.ids[scheme].add(value)
                    entity.new_keys[(scheme, value)] = source
            previous = entity.views.get(source)
            entity.views[source] = combine(previous, rec) if previous else rec
            if kind == "new" or id(rec) not in self._ends:
                entity.kinds.append(kind)
        return entities

    def _title_traits(
        self, known: dict[int, dict[str, set[str]]]
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
            for work_id, year, name in self.conn.execute(stmt):
                traits[work_id] = (year, family_name(name) or None if name else None)
        return traits

    @staticmethod
    def _conflicts(rec: r.WorkRecord, entity: _Entity, title: bool) -> bool:
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

    def _absorb(
        self,
        entities: dict[int, _Entity],
        owner: dict[tuple[str, str], int],
        keep: int,
        drop: int,
        source: str,
    ) -> None:
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
        if drop > 0:
            self._merge_works(keep, drop, source)

    # ---------------------------------------------------------------- merging two stored works
    def _merge_works(self, keep: int, drop: int, source: str) -> None:
        conn = self.conn
        self.counts.works_merged += 1
        kept = self._stored_views([keep]).get(keep, {})
        for src, origins in self._stored_views([drop]).get(drop, {}).items():
            kept_origins = {statement.origin: statement.record for statement in kept.get(src, [])}
            for origin, _, as_of, rec in origins:
                if origin in kept_origins:  # the same file described both: keep both statements
                    both = combine(rec, kept_origins[origin])
                    conn.execute(
                        update(t.work_sources)
                        .where(
                            t.work_sources.c.work_id == keep,
                            t.work_sources.c.source == src,
                            t.work_sources.c.origin == origin,
                        )
                        .values(record=work_identity.dumps(both), as_of=both.as_of or as_of)
                    )
        for table in (*t.WORK_CHILD_TABLES, t.citation_edges):
            key = t.citation_edges.c.citing_id if table is t.citation_edges else table.c.work_id
            self._repoint(table, key, keep, drop)
        conn.execute(delete(t.authorships).where(t.authorships.c.work_id == drop))
        conn.execute(update(t.work_merges).where(t.work_merges.c.kept_id == drop).values(kept_id=keep))
        conn.execute(
            insert(t.work_merges).values(
                dropped_id=drop,
                kept_id=keep,
                reason="same identifiers",
                source=source,
                revision=self.revision,
                merged_at=self.now,
            )
        )
        conn.execute(delete(t.works).where(t.works.c.id == drop))
        self._dropped.append(drop)

    def _repoint(self, table: Table, key: Any, keep: int, drop: int) -> None:
        """Move ``drop``'s rows to ``keep`` unless ``keep`` already has a row with the same key."""
        others = [c for c in table.primary_key.columns if c is not key]
        alias = table.alias()
        clash = exists().where(alias.c[key.name] == keep, *[alias.c[c.name] == c for c in others])
        self.conn.execute(update(table).where(key == drop, ~clash).values({key.name: keep}))
        self.conn.execute(delete(table).where(key == drop))

    # ---------------------------------------------------------------- works
    def _stored_views(self, work_ids: Iterable[int]) -> dict[int, dict[str, list[Statement]]]:
        """work → source → its origins' statements."""
        views: dict[int, dict[str, list[Statement]]] = defaultdict(lambda: defaultdict(list))
        ws = t.work_sources
        for chunk in chunks(sorted(set(work_ids))):
            stmt = (
                select(ws.c.work_id, ws.c.source, ws.c.origin, ws.c.first_seen, ws.c.as_of, ws.c.record)
                .where(ws.c.work_id.in_(chunk))
                .order_by(ws.c.work_id, ws.c.source, ws.c.first_seen, ws.c.origin)
            )
            for work_id, source, origin, first_seen, as_of, text in self.conn.execute(stmt):
                seen = utc(first_seen) or self.now
                when = utc(as_of) or seen
                record = replace(work_identity.loads(text), as_of=when)
                views[work_id][source].append(Statement(origin, seen, when, record))
        return views

    def _write_works(self, entities: dict[int, _Entity]) -> dict[int, dict[str, r.WorkRecord]]:
        """Write views, displayed rows and per-source facts; return the changed works' full views."""
        existing_ids = [e.id for e in entities.values() if e.id > 0]
        stored = self._stored_views(existing_ids) if existing_ids else {}
        changed: dict[int, dict[str, r.WorkRecord]] = {}  # work → effective view per source
        statements: dict[int, dict[str, Statement]] = {}  # work → this origin's changed statements
        new_entities: list[_Entity] = []
        origin = self.ctx.origin or self.ctx.file_key
        for entity in entities.values():
            if not entity.kinds:
                continue  # a stored work this batch's records turned out not to match
            if entity.id < 0:
                new_entities.append(entity)
                self.counts.new += 1
                self.counts.merged += len(entity.kinds) - 1
                continue
            before = stored.get(entity.id, {})
            after = {source: _effective(origins) for source, origins in before.items()}
            mine: dict[str, Statement] = {}
            for source, view in entity.views.items():
                origins = list(before.get(source, []))
                said = next((i for i, s in enumerate(origins) if s.origin == origin), None)
                if said is None:
                    statement = Statement(origin, self.now, view.as_of or self.as_of, view)
                    origins.append(statement)
                    effective = _effective(origins)
                    if source in after and _same(effective, after[source]):
                        continue  # another file said the same (or an older file, nothing newer)
                else:
                    old = origins[said]
                    merged = combine(old.record, view)
                    if _same(merged, old.record):
                        continue  # this file said exactly this before
                    statement = Statement(origin, old.first_seen, merged.as_of or old.as_of, merged)
                    origins[said] = statement
                    effective = _effective(origins)
                mine[source] = statement
                after[source] = effective
            if not mine:
                self.counts.unchanged += len(entity.kinds)
            elif all(source in before for source in mine):
                self.counts.updated += len(entity.kinds)
            else:
                self.counts.merged += len(entity.kinds)
            if mine or any(k == "merged" for k in entity.kinds):
                changed[entity.id] = after
                statements[entity.id] = mine
        updates = []
        for work_id, views in changed.items():
            shown = self._shown[work_id] = work_identity.display(views)
            updates.append({"_id": work_id, **shown, "revision": self.revision, "updated_at": self.now})
        if updates:
            self.conn.execute(update(t.works).where(t.works.c.id == bindparam("_id")), updates)
        # New works: insert displayed rows and learn their ids.
        if new_entities:
            rows = [
                {
                    **work_identity.display(e.views),
                    "revision": self.revision,
                    "created_at": self.now,
                    "updated_at": self.now,
                }
                for e in new_entities
            ]
            new_ids = allocate_ids(self.conn, t.works, len(rows), retired=t.work_merges.c.dropped_id)
            self._created.update(new_ids)
            for row, work_id in zip(rows, new_ids, strict=True):
                row["id"] = work_id
                self._shown[work_id] = row
            insert_rows(self.conn, t.works, rows)
            for entity, work_id in zip(new_entities, new_ids, strict=True):
                entity.id = work_id
                changed[work_id] = dict(entity.views)
                statements[work_id] = {
                    source: Statement(origin, self.now, view.as_of or self.as_of, view)
                    for source, view in entity.views.items()
                }
        self._write_ids(entities)
        self._write_sources(changed, statements)
        return changed

    def _write_ids(self, entities: dict[int, _Entity]) -> None:
        rows = [
            {"scheme": scheme, "value": value, "work_id": e.id, "source": source, "seen_at": self.now}
            for e in entities.values()
            for (scheme, value), source in e.new_keys.items()
        ]
        if rows:
            insert_rows(self.conn, t.work_ids, rows, "ignore")

    def _write_sources(
        self, changed: dict[int, dict[str, r.WorkRecord]], statements: dict[int, dict[str, Statement]]
    ) -> None:
        """Store this origin's statements, and the per-source facts of each changed effective view."""
        source_rows: list[dict[str, Any]] = []
        versions: list[dict[str, Any]] = []
        codes: list[dict[str, Any]] = []
        counts: list[dict[str, Any]] = []
        community: list[dict[str, Any]] = []
        for work_id, mine in statements.items():
            for source, (origin, first_seen, as_of, statement) in mine.items():
                view = changed[work_id][source]
                source_rows.append(
                    {
                        "work_id": work_id,
                        "source": source,
                        "origin": origin,
                        "record": work_identity.dumps(statement),
                        "run_id": self.ctx.run_id,
                        "first_seen": first_seen,
                        "seen_at": self.now,
                        "as_of": as_of,
                    }
                )
                versions.extend(
                    {
                        "work_id": work_id,
                        "version": v.version,
                        "date": v.date,
                        "size": v.size,
                        "source": source,
                    }
                    for v in view.versions
                )
                codes.extend(
                    {
                        "work_id": work_id,
                        "source": source,
                        "url": link.url or "",
                        "is_official": link.is_official,
                        "framework": link.framework,
                        "stars": link.stars,
                        "seen_at": self.now,
                    }
                    for link in view.code
                )
                if view.citation_count is not None or view.counts_by_year:
                    counts.append(
                        {
                            "work_id": work_id,
                            "source": source,
                            "citations": view.citation_count,
                            "influential": view.influential_citation_count,
                            "references": view.reference_count,
                            "counts_by_year": _json(view.counts_by_year),
                            "as_of": view.as_of or self.as_of,
                        }
                    )
                if view.community is not None:
                    community.append(self._community_row(work_id, source, view.community))
                self._references(work_id, source, view.references)
        upsert(self.conn, t.work_sources, source_rows, ["work_id", "source", "origin"])
        insert_rows(self.conn, t.work_versions, versions, "ignore")
        upsert(self.conn, t.code_links, codes, ["work_id", "source", "url"])
        upsert(self.conn, t.citation_counts, counts, ["work_id", "source"])
        upsert(self.conn, t.community, community, ["work_id", "source"])

    def _community_row(self, work_id: int, source: str, info: r.Community) -> dict[str, Any]:
        org_id = None
        if info.organisation:
            org_id = self._organisation(
                source,
                r.OrganisationRecord(
                    ids={"hf": info.organisation},
                    name=info.organisation_name or info.organisation,
                    kind="hf-org",
                ),
            )
        return {
            "work_id": work_id,
            "source": source,
            "featured_day": info.featured_day,
            "upvotes": info.upvotes,
            "comments": info.comments,
            "submitter": info.submitter,
            "submitter_name": info.submitter_name,
            "organisation_id": org_id,
            "ai_summary": info.ai_summary,
            "ai_keywords": _json(info.ai_keywords),
            "project_page": info.project_page,
            "n_authors": info.n_authors,
            "seen_at": self.now,
        }

    def _organisation(self, source: str, org: r.OrganisationRecord) -> int:
        scheme = next((s for s in ("openalex", "ror", "hf") if org.ids.get(s)), None)
        key = f"{scheme}:{org.ids[scheme]}" if scheme else f"name:{org.name.casefold()}"
        row = {
            "key": key,
            "name": org.name,
            "short_name": org.short_name,
            "country": org.country,
            "kind": org.kind,
            "homepage": org.homepage,
            "source": source,
            "seen_at": self.now,
        }
        upsert(self.conn, t.organisations, [row], ["key"])
        found = self.conn.execute(
            select(t.organisations.c.id).where(t.organisations.c.key == key)
        ).scalar_one()
        return int(found)

    def _references(self, work_id: int, source: str, references: list[dict[str, str]]) -> None:
        rows = []
        for ref in references:
            scheme = next((s for s in work_identity.ID_SCHEMES if ref.get(s)), None)
            if scheme:
                rows.append(
                    {
                        "citing_id": work_id,
                        "cited_scheme": scheme,
                        "cited_value": ref[scheme],
                        "source": source,
                        "seen_at": self.now,
                    }
                )
        if rows:
            insert_rows(self.conn, t.citation_edges, rows, "ignore")

    # ---------------------------------------------------------------- authorships
    def _write_authorships(
        self, changed: dict[int, dict[str, r.WorkRecord]], fresh: list[_AuthorPlan]
    ) -> None:
        """Write the authorships of new works and rewrite those of changed works, from their
        displayed author lists."""
        plans = list(fresh)
        for work_id, views in changed.items():
            shown = work_identity.authors_view(views)
            if shown is None:
                continue
            source, refs = shown
            merged_refs = refs
            for other_source, view in views.items():  # carry other sources' author ids over
                if other_source == source or not any(a.ids for a in view.authors):
                    continue
                if merged_refs is refs:  # copy before changing: refs belong to a stored view
                    merged_refs = [r.AuthorRef(a.name, list(a.affiliations), dict(a.ids)) for a in refs]
                for i, j in author_identity.align(refs, view.authors).items():
                    for scheme, value in view.authors[i].ids.items():
                        merged_refs[j].ids.setdefault(scheme, value)
                    if not merged_refs[j].affiliations:
                        merged_refs[j].affiliations = list(view.authors[i].affiliations)
            plans.append((work_id, source, merged_refs))
        if not plans:
            return
        for work_id, _, refs in plans:
            self._names[work_id] = " ; ".join(ref.name for ref in refs)
        previous = self._current_authorships([w for w, _, _ in plans if w not in self._created])
        resolved = self._resolve_authors(plans, previous)
        rewritten = [work_id for work_id, _, _ in plans if work_id not in self._created]
        for chunk in chunks(rewritten):
            self.conn.execute(delete(t.authorships).where(t.authorships.c.work_id.in_(chunk)))
        rows = [
            (work_id, pos + 1, resolved[(work_id, pos)], ref.name, _json(ref.affiliations), source)
            for work_id, source, refs in plans
            for pos, ref in enumerate(refs)
        ]
        insert_tuples(self.conn, t.authorships, _AUTHORSHIP_COLUMNS, rows)

    def _current_authorships(self, work_ids: list[int]) -> dict[int, dict[str, int]]:
        """work → {name key: author id} of its current authorships (to keep identities stable)."""
        current: dict[int, dict[str, int]] = defaultdict(dict)
        for chunk in chunks(work_ids):
            stmt = select(t.authorships.c.work_id, t.authorships.c.name, t.authorships.c.author_id).where(
                t.authorships.c.work_id.in_(chunk)
            )
            for work_id, name, author_id in self.conn.execute(stmt):
                current[work_id][author_identity.name_key(name)] = author_id
        return current

    def _resolve_authors(
        self, plans: list[_AuthorPlan], previous: dict[int, dict[str, int]]
    ) -> dict[tuple[int, int], int]:
        """(work, position) → author id, creating authors for people not seen before."""
        keys = {(s, v) for _, _, refs in plans for a in refs for s, v in a.ids.items()}
        by_id = self._author_ids_lookup(keys)
        pins = self._pins([work_id for work_id, _, _ in plans if work_id not in self._created])
        candidates = self._authors_by_name(
            {author_identity.name_key(a.name) for _, _, refs in plans for a in refs}
        )
        ambiguous = {c for cs in candidates.values() if len(cs) > 1 for c in cs}
        # Known ids only matter where a mention has ids of its own or a name is shared by several
        # people; a bulk import of plain names never needs them.
        with_ids = {author_identity.name_key(a.name) for _, _, refs in plans for a in refs if a.ids}
        suspects = {c for key, cs in candidates.items() if len(cs) > 1 or key in with_ids for c in cs}
        suspects |= {a for work in previous.values() for a in work.values()} if with_ids else set()
        known_ids = self._author_known_ids(suspects) if suspects else {}
        coauthors = self._coauthors(ambiguous) if ambiguous else {}
        resolved: dict[tuple[int, int], int] = {}
        # New people of this batch: (name key, number) → their mentions. Mentions of one name whose
        # ids disagree (S2 splits a name into two authorIds) are two people, as the ids say.
        pending: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
        new_names: dict[tuple[str, int], str] = {}
        new_ids_for: dict[tuple[str, int], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        people_named: dict[str, list[tuple[str, int]]] = defaultdict(list)
        attach: list[tuple[int, str, str]] = []
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
                    if author_id is not None and author_identity.conflicts(
                        ref.ids, known_ids.get(author_id, {})
                    ):
                        author_id = None
                if author_id is None and (found := candidates.get(key)):
                    if len(found) == 1 and not ref.ids:  # the common case: one person of that name
                        author_id = found[0]
                    else:
                        author_id = author_identity.choose(
                            found, ref.ids, known_ids, coauthors, set(ref_keys) - {key}
                        )
                if author_id is None:
                    same = people_named[key]
                    person = next(
                        (p for p in same if not author_identity.conflicts(ref.ids, new_ids_for[p])), None
                    )
                    if person is None:
                        person = (key, len(same))
                        same.append(person)
                    pending[person].append((work_id, pos))
                    new_names.setdefault(person, ref.name)
                    for s, v in ref.ids.items():
                        new_ids_for[person][s].add(v)
                    continue
                resolved[(work_id, pos)] = author_id
                attach.extend((author_id, s, v) for s, v in ref.ids.items() if (s, v) not in by_id)
        if pending:
            created = allocate_ids(self.conn, t.authors, len(pending))
            rows = [
                {"id": author_id, "name": new_names[p], "name_key": p[0] or "?", "created_at": self.now}
                for p, author_id in zip(pending, created, strict=True)
            ]
            insert_rows(self.conn, t.authors, rows)
            self.counts.authors_new += len(created)
            for person, author_id in zip(pending, created, strict=True):
                for slot in pending[person]:
                    resolved[slot] = author_id
                attach.extend((author_id, s, v) for s, vs in new_ids_for[person].items() for v in vs)
        self._attach_author_ids(attach)
        return resolved

    def _pins(self, work_ids: list[int]) -> dict[int, dict[str, int]]:
        """work → {family name: author} decided by a user (``author split``)."""
        pins: dict[int, dict[str, int]] = defaultdict(dict)
        for chunk in chunks(work_ids):
            stmt = select(t.author_pins.c.work_id, t.author_pins.c.family, t.author_pins.c.author_id).where(
                t.author_pins.c.work_id.in_(chunk)
            )
            for work_id, family, author_id in self.conn.execute(stmt):
                pins[work_id][family] = author_id
        return pins

    def _author_ids_lookup(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
        return self._lookup(t.author_ids, t.author_ids.c.author_id, keys)

    def _authors_by_name(self, names: set[str]) -> dict[str, list[int]]:
        found: dict[str, list[int]] = defaultdict(list)
        person = func.coalesce(t.authors.c.merged_into, t.authors.c.id)  # a merged author leads to the person
        for chunk in chunks(sorted(names)):
            stmt = select(t.authors.c.name_key, person).where(t.authors.c.name_key.in_(chunk))
            for key, author_id in self.conn.execute(stmt):
                if author_id not in found[key]:
                    found[key].append(author_id)
        return found

    def _author_known_ids(self, author_ids: set[int]) -> dict[int, dict[str, set[str]]]:
        return queries.author_known_ids(self.conn, author_ids)

    def _coauthors(self, author_ids: set[int]) -> dict[int, set[str]]:
        mine, theirs, people = t.authorships.alias(), t.authorships.alias(), t.authors
        result: dict[int, set[str]] = defaultdict(set)
        for chunk in chunks(sorted(author_ids)):
            stmt = (
                select(mine.c.author_id, people.c.name_key)
                .join(
                    theirs, and_(theirs.c.work_id == mine.c.work_id, theirs.c.author_id != mine.c.author_id)
                )
                .join(people, people.c.id == theirs.c.author_id)
                .where(mine.c.author_id.in_(chunk))
            )
            for author_id, key in self.conn.execute(stmt):
                result[author_id].add(key)
        return result

    def _attach_author_ids(self, attach: list[tuple[int, str, str]]) -> None:
        rows = [
            {"scheme": s, "value": v, "author_id": a, "source": self.ctx.source, "seen_at": self.now}
            for a, s, v in attach
        ]
        if rows:
            insert_rows(self.conn, t.author_ids, rows, "ignore")

    # ---------------------------------------------------------------- author entities
    def _author_record(self, source: str, author: r.AuthorRecord) -> None:
        """Store a source's author (ids, reported metrics) and claim its listed works."""
        by_id = self._author_ids_lookup(set(author.ids.items()))
        author_id = next((by_id[k] for k in author.ids.items() if k in by_id), None)
        key = author_identity.name_key(author.name)
        claimed = self._works_for(author.works)
        if author_id is None:
            # The person may already be on the claimed works under a name-matched author.
            author_id = self._author_on_works(claimed, author)
        if author_id is None:
            candidates = self._authors_by_name({key}).get(key, [])
            known = self._author_known_ids(set(candidates))
            author_id = author_identity.choose(candidates, author.ids, known, {}, set())
        if author_id is None:
            author_id = self.conn.execute(
                insert(t.authors)
                .values(name=author.name, name_key=key or "?", created_at=self.now)
                .returning(t.authors.c.id)
            ).scalar_one()
            self.counts.authors_new += 1
        self._attach_author_ids([(author_id, s, v) for s, v in author.ids.items()])
        self._report(author_id, source, author)
        self._claim(author_id, author, claimed)
        # Its works may not have changed, so ``metrics refresh`` would not see it: drop the stale row.
        self.conn.execute(delete(t.author_metrics).where(t.author_metrics.c.author_id == author_id))
        self.counts.authors += 1

    def _report(self, author_id: int, source: str, author: r.AuthorRecord) -> None:
        """Merge what ``source`` reports for the author into what it reported before, figure by
        figure: a figure the record lacks keeps its stored value (absent is not zero, e.g. an S2
        author saved with ``fields=name``), and a figure stored as of a later date than the record's
        is kept (an older file imported later never overwrites a newer figure)."""
        as_of = author.as_of or self.as_of
        said: dict[str, Any] = {
            "name": author.name,
            "h_index": author.h_index,
            "i10_index": author.i10_index,
            "works_count": author.works_count,
            "citation_count": author.citation_count,
            "counts_by_year": _json(author.counts_by_year),
            "affiliations": _json(author.affiliations),
            "record": _json({"ids": author.ids, "aliases": author.aliases, "homepage": author.homepage}),
        }
        ar = t.author_reports.c
        held = self.conn.execute(
            select(t.author_reports).where(ar.author_id == author_id, ar.source == source)
        ).first()
        dates: dict[str, str] = orjson.loads(held.as_of) if held is not None and held.as_of else {}
        row: dict[str, Any] = {"author_id": author_id, "source": source, "seen_at": self.now}
        for name, value in said.items():
            before = getattr(held, name) if held is not None else None
            before_at = utc(dates.get(name)) or (utc(held.seen_at) if held is not None else None)
            if value is not None and (before is None or before_at is None or as_of >= before_at):
                row[name] = value
                dates[name] = as_of.isoformat()
            else:
                row[name] = before
        row["as_of"] = orjson.dumps(dates, option=orjson.OPT_SORT_KEYS).decode()
        upsert(self.conn, t.author_reports, [row], ["author_id", "source"])

    def _works_for(self, works: list[r.WorkRecord]) -> list[int]:
        """The stored work of each record that has one (by any of its keys, strongest first)."""
        keys = [work_identity.keys(w) for w in works]
        hits = self._lookup_ids({k for ks in keys for k in ks})
        found = (next((hits[k] for k in ks if k in hits), None) for ks in keys)
        return [work_id for work_id in found if work_id is not None]

    def _author_on_works(self, work_ids: list[int], author: r.AuthorRecord) -> int | None:
        """The author already on these works under the same family name, if one person is."""
        if not work_ids:
            return None
        family = family_name(author.name)
        found: set[int] = set()
        for chunk in chunks(sorted(set(work_ids))):
            stmt = select(t.authorships.c.author_id, t.authorships.c.name).where(
                t.authorships.c.work_id.in_(chunk)
            )
            found |= {a for a, name in self.conn.execute(stmt) if family_name(name) == family}
        known = self._author_known_ids(found)
        eligible = [a for a in found if not author_identity.conflicts(author.ids, known.get(a, {}))]
        return min(eligible) if len(eligible) == 1 else None

    def _claim(self, author_id: int, author: r.AuthorRecord, work_ids: list[int]) -> None:
        """Record that the author's record lists these works, and point the matching authorship of
        each at this author (or add one where the work has no author list)."""
        family = family_name(author.name)
        pins = self._pins(sorted(set(work_ids)))
        # A user's split says who this family name is on a work; the record does not overrule it.
        work_ids = [w for w in work_ids if pins.get(w, {}).get(family, author_id) == author_id]
        claims = [
            {"author_id": author_id, "work_id": w, "source": self.ctx.source, "seen_at": self.now}
            for w in sorted(set(work_ids))
        ]
        if claims:
            upsert(self.conn, t.author_works, claims, ["author_id", "work_id", "source"])
        for work_id in sorted(set(work_ids)):
            rows = self.conn.execute(
                select(t.authorships.c.position, t.authorships.c.name, t.authorships.c.author_id).where(
                    t.authorships.c.work_id == work_id
                )
            ).all()
            match = [(pos, before) for pos, name, before in rows if family_name(name) == family]
            if len(match) == 1:
                position, before = match[0]
                if before != author_id:  # the work leaves that author's profile
                    self.conn.execute(delete(t.author_metrics).where(t.author_metrics.c.author_id == before))
                self.conn.execute(
                    update(t.authorships)
                    .where(t.authorships.c.work_id == work_id, t.authorships.c.position == position)
                    .values(author_id=author_id)
                )
            elif not rows:
                self.conn.execute(
                    insert(t.authorships).values(
                        work_id=work_id,
                        position=1,
                        author_id=author_id,
                        name=author.name,
                        affiliations=None,
                        source=self.ctx.source,
                    )
                )

    # ---------------------------------------------------------------- citation edges
    def _citation(self, source: str, citation: r.CitationRecord) -> None:
        citing = self._works_for([citation.citing])
        scheme = next((s for s in work_identity.ID_SCHEMES if citation.cited.ids.get(s)), None)
        if not citing or scheme is None:
            return
        row = {
            "citing_id": citing[0],
            "cited_scheme": scheme,
            "cited_value": citation.cited.ids[scheme],
            "source": source,
            "is_influential": citation.is_influential,
            "intents": _json(citation.intents),
            "seen_at": self.now,
        }
        upsert(self.conn, t.citation_edges, [row], ["citing_id", "cited_scheme", "cited_value", "source"])
        self.counts.citations += 1

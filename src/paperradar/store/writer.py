"""Writing a batch of parsed items into the store in one transaction.

The writer is set-oriented: a batch of a few thousand records costs a handful of
queries (look up every key at once, insert every new row at once), which is what makes
a multi-million-line bulk import fast, while the same code path handles the rare cases
(a record that matches an existing work, two existing works that turn out to be one).
It is one of three parts: :mod:`~paperradar.store.resolution` decides which work and which
person each record is (reads only), :mod:`~paperradar.store.statements` builds the rows
(pure functions), and this module writes them.

Per batch:

0. set aside the records that are new works beyond doubt (none of their keys is stored or
   shared within the batch): their rows are written as they come, ready-made by a parse
   worker (:class:`~paperradar.records.PreparedWork`) or prepared here; this is a bulk
   import's common case;
1. resolve every other work record to an existing work, a new work, or a merge of several
   (:mod:`paperradar.identity.works` says which keys count and when they conflict);
2. fold each source's new statement into what that source said before, by as-of date;
   unchanged views cost nothing more;
3. write displayed rows, ids, versions, per-source facts (citations, code, community);
4. resolve the displayed authors of changed works and rewrite their authorships;
5. attach author entities (S2 / OpenAlex authors) with their reported metrics.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from sqlalchemy import Connection, Table, bindparam, delete, exists, insert, select, update

from paperradar import records as r
from paperradar.identity import authors as author_identity
from paperradar.identity import works as work_identity
from paperradar.identity.ids import family_name
from paperradar.store import resolution
from paperradar.store import schema as t
from paperradar.store import statements as st
from paperradar.store.resolution import AuthorPlan, Entity
from paperradar.store.sql import (
    allocate_ids,
    chunks,
    insert_rows,
    insert_tuples,
    meta_number,
    set_meta_number,
    upsert,
    utc,
)
from paperradar.store.statements import Statement


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


class BatchWriter:
    """Writes one batch in the caller's transaction; :attr:`changes` then says what it changed."""

    def __init__(self, conn: Connection, ctx: FileContext) -> None:
        self.conn = conn
        self.ctx = ctx
        self.now = dt.datetime.now(dt.UTC)
        self.as_of = utc(ctx.as_of) or self.now  # for records that do not say when they were true
        self.origin = ctx.origin or ctx.file_key
        self.counts = Counts()
        self.revision = 0
        self._shown: dict[int, dict[str, Any]] = {}  # displayed rows of changed works
        self._names: dict[int, str] = {}  # their author names, for the keyword index
        self._dropped: list[int] = []
        self._created: set[int] = set()  # works inserted by this batch: they have no authorships yet

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
        edge_ends: set[int] = set()  # those queued only as an edge's end
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
                        listed.add(id(end))
                        edge_ends.add(id(end))
            elif isinstance(rec, r.OrganisationRecord):
                self._organisation(item.source, rec)
                self.counts.organisations += 1
            elif isinstance(rec, r.Note):
                self.counts.notes.append(rec.text)
            else:
                skipped.append(item)
        self._quarantine(problems, skipped)
        fresh, others, other_keys, hits = resolution.split_fresh(self.conn, work_items)
        fresh_authors = self._write_fresh(fresh)
        resolved = resolution.resolve(self.conn, others, other_keys, hits, edge_ends)
        self.counts.id_conflicts += resolved.id_conflicts
        for keep, drop, source in resolved.merges:
            self._merge_works(keep, drop, source)
        changed = self._write_works(resolved.entities)
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
        value = meta_number(self.conn, "revision") + 1
        set_meta_number(self.conn, "revision", value)
        return value

    # ---------------------------------------------------------------- what is not stored
    def _quarantine(self, problems: list[r.Item], skipped: list[r.Item]) -> None:
        """Keep what was not stored, with where and why: unreadable items, and skipped records."""
        rows = [
            {
                "source": item.source,
                "file": self.ctx.file,
                "file_key": self.ctx.file_key,
                "location": item.location,
                "position": item.position,
                "reason": st.why_not_stored(item),
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

    # ---------------------------------------------------------------- new works beyond doubt
    def _write_fresh(self, fresh: list[tuple[str, r.PreparedWork]]) -> list[AuthorPlan]:
        """Insert new works' rows as prepared; return their author lists to resolve."""
        if not fresh:
            return []
        work_ids = allocate_ids(self.conn, t.works, len(fresh), retired=t.work_merges.c.dropped_id)
        now, revision, origin = self.now, self.revision, self.origin
        works: list[tuple[Any, ...]] = []
        keys: list[tuple[Any, ...]] = []
        sources: list[tuple[Any, ...]] = []
        versions: list[tuple[Any, ...]] = []
        plans: list[AuthorPlan] = []
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
        insert_tuples(self.conn, t.works, st.FRESH_WORK_COLUMNS, works)
        insert_tuples(self.conn, t.work_ids, st.WORK_ID_COLUMNS, keys, "ignore")
        insert_tuples(self.conn, t.work_sources, st.SOURCE_COLUMNS, sources)
        insert_tuples(self.conn, t.work_versions, st.VERSION_COLUMNS, versions, "ignore")
        return plans

    # ---------------------------------------------------------------- merging two stored works
    def _merge_works(self, keep: int, drop: int, source: str) -> None:
        conn = self.conn
        self.counts.works_merged += 1
        kept = self._stored_views([keep]).get(keep, {})
        for src, origins in self._stored_views([drop]).get(drop, {}).items():
            kept_origins = {statement.origin: statement.record for statement in kept.get(src, [])}
            for origin, _, as_of, rec in origins:
                if origin in kept_origins:  # the same file described both: keep both statements
                    both = st.combine(rec, kept_origins[origin])
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

    def _restated(
        self, before: dict[str, list[Statement]], views: dict[str, r.WorkRecord]
    ) -> tuple[dict[str, r.WorkRecord], dict[str, Statement]]:
        """A stored work's effective views once this origin's statements are added, and the
        statements that change something (nothing for what the store already says)."""
        after = {source: st.fold(origins) for source, origins in before.items()}
        mine: dict[str, Statement] = {}
        for source, view in views.items():
            origins = list(before.get(source, []))
            said = next((i for i, s in enumerate(origins) if s.origin == self.origin), None)
            if said is None:
                statement = Statement(self.origin, self.now, view.as_of or self.as_of, view)
                origins.append(statement)
                effective = st.fold(origins)
                if source in after and st.same(effective, after[source]):
                    continue  # another file said the same (or an older file, nothing newer)
            else:
                old = origins[said]
                merged = st.combine(old.record, view)
                if st.same(merged, old.record):
                    continue  # this file said exactly this before
                statement = Statement(self.origin, old.first_seen, merged.as_of or old.as_of, merged)
                origins[said] = statement
                effective = st.fold(origins)
            mine[source] = statement
            after[source] = effective
        return after, mine

    def _write_works(self, entities: dict[int, Entity]) -> dict[int, dict[str, r.WorkRecord]]:
        """Write views, displayed rows and per-source facts; return the changed works' full views."""
        existing_ids = [e.id for e in entities.values() if e.id > 0]
        stored = self._stored_views(existing_ids) if existing_ids else {}
        changed: dict[int, dict[str, r.WorkRecord]] = {}  # work → effective view per source
        statements: dict[int, dict[str, Statement]] = {}  # work → this origin's changed statements
        new_entities: list[Entity] = []
        for entity in entities.values():
            if not entity.kinds:
                continue  # a stored work this batch's records turned out not to match
            if entity.id < 0:
                new_entities.append(entity)
                self.counts.new += 1
                self.counts.merged += len(entity.kinds) - 1
                continue
            before = stored.get(entity.id, {})
            after, mine = self._restated(before, entity.views)
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
        if new_entities:
            self._insert_works(new_entities, changed, statements)
        self._write_ids(entities)
        self._write_sources(changed, statements)
        return changed

    def _insert_works(
        self,
        new_entities: list[Entity],
        changed: dict[int, dict[str, r.WorkRecord]],
        statements: dict[int, dict[str, Statement]],
    ) -> None:
        """Insert the displayed rows of new works and learn their ids."""
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
                source: Statement(self.origin, self.now, view.as_of or self.as_of, view)
                for source, view in entity.views.items()
            }

    def _write_ids(self, entities: dict[int, Entity]) -> None:
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
        references: list[dict[str, Any]] = []
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
                versions.extend(st.version_rows(work_id, source, view))
                codes.extend(st.code_rows(work_id, source, view, self.now))
                if (count := st.count_row(work_id, source, view, self.as_of)) is not None:
                    counts.append(count)
                if view.community is not None:
                    org = st.hf_organisation(view.community)
                    org_id = self._organisation(source, org) if org is not None else None
                    community.append(st.community_row(work_id, source, view.community, org_id, self.now))
                references.extend(st.reference_rows(work_id, source, view.references, self.now))
        upsert(self.conn, t.work_sources, source_rows, ["work_id", "source", "origin"])
        insert_rows(self.conn, t.work_versions, versions, "ignore")
        upsert(self.conn, t.code_links, codes, ["work_id", "source", "url"])
        upsert(self.conn, t.citation_counts, counts, ["work_id", "source"])
        upsert(self.conn, t.community, community, ["work_id", "source"])
        if references:
            insert_rows(self.conn, t.citation_edges, references, "ignore")

    def _organisation(self, source: str, org: r.OrganisationRecord) -> int:
        row = st.organisation_row(source, org, self.now)
        upsert(self.conn, t.organisations, [row], ["key"])
        found = self.conn.execute(
            select(t.organisations.c.id).where(t.organisations.c.key == row["key"])
        ).scalar_one()
        return int(found)

    # ---------------------------------------------------------------- authorships
    def _write_authorships(
        self, changed: dict[int, dict[str, r.WorkRecord]], fresh: list[AuthorPlan]
    ) -> None:
        """Write the authorships of new works and rewrite those of changed works, from their
        displayed author lists."""
        plans = list(fresh)
        for work_id, views in changed.items():
            shown = st.displayed_authors(views)
            if shown is not None:
                plans.append((work_id, *shown))
        if not plans:
            return
        for work_id, _, refs in plans:
            self._names[work_id] = " ; ".join(ref.name for ref in refs)
        rewritten = [work_id for work_id, _, _ in plans if work_id not in self._created]
        previous = resolution.current_authorships(self.conn, rewritten)
        people = resolution.resolve_people(self.conn, plans, previous, self._created)
        resolved = people.resolved
        if people.new:
            created = allocate_ids(self.conn, t.authors, len(people.new))
            rows = [
                {"id": author_id, "name": p.name, "name_key": p.name_key or "?", "created_at": self.now}
                for p, author_id in zip(people.new, created, strict=True)
            ]
            insert_rows(self.conn, t.authors, rows)
            self.counts.authors_new += len(created)
            for person, author_id in zip(people.new, created, strict=True):
                resolved.update((slot, author_id) for slot in person.slots)
                people.attach.extend((author_id, s, v) for s, vs in person.ids.items() for v in vs)
        self._attach_author_ids(people.attach)
        for chunk in chunks(rewritten):
            self.conn.execute(delete(t.authorships).where(t.authorships.c.work_id.in_(chunk)))
        rows_ = [
            (work_id, pos + 1, resolved[(work_id, pos)], ref.name, st.to_json(ref.affiliations), source)
            for work_id, source, refs in plans
            for pos, ref in enumerate(refs)
        ]
        insert_tuples(self.conn, t.authorships, st.AUTHORSHIP_COLUMNS, rows_)

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
        claimed = resolution.works_for(self.conn, author.works)
        author_id = resolution.author_of_record(self.conn, author, claimed)
        if author_id is None:
            key = author_identity.name_key(author.name)
            author_id = self.conn.execute(
                insert(t.authors)
                .values(name=author.name, name_key=key or "?", created_at=self.now)
                .returning(t.authors.c.id)
            ).scalar_one()
            self.counts.authors_new += 1
        self._attach_author_ids([(author_id, s, v) for s, v in author.ids.items()])
        ar = t.author_reports.c
        held = self.conn.execute(
            select(t.author_reports).where(ar.author_id == author_id, ar.source == source)
        ).first()
        row = st.report_row(author_id, source, author, held, author.as_of or self.as_of, self.now)
        upsert(self.conn, t.author_reports, [row], ["author_id", "source"])
        self._claim(author_id, author, claimed)
        # Its works may not have changed, so ``metrics refresh`` would not see it: drop the stale row.
        self.conn.execute(delete(t.author_metrics).where(t.author_metrics.c.author_id == author_id))
        self.counts.authors += 1

    def _claim(self, author_id: int, author: r.AuthorRecord, work_ids: list[int]) -> None:
        """Record that the author's record lists these works, and point the matching authorship of
        each at this author (or add one where the work has no author list)."""
        family = family_name(author.name)
        pins = resolution.user_pins(self.conn, sorted(set(work_ids)))
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
        citing = resolution.works_for(self.conn, [citation.citing])
        scheme = next((s for s in work_identity.ID_SCHEMES if citation.cited.ids.get(s)), None)
        if not citing or scheme is None:
            return
        row = {
            "citing_id": citing[0],
            "cited_scheme": scheme,
            "cited_value": citation.cited.ids[scheme],
            "source": source,
            "is_influential": citation.is_influential,
            "intents": st.to_json(citation.intents),
            "seen_at": self.now,
        }
        upsert(self.conn, t.citation_edges, [row], ["citing_id", "cited_scheme", "cited_value", "source"])
        self.counts.citations += 1

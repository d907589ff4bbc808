"""The database schema (SQLAlchemy Core), identical on SQLite and PostgreSQL.

Design rules:

* **Every source keeps its own view.** ``work_sources`` holds each source's normalised
  record of a work (JSON) with when it was seen; the columns of ``works`` are only the
  *displayed* values, folded from those views by a documented precedence
  (:mod:`paperradar.identity.works`). Nothing a source said is lost by a merge.
* **Identifiers are data.** ``work_ids`` / ``author_ids`` map every external id
  (arXiv, DOI, S2, OpenAlex, ORCID, …) to one internal id; merging two works re-points them.
* **Facts with provenance.** Citation counts, code links, community data and reported
  author metrics are stored per source with an as-of time, never overwritten by another source.
* JSON payloads are stored as text (orjson) so that both backends behave the same.
* Small tables keyed by a composite primary key are ``WITHOUT ROWID`` on SQLite: one B-tree
  instead of a table plus its key index, which nearly halves what a bulk import writes.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ingest_runs = Table(
    "ingest_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),  # "import", later "sync"
    Column("target", Text, nullable=False),  # file path or sync description
    Column("format", String(64)),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),  # running | done | failed
    Column("counts", Text),  # JSON summary
    Column("message", Text),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("key", String(512), primary_key=True),  # e.g. "import:<file fingerprint>"
    Column("position", Integer, nullable=False),  # last committed item position
    Column("done", Boolean, nullable=False, default=False),
    Column("state", Text),  # JSON: counts so far, resumption tokens…
    Column("run_id", Integer, ForeignKey("ingest_runs.id")),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    sqlite_with_rowid=False,
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(32), nullable=False),
    Column("file", Text, nullable=False),
    Column("file_key", String(128), nullable=False),  # content fingerprint: re-imports do not duplicate
    Column("location", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("raw", Text),
    Column("run_id", Integer, ForeignKey("ingest_runs.id")),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    # "quarantined": unreadable, with why; "skipped": read, but of a kind paperradar does not store
    # (an OpenAlex concept, a reference S2 could not resolve), with why. One item may yield several.
    Column("kind", String(16), nullable=False, server_default="quarantined"),
    UniqueConstraint("file_key", "position", "location", name="uq_quarantine_file_position_location"),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    sqlite_with_rowid=False,
)

works = Table(
    "works",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("arxiv_id", String(64)),  # displayed ids; look-ups go through work_ids
    Column("doi", String(255)),
    Column("title", Text),
    Column("title_key", Text),  # normalised title, for matching and sorting
    Column("abstract", Text),
    Column("primary_category", String(32)),
    Column("categories", Text),  # space separated, arXiv style
    Column("comments", Text),
    Column("journal_ref", Text),
    Column("license", Text),
    Column("venue", Text),
    Column("published", Date, index=True),
    Column("updated", Date),
    Column("year", Integer),
    Column("latest_version", String(8)),
    Column("n_authors", Integer),
    Column("has_code", Boolean, nullable=False, default=False),  # a code link or a repository URL
    Column("sources", Text, nullable=False),  # space separated source names, for stats and filters
    Column("revision", Integer, nullable=False, index=True),  # store revision of the last change
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

work_ids = Table(
    "work_ids",
    metadata,
    Column("scheme", String(16), primary_key=True),  # arxiv, doi, s2, openalex, mag, …, title
    Column("value", String(512), primary_key=True),
    Column("work_id", Integer, ForeignKey("works.id"), nullable=False, index=True),
    Column("source", String(32), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    sqlite_with_rowid=False,
)

work_sources = Table(
    "work_sources",
    metadata,
    Column("work_id", Integer, ForeignKey("works.id"), primary_key=True),
    Column("source", String(32), primary_key=True),
    # Where the view came from (an imported file's fingerprint, a sync stream): each origin keeps
    # its own statement, so re-importing an older file never undoes a newer one. A source's
    # effective view folds its origins by ``as_of``, the freshest statement winning.
    Column("origin", String(64), primary_key=True),
    Column("record", Text, nullable=False),  # the normalised WorkRecord, JSON
    Column("run_id", Integer, ForeignKey("ingest_runs.id")),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    # When the statement was true: the record's own date (OpenAlex updated_date, OAI datestamp, an
    # S2 answer's retrieval time), else ``import --as-of``, else the import time.
    Column("as_of", DateTime(timezone=True)),
)

work_versions = Table(
    "work_versions",
    metadata,
    Column("work_id", Integer, ForeignKey("works.id"), primary_key=True),
    Column("version", String(8), primary_key=True),
    Column("date", DateTime(timezone=True)),
    Column("size", String(32)),
    Column("source", String(32), nullable=False),
    sqlite_with_rowid=False,
)

work_merges = Table(
    "work_merges",
    metadata,
    Column("dropped_id", Integer, primary_key=True),  # old internal id, kept so links keep working
    Column("kept_id", Integer, ForeignKey("works.id"), nullable=False, index=True),
    Column("reason", Text, nullable=False),
    Column("source", String(32), nullable=False),
    Column("revision", Integer, nullable=False, index=True),
    Column("merged_at", DateTime(timezone=True), nullable=False),
)

authors = Table(
    "authors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("name_key", String(255), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Set when this author was merged into another (``author merge``): the row stays so that
    # its name and old id keep leading to the person, in look-ups and in every later import.
    # (No foreign key: adding one would make SQLite copy the whole table in the migration.)
    Column("merged_into", Integer, index=True),
)

author_ids = Table(
    "author_ids",
    metadata,
    Column("scheme", String(16), primary_key=True),  # orcid, openalex, s2, hf
    Column("value", String(255), primary_key=True),
    Column("author_id", Integer, ForeignKey("authors.id"), nullable=False, index=True),
    Column("source", String(32), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    sqlite_with_rowid=False,
)

author_reports = Table(
    "author_reports",
    metadata,
    Column("author_id", Integer, ForeignKey("authors.id"), primary_key=True),
    Column("source", String(32), primary_key=True),
    Column("name", Text),
    Column("h_index", Integer),
    Column("i10_index", Integer),
    Column("works_count", Integer),
    Column("citation_count", Integer),
    Column("counts_by_year", Text),  # JSON {year: count}
    Column("affiliations", Text),  # JSON list
    Column("record", Text),  # the rest of the source's author record, JSON
    Column("seen_at", DateTime(timezone=True), nullable=False),
    # JSON {figure: ISO time}: when each figure above was true. Statements of one source are merged
    # figure by figure, the freshest winning; a figure a statement lacks keeps its older value.
    Column("as_of", Text),
)

authorships = Table(
    "authorships",
    metadata,
    Column("work_id", Integer, ForeignKey("works.id"), primary_key=True),
    Column("position", Integer, primary_key=True),  # 1-based
    Column("author_id", Integer, ForeignKey("authors.id"), nullable=False, index=True),
    Column("name", Text, nullable=False),  # as written on this work
    Column("affiliations", Text),  # JSON list of strings
    Column("source", String(32), nullable=False),
    sqlite_with_rowid=False,
)

organisations = Table(
    "organisations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(255), nullable=False, unique=True),  # "hf:CohereLabs", "openalex:I27837315"
    Column("name", Text, nullable=False),
    Column("short_name", Text),
    Column("country", String(8)),
    Column("kind", String(32)),
    Column("homepage", Text),
    Column("source", String(32), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)

code_links = Table(
    "code_links",
    metadata,
    Column("work_id", Integer, ForeignKey("works.id"), primary_key=True),
    Column("source", String(32), primary_key=True),
    Column("url", String(512), primary_key=True),  # "" when a source only says code exists
    Column("is_official", Boolean),
    Column("framework", String(32)),
    Column("stars", Integer),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    sqlite_with_rowid=False,
)

citation_counts = Table(
    "citation_counts",
    metadata,
    Column("work_id", Integer, ForeignKey("works.id"), primary_key=True),
    Column("source", String(32), primary_key=True),
    Column("citations", Integer),
    Column("influential", Integer),
    Column("references", Integer),
    Column("counts_by_year", Text),  # JSON {year: count}
    Column("as_of", DateTime(timezone=True), nullable=False),
    sqlite_with_rowid=False,
)

citation_edges = Table(
    "citation_edges",
    metadata,
    Column("citing_id", Integer, ForeignKey("works.id"), primary_key=True),
    # The cited work by external id: resolved through work_ids at query time, so a
    # reference to a work imported later links up without rewriting edges.
    Column("cited_scheme", String(16), primary_key=True),
    Column("cited_value", String(512), primary_key=True),
    Column("source", String(32), primary_key=True),
    Column("is_influential", Boolean),
    Column("intents", Text),  # JSON list
    Column("seen_at", DateTime(timezone=True), nullable=False),
    Index("ix_citation_edges_cited", "cited_scheme", "cited_value"),
    sqlite_with_rowid=False,
)

community = Table(
    "community",
    metadata,
    Column("work_id", Integer, ForeignKey("works.id"), primary_key=True),
    Column("source", String(32), primary_key=True),
    Column("featured_day", Date, index=True),
    Column("upvotes", Integer),
    Column("comments", Integer),
    Column("submitter", String(255)),
    Column("submitter_name", Text),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), index=True),
    Column("ai_summary", Text),
    Column("ai_keywords", Text),  # JSON list
    Column("project_page", Text),
    Column("n_authors", Integer),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    sqlite_with_rowid=False,
)

embeddings = Table(
    "embeddings",
    metadata,
    # One vector per work: the store keeps them because computing them is the slow part (hours
    # at arXiv scale); the vector index beside the database is derived from these rows.
    Column("work_id", Integer, ForeignKey("works.id"), primary_key=True),
    Column("model", String(128), nullable=False),  # model, version and settings (search.embeddings)
    Column("text_hash", String(32), nullable=False),  # of the embedded text: unchanged text, no re-embedding
    Column("vector", LargeBinary, nullable=False),  # float16, little-endian
    Column("revision", Integer, nullable=False),  # the work's revision when embedded
    Column("batch", Integer, nullable=False, index=True),  # embedding batch: the vector index follows it
    Column("embedded_at", DateTime(timezone=True), nullable=False),
)

author_works = Table(
    "author_works",
    metadata,
    # A source's author record lists this work (an S2 author's papers, a captured profile): the
    # work is the author's even when the displayed author list does not show the person by name
    # (a card that stops at "et al.").
    Column("author_id", Integer, ForeignKey("authors.id"), primary_key=True),
    Column("work_id", Integer, ForeignKey("works.id"), primary_key=True, index=True),
    Column("source", String(32), primary_key=True),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    sqlite_with_rowid=False,
)

author_pins = Table(
    "author_pins",
    metadata,
    # A user's decision (``author split``): on this work, the author of this family name is this
    # person. Pins win over every automatic rule, so they survive any later import.
    Column("work_id", Integer, ForeignKey("works.id"), primary_key=True),
    Column("family", String(255), primary_key=True),
    Column("author_id", Integer, ForeignKey("authors.id"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    sqlite_with_rowid=False,
)

author_overrides = Table(
    "author_overrides",
    metadata,
    # The log of identity decisions, newest last: what was merged or split, and when.
    Column("id", Integer, primary_key=True),
    Column("action", String(16), nullable=False),  # merge | split (a user's) · variant (automatic)
    Column("author_id", Integer, ForeignKey("authors.id"), nullable=False),  # kept / split from
    Column("other_id", Integer, ForeignKey("authors.id"), nullable=False),  # merged in / split off
    Column("works", Text),  # JSON list of work ids moved by a split
    Column("created_at", DateTime(timezone=True), nullable=False),
)

work_novelty = Table(
    "work_novelty",
    metadata,
    # Paper novelty (docs/metrics.md): 1 − mean cosine similarity to the k nearest earlier works of the
    # same primary category in the previous 24 months, and its percentile within (category, month).
    Column("work_id", Integer, ForeignKey("works.id"), primary_key=True),
    Column("model", String(128), nullable=False),  # the embedding model the score rests on
    Column("category", String(32), nullable=False),
    Column("month", String(7), nullable=False),  # YYYY-MM of the work's first version
    Column("novelty", Float),  # None: no earlier work to compare with
    Column("neighbours", Integer, nullable=False),  # earlier works the score rests on (≤ k)
    Column("percentile", Float),
    Column("graded_among", Integer),  # scored papers of the (category, month): the percentile's base
    Column("computed_at", DateTime(timezone=True), nullable=False),
    Index("ix_work_novelty_category_month", "category", "month"),
)

author_metrics = Table(
    "author_metrics",
    metadata,
    # Every author's computed figures at the last ``metrics refresh``: the peer distributions of
    # the AI Score are drawn from these rows (a profile itself is computed live).
    Column("author_id", Integer, ForeignKey("authors.id"), primary_key=True),
    Column("main_category", String(32), index=True),
    Column("works", Integer, nullable=False),
    Column("cited_works", Integer, nullable=False),  # works with citation data
    Column("h_index", Integer),
    Column("i10_index", Integer),
    Column("citations", Integer),
    Column("citations_per_year", Float),  # mean over the last five years
    Column("novelty", Float),  # Novelty %
    Column("code_rate", Float, nullable=False),
    Column("upvotes", Integer, nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
)

metric_distributions = Table(
    "metric_distributions",
    metadata,
    # Per main category and metric: the distinct values among peers and how many hold each,
    # so an author's percentile can be read off without scanning every author.
    Column("category", String(32), primary_key=True),
    Column("metric", String(32), primary_key=True),
    Column("authors", Integer, nullable=False),
    Column("histogram", Text, nullable=False),  # JSON [[value, count], …], values ascending
    Column("computed_at", DateTime(timezone=True), nullable=False),
    sqlite_with_rowid=False,
)

votes = Table(
    "votes",
    metadata,
    # Local upvotes: one per user and work (the key makes a second vote a no-op, under any
    # concurrency). Hugging Face's counts stay in ``community``, as their own source.
    Column("work_id", Integer, ForeignKey("works.id"), primary_key=True),
    Column("voter", String(255), primary_key=True),  # a user name
    Column("voted_at", DateTime(timezone=True), nullable=False, index=True),
    sqlite_with_rowid=False,
)

submissions = Table(
    "submissions",
    metadata,
    # A paper a local user put on a day's feed (the first submission of a work counts).
    Column("work_id", Integer, ForeignKey("works.id"), primary_key=True),
    Column("submitter", String(255), nullable=False),  # a user name
    Column("day", Date, nullable=False, index=True),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
)

organisation_members = Table(
    "organisation_members",
    metadata,
    Column("organisation_id", Integer, ForeignKey("organisations.id"), primary_key=True),
    Column("member", String(255), primary_key=True),  # a user name
    Column("role", String(16), nullable=False),  # admin | member
    Column("joined_at", DateTime(timezone=True), nullable=False),
    sqlite_with_rowid=False,
)

work_organisations = Table(
    "work_organisations",
    metadata,
    # A paper a member tagged to an organisation (Hugging Face's own tags stay in ``community``).
    Column("work_id", Integer, ForeignKey("works.id"), primary_key=True),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), primary_key=True, index=True),
    Column("tagged_by", String(255), nullable=False),
    Column("tagged_at", DateTime(timezone=True), nullable=False),
    sqlite_with_rowid=False,
)

users = Table(
    "users",
    metadata,
    # Accounts for a shared server. With none (and the app bound to localhost) the app runs as
    # one local user with no login.
    Column("name", String(255), primary_key=True),  # what votes, saves and members refer to
    Column("email", String(320)),
    Column("password_hash", Text, nullable=False),  # argon2id, with its parameters
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_login_at", DateTime(timezone=True)),
)

sessions = Table(
    "sessions",
    metadata,
    # A signed-in browser: only the SHA-256 of its cookie is kept, so a copy of the database
    # cannot sign anyone in; logging out deletes the row.
    Column("token_hash", String(64), primary_key=True),
    Column(
        "user_name", String(255), ForeignKey("users.name", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

settings = Table(
    "settings",
    metadata,
    # Values the app generates once and keeps (the key that signs CSRF tokens and links).
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

library = Table(
    "library",
    metadata,
    # A user's saved papers: the positives a user's recommendations learn from.
    Column("owner", String(255), primary_key=True),  # a user name
    Column("work_id", Integer, ForeignKey("works.id"), primary_key=True, index=True),
    Column("saved_at", DateTime(timezone=True), nullable=False),
    Column("note", Text),
    Column("read_at", DateTime(timezone=True)),  # None: not read yet
    Column("origin", String(32), nullable=False, default="saved"),  # saved | bibtex | csl-json
    sqlite_with_rowid=False,
)

library_tags = Table(
    "library_tags",
    metadata,
    Column("owner", String(255), primary_key=True),
    Column("work_id", Integer, ForeignKey("works.id"), primary_key=True, index=True),
    Column("tag", String(100), primary_key=True),
    Index("ix_library_tags_owner_tag", "owner", "tag"),
    sqlite_with_rowid=False,
)

dislikes = Table(
    "dislikes",
    metadata,
    # "Not for me": the explicit negatives of a user's recommendations.
    Column("owner", String(255), primary_key=True),
    Column("work_id", Integer, ForeignKey("works.id"), primary_key=True, index=True),
    Column("disliked_at", DateTime(timezone=True), nullable=False),
    sqlite_with_rowid=False,
)

subscriptions = Table(
    "subscriptions",
    metadata,
    # A digest a user asked for: kind = daily-trending | weekly-trending | personal | author |
    # search; target = the author id or the query, for those two.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner", String(255), nullable=False, index=True),
    Column("email", String(320), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("target", Text, nullable=False, default=""),
    Column("period", String(8), nullable=False),  # daily | weekly
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("unsubscribed_at", DateTime(timezone=True)),  # None: active
    # When the address was confirmed (double opt-in); None: awaiting its owner's click, not sent.
    Column("confirmed_at", DateTime(timezone=True)),
    UniqueConstraint("owner", "kind", "target", "period", name="uq_subscriptions_what"),
)

digest_confirmations = Table(
    "digest_confirmations",
    metadata,
    # Each confirmation email sent (for a subscription to an address its owner has yet to
    # confirm): counted per address and per user over the last day, so mail cannot be bombed.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "subscription_id",
        Integer,
        ForeignKey("subscriptions.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("address", String(320), nullable=False, index=True),  # lower case
    Column("sent_at", DateTime(timezone=True), nullable=False),
)

digest_sends = Table(
    "digest_sends",
    metadata,
    # The send log: one row per subscription and period (e.g. 2026-12-01, 2026-W49), so a digest
    # goes out once however often the job runs; failed sends are retried by the next run.
    Column("subscription_id", Integer, ForeignKey("subscriptions.id"), primary_key=True),
    Column("period_key", String(16), primary_key=True),
    Column("status", String(16), nullable=False),  # sending | sent | failed | empty
    Column("attempts", Integer, nullable=False, default=0),
    Column("papers", Integer, nullable=False, default=0),
    Column("message_id", String(255)),
    Column("error", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Tables whose rows hang off a work: re-pointed when two works merge.
WORK_CHILD_TABLES = (
    work_ids,
    work_sources,
    work_versions,
    code_links,
    citation_counts,
    community,
    embeddings,
    author_works,
    author_pins,
    work_novelty,
    votes,
    submissions,
    work_organisations,
    library,
    library_tags,
    dislikes,
)

# Tables whose rows hang off an author: re-pointed when a user merges two authors.
AUTHOR_CHILD_TABLES = (author_ids, author_reports, authorships, author_works, author_pins, author_metrics)

"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 16:01:11.821561
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    _catalogue()
    _work_tables()
    _signal_tables()
    _author_tables()
    _import_tables()


def _catalogue() -> None:
    """Tables the others refer to: works, authors, organisations, and the run bookkeeping."""
    op.create_table(
        "authors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_key", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authors")),
    )
    with op.batch_alter_table("authors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_authors_name_key"), ["name_key"], unique=False)
    op.create_table(
        "ingest_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("counts", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_runs")),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_meta")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("short_name", sa.Text(), nullable=True),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("homepage", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("key", name=op.f("uq_organisations_key")),
    )
    op.create_table(
        "works",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("arxiv_id", sa.String(length=64), nullable=True),
        sa.Column("doi", sa.String(length=255), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("title_key", sa.Text(), nullable=True),
        sa.Column("abstract", sa.Text(), nullable=True),
        sa.Column("primary_category", sa.String(length=32), nullable=True),
        sa.Column("categories", sa.Text(), nullable=True),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("journal_ref", sa.Text(), nullable=True),
        sa.Column("license", sa.Text(), nullable=True),
        sa.Column("venue", sa.Text(), nullable=True),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("updated", sa.Date(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("latest_version", sa.String(length=8), nullable=True),
        sa.Column("n_authors", sa.Integer(), nullable=True),
        sa.Column("sources", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_works")),
    )
    with op.batch_alter_table("works", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_works_published"), ["published"], unique=False)
        batch_op.create_index(batch_op.f("ix_works_revision"), ["revision"], unique=False)


def _work_tables() -> None:
    """What is known of each work: ids, merges, each source's view, versions, citations, code."""
    op.create_table(
        "work_ids",
        sa.Column("scheme", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=512), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"], name=op.f("fk_work_ids_work_id_works")),
        sa.PrimaryKeyConstraint("scheme", "value", name=op.f("pk_work_ids")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("work_ids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_ids_work_id"), ["work_id"], unique=False)
    op.create_table(
        "work_merges",
        sa.Column("dropped_id", sa.Integer(), nullable=False),
        sa.Column("kept_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["kept_id"], ["works.id"], name=op.f("fk_work_merges_kept_id_works")),
        sa.PrimaryKeyConstraint("dropped_id", name=op.f("pk_work_merges")),
    )
    with op.batch_alter_table("work_merges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_merges_kept_id"), ["kept_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_merges_revision"), ["revision"], unique=False)
    op.create_table(
        "work_sources",
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("origin", sa.String(length=64), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["ingest_runs.id"], name=op.f("fk_work_sources_run_id_ingest_runs")
        ),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"], name=op.f("fk_work_sources_work_id_works")),
        sa.PrimaryKeyConstraint("work_id", "source", "origin", name=op.f("pk_work_sources")),
    )
    op.create_table(
        "work_versions",
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=8), nullable=False),
        sa.Column("date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("size", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"], name=op.f("fk_work_versions_work_id_works")),
        sa.PrimaryKeyConstraint("work_id", "version", name=op.f("pk_work_versions")),
        sqlite_with_rowid=False,
    )


def _signal_tables() -> None:
    """Citations, code links and community signals, each per source."""
    op.create_table(
        "citation_counts",
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("citations", sa.Integer(), nullable=True),
        sa.Column("influential", sa.Integer(), nullable=True),
        sa.Column("references", sa.Integer(), nullable=True),
        sa.Column("counts_by_year", sa.Text(), nullable=True),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"], name=op.f("fk_citation_counts_work_id_works")),
        sa.PrimaryKeyConstraint("work_id", "source", name=op.f("pk_citation_counts")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "citation_edges",
        sa.Column("citing_id", sa.Integer(), nullable=False),
        sa.Column("cited_scheme", sa.String(length=16), nullable=False),
        sa.Column("cited_value", sa.String(length=512), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("is_influential", sa.Boolean(), nullable=True),
        sa.Column("intents", sa.Text(), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["citing_id"], ["works.id"], name=op.f("fk_citation_edges_citing_id_works")),
        sa.PrimaryKeyConstraint(
            "citing_id", "cited_scheme", "cited_value", "source", name=op.f("pk_citation_edges")
        ),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("citation_edges", schema=None) as batch_op:
        batch_op.create_index("ix_citation_edges_cited", ["cited_scheme", "cited_value"], unique=False)
    op.create_table(
        "code_links",
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=512), nullable=False),
        sa.Column("is_official", sa.Boolean(), nullable=True),
        sa.Column("framework", sa.String(length=32), nullable=True),
        sa.Column("stars", sa.Integer(), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"], name=op.f("fk_code_links_work_id_works")),
        sa.PrimaryKeyConstraint("work_id", "source", "url", name=op.f("pk_code_links")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "community",
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("featured_day", sa.Date(), nullable=True),
        sa.Column("upvotes", sa.Integer(), nullable=True),
        sa.Column("comments", sa.Integer(), nullable=True),
        sa.Column("submitter", sa.String(length=255), nullable=True),
        sa.Column("submitter_name", sa.Text(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("ai_summary", sa.Text(), nullable=True),
        sa.Column("ai_keywords", sa.Text(), nullable=True),
        sa.Column("project_page", sa.Text(), nullable=True),
        sa.Column("n_authors", sa.Integer(), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_community_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"], name=op.f("fk_community_work_id_works")),
        sa.PrimaryKeyConstraint("work_id", "source", name=op.f("pk_community")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_community_featured_day"), ["featured_day"], unique=False)
        batch_op.create_index(batch_op.f("ix_community_organisation_id"), ["organisation_id"], unique=False)


def _author_tables() -> None:
    """Who wrote what, the ids of authors and the figures sources report about them."""
    op.create_table(
        "author_ids",
        sa.Column("scheme", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["authors.id"], name=op.f("fk_author_ids_author_id_authors")),
        sa.PrimaryKeyConstraint("scheme", "value", name=op.f("pk_author_ids")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("author_ids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_author_ids_author_id"), ["author_id"], unique=False)
    op.create_table(
        "authorships",
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("affiliations", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["authors.id"], name=op.f("fk_authorships_author_id_authors")),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"], name=op.f("fk_authorships_work_id_works")),
        sa.PrimaryKeyConstraint("work_id", "position", name=op.f("pk_authorships")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("authorships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_authorships_author_id"), ["author_id"], unique=False)
    op.create_table(
        "author_reports",
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("h_index", sa.Integer(), nullable=True),
        sa.Column("i10_index", sa.Integer(), nullable=True),
        sa.Column("works_count", sa.Integer(), nullable=True),
        sa.Column("citation_count", sa.Integer(), nullable=True),
        sa.Column("counts_by_year", sa.Text(), nullable=True),
        sa.Column("affiliations", sa.Text(), nullable=True),
        sa.Column("record", sa.Text(), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["authors.id"], name=op.f("fk_author_reports_author_id_authors")
        ),
        sa.PrimaryKeyConstraint("author_id", "source", name=op.f("pk_author_reports")),
    )


def _import_tables() -> None:
    """Resumable imports: checkpoints and the quarantine of unreadable records."""
    op.create_table(
        "checkpoints",
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["ingest_runs.id"], name=op.f("fk_checkpoints_run_id_ingest_runs")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_checkpoints")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("file_key", sa.String(length=128), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["ingest_runs.id"], name=op.f("fk_quarantine_run_id_ingest_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
        sa.UniqueConstraint("file_key", "position", name="uq_quarantine_file_position"),
    )


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_table("work_versions")
    op.drop_table("work_sources")
    with op.batch_alter_table("work_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_merges_revision"))
        batch_op.drop_index(batch_op.f("ix_work_merges_kept_id"))

    op.drop_table("work_merges")
    with op.batch_alter_table("work_ids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_ids_work_id"))

    op.drop_table("work_ids")
    op.drop_table("quarantine")
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_community_featured_day"))

    op.drop_table("community")
    op.drop_table("code_links")
    with op.batch_alter_table("citation_edges", schema=None) as batch_op:
        batch_op.drop_index("ix_citation_edges_cited")

    op.drop_table("citation_edges")
    op.drop_table("citation_counts")
    op.drop_table("checkpoints")
    with op.batch_alter_table("authorships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authorships_author_id"))

    op.drop_table("authorships")
    op.drop_table("author_reports")
    with op.batch_alter_table("author_ids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_author_ids_author_id"))

    op.drop_table("author_ids")
    with op.batch_alter_table("works", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_works_revision"))
        batch_op.drop_index(batch_op.f("ix_works_published"))

    op.drop_table("works")
    op.drop_table("organisations")
    op.drop_table("meta")
    op.drop_table("ingest_runs")
    with op.batch_alter_table("authors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authors_name_key"))

    op.drop_table("authors")
    # ### end Alembic commands ###

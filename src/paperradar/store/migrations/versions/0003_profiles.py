"""profiles: author claims, pins, overrides, novelty, metrics

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 11:28:59
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metric_distributions",
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("authors", sa.Integer(), nullable=False),
        sa.Column("histogram", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("category", "metric", name=op.f("pk_metric_distributions")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "author_metrics",
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("main_category", sa.String(length=32), nullable=True),
        sa.Column("works", sa.Integer(), nullable=False),
        sa.Column("cited_works", sa.Integer(), nullable=False),
        sa.Column("h_index", sa.Integer(), nullable=True),
        sa.Column("i10_index", sa.Integer(), nullable=True),
        sa.Column("citations", sa.Integer(), nullable=True),
        sa.Column("citations_per_year", sa.Float(), nullable=True),
        sa.Column("novelty", sa.Float(), nullable=True),
        sa.Column("code_rate", sa.Float(), nullable=False),
        sa.Column("upvotes", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["authors.id"], name=op.f("fk_author_metrics_author_id_authors")
        ),
        sa.PrimaryKeyConstraint("author_id", name=op.f("pk_author_metrics")),
    )
    with op.batch_alter_table("author_metrics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_author_metrics_main_category"), ["main_category"], unique=False)

    op.create_table(
        "author_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("works", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["authors.id"], name=op.f("fk_author_overrides_author_id_authors")
        ),
        sa.ForeignKeyConstraint(
            ["other_id"], ["authors.id"], name=op.f("fk_author_overrides_other_id_authors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_author_overrides")),
    )
    op.create_table(
        "author_pins",
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(length=255), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["authors.id"], name=op.f("fk_author_pins_author_id_authors")),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"], name=op.f("fk_author_pins_work_id_works")),
        sa.PrimaryKeyConstraint("work_id", "family", name=op.f("pk_author_pins")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("author_pins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_author_pins_author_id"), ["author_id"], unique=False)

    op.create_table(
        "author_works",
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["authors.id"], name=op.f("fk_author_works_author_id_authors")
        ),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"], name=op.f("fk_author_works_work_id_works")),
        sa.PrimaryKeyConstraint("author_id", "work_id", "source", name=op.f("pk_author_works")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("author_works", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_author_works_work_id"), ["work_id"], unique=False)

    op.create_table(
        "work_novelty",
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("novelty", sa.Float(), nullable=True),
        sa.Column("neighbours", sa.Integer(), nullable=False),
        sa.Column("percentile", sa.Float(), nullable=True),
        sa.Column("graded_among", sa.Integer(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"], name=op.f("fk_work_novelty_work_id_works")),
        sa.PrimaryKeyConstraint("work_id", name=op.f("pk_work_novelty")),
    )
    with op.batch_alter_table("work_novelty", schema=None) as batch_op:
        batch_op.create_index("ix_work_novelty_category_month", ["category", "month"], unique=False)

    with op.batch_alter_table("authors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_authors_merged_into"), ["merged_into"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("authors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authors_merged_into"))
        batch_op.drop_column("merged_into")

    with op.batch_alter_table("work_novelty", schema=None) as batch_op:
        batch_op.drop_index("ix_work_novelty_category_month")

    op.drop_table("work_novelty")
    with op.batch_alter_table("author_works", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_author_works_work_id"))

    op.drop_table("author_works")
    with op.batch_alter_table("author_pins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_author_pins_author_id"))

    op.drop_table("author_pins")
    op.drop_table("author_overrides")
    with op.batch_alter_table("author_metrics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_author_metrics_main_category"))

    op.drop_table("author_metrics")
    op.drop_table("metric_distributions")

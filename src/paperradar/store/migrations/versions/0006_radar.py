"""personal radar: library tags, dislikes, digest subscriptions and the send log

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 14:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "library_tags",
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"], name=op.f("fk_library_tags_work_id_works")),
        sa.PrimaryKeyConstraint("owner", "work_id", "tag", name=op.f("pk_library_tags")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("library_tags", schema=None) as batch_op:
        batch_op.create_index("ix_library_tags_owner_tag", ["owner", "tag"], unique=False)
        batch_op.create_index(batch_op.f("ix_library_tags_work_id"), ["work_id"], unique=False)
    op.create_table(
        "dislikes",
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("disliked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"], name=op.f("fk_dislikes_work_id_works")),
        sa.PrimaryKeyConstraint("owner", "work_id", name=op.f("pk_dislikes")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("dislikes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dislikes_work_id"), ["work_id"], unique=False)
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("owner", "kind", "target", "period", name="uq_subscriptions_what"),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subscriptions_owner"), ["owner"], unique=False)
    op.create_table(
        "digest_sends",
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("period_key", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("papers", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_digest_sends_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("subscription_id", "period_key", name=op.f("pk_digest_sends")),
    )


def downgrade() -> None:
    op.drop_table("digest_sends")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriptions_owner"))
    op.drop_table("subscriptions")
    with op.batch_alter_table("dislikes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dislikes_work_id"))
    op.drop_table("dislikes")
    with op.batch_alter_table("library_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_library_tags_work_id"))
        batch_op.drop_index("ix_library_tags_owner_tag")
    op.drop_table("library_tags")

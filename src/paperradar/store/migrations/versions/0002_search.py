"""search: works.has_code and stored embeddings

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 08:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("works", schema=None) as batch_op:
        batch_op.add_column(sa.Column("has_code", sa.Boolean(), nullable=False, server_default=sa.false()))
    # Stores built before this revision: code links and repository URLs in abstracts or comments.
    op.execute(
        "UPDATE works SET has_code = TRUE WHERE EXISTS (SELECT 1 FROM code_links WHERE work_id = works.id)"
        " OR lower(abstract) LIKE '%github.com/%' OR lower(abstract) LIKE '%gitlab.com/%'"
        " OR lower(comments) LIKE '%github.com/%' OR lower(comments) LIKE '%gitlab.com/%'"
    )
    op.create_table(
        "embeddings",
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("text_hash", sa.String(length=32), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("embedded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"], name=op.f("fk_embeddings_work_id_works")),
        sa.PrimaryKeyConstraint("work_id", name=op.f("pk_embeddings")),
    )
    with op.batch_alter_table("embeddings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_embeddings_batch"), ["batch"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("embeddings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_embeddings_batch"))
    op.drop_table("embeddings")
    with op.batch_alter_table("works", schema=None) as batch_op:
        batch_op.drop_column("has_code")

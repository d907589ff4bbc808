"""as-of dates on statements and reported author figures; skipped records kept with their reason

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("work_sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("as_of", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE work_sources SET as_of = first_seen")
    with op.batch_alter_table("author_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("as_of", sa.Text(), nullable=True))
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), server_default="quarantined", nullable=False)
        )
        batch_op.drop_constraint("uq_quarantine_file_position", type_="unique")
        batch_op.create_unique_constraint(
            "uq_quarantine_file_position_location", ["file_key", "position", "location"]
        )


def downgrade() -> None:
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_constraint("uq_quarantine_file_position_location", type_="unique")
        batch_op.create_unique_constraint("uq_quarantine_file_position", ["file_key", "position"])
        batch_op.drop_column("kind")
    with op.batch_alter_table("author_reports", schema=None) as batch_op:
        batch_op.drop_column("as_of")
    with op.batch_alter_table("work_sources", schema=None) as batch_op:
        batch_op.drop_column("as_of")

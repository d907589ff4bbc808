"""digest double opt-in: when a subscription's address was confirmed, and the confirmation emails sent

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 10:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
    # Subscriptions made before confirmation existed stay as they were: confirmed, still sent.
    op.execute("UPDATE subscriptions SET confirmed_at = created_at")
    op.create_table(
        "digest_confirmations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_digest_confirmations_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_confirmations")),
    )
    with op.batch_alter_table("digest_confirmations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digest_confirmations_address"), ["address"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_digest_confirmations_subscription_id"), ["subscription_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("digest_confirmations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_confirmations_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_digest_confirmations_address"))
    op.drop_table("digest_confirmations")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_column("confirmed_at")

"""community: local votes, submissions, organisation members and tagged papers

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 13:10:19
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisation_members",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("member", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_members_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("organisation_id", "member", name=op.f("pk_organisation_members")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "work_organisations",
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("tagged_by", sa.String(length=255), nullable=False),
        sa.Column("tagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_work_organisations_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"], name=op.f("fk_work_organisations_work_id_works")),
        sa.PrimaryKeyConstraint("work_id", "organisation_id", name=op.f("pk_work_organisations")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("work_organisations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_work_organisations_organisation_id"), ["organisation_id"], unique=False
        )
    op.create_table(
        "submissions",
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("submitter", sa.String(length=255), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"], name=op.f("fk_submissions_work_id_works")),
        sa.PrimaryKeyConstraint("work_id", name=op.f("pk_submissions")),
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submissions_day"), ["day"], unique=False)

    op.create_table(
        "votes",
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("voter", sa.String(length=255), nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"], name=op.f("fk_votes_work_id_works")),
        sa.PrimaryKeyConstraint("work_id", "voter", name=op.f("pk_votes")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_votes_voted_at"), ["voted_at"], unique=False)


def downgrade() -> None:
    op.drop_table("work_organisations")
    op.drop_table("organisation_members")
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_votes_voted_at"))

    op.drop_table("votes")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submissions_day"))

    op.drop_table("submissions")

"""audit_events: the app that made a call and, for actions, an encrypted one-line summary

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("summary_ciphertext", sa.Text(), nullable=True))
        batch_op.create_index("ix_audit_events_user_id_created_at", ["user_id", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_user_id_created_at")
        batch_op.drop_column("summary_ciphertext")
        batch_op.drop_column("client_id")

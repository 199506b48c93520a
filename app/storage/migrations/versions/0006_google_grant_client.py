"""google_grants: the OAuth client a grant was made for, so a new client asks everyone to reconnect once

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("google_grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_id", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("google_grants", schema=None) as batch_op:
        batch_op.drop_column("client_id")

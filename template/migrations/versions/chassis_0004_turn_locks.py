"""Chat turns: the lease table that lets one turn at a time run on a session.

Revision ID: chassis_0004
Revises: chassis_0003
Create Date: 2026-12-08 00:00:00

``chassis_turn_locks`` holds one row per session that a turn is running on (see
db/turn_locks.py): the key is a sha256 hex digest, so it needs no special collation on
MySQL/MariaDB. Rows live for the length of a turn; dropping the table loses nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "chassis_0004"
down_revision: str | Sequence[str] | None = "chassis_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chassis_turn_locks",
        sa.Column("lock_key", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("lock_key", name=op.f("pk_chassis_turn_locks")),
    )


def downgrade() -> None:
    op.drop_table("chassis_turn_locks")

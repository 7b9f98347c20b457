"""The notes table of the example tool (save_note; notes/ in the package, docs/tools.md).

Revision ID: service_0001
Revises: chassis_0004
Create Date: 2026-12-08 00:00:00

Shipped by the chassis with the notes example, on copy and on update alike, so the
model (``notes/models.py``) and its table always arrive together. Like service_0000 it
is a chassis-shipped revision: it revises only chassis-shipped revisions, and the
chassis never edits it once released.

On MySQL/MariaDB the table is utf8mb4 whatever the database's default, and the owner
column gets the binary NO PAD collation of the memory tables' keys (chassis_0002), so
``Alice`` and ``alice `` are different owners.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "service_0001"
down_revision: str | Sequence[str] | None = "chassis_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True),
        sa.Column("owner", _owner_type(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column(
            "created_at",
            sa.TIMESTAMP(timezone=False),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
        # Whatever the database's default character set, notes hold any text.
        mysql_charset="utf8mb4",
    )
    op.create_index("ix_notes_owner_id", "notes", ["owner", "id"])


def downgrade() -> None:
    # Dropping the table drops its index (and MySQL refuses to drop it first).
    op.drop_table("notes")


def _owner_type() -> sa.types.TypeEngine[str]:
    bind = op.get_bind()
    if bind.dialect.name not in ("mysql", "mariadb"):
        return sa.String(length=255)
    # chassis_0002 already checked that the server has these collations.
    version = str(bind.execute(sa.text("SELECT VERSION()")).scalar())
    collation = "utf8mb4_nopad_bin" if "mariadb" in version.lower() else "utf8mb4_0900_bin"
    return mysql.VARCHAR(length=255, charset="utf8mb4", collation=collation)

"""Agent memory tables (chassis migration).

Revision ID: chassis_0001
Revises:
Create Date: 2026-11-22 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "chassis_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("chassis",)
depends_on: str | Sequence[str] | None = None

message_text = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "agent_sessions",
        sa.Column("session_id", sa.String(length=255), nullable=False),
        sa.Column("owner", sa.String(length=255), server_default=sa.text("''"), nullable=False),
        sa.Column(
            "created_at",
            sa.TIMESTAMP(timezone=False),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.TIMESTAMP(timezone=False),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_agent_sessions")),
    )
    op.create_index("ix_agent_sessions_owner_updated_at", "agent_sessions", ["owner", "updated_at"])
    op.create_table(
        "agent_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(length=255), nullable=False),
        sa.Column("message_data", message_text, nullable=False),
        sa.Column(
            "created_at",
            sa.TIMESTAMP(timezone=False),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["agent_sessions.session_id"],
            name=op.f("fk_agent_messages_session_id_agent_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_messages")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_agent_messages_session_order",
        "agent_messages",
        ["session_id", "created_at", "id"],
    )


def downgrade() -> None:
    # Dropping a table drops its indexes. Dropping the index first fails on MySQL/MariaDB
    # (1553: the foreign key needs it), and MySQL commits each DDL statement on its own,
    # so each step is skipped when already done: a failed downgrade can simply be re-run.
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for table in ("agent_messages", "agent_sessions"):
        if table in existing:
            op.drop_table(table)

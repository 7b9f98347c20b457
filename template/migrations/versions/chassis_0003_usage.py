"""Usage metering and limits per principal: ``agent_usage`` and ``agent_rate_counters``.

Revision ID: chassis_0003
Revises: chassis_0002
Create Date: 2026-12-15 00:00:00

* ``agent_usage``: one row per agent run (principal, session, model, tokens, requests,
  duration, outcome), indexed by (principal, started_at). BIGINT ids on servers, as
  chassis_0002 gave ``agent_messages``; SQLite's ``INTEGER PRIMARY KEY`` is 64-bit.
* ``agent_rate_counters``: requests per (principal, window start), the counter every
  replica increments with one atomic upsert.
* MySQL/MariaDB: the principal columns get the binary NO PAD collation chassis_0002 gave
  the memory keys, so ``Alice``, ``alice`` and ``alice `` never share totals or limits.

MySQL commits every DDL statement on its own, so each step skips what is already there:
after a failure half-way, running the same upgrade again finishes it. Downgrade drops
both tables (and the recorded usage with them).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "chassis_0003"
down_revision: str | Sequence[str] | None = "chassis_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

USAGE_INDEX = "ix_agent_usage_principal_started_at"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    principal = sa.String(255, collation=_mysql_key_collation()) if _is_mysql() else sa.String(255)
    usage_id = sa.Integer() if dialect == "sqlite" else sa.BigInteger()
    timestamp = mysql.DATETIME(fsp=6) if _is_mysql() else sa.DateTime(timezone=False)
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "agent_usage" not in existing:
        _create_usage(principal, usage_id, timestamp)
    indexes = {index["name"] for index in sa.inspect(op.get_bind()).get_indexes("agent_usage")}
    if USAGE_INDEX not in indexes:
        op.create_index(USAGE_INDEX, "agent_usage", ["principal", "started_at"])
    if "agent_rate_counters" not in existing:
        op.create_table(
            "agent_rate_counters",
            sa.Column("principal", principal, nullable=False),
            sa.Column("window_start", sa.BigInteger(), nullable=False),
            sa.Column("requests", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint(
                "principal", "window_start", name=op.f("pk_agent_rate_counters")
            ),
        )


def _create_usage(principal: sa.String, usage_id: sa.Integer, timestamp: sa.DateTime) -> None:
    op.create_table(
        "agent_usage",
        sa.Column("id", usage_id, primary_key=True, autoincrement=True),
        sa.Column("principal", principal, nullable=False),
        sa.Column("session_id", sa.String(255), nullable=False),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("started_at", timestamp, nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("total_tokens", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error_kind", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_usage")),
    )


def downgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "agent_rate_counters" in existing:
        op.drop_table("agent_rate_counters")
    if "agent_usage" in existing:
        op.drop_table("agent_usage")  # its index goes with it


def _is_mysql() -> bool:
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def _mysql_key_collation() -> str:
    # The same choice as chassis_0002 (migrations stay self-contained: no shared imports).
    bind = op.get_bind()
    version = str(bind.execute(sa.text("SELECT VERSION()")).scalar())
    if "mariadb" in version.lower():
        return "utf8mb4_nopad_bin"
    available = bind.execute(
        sa.text("SELECT COUNT(*) FROM information_schema.collations WHERE collation_name = :c"),
        {"c": "utf8mb4_0900_bin"},
    ).scalar()
    if not available:
        raise RuntimeError(
            "chassis_0003 needs a binary NO PAD collation: MariaDB >= 10.2 "
            "(utf8mb4_nopad_bin) or MySQL >= 8.0 (utf8mb4_0900_bin)"
        )
    return "utf8mb4_0900_bin"

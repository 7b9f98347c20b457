"""Agent memory: 64-bit message ids on servers, exact keys on MySQL/MariaDB.

Revision ID: chassis_0002
Revises: service_0000
Create Date: 2026-12-01 00:00:00

* PostgreSQL and MySQL/MariaDB: ``agent_messages.id`` becomes BIGINT (its sequence too,
  on PostgreSQL). SQLite is left alone: ``INTEGER PRIMARY KEY`` is already 64-bit.
* MySQL/MariaDB: ``session_id`` (both tables) and ``owner`` get a binary NO PAD collation
  (``utf8mb4_nopad_bin`` on MariaDB, ``utf8mb4_0900_bin`` on MySQL 8), so that ``Alice``,
  ``ALICE`` and ``alice `` are different owners and ``Case-1``/``case-1`` different
  sessions. The foreign key is dropped while its columns change and added back.

MySQL commits every DDL statement on its own, so each step checks the schema first and
skips what is already done: after a failure half-way, running the same upgrade (or
downgrade) again finishes it. Downgrading back to a case-insensitive collation fails if
sessions now exist whose ids differ only by case or trailing spaces.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "chassis_0002"
# The line continues on top of service_0000 (which revises chassis_0001).
down_revision: str | Sequence[str] | None = "service_0000"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOREIGN_KEY = "fk_agent_messages_session_id_agent_sessions"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        return
    if dialect == "postgresql":
        op.execute("ALTER TABLE agent_messages ALTER COLUMN id TYPE BIGINT")
        op.execute("ALTER SEQUENCE IF EXISTS agent_messages_id_seq AS BIGINT")
        return
    if dialect in ("mysql", "mariadb"):
        _mysql_keys(_mysql_key_collation(), "BIGINT")
        return
    op.alter_column("agent_messages", "id", type_=sa.BigInteger(), existing_nullable=False)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        return
    if dialect == "postgresql":
        op.execute("ALTER SEQUENCE IF EXISTS agent_messages_id_seq AS INTEGER")
        op.execute("ALTER TABLE agent_messages ALTER COLUMN id TYPE INTEGER")
        return
    if dialect in ("mysql", "mariadb"):
        _mysql_keys(None, "INTEGER")
        return
    op.alter_column("agent_messages", "id", type_=sa.Integer(), existing_nullable=False)


def _mysql_key_collation() -> str:
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
            "chassis_0002 needs a binary NO PAD collation: MariaDB >= 10.2 "
            "(utf8mb4_nopad_bin) or MySQL >= 8.0 (utf8mb4_0900_bin)"
        )
    return "utf8mb4_0900_bin"


def _mysql_keys(collation: str | None, id_type: str) -> None:
    """Set the key columns' collation (``None``: the table's default) and the id type."""
    key = "VARCHAR(255) CHARACTER SET utf8mb4"
    if collation is not None:
        key += f" COLLATE {collation}"
    else:
        key = _table_default_key_type()
    if _has_foreign_key():
        op.drop_constraint(FOREIGN_KEY, "agent_messages", type_="foreignkey")
    op.execute(f"ALTER TABLE agent_messages MODIFY session_id {key} NOT NULL")
    op.execute(
        f"ALTER TABLE agent_sessions MODIFY session_id {key} NOT NULL, "
        f"MODIFY owner {key} NOT NULL DEFAULT ''"
    )
    op.execute(f"ALTER TABLE agent_messages MODIFY id {id_type} NOT NULL AUTO_INCREMENT")
    op.create_foreign_key(
        FOREIGN_KEY,
        "agent_messages",
        "agent_sessions",
        ["session_id"],
        ["session_id"],
        ondelete="CASCADE",
    )


def _table_default_key_type() -> str:
    # The collation the tables were created with (the database's default at the time).
    row = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT c.character_set_name, t.table_collation FROM information_schema.tables t "
                "JOIN information_schema.collation_character_set_applicability c "
                "ON c.collation_name = t.table_collation "
                "WHERE t.table_schema = DATABASE() AND t.table_name = 'agent_sessions'"
            )
        )
        .one()
    )
    return f"VARCHAR(255) CHARACTER SET {row[0]} COLLATE {row[1]}"


def _has_foreign_key() -> bool:
    inspector = sa.inspect(op.get_bind())
    return any(fk["name"] == FOREIGN_KEY for fk in inspector.get_foreign_keys("agent_messages"))

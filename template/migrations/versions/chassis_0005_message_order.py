"""Memory: index a session's messages by ``(session_id, id)``, the SDK's order since 0.25.

Revision ID: chassis_0005
Revises: service_0001
Create Date: 2026-12-16 00:00:00

openai-agents 0.25 orders a session's items by ``id`` alone, and so does the store: the
``(session_id, created_at, id)`` index that served the old order gives way to
``(session_id, id)``. The new index is built before the old one is dropped, because on
MySQL/MariaDB the foreign key on ``session_id`` needs one of them at every moment.

MySQL commits every DDL statement on its own, so each step skips what is already done:
after a failure half-way, running the same upgrade (or downgrade) again finishes it.
Building the index reads the whole table once; PostgreSQL blocks writes to
``agent_messages`` meanwhile (CHANGELOG gives the time measured per million rows).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "chassis_0005"
down_revision: str | Sequence[str] | None = "service_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID_ORDER = ("ix_agent_messages_session_id_id", ["session_id", "id"])
CREATED_AT_ORDER = ("ix_agent_messages_session_order", ["session_id", "created_at", "id"])


def upgrade() -> None:
    _replace_index(CREATED_AT_ORDER, ID_ORDER)


def downgrade() -> None:
    _replace_index(ID_ORDER, CREATED_AT_ORDER)


def _replace_index(old: tuple[str, list[str]], new: tuple[str, list[str]]) -> None:
    indexes = {index["name"] for index in sa.inspect(op.get_bind()).get_indexes("agent_messages")}
    if new[0] not in indexes:
        op.create_index(new[0], "agent_messages", new[1])
    if old[0] in indexes:
        op.drop_index(old[0], table_name="agent_messages")

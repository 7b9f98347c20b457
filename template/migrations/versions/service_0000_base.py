"""Base of the service's own migration branch (empty on purpose).

Revision ID: service_0000
Revises:
Create Date: 2026-11-22 00:00:00

Two branches share this folder: "chassis" (chassis_*.py, shipped and updated by the
template) and "service" (this base and every migration the service writes). New
revisions go on the service branch by default (see migrations/env.py), so a chassis
update never forks the service's history; `migrate` upgrades both branch heads.
"""

from collections.abc import Sequence

revision: str = "service_0000"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("service",)
# Service tables may reference the chassis' first tables (agent_sessions, ...).
depends_on: str | Sequence[str] | None = ("chassis_0001",)


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""Start of the service's own migrations (empty on purpose).

Revision ID: service_0000
Revises: chassis_0001
Create Date: 2026-11-22 00:00:00

The history is one line: chassis_0001 -> service_0000 -> the next chassis revisions
and the service's own, each on top of the head at the time it was written. A chassis
update that arrives after service revisions leaves two heads for a moment; the
chassis' `copier update` task writes the merge revision (docs/updating.md).

Until 0.2.0 this revision opened a second branch (``depends_on = chassis_0001``).
The database records the same state either way (alembic_version holds
``service_0000``), so databases migrated by 0.1.0 need nothing.
"""

from collections.abc import Sequence

revision: str = "service_0000"
down_revision: str | Sequence[str] | None = "chassis_0001"
branch_labels: str | Sequence[str] | None = ("service",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""Phase actions as rows: ``phase_actions(phase_id, action)`` replaces the ``allow_<action>`` columns.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05

Written by hand. Every phase keeps the actions it opened: each true ``allow_<action>`` becomes a row. The
downgrade turns the five actions of that time back into columns; rows of other actions (registered by a
domain since) are dropped with the table.

On SQLite the columns are dropped by copying the table (batch mode), and a copied table is dropped with
foreign keys on, which would delete the rows of a table pointing at it with ON DELETE CASCADE. So
``phase_actions`` gets its foreign key only after ``process_phases`` has been copied, and loses it before
``process_phases`` is copied again on the way down.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: The actions that were columns (``allow_<action>``) until this revision.
ACTIONS = ("propose", "support", "comment", "endorse", "answer")

FK_NAME = "fk_phase_actions_phase_id_process_phases"

phases_table = sa.table("process_phases", sa.column("id", sa.Integer),
                        *(sa.column(f"allow_{a}", sa.Boolean) for a in ACTIONS))
actions_table = sa.table("phase_actions", sa.column("phase_id", sa.Integer), sa.column("action", sa.String))


def upgrade() -> None:
    op.create_table(
        "phase_actions",
        sa.Column("phase_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("phase_id", "action", name=op.f("pk_phase_actions")),
    )
    for action in ACTIONS:
        flag = phases_table.c[f"allow_{action}"]
        op.execute(actions_table.insert().from_select(
            ["phase_id", "action"],
            sa.select(phases_table.c.id, sa.literal_column(f"'{action}'", sa.String)).where(flag.is_(sa.true()))))
    with op.batch_alter_table("process_phases") as batch_op:
        for action in ACTIONS:
            batch_op.drop_column(f"allow_{action}")
    with op.batch_alter_table("phase_actions") as batch_op:
        batch_op.create_foreign_key(FK_NAME, "process_phases", ["phase_id"], ["id"], ondelete="CASCADE")


def downgrade() -> None:
    with op.batch_alter_table("phase_actions") as batch_op:
        batch_op.drop_constraint(FK_NAME, type_="foreignkey")
    with op.batch_alter_table("process_phases") as batch_op:
        for action in ACTIONS:
            batch_op.add_column(sa.Column(f"allow_{action}", sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
    for action in ACTIONS:
        opened = sa.select(actions_table.c.phase_id).where(actions_table.c.action == action)
        op.execute(phases_table.update().where(phases_table.c.id.in_(opened))
                   .values({f"allow_{action}": sa.true()}))
    with op.batch_alter_table("process_phases") as batch_op:
        for action in ACTIONS:
            batch_op.alter_column(f"allow_{action}", server_default=None, existing_type=sa.Boolean(),
                                  existing_nullable=False)
    op.drop_table("phase_actions")

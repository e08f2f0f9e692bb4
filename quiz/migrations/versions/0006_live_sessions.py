"""live sessions (branch live)

Revision ID: 0006_live
Revises: 0005_integrity_a (written on 0004; chained after integrity-a's 0005 when rebased on main)
Create Date: 2026-11-29 19:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_live'
down_revision = '0005_integrity_a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('live_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('classroom_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('running_classroom_id', sa.Integer(), nullable=True),
    sa.Column('versions', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('show_names', sa.Boolean(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['classroom_id'], ['classrooms.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('running_classroom_id'),
    sqlite_autoincrement=True,  # its ids reach URLs: never hand one out twice
    )
    with op.batch_alter_table('live_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_live_sessions_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_live_sessions_classroom_id'), ['classroom_id'], unique=False)

    op.create_table('live_participants',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['live_sessions.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'user_id'),
    sa.UniqueConstraint('attempt_id')
    )
    with op.batch_alter_table('live_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_live_participants_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('live_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_live_participants_user_id'))
    op.drop_table('live_participants')
    with op.batch_alter_table('live_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_live_sessions_classroom_id'))
        batch_op.drop_index(batch_op.f('ix_live_sessions_assignment_id'))
    op.drop_table('live_sessions')

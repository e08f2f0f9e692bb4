"""people, classes and assignments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 08:46:02.727099
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('classrooms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('join_code', sa.String(length=12), nullable=True),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('join_code')
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=40), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('classroom_instructors',
    sa.Column('classroom_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['classroom_id'], ['classrooms.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('classroom_id', 'user_id')
    )
    with op.batch_alter_table('classroom_instructors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_classroom_instructors_user_id'), ['user_id'], unique=False)

    op.create_table('memberships',
    sa.Column('classroom_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['classroom_id'], ['classrooms.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('classroom_id', 'user_id')
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_user_id'), ['user_id'], unique=False)

    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('classroom_id', sa.Integer(), nullable=False),
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('feedback', sa.String(length=10), nullable=False),
    sa.Column('attempts_allowed', sa.Integer(), nullable=True),
    sa.Column('counts', sa.String(length=5), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shuffle', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['classroom_id'], ['classrooms.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_id'], ['question_sets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('classroom_id', 'set_id')
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_classroom_id'), ['classroom_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_set_id'), ['set_id'], unique=False)

    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('assignment_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.String(length=10), nullable=False, server_default='set'))
        batch_op.add_column(sa.Column('feedback', sa.String(length=10), nullable=False,
                                      server_default='immediate'))
        batch_op.create_index(batch_op.f('ix_attempts_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempts_started_at'), ['started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempts_user_id'), ['user_id'], unique=False)
        batch_op.create_foreign_key('fk_attempts_user_id', 'users', ['user_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key('fk_attempts_assignment_id', 'assignments', ['assignment_id'], ['id'],
                                    ondelete='SET NULL')

    with op.batch_alter_table('question_sets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_question_sets_owner_id'), ['owner_id'], unique=False)
        batch_op.create_foreign_key('fk_question_sets_owner_id', 'users', ['owner_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('question_sets', schema=None) as batch_op:
        batch_op.drop_constraint('fk_question_sets_owner_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_question_sets_owner_id'))
        batch_op.drop_column('owner_id')

    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_constraint('fk_attempts_assignment_id', type_='foreignkey')
        batch_op.drop_constraint('fk_attempts_user_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_attempts_user_id'))
        batch_op.drop_index(batch_op.f('ix_attempts_started_at'))
        batch_op.drop_index(batch_op.f('ix_attempts_assignment_id'))
        batch_op.drop_column('feedback')
        batch_op.drop_column('kind')
        batch_op.drop_column('assignment_id')
        batch_op.drop_column('user_id')

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_set_id'))
        batch_op.drop_index(batch_op.f('ix_assignments_classroom_id'))

    op.drop_table('assignments')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memberships_user_id'))

    op.drop_table('memberships')
    with op.batch_alter_table('classroom_instructors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_classroom_instructors_user_id'))

    op.drop_table('classroom_instructors')
    op.drop_table('users')
    op.drop_table('classrooms')

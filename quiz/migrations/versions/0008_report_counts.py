"""running counts of set reports

The set report reads per-assignment sums kept up to date as attempts finish (quiz.report_counts)
instead of every answer of the class. Existing assignments start with `report_built` false: the
first report of each counts its sums from scratch.

Revision ID: 0008_report_counts
Revises: 0007_integrity_b
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_report_counts'
down_revision = '0007_integrity_b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_built', sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table('report_scores',
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('decile', sa.Integer(), nullable=False),
    sa.Column('learners', sa.Integer(), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('squares', sa.Float(), nullable=False),
    sa.Column('ratios', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('assignment_id', 'decile')
    )
    op.create_table('report_questions',
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('squares', sa.Float(), nullable=False),
    sa.Column('rest', sa.Float(), nullable=False),
    sa.Column('rest_squares', sa.Float(), nullable=False),
    sa.Column('products', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('assignment_id', 'question_id')
    )
    with op.batch_alter_table('report_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_questions_question_id'), ['question_id'], unique=False)
    op.create_table('report_wrong_answers',
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('response_text', sa.String(length=500), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['question_versions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('assignment_id', 'version_id', 'response_text')
    )
    with op.batch_alter_table('report_wrong_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_wrong_answers_version_id'), ['version_id'], unique=False)
    op.create_table('report_labels',
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('expected', sa.String(length=64), nullable=False),
    sa.Column('shown', sa.String(length=64), nullable=False),
    sa.Column('choices', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('assignment_id', 'expected', 'shown')
    )


def downgrade() -> None:
    op.drop_table('report_labels')
    with op.batch_alter_table('report_wrong_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_wrong_answers_version_id'))
    op.drop_table('report_wrong_answers')
    with op.batch_alter_table('report_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_questions_question_id'))
    op.drop_table('report_questions')
    op.drop_table('report_scores')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('report_built')

"""forget rate-limit counters keyed by plain usernames and addresses

Counters are now keyed by an HMAC of the username and address (quiz.ratelimit). Those written
before named people in clear; they last 15 minutes at most, so forgetting them all costs nothing.

Revision ID: 0007_integrity_b
Revises: 0006_live
"""
from alembic import op


revision = '0007_integrity_b'
down_revision = '0006_live'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM rate_limits")


def downgrade() -> None:
    pass  # counters are transient: nothing to restore

"""Case identifiers for reports: the child's name and record number as the user entered
them (workbench metadata, not part of the clinical case or its input hash).

Revision ID: 0002_case_identifiers
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_case_identifiers"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("patient_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("mrn", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("mrn")
        batch.drop_column("patient_name")

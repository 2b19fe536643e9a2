"""Knowledge releases installed in the workbench, and the cases each one would change.

`knowledge_releases` records every release installed (its version, the SHA-256 of its
manifest, who installed it and when); the newest is the one new assessments use.
`release_impacts` flags a case whose latest assessment the release would change, with
what would change; stored assessments themselves are never touched.

Revision ID: 0003_knowledge_releases
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_knowledge_releases"
down_revision = "0002_case_identifiers"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "knowledge_releases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.String(40), nullable=False, unique=True),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("signed", sa.Boolean, nullable=False),
        sa.Column("installed_at", TZ, nullable=False),
        sa.Column("installed_by", sa.String(100), nullable=False),
    )
    op.create_table(
        "release_impacts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("release_id", sa.Integer, sa.ForeignKey("knowledge_releases.id"), nullable=False,
                  index=True),
        sa.Column("case_pk", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("assessment_id", sa.Integer, sa.ForeignKey("assessments.id"), nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
        sa.UniqueConstraint("release_id", "case_pk"),
    )


def downgrade() -> None:
    op.drop_table("release_impacts")
    op.drop_table("knowledge_releases")

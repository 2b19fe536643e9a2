"""Service settings: environment variables first, then an optional TOML settings file.

RRALL_DATABASE_URL  SQLAlchemy URL (default: SQLite at RRALL_HOME/rrall.db)
RRALL_SECRET_KEY    key for session tokens and CSRF (default: generated once, kept in RRALL_HOME)
RRALL_ALLOWED_ORIGINS  comma-separated origins allowed to call the API from a browser
RRALL_CDS_CLIENTS   a JSON file: each CDS Hooks client's issuer -> its JWKS (public keys)
RRALL_REGION        US or EU: the region whose label status leads where labels differ (default US)
RRALL_SETTINGS      a TOML file with the same keys in lower case (database_url, ...)
"""

from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rrall.trials.registry import rrall_home


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    database_url: str
    secret_key: str = Field(min_length=32)
    allowed_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1_000_000, ge=1_000)
    session_hours: int = Field(default=12, ge=1, le=24 * 14)
    secure_cookies: bool = False  # set true behind TLS
    public_url: str = ""  # how clinicians reach the workbench, for links in reports and cards
    cds_clients: str = ""  # JSON file: CDS Hooks client issuer -> its JWKS
    care_team_contact: str = Field(default="", max_length=500)  # the family summary's "who to call" box
    region: Literal["US", "EU"] = "US"  # the region whose label status leads where labels differ

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError:
            raise ValueError("not a database URL (e.g. sqlite:///path/rrall.db or "
                             "postgresql+psycopg://user@host/db)") from None
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"{backend} is not supported; allowed: sqlite, postgresql")
        return value


ENV_KEYS = ("database_url", "secret_key", "allowed_origins", "max_body_bytes", "session_hours",
            "secure_cookies", "public_url", "cds_clients", "care_team_contact", "region")


def load_settings(home: Path | None = None, **overrides: Any) -> Settings:
    home = home or rrall_home()
    values: dict[str, Any] = {}
    file = os.environ.get("RRALL_SETTINGS")
    if file:
        with Path(file).open("rb") as handle:
            values.update(tomllib.load(handle))
    for key in ENV_KEYS:
        env = os.environ.get(f"RRALL_{key.upper()}")
        if env is not None:
            split = [o.strip() for o in env.split(",") if o.strip()]
            values[key] = split if key == "allowed_origins" else env
    values.update({k: v for k, v in overrides.items() if v is not None})
    values.setdefault("database_url", f"sqlite:///{home / 'rrall.db'}")
    values.setdefault("secret_key", _local_secret(home))
    return Settings.model_validate(values)


def _local_secret(home: Path) -> str:
    """A per-installation key, created on first start and readable only by its owner."""
    path = home / "secret_key"
    if path.exists():
        return path.read_text().strip()
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key)
    return key

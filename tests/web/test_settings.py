"""Service settings: a TOML file, environment variables over it, a generated secret key."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from rrall.web.settings import load_settings


def test_file_then_environment_then_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("RRALL_DATABASE_URL", "RRALL_SECRET_KEY", "RRALL_ALLOWED_ORIGINS", "RRALL_PUBLIC_URL"):
        monkeypatch.delenv(key, raising=False)
    default = load_settings(tmp_path)
    assert default.database_url == f"sqlite:///{tmp_path / 'rrall.db'}"
    secret = tmp_path / "secret_key"
    assert secret.stat().st_mode & 0o777 == 0o600 and default.secret_key == secret.read_text()
    assert load_settings(tmp_path).secret_key == default.secret_key  # kept, not regenerated
    file = tmp_path / "rrall.toml"
    file.write_text('database_url = "postgresql+psycopg://u@db/rrall"\npublic_url = "https://rrall.example"\n'
                    'allowed_origins = ["https://sandbox.example"]\n')
    monkeypatch.setenv("RRALL_SETTINGS", str(file))
    monkeypatch.setenv("RRALL_ALLOWED_ORIGINS", "https://a.example, https://b.example")
    settings = load_settings(tmp_path)
    assert settings.database_url.startswith("postgresql")
    assert settings.public_url == "https://rrall.example"
    assert settings.allowed_origins == ["https://a.example", "https://b.example"]
    monkeypatch.setenv("RRALL_SECRET_KEY", "too short")
    with pytest.raises(ValidationError):
        load_settings(tmp_path)


@pytest.mark.parametrize("url", ["nonsense", "mysql://u@h/db"])
def test_database_url_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("RRALL_DATABASE_URL", url)
    with pytest.raises(ValidationError):
        load_settings(tmp_path)


def test_region_leads_the_labels_and_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RRALL_REGION", raising=False)
    assert load_settings(tmp_path).region == "US"
    monkeypatch.setenv("RRALL_REGION", "EU")
    assert load_settings(tmp_path).region == "EU"
    monkeypatch.setenv("RRALL_REGION", "UK")
    with pytest.raises(ValidationError):
        load_settings(tmp_path)

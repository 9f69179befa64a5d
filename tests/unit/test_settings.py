"""Settings: the seed's names, and the refusal of placeholder secrets outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from modelhub.settings import Settings


@pytest.mark.parametrize("secret", ["", "your-secret-key", "changeme", "short-but-not-placeholder"])
def test_production_refuses_a_placeholder_or_short_jwt_secret(secret: str) -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET_KEY"):
        Settings(MODELHUB_ENV="production", JWT_SECRET_KEY=secret)  # type: ignore[call-arg]


def test_development_generates_a_throwaway_secret() -> None:
    settings = Settings(MODELHUB_ENV="development", JWT_SECRET_KEY="")  # type: ignore[call-arg]
    assert len(settings.jwt_secret_key) >= 32


def test_seed_names_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONGODB_URL", "mongodb://db.example:27017")
    monkeypatch.setenv("DATABASE_NAME", "hubdb")
    monkeypatch.setenv("JWT_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("JWT_ALGORITHM", "HS512")
    monkeypatch.setenv("ACCESS_TOKEN_EXPIRE", "90")
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    monkeypatch.setenv("S3_BUCKET_NAME", "bundles")
    monkeypatch.setenv("DEMO_BASE_URL", "https://hub.example.com/")
    s = Settings(MODELHUB_ENV="production")  # type: ignore[call-arg]
    assert s.database_backend == "mongodb" and s.database_name == "hubdb"
    assert s.jwt_algorithm == "HS512" and s.access_token_expire_minutes == 90
    assert s.aws_region == "eu-west-3" and s.s3_bucket_name == "bundles"
    assert s.demo_base_url == "https://hub.example.com"


def test_without_mongodb_url_the_embedded_sqlite_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MONGODB_URL", raising=False)
    s = Settings(MODELHUB_ENV="test")  # type: ignore[call-arg]
    assert s.database_backend == "sqlite"
    assert s.sqlite_path is not None and s.sqlite_path.name.endswith(".sqlite3")

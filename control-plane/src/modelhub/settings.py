"""Every setting of the control plane, read from the environment (and an optional .env file).

The seed's names (MONGODB_URL, DATABASE_NAME, JWT_SECRET_KEY, JWT_ALGORITHM,
ACCESS_TOKEN_EXPIRE, AWS_*, S3_BUCKET_NAME, DEMO_BASE_URL) keep working; every newer setting
is prefixed ``MODELHUB_``. Settings are built once by :func:`get_settings` (cached), never at
import time, so tests can change the environment and call ``get_settings.cache_clear()``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Secrets that ship in examples and tutorials; refused outside development.
PLACEHOLDER_SECRETS = frozenset(
    {
        "",
        "secret",
        "changeme",
        "change-me",
        "change_me",
        "your-secret-key",
        "your_secret_key",
        "your-secret-key-here",
        "supersecret",
        "dev-secret",
        "development-secret",
    }
)
MIN_SECRET_LENGTH = 32
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")

DEFAULT_ALLOWED_EXTENSIONS = (
    # the seed's list
    ".py", ".txt", ".pkl", ".h5", ".pt", ".onnx", ".json", ".csv", ".png", ".jpg", ".jpeg",
    ".gif", ".svg", ".pb", ".bin", ".keras", ".ckpt",
    # additions of the bundles issue
    ".joblib", ".safetensors", ".pth", ".toml", ".md", ".yaml", ".yml", ".parquet", ".npy",
    ".npz",
)  # fmt: skip


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """The control plane's configuration. Field docs are the operator's reference."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # --- environment -------------------------------------------------------------------
    env: Literal["development", "test", "production"] = Field(
        "production", validation_alias=_env("MODELHUB_ENV")
    )
    log_level: str = Field("INFO", validation_alias=_env("MODELHUB_LOG_LEVEL"))
    data_dir: Path = Field(Path("var"), validation_alias=_env("MODELHUB_DATA_DIR"))
    # names this hub's containers (label modelhub.instance) so that two hubs sharing one
    # Docker engine never reconcile away each other's demos
    instance: str = Field(
        "modelhub", pattern=r"^[a-z0-9][a-z0-9-]{0,31}$", validation_alias=_env("MODELHUB_INSTANCE")
    )

    # --- public surface ------------------------------------------------------------------
    public_port: int = Field(8080, validation_alias=_env("MODELHUB_PUBLIC_PORT"))
    demo_base_url: str = Field("", validation_alias=_env("DEMO_BASE_URL"))
    api_host: str = Field("127.0.0.1", validation_alias=_env("MODELHUB_API_HOST"))
    api_port: int = Field(8000, validation_alias=_env("MODELHUB_API_PORT"))
    web_port: int = Field(3000, validation_alias=_env("MODELHUB_WEB_PORT"))

    # --- database ------------------------------------------------------------------------
    mongodb_url: str = Field("", validation_alias=_env("MONGODB_URL"))
    database_name: str = Field("modelhub", validation_alias=_env("DATABASE_NAME"))
    sqlite_path: Path | None = Field(None, validation_alias=_env("MODELHUB_SQLITE_PATH"))

    # --- auth ----------------------------------------------------------------------------
    jwt_secret_key: str = Field("", validation_alias=_env("JWT_SECRET_KEY"))
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = Field(
        "HS256", validation_alias=_env("JWT_ALGORITHM")
    )
    access_token_expire_minutes: int = Field(
        24 * 60,
        gt=0,
        validation_alias=_env("ACCESS_TOKEN_EXPIRE", "ACCESS_TOKEN_EXPIRE_MINUTES"),
    )
    auth_cookie_name: str = Field("modelhub_token", validation_alias=_env("MODELHUB_AUTH_COOKIE"))
    cookie_secure: bool = Field(False, validation_alias=_env("MODELHUB_COOKIE_SECURE"))
    login_attempts_per_ip: int = Field(20, validation_alias=_env("MODELHUB_LOGIN_ATTEMPTS_PER_IP"))
    login_attempts_per_account: int = Field(
        5, validation_alias=_env("MODELHUB_LOGIN_ATTEMPTS_PER_ACCOUNT")
    )
    login_window_seconds: int = Field(300, validation_alias=_env("MODELHUB_LOGIN_WINDOW_SECONDS"))

    # --- storage -------------------------------------------------------------------------
    storage_backend: Literal["local", "s3"] = Field(
        "local", validation_alias=_env("MODELHUB_STORAGE")
    )
    aws_access_key_id: str = Field("", validation_alias=_env("AWS_ACCESS_KEY_ID"))
    aws_secret_access_key: str = Field("", validation_alias=_env("AWS_SECRET_ACCESS_KEY"))
    aws_region: str = Field("us-east-1", validation_alias=_env("AWS_REGION"))
    s3_bucket_name: str = Field("", validation_alias=_env("S3_BUCKET_NAME"))
    s3_endpoint_url: str = Field("", validation_alias=_env("MODELHUB_S3_ENDPOINT_URL"))

    # --- bundles -------------------------------------------------------------------------
    max_upload_bytes: int = Field(
        500 * 1024 * 1024, validation_alias=_env("MODELHUB_MAX_UPLOAD_BYTES")
    )
    max_uncompressed_bytes: int = Field(
        2 * 1024 * 1024 * 1024, validation_alias=_env("MODELHUB_MAX_UNCOMPRESSED_BYTES")
    )
    max_compression_ratio: int = Field(200, validation_alias=_env("MODELHUB_MAX_COMPRESSION_RATIO"))
    max_bundle_files: int = Field(2000, validation_alias=_env("MODELHUB_MAX_BUNDLE_FILES"))
    allowed_extensions: list[str] = Field(
        list(DEFAULT_ALLOWED_EXTENSIONS), validation_alias=_env("MODELHUB_ALLOWED_EXTENSIONS")
    )

    # --- docker, images, demos -------------------------------------------------------------
    # CA bundle that pip trusts inside image builds (TLS interception, corporate proxies):
    # default the host's bundle when it exists; "none" disables the injection
    ca_bundle: Path | None = Field(None, validation_alias=_env("MODELHUB_CA_BUNDLE"))
    base_image: str = Field(
        "modelhub/streamlit-base:1.67", validation_alias=_env("MODELHUB_BASE_IMAGE")
    )
    demo_network: str = Field("modelhub-demos", validation_alias=_env("MODELHUB_DEMO_NETWORK"))
    # Per-demo container limits. Memory: bytes, or a number with k/m/g (e.g. "512m", "1g");
    # swap is not added on top. CPUs: how many cores a demo may use (0.5 = half a core).
    demo_memory: str = Field(
        "1g",
        pattern=r"^\s*\d+(\.\d+)?\s*([kKmMgG][iI]?[bB]?|[bB])?\s*$",
        validation_alias=_env("MODELHUB_DEMO_MEMORY"),
    )
    demo_cpus: float = Field(1.0, gt=0, validation_alias=_env("MODELHUB_DEMO_CPUS"))
    demo_pids_limit: int = Field(256, ge=16, validation_alias=_env("MODELHUB_DEMO_PIDS_LIMIT"))

    # --- proxy ---------------------------------------------------------------------------
    traefik_api_url: str = Field(
        "http://127.0.0.1:8081", validation_alias=_env("MODELHUB_TRAEFIK_API_URL")
    )
    routes_dir: Path = Field(Path("proxy/dynamic"), validation_alias=_env("MODELHUB_ROUTES_DIR"))
    proxy_url: str = Field("", validation_alias=_env("MODELHUB_PROXY_URL"))

    # --- builds and launches ---------------------------------------------------------------
    build_concurrency: int = Field(1, ge=1, validation_alias=_env("MODELHUB_BUILD_CONCURRENCY"))
    build_timeout_seconds: int = Field(1800, ge=10, validation_alias=_env("MODELHUB_BUILD_TIMEOUT"))
    gpu_base_image: str = Field(
        "modelhub/streamlit-cuda:1.67", validation_alias=_env("MODELHUB_GPU_BASE_IMAGE")
    )
    # The first-run smoke test of a new image (the app run once headless, no network):
    # "fail" fails the build when the app raises on its first run, "warn" builds anyway
    # and records a warning, "off" does not run the app (versions and pip check still are).
    smoke_test_mode: Literal["fail", "warn", "off"] = Field(
        "fail", validation_alias=_env("MODELHUB_SMOKE_TEST")
    )
    launch_timeout_seconds: float = Field(
        60, gt=0, validation_alias=_env("MODELHUB_LAUNCH_TIMEOUT")
    )
    reconcile_interval_seconds: float = Field(
        30, gt=0, validation_alias=_env("MODELHUB_RECONCILE_INTERVAL")
    )

    @model_validator(mode="after")
    def _check(self) -> Settings:
        self.data_dir = self.data_dir.resolve()
        self.routes_dir = self.routes_dir.resolve()
        if self.ca_bundle is None and HOST_CA_BUNDLE.exists():
            self.ca_bundle = HOST_CA_BUNDLE
        elif self.ca_bundle is not None and str(self.ca_bundle).lower() in ("none", "", "."):
            self.ca_bundle = None
        if self.sqlite_path is None:
            self.sqlite_path = self.data_dir / "modelhub.sqlite3"
        if not self.demo_base_url:
            self.demo_base_url = f"http://localhost:{self.public_port}"
        self.demo_base_url = self.demo_base_url.rstrip("/")
        # how the control plane itself reaches Traefik's public entrypoint
        self.proxy_url = (self.proxy_url or f"http://127.0.0.1:{self.public_port}").rstrip("/")
        self.allowed_extensions = [
            e.lower() if e.startswith(".") else f".{e.lower()}" for e in self.allowed_extensions
        ]
        if self.env == "production" and (
            self.jwt_secret_key.strip().lower() in PLACEHOLDER_SECRETS
            or len(self.jwt_secret_key) < MIN_SECRET_LENGTH
        ):
            raise ValueError(
                "JWT_SECRET_KEY is missing or a placeholder: set it to a random string of at "
                f"least {MIN_SECRET_LENGTH} characters (e.g. `openssl rand -hex 32`), or set "
                "MODELHUB_ENV=development for a throwaway local secret"
            )
        if not self.jwt_secret_key:
            # development / test only: a per-process secret, tokens die with the process
            import secrets

            self.jwt_secret_key = secrets.token_hex(32)
        return self

    @property
    def database_backend(self) -> Literal["sqlite", "mongodb"]:
        """MONGODB_URL set means MongoDB; otherwise the embedded SQLite database."""
        return "mongodb" if self.mongodb_url else "sqlite"

    @property
    def uploads_tmp_dir(self) -> Path:
        return self.data_dir / "tmp"

    @property
    def storage_dir(self) -> Path:
        return self.data_dir / "bundles"


@lru_cache
def get_settings() -> Settings:
    """The process's settings, built on first use."""
    return Settings()

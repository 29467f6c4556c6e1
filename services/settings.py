"""All configuration in one place, read from the environment (and `.env`).

Unset `DATABASE_URL` / `REDIS_URL` mean *embedded*: the app starts a real PostgreSQL and
redis-server under `AIPLATFORM_DATA_DIR` and owns their lifetime.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AIPLATFORM_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "AIPLATFORM_DATABASE_URL")
    )
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "AIPLATFORM_REDIS_URL")
    )
    data_dir: Path = Path(".data")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_level: str = "info"
    access_log: bool = True

    # HS256 key for access tokens. Unset in embedded mode: generated once and kept in the data
    # folder. With DATABASE_URL set (production) it must be given, 32+ characters.
    secret_key: SecretStr | None = None
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600

    db_pool_size: int = 10
    db_max_overflow: int = 10

    graphiql: bool = True
    introspection: bool = True
    mask_errors: bool = True
    # Websocket subscribers with the same operation, variables and principal share one
    # execution and one serialized frame per event (graphql_schema/fanout.py); off: one per
    # subscriber
    share_subscription_results: bool = True
    max_depth: int = 20
    max_aliases: int = 50
    max_tokens: int = 5000
    # Automatic persisted queries (app/http/persisted_queries.py): documents by hash in Redis for
    # this long, the most recent in an in-process LRU of this many
    apq_ttl_seconds: int = 24 * 3600
    apq_cache_size: int = 1000
    default_page_size: int = 20
    max_page_size: int = 100
    # Queries the planner covers run as one SQL statement per level, without per-field
    # execution (graphql_schema/planner/); off: every query goes through strawberry
    planner: bool = True

    # GraphQL requests per sliding minute: per user when authenticated, else per client IP
    rate_limit_enabled: bool = True
    rate_limit_per_minute_user: int = 600
    rate_limit_per_minute_ip: int = 300
    # A process trusts an access token it authenticated this long ago without asking Redis,
    # and claims rate-limit slots ahead for a busy caller (up to 64, used within that time):
    # a logout or role change made in another process reaches this one within this many
    # seconds (in its own process, at once). 0: every request asks Redis.
    auth_cache_seconds: float = 1.0
    # Operations running at once on one websocket (more: TOO_MANY_SUBSCRIPTIONS)
    ws_max_subscriptions: int = 100

    # Chat replies: longest wait for a provider's next piece before the reply fails
    chat_provider_timeout_seconds: float = 60.0

    # The app's own log records at this level and above are kept in system_logs (OFF: none)
    system_log_level: str = "WARNING"

    # Files: uploads above this size are refused (FILE_TOO_LARGE); download links expire
    max_upload_bytes: int = 100 * 1024 * 1024
    download_url_ttl_seconds: int = 3600
    # Object storage: a folder under data_dir unless S3_ENDPOINT is set (MinIO or any S3)
    s3_endpoint: str | None = Field(
        default=None, validation_alias=AliasChoices("S3_ENDPOINT", "AIPLATFORM_S3_ENDPOINT"))
    s3_access_key: str | None = Field(
        default=None, validation_alias=AliasChoices("S3_ACCESS_KEY", "AIPLATFORM_S3_ACCESS_KEY"))
    s3_secret_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("S3_SECRET_KEY", "AIPLATFORM_S3_SECRET_KEY"))
    s3_bucket: str = Field(
        default="aiplatform", validation_alias=AliasChoices("S3_BUCKET", "AIPLATFORM_S3_BUCKET"))
    s3_secure: bool = Field(
        default=False, validation_alias=AliasChoices("S3_SECURE", "AIPLATFORM_S3_SECURE"))
    s3_region: str = Field(
        default="us-east-1", validation_alias=AliasChoices("S3_REGION", "AIPLATFORM_S3_REGION"))
    # Vector stores of collections that name them: a folder under data_dir unless a URL is set
    qdrant_url: str | None = Field(
        default=None, validation_alias=AliasChoices("QDRANT_URL", "AIPLATFORM_QDRANT_URL"))
    qdrant_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("QDRANT_API_KEY", "AIPLATFORM_QDRANT_API_KEY"))
    chroma_url: str | None = Field(
        default=None, validation_alias=AliasChoices("CHROMA_URL", "AIPLATFORM_CHROMA_URL"))

    @property
    def embedded_postgres(self) -> bool:
        return self.database_url is None

    @property
    def embedded_redis(self) -> bool:
        return self.redis_url is None


def secret_key(settings: Settings) -> str:
    """The signing key: configured, or generated once per data folder in embedded mode."""
    if settings.secret_key is not None:
        key = settings.secret_key.get_secret_value()
        if len(key) < 32 or key.lower() in PLACEHOLDERS:
            raise ValueError("AIPLATFORM_SECRET_KEY must be a random value of 32+ characters")
        return key
    if not settings.embedded_postgres:
        raise ValueError("AIPLATFORM_SECRET_KEY is required when DATABASE_URL is set")
    return _data_dir_key(settings.data_dir)


@lru_cache(maxsize=8)
def _data_dir_key(data_dir: Path) -> str:
    """Read once per process: every authenticated request needs the key (resolving the path
    and reading the file each time was ≈ 0.1 ms of the fixed cost per request)."""
    path = data_dir.resolve() / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


PLACEHOLDERS = {"changeme", "secret", "change-me", "dev", "development"}


@lru_cache
def get_settings() -> Settings:
    return Settings()

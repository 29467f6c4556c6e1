"""All configuration in one place, read from the environment (and `.env`).

Unset `DATABASE_URL` / `REDIS_URL` mean *embedded*: the app starts a real PostgreSQL and
redis-server under `AIPLATFORM_DATA_DIR` and owns their lifetime.

Every value is checked when a command starts (`problems`, and pydantic's own checks of types,
ranges and URLs), so a misconfigured server stops at once with a line naming the variable
instead of starting and failing each request.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


def _one_of(*choices: str) -> Callable[[str], str]:
    """A level name in any case, kept in the case of `choices`."""
    by_key = {c.lower(): c for c in choices}

    def check(value: str) -> str:
        if value.lower() not in by_key:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return by_key[value.lower()]
    return check


def _url(*schemes: str) -> Callable[[str | None], str | None]:
    """A URL with one of `schemes` and a host (or, for unix sockets, a path)."""
    def check(value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError as error:
            raise ValueError(f"not a URL: {error}") from None
        if parts.scheme not in schemes:
            raise ValueError(f"must start with {' or '.join(s + '://' for s in schemes)}")
        if not (parts.netloc or parts.path) or (parts.scheme != "unix" and not parts.hostname
                                                and "host=" not in parts.query):
            raise ValueError("names no host")
        return value
    return check


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AIPLATFORM_", env_file=".env", extra="ignore")

    database_url: Annotated[str | None, AfterValidator(_url("postgresql", "postgres",
                                                            "postgresql+asyncpg"))] = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "AIPLATFORM_DATABASE_URL")
    )
    redis_url: Annotated[str | None, AfterValidator(_url("redis", "rediss", "unix"))] = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "AIPLATFORM_REDIS_URL")
    )
    data_dir: Path = Path(".data")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=256)
    # On SIGTERM: how long in-flight requests and chat replies may run on; sockets close at once
    shutdown_grace_seconds: float = Field(default=30.0, gt=0)
    log_level: Annotated[str, AfterValidator(_one_of("critical", "error", "warning", "info",
                                                     "debug", "trace"))] = "info"
    # One line per request (method, path, status, duration, operation, caller) in the log
    access_log: bool = True
    # json: one JSON object per line, for log collectors; text: for a terminal (services/logs.py)
    log_format: Annotated[str, AfterValidator(_one_of("json", "text"))] = "text"

    # HS256 key for access tokens. Unset in embedded mode: generated once and kept in the data
    # folder. With DATABASE_URL set (production) it must be given, 32+ characters.
    secret_key: SecretStr | None = None
    access_token_ttl_seconds: int = Field(default=900, ge=10)
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=60)

    # Pools, per worker process (docs/deployment.md sizes them for --workers N): PostgreSQL
    # connections for writes (pool + overflow) and for reads (pool), Redis connections; a
    # request waits at most the pool timeout for a free one, then is answered 503
    # SERVICE_UNAVAILABLE (a socket: closed with 1013)
    db_pool_size: int = Field(default=10, ge=1, le=1000)
    db_max_overflow: int = Field(default=10, ge=0, le=1000)
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    redis_pool_size: int = Field(default=100, ge=2, le=10_000)
    redis_pool_timeout_seconds: float = Field(default=5.0, gt=0, le=300)

    # Browser apps on other origins (comma-separated, e.g. http://localhost:3000; * for any,
    # without credentials); unset: same origin only. Websocket pages are checked alike.
    cors_origins: str | None = None
    cors_allow_credentials: bool = False
    # A bearer token /metrics asks of its scraper; unset: /metrics is open
    metrics_token: SecretStr | None = None

    graphiql: bool = True
    introspection: bool = True
    mask_errors: bool = True
    # Websocket subscribers with the same operation, variables and principal share one
    # execution and one serialized frame per event (graphql_schema/fanout.py); off: one per
    # subscriber
    share_subscription_results: bool = True
    max_depth: int = Field(default=20, ge=1, le=1000)
    max_aliases: int = Field(default=50, ge=1)
    max_tokens: int = Field(default=5000, ge=100)
    # Automatic persisted queries (app/http/persisted_queries.py): documents by hash in Redis
    # for this long, the most recent in an in-process LRU of this many
    apq_ttl_seconds: int = Field(default=24 * 3600, ge=1)
    apq_cache_size: int = Field(default=1000, ge=0)
    default_page_size: int = Field(default=20, ge=1)
    max_page_size: int = Field(default=100, ge=1, le=10_000)
    # Queries the planner covers run as one SQL statement per level, without per-field
    # execution (graphql_schema/planner/); off: every query goes through strawberry
    planner: bool = True

    # GraphQL requests per sliding minute: per user when authenticated, else per client IP
    rate_limit_enabled: bool = True
    rate_limit_per_minute_user: int = Field(default=600, ge=1)
    rate_limit_per_minute_ip: int = Field(default=300, ge=1)
    # Redis down: requests are let through unchecked (logged, counted in
    # aiplatform_redis_errors{component="ratelimit"}); true: refused with 503 SERVICE_UNAVAILABLE
    rate_limit_fail_closed: bool = False
    # A process trusts an access token it authenticated this long ago without asking Redis,
    # and claims rate-limit slots ahead for a busy caller (up to 64, used within that time):
    # a logout or role change made in another process reaches this one within this many
    # seconds (in its own process, at once). 0: every request asks Redis.
    auth_cache_seconds: float = Field(default=1.0, ge=0, le=60)
    # Operations running at once on one websocket (more: TOO_MANY_SUBSCRIPTIONS)
    ws_max_subscriptions: int = Field(default=100, ge=1)

    # Chat replies: longest wait for a provider's next piece before the reply fails
    chat_provider_timeout_seconds: float = Field(default=60.0, gt=0)

    # The app's own log records at this level and above are kept in system_logs (OFF: none)
    system_log_level: Annotated[str, AfterValidator(_one_of("DEBUG", "INFO", "WARNING", "ERROR",
                                                            "CRITICAL", "OFF"))] = "WARNING"

    # Files: uploads above this size are refused (FILE_TOO_LARGE); download links expire
    max_upload_bytes: int = Field(default=100 * 1024 * 1024, ge=1)
    download_url_ttl_seconds: int = Field(default=3600, ge=1)
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
    qdrant_url: Annotated[str | None, AfterValidator(_url("http", "https"))] = Field(
        default=None, validation_alias=AliasChoices("QDRANT_URL", "AIPLATFORM_QDRANT_URL"))
    qdrant_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("QDRANT_API_KEY", "AIPLATFORM_QDRANT_API_KEY"))
    chroma_url: Annotated[str | None, AfterValidator(_url("http", "https"))] = Field(
        default=None, validation_alias=AliasChoices("CHROMA_URL", "AIPLATFORM_CHROMA_URL"))

    # Single sign-on (OpenID Connect): on when an issuer is set (services/oidc/)
    oidc_issuer: Annotated[str | None, AfterValidator(_url("http", "https"))] = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scopes: str = "openid email profile"
    # comma-separated email domains allowed to log in (unset: any verified email)
    oidc_allowed_domains: str | None = None
    # an ID-token claim listing organization roles as "organization-slug:role" (unset: none)
    oidc_roles_claim: str | None = None
    # the callback URL registered at the provider (unset: this server's /auth/oidc/callback)
    oidc_redirect_uri: Annotated[str | None, AfterValidator(_url("http", "https"))] = None

    @property
    def oidc_domains(self) -> list[str]:
        """AIPLATFORM_OIDC_ALLOWED_DOMAINS as a list of lower-case domains."""
        return [d.strip().lower().lstrip("@") for d in (self.oidc_allowed_domains or "").split(",")
                if d.strip()]
    # Worker tier (services/jobs/): `serve` runs a worker in-process unless this is false
    # (production: separate `aiplatform worker` processes)
    run_worker: bool = True
    # Jobs each worker process runs at once, and the longest one may run, per queue
    queue_charging_analysis_concurrency: int = Field(default=4, ge=1, le=1000)
    queue_charging_analysis_timeout_seconds: float = Field(default=3600.0, gt=0)
    queue_model_training_concurrency: int = Field(default=2, ge=1, le=1000)
    queue_model_training_timeout_seconds: float = Field(default=7200.0, gt=0)
    queue_document_processing_concurrency: int = Field(default=6, ge=1, le=1000)
    queue_document_processing_timeout_seconds: float = Field(default=1800.0, gt=0)
    queue_data_processing_concurrency: int = Field(default=2, ge=1, le=1000)
    queue_data_processing_timeout_seconds: float = Field(default=3600.0, gt=0)
    queue_maintenance_concurrency: int = Field(default=1, ge=1, le=1000)
    queue_maintenance_timeout_seconds: float = Field(default=900.0, gt=0)
    # A failed job runs again up to this many times, after backoff * 2^(attempt - 1) seconds
    job_max_retries: int = Field(default=3, ge=0, le=100)
    job_retry_backoff_seconds: float = Field(default=10.0, gt=0)
    # Workers mark themselves alive this often; the jobs of one silent for the stalled time
    # (killed, cut off) go back to their queue, once, for another worker
    worker_heartbeat_seconds: float = Field(default=10.0, gt=0)
    worker_stalled_seconds: float = Field(default=60.0, gt=0)
    # Modules with more tasks (comma-separated), imported by workers: each defines TASKS
    worker_import_paths: str = ""

    # Upkeep (services/upkeep.py): rows older than this many days are deleted (0: kept)
    retention_days_system_logs: int = Field(default=30, ge=0)
    retention_days_audit_logs: int = Field(default=365, ge=0)
    retention_days_usage_logs: int = Field(default=90, ge=0)
    retention_days_jobs: int = Field(default=14, ge=0)  # finished worker jobs
    # Performance metrics collected (services/performance.py): their rows by `recorded_at`
    retention_days_performance_metrics: int = Field(default=90, ge=0)
    # Accounts: mails (invitations, password resets) go out through an outbox. SMTP_URL is
    # smtp://host:port, smtp://user:pass@host:587?starttls=true or smtps://user:pass@host:465;
    # unset (the embedded default): mails are logged and kept in the outbox (superusers read
    # it as `mailOutbox`). PUBLIC_URL is the frontend's base URL, which mailed links point at
    # and where a single sign-on ends.
    smtp_url: Annotated[str | None, AfterValidator(_url("smtp", "smtps"))] = None
    mail_from: str = "AI Platform <noreply@localhost>"
    public_url: Annotated[str, AfterValidator(_url("http", "https"))] = "http://localhost:3000"
    # requestPasswordReset and resetPassword per hour, per email asked about and per client IP
    password_reset_per_hour_email: int = Field(default=5, ge=1)
    password_reset_per_hour_ip: int = Field(default=30, ge=1)
    # A deleted organization (deleteOrganization) is purged with everything in it, stored
    # files and vector-store points included, this many days later
    organization_purge_days: int = Field(default=30, ge=0)

    @property
    def allowed_origins(self) -> list[str]:
        """AIPLATFORM_CORS_ORIGINS as a list (empty: same origin only)."""
        return [o.strip().rstrip("/") for o in (self.cors_origins or "").split(",") if o.strip()]

    @property
    def embedded_postgres(self) -> bool:
        return self.database_url is None

    @property
    def embedded_redis(self) -> bool:
        return self.redis_url is None


def secret_key(settings: Settings) -> str:
    """The signing key: configured, or generated once per data folder in embedded mode."""
    problem = _secret_key_problem(settings)
    if problem is not None:
        raise ValueError(problem)
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    return _data_dir_key(settings.data_dir)


def _secret_key_problem(settings: Settings) -> str | None:
    if settings.secret_key is not None:
        key = settings.secret_key.get_secret_value()
        if len(key) < 32 or key.lower() in PLACEHOLDERS:
            return "AIPLATFORM_SECRET_KEY must be a random value of 32+ characters"
        return None
    if not settings.embedded_postgres:
        return "AIPLATFORM_SECRET_KEY is required when DATABASE_URL is set"
    return None


def problems(settings: Settings) -> list[str]:
    """What makes these settings unusable together, one line each naming the variable
    (each value alone was checked when the settings were read)."""
    found = [p for p in [_secret_key_problem(settings)] if p is not None]
    if settings.cors_allow_credentials and "*" in settings.allowed_origins:
        found.append("AIPLATFORM_CORS_ORIGINS may not be * with "
                     "AIPLATFORM_CORS_ALLOW_CREDENTIALS (name the origins)")
    if settings.worker_stalled_seconds <= 2 * settings.worker_heartbeat_seconds:
        found.append("AIPLATFORM_WORKER_STALLED_SECONDS must exceed twice "
                     "AIPLATFORM_WORKER_HEARTBEAT_SECONDS (a live worker would seem stalled)")
    if settings.default_page_size > settings.max_page_size:
        found.append("AIPLATFORM_DEFAULT_PAGE_SIZE must not exceed AIPLATFORM_MAX_PAGE_SIZE")
    if settings.oidc_issuer and not (settings.oidc_client_id and settings.oidc_client_secret):
        found.append("AIPLATFORM_OIDC_CLIENT_ID and AIPLATFORM_OIDC_CLIENT_SECRET are needed with "
                     "AIPLATFORM_OIDC_ISSUER")
    return found


def env_name(field: str) -> str:
    """The environment variable a setting is read from (its first alias, if it has one)."""
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return field if field.isupper() else f"AIPLATFORM_{field.upper()}"


def describe(error: ValidationError) -> list[str]:
    """One line per invalid variable, without its value (it may be a secret)."""
    lines = []
    for item in error.errors():
        name = env_name(str(item["loc"][0])) if item["loc"] else "settings"
        lines.append(f"{name}: {item['msg'].removeprefix('Value error, ')}")
    return lines


def effective(settings: Settings) -> dict[str, str]:
    """Every setting by its variable, as `check-config` prints it: secrets and URL passwords
    masked."""
    shown = {}
    for field in Settings.model_fields:
        value = getattr(settings, field)
        if isinstance(value, SecretStr):
            text = MASK
        elif isinstance(value, str) and "://" in value:
            text = _mask_url(value)
        else:
            text = "" if value is None else str(value)
        shown[env_name(field)] = text
    if settings.secret_key is None and settings.embedded_postgres:
        shown["AIPLATFORM_SECRET_KEY"] = f"(generated in {settings.data_dir / 'secret_key'})"
    return shown


def _mask_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", f":{MASK}@", 1)
    return parts._replace(netloc=netloc).geturl()


MASK = "***"


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

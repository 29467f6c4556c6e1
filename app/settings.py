"""All configuration in one place, read from the environment (and `.env`).

Unset `DATABASE_URL` / `REDIS_URL` mean *embedded*: the app starts a real PostgreSQL and
redis-server under `AIPLATFORM_DATA_DIR` and owns their lifetime.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
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

    db_pool_size: int = 10
    db_max_overflow: int = 10

    graphiql: bool = True
    introspection: bool = True
    mask_errors: bool = True
    max_depth: int = 20
    max_aliases: int = 50
    max_tokens: int = 5000
    default_page_size: int = 20
    max_page_size: int = 100

    @property
    def embedded_postgres(self) -> bool:
        return self.database_url is None

    @property
    def embedded_redis(self) -> bool:
        return self.redis_url is None


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""Process settings: the one place that reads the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class Settings(BaseSettings):
    """Everything the service reads from `OPSGRAPH_*` variables (or a `.env` file)."""

    model_config = SettingsConfigDict(
        env_prefix="OPSGRAPH_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: SecretStr | None = Field(
        default=None, description="PostgreSQL URL; unset starts the embedded server."
    )
    data_dir: Path = Field(default=Path(".opsgraph"), description="Embedded data lives here.")
    model: str = Field(default="offline", description='"offline" or "openai:<model>".')
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: LogLevel = "INFO"
    pool_min_size: int = Field(default=2, ge=1)
    pool_max_size: int = Field(default=16, ge=1)
    worker_concurrency: int = Field(default=4, ge=1)
    worker_heartbeat_max_age_s: float = Field(default=30.0, gt=0)
    job_max_attempts: int = Field(default=3, ge=1)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _refuse_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip() == "":
            return None
        return value

    @property
    def embedded(self) -> bool:
        """True when the service runs its own PostgreSQL in `data_dir/pg`."""
        return self.database_url is None

    @property
    def embedded_pg_dir(self) -> Path:
        return self.data_dir.resolve() / "pg"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()

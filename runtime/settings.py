"""Process settings: the one place that reads the environment."""

from __future__ import annotations

import base64
import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]

PLACEHOLDER_SECRETS = frozenset({"changeme", "change-me", "secret", "password", "todo", "xxx"})


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_secure_url(url: str, *, allow_file: bool, what: str = "the URL") -> str:
    """`url` if keys fetched from it (or secrets posted to it) cannot be swapped on the way.

    https:// (or file:// where `allow_file`); plain http:// only to a loopback host, where
    no one else is on the path. Raises ValueError saying what to use instead.
    """
    parts = urlsplit(url)
    allowed = "https:// (or file://)" if allow_file else "https://"
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "file" and allow_file:
        return url
    if parts.scheme == "http" and is_loopback_host(parts.hostname):
        return url
    if parts.scheme == "http":
        raise ValueError(
            f"{what} must use {allowed}: plain http:// is allowed only for a loopback host "
            "(localhost, 127.0.0.1, ::1), since anyone on the path could read or replace "
            "what travels over it"
        )
    raise ValueError(f"{what} must be an {allowed} URL with a host")


class Settings(BaseSettings):
    """Everything the service reads from `OPSGRAPH_*` variables (or a `.env` file)."""

    model_config = SettingsConfigDict(
        env_prefix="OPSGRAPH_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        hide_input_in_errors=True,
    )

    database_url: SecretStr | None = Field(
        default=None, description="PostgreSQL URL; unset starts the embedded server."
    )
    data_dir: Path = Field(default=Path(".opsgraph"), description="Embedded data lives here.")
    model: str = Field(default="offline", description='"offline" or "openai:<model>".')
    embedder: str = Field(
        default="hashing",
        description='Knowledge-base embedder: "hashing", "openai:<model>" or '
        '"sentence-transformers:<local path>".',
    )
    kb_max_upload_bytes: int = Field(default=10_485_760, ge=1024)
    model_timeout_s: float = Field(default=60.0, gt=0)
    model_max_retries: int = Field(default=1, ge=0)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: LogLevel = "INFO"
    log_format: Literal["text", "json"] = Field(
        default="text", description='"json": one JSON object per line (event, trace ids).'
    )
    otel_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP collector base URL (spans go to <url>/v1/traces); unset: "
        "no tracing, nothing exported.",
    )
    otel_service_name: str = Field(default="opsgraph", description="service.name on spans.")
    otel_traces_sampler: Literal[
        "always_on",
        "always_off",
        "traceidratio",
        "parentbased_always_on",
        "parentbased_always_off",
        "parentbased_traceidratio",
    ] = Field(
        default="parentbased_always_on",
        validation_alias="OTEL_TRACES_SAMPLER",
        description="OpenTelemetry's standard variable: which traces are recorded.",
    )
    otel_traces_sampler_arg: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        validation_alias="OTEL_TRACES_SAMPLER_ARG",
        description="The traceidratio samplers' ratio (OpenTelemetry's standard variable).",
    )
    pool_min_size: int = Field(default=2, ge=1)
    pool_max_size: int = Field(default=16, ge=1)
    worker_concurrency: int = Field(default=4, ge=1)
    worker_heartbeat_max_age_s: float = Field(default=30.0, gt=0)
    worker_heartbeat_s: float = Field(
        default=2.0, gt=0, description="Heartbeat period; also how often dead workers are sought."
    )
    stalled_after_s: float = Field(
        default=5.0,
        gt=0,
        description="A worker silent this long whose liveness lock is free is dead.",
    )
    job_max_attempts: int = Field(default=3, ge=1)

    saleor_jwks_url: str | None = Field(
        default=None,
        description="Saleor's JWKS: an https:// URL or a file:// path (http:// on loopback).",
    )
    saleor_hmac_secret: SecretStr | None = Field(
        default=None, description="Legacy Saleor HMAC secret (deprecated by Saleor)."
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Fernet key sealing stored secrets (Saleor app tokens, per-tenant webhook "
        "secrets); unset: <data_dir>/secret.key, made on first use (mode 0600).",
    )
    public_url: str | None = Field(
        default=None,
        description="The service's public base URL (https://; http:// on loopback): the "
        "Saleor App manifest's absolute URLs start with it.",
    )
    saleor_allowed_api_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Saleor API URLs (https://shop/graphql/) that may install the app; "
        "comma-separated; empty refuses every install.",
    )
    shopify_secrets: SecretStr | None = Field(
        default=None, description="Comma-separated Shopify app secrets (rotation)."
    )
    stripe_secrets: SecretStr | None = Field(
        default=None, description="Comma-separated Stripe endpoint secrets (whsec_...)."
    )
    stripe_tolerance_s: int = Field(default=300, ge=1)
    webhook_max_age_s: int = Field(
        default=900,
        ge=60,
        description="A signed body issued longer ago (or ahead) than this is refused as a "
        "replay; must cover the sender's retries (Saleor: ~310 s).",
    )
    standard_webhook_secrets: SecretStr | None = Field(
        default=None, description="Comma-separated source=whsec_... pairs."
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_order_lines: int = Field(
        default=500, ge=1, description="More lines in one order or invoice are refused."
    )
    max_line_quantity: int = Field(
        default=10_000, ge=1, description="A larger quantity on one line is refused."
    )
    smtp_url: SecretStr | None = Field(
        default=None, description="smtp://[user:pass@]host[:port]; unset keeps mail in the outbox."
    )
    smtp_from: str = "opsgraph@localhost"
    policy_file: Path | None = Field(default=None, description="Overrides the shipped policy.")
    notify_url: str | None = Field(default=None, description="Where approval/event notices go.")
    openai_base_url: str | None = Field(
        default=None,
        validation_alias="OPENAI_BASE_URL",
        description="Read by the OpenAI client itself; checked here because it gets the API key.",
    )
    notify_secret: SecretStr | None = Field(
        default=None, description="whsec_... secret the notices are signed with."
    )
    admin_key: SecretStr | None = Field(
        default=None, description="An admin API key for CLI operator actions (tools call/run)."
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="A bearer token Prometheus may read /metrics with (operator/admin keys "
        "may too); /metrics is never anonymous.",
    )
    session_ttl_s: int = Field(
        default=8 * 3600, ge=60, description="An inbox session ends this long after sign-in."
    )
    session_idle_s: int = Field(
        default=30 * 60, ge=60, description="An inbox session unused this long ends."
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator(
        "database_url",
        "saleor_hmac_secret",
        "shopify_secrets",
        "stripe_secrets",
        "standard_webhook_secrets",
        "smtp_url",
        "admin_key",
        "metrics_token",
    )
    @classmethod
    def _blank_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip() == "":
            return None
        return value

    @field_validator("saleor_hmac_secret", "shopify_secrets", "stripe_secrets")
    @classmethod
    def _refuse_placeholders(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        for part in value.get_secret_value().split(","):
            if part.strip().lower() in PLACEHOLDER_SECRETS:
                raise ValueError("a placeholder is not a secret: set the real value")
        return value

    @field_validator("saleor_jwks_url")
    @classmethod
    def _jwks_transport(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return require_secure_url(value.strip(), allow_file=True, what="OPSGRAPH_SALEOR_JWKS_URL")

    @field_validator("secret_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        try:
            raw = base64.urlsafe_b64decode(value.get_secret_value().strip().encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raw = b""
        if len(raw) != 32:
            raise ValueError(
                "OPSGRAPH_SECRET_KEY must be a Fernet key (32 bytes, url-safe base64): make one "
                'with `python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"`'
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        url = require_secure_url(value.strip(), allow_file=False, what="OPSGRAPH_PUBLIC_URL")
        return url.rstrip("/")

    @field_validator("saleor_allowed_api_urls", mode="before")
    @classmethod
    def _api_url_list(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            return [
                require_secure_url(
                    str(part).strip(), allow_file=False, what="OPSGRAPH_SALEOR_ALLOWED_API_URLS"
                )
                for part in value
            ]
        return value

    @field_validator("otel_endpoint")
    @classmethod
    def _otel_endpoint(cls, value: str | None) -> str | None:
        return value.strip() if value and value.strip() else None

    @field_validator("notify_url")
    @classmethod
    def _notify_transport(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return require_secure_url(value.strip(), allow_file=False, what="OPSGRAPH_NOTIFY_URL")

    @field_validator("openai_base_url")
    @classmethod
    def _model_transport(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return require_secure_url(value.strip(), allow_file=False, what="OPENAI_BASE_URL")

    @field_validator("smtp_url")
    @classmethod
    def _smtp_transport(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        parts = urlsplit(value.get_secret_value().strip())
        has_login = parts.username is not None or parts.password is not None
        if parts.scheme == "smtp" and has_login and not is_loopback_host(parts.hostname):
            raise ValueError(
                "OPSGRAPH_SMTP_URL would send its password in clear: use smtp+starttls:// "
                "(plain smtp:// with a login only to a loopback relay)"
            )
        return value

    @property
    def embedded(self) -> bool:
        """True when the service runs its own PostgreSQL in `data_dir/pg`."""
        return self.database_url is None

    @property
    def embedded_pg_dir(self) -> Path:
        return self.data_dir.resolve() / "pg"

    def secret_list(self, name: str) -> list[str]:
        """A comma-separated secret setting as a list, blanks dropped."""
        value = getattr(self, name)
        if value is None:
            return []
        return [part.strip() for part in value.get_secret_value().split(",") if part.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()

"""Settings: OPSGRAPH_ prefix, defaults, secrets kept out of reprs."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from runtime.settings import Settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "DATA_DIR", "MODEL", "HOST", "PORT", "LOG_LEVEL"):
        monkeypatch.delenv(f"OPSGRAPH_{name}", raising=False)
    settings = Settings(_env_file=None)
    assert settings.embedded
    assert settings.data_dir == Path(".opsgraph")
    assert settings.embedded_pg_dir == Path(".opsgraph").resolve() / "pg"
    assert settings.model == "offline"
    assert settings.port == 8000
    assert settings.log_level == "INFO"


def test_reads_prefixed_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OPSGRAPH_DATABASE_URL", "postgresql://u:hunter2@db.internal/ops")
    monkeypatch.setenv("OPSGRAPH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPSGRAPH_PORT", "9001")
    monkeypatch.setenv("OPSGRAPH_LOG_LEVEL", "debug")
    settings = Settings(_env_file=None)
    assert not settings.embedded
    assert settings.data_dir == tmp_path
    assert settings.port == 9001
    assert settings.log_level == "DEBUG"
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings.model_dump())


def test_blank_database_url_means_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSGRAPH_DATABASE_URL", "  ")
    assert Settings(_env_file=None).embedded


def test_bad_port_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSGRAPH_PORT", "70000")
    with pytest.raises(ValidationError, match="port"):
        Settings(_env_file=None)


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("SALEOR_JWKS_URL", "http://saleor.example.com/.well-known/jwks.json"),
        ("SALEOR_JWKS_URL", "http://192.168.1.20/.well-known/jwks.json"),
        ("SALEOR_JWKS_URL", "http://127.0.0.1.evil.example/jwks.json"),
        ("SALEOR_JWKS_URL", "ftp://saleor.example.com/jwks.json"),
        ("NOTIFY_URL", "http://hooks.example.com/opsgraph?token=T0KEN"),
        ("NOTIFY_URL", "file:///tmp/notices"),
        ("NOTIFY_URL", "https:///no-host"),
    ],
)
def test_keys_and_notices_over_an_open_transport_are_refused_at_start_up(
    monkeypatch: pytest.MonkeyPatch, name: str, url: str
) -> None:
    monkeypatch.setenv(f"OPSGRAPH_{name}", url)
    with pytest.raises(ValidationError, match=f"OPSGRAPH_{name} must") as refused:
        Settings(_env_file=None)
    message = str(refused.value)
    assert "https://" in message
    assert "T0KEN" not in message


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("SALEOR_JWKS_URL", "https://saleor.example.com/.well-known/jwks.json"),
        ("SALEOR_JWKS_URL", "file:///etc/opsgraph/jwks.json"),
        ("SALEOR_JWKS_URL", "http://127.0.0.1:8000/.well-known/jwks.json"),
        ("SALEOR_JWKS_URL", "http://localhost:8000/.well-known/jwks.json"),
        ("NOTIFY_URL", "https://hooks.example.com/opsgraph"),
        ("NOTIFY_URL", "http://127.0.0.1:9/notices"),
        ("NOTIFY_URL", "http://[::1]:9/notices"),
    ],
)
def test_https_file_and_loopback_urls_are_accepted(
    monkeypatch: pytest.MonkeyPatch, name: str, url: str
) -> None:
    monkeypatch.setenv(f"OPSGRAPH_{name}", url)
    settings = Settings(_env_file=None)
    assert getattr(settings, name.lower()) == url


def test_webhook_replay_window_has_a_default_and_a_floor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPSGRAPH_WEBHOOK_MAX_AGE_S", raising=False)
    assert Settings(_env_file=None).webhook_max_age_s == 900
    monkeypatch.setenv("OPSGRAPH_WEBHOOK_MAX_AGE_S", "30")
    with pytest.raises(ValidationError, match="webhook_max_age_s"):
        Settings(_env_file=None)


def test_the_model_server_url_gets_the_same_transport_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://llm.example.com/v1")
    with pytest.raises(ValidationError, match="OPENAI_BASE_URL must use https://"):
        Settings(_env_file=None)
    for url in ("https://llm.example.com/v1", "http://127.0.0.1:8089/v1"):
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        assert Settings(_env_file=None).openai_base_url == url


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("smtp://mailer:hunter2@mail.example.com:25", False),
        ("smtp+starttls://mailer:hunter2@mail.example.com:587", True),
        ("smtp://mail.example.com:25", True),
        ("smtp://mailer:hunter2@127.0.0.1:1025", True),
    ],
)
def test_an_smtp_login_never_travels_in_clear(
    monkeypatch: pytest.MonkeyPatch, url: str, accepted: bool
) -> None:
    monkeypatch.setenv("OPSGRAPH_SMTP_URL", url)
    if accepted:
        settings = Settings(_env_file=None)
        assert settings.smtp_url is not None
        assert settings.smtp_url.get_secret_value() == url
        return
    with pytest.raises(ValidationError, match=r"smtp\+starttls://") as refused:
        Settings(_env_file=None)
    assert "hunter2" not in str(refused.value)

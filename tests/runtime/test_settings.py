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

"""A bad setting stops the command with one clear line per problem, not a traceback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from runtime.settings import get_settings
from service.cli import app


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_a_refused_setting_names_itself_and_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSGRAPH_NOTIFY_URL", "http://notices.example.com/hook")
    result = CliRunner().invoke(app, ["approvals", "list"])
    assert result.exit_code == 2
    assert "OPSGRAPH_NOTIFY_URL" in result.output
    assert "Traceback" not in result.output
    assert "notices.example.com/hook" not in result.output

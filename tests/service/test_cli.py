"""The `opsgraph` command line, run as a process against a test database."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from runtime.apikeys import hash_key
from runtime.resources import Resources
from service.cli import app
from tests.e2e.live import opsgraph_env, run_cli
from tests.support import drain_queue

COMMANDS = [
    ["serve"],
    ["worker"],
    ["demo"],
    ["db", "migrate"],
    ["keys", "create"],
    ["keys", "list"],
    ["keys", "revoke"],
    ["events", "show"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_serve_help_lists_its_options() -> None:
    output = CliRunner().invoke(app, ["serve", "--help"]).output
    for option in ("--host", "--port", "--no-worker"):
        assert option in output


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return opsgraph_env(tmp_path / "data", database_url=database_url)


async def test_keys_create_prints_the_key_once_and_stores_its_hash(
    env: dict[str, str], resources: Resources
) -> None:
    result = run_cli("keys", "create", "--role", "reviewer", "--name", "alice", env=env)
    assert result.returncode == 0, result.stderr
    secret = result.stdout.strip()
    assert "not shown again" in result.stderr
    async with resources.pool.connection() as conn:
        row = await (
            await conn.execute(
                "SELECT name, role, tenant_id FROM api_keys WHERE key_hash = %s",
                (hash_key(secret),),
            )
        ).fetchone()
    assert row == {"name": "alice", "role": "reviewer", "tenant_id": "default"}


def test_keys_create_refuses_an_unknown_tenant_and_role(env: dict[str, str]) -> None:
    unknown = run_cli(
        "keys", "create", "--role", "admin", "--name", "x", "--tenant", "nope", env=env
    )
    assert unknown.returncode == 2
    assert "tenant 'nope' does not exist" in unknown.stderr
    bad_role = run_cli("keys", "create", "--role", "root", "--name", "x", env=env)
    assert bad_role.returncode == 2
    assert "root" in bad_role.stderr


def test_db_migrate_reports_current(env: dict[str, str]) -> None:
    result = run_cli("db", "migrate", env=env)
    assert result.returncode == 0, result.stderr
    assert "database is current: migrations 0001, 0002" in result.stdout


def test_events_show_unknown_event_fails_clearly(env: dict[str, str]) -> None:
    missing = uuid.uuid4()
    result = run_cli("events", "show", str(missing), env=env)
    assert result.returncode == 1
    assert f"no event {missing}" in result.stderr


async def test_events_show_prints_status_and_timeline(
    env: dict[str, str],
    resources: Resources,
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
) -> None:
    product = {"product_id": "9", "name": "Lamp", "sku": "L9", "price": 20.0}  # can be scored
    event = {"type": "product.created", "entity": "product:9", "payload": product}
    event_id = (await client.post("/events", json=event, headers=operator_headers)).json()[
        "event_id"
    ]
    await drain_queue(resources)
    result = run_cli("events", "show", event_id, env=env)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["status"] == "done"
    assert shown["domains"] == ["ecommerce", "cms", "integration"]
    assert {o["specialist"] for o in shown["timeline"]} == {
        "catalog_seo",
        "merchandising",
        "content_drafting",
        "channel_sync",
    }

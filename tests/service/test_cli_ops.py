"""`opsgraph agents`, `tools call|run` and `store seed|export`, run as processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph.routing import DOMAINS
from graph.specialists import SPECIALISTS
from runtime.apikeys import Role
from runtime.resources import Resources
from tests.e2e.live import opsgraph_env, run_cli
from tests.support import make_key

RETAIL = Path(__file__).resolve().parents[2] / "connectors" / "store" / "retail_data"


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return opsgraph_env(tmp_path / "data", database_url=database_url)


@pytest.fixture(scope="module")
async def admin_key(resources: Resources) -> str:
    return await make_key(resources, Role.ADMIN)


def test_agents_prints_every_domain_specialist_and_tool(env: dict[str, str]) -> None:
    result = run_cli("agents", env=env)
    assert result.returncode == 0, result.stderr
    for domain in DOMAINS:
        assert f"  {domain} supervisor" in result.stdout
    for name, specialist in SPECIALISTS.items():
        assert f"    {name}: " in result.stdout
        for tool in specialist.tools:
            assert f"      - {tool.name}" in result.stdout


def test_tools_call_needs_an_admin_key(env: dict[str, str]) -> None:
    args = ["tools", "call", "get_order_details", "--args", '{"order_id": "#W2611340"}']
    missing = run_cli(*args, env=env)
    assert missing.returncode == 2
    assert "an admin API key is required" in missing.stderr


async def test_tools_call_refuses_an_operator_key(
    env: dict[str, str], resources: Resources
) -> None:
    operator = await make_key(resources, Role.OPERATOR)
    result = run_cli("tools", "call", "list_all_product_types", "--key", operator, env=env)
    assert result.returncode == 2
    assert "not a live admin key" in result.stderr


def test_tools_call_prints_the_result_and_errors_verbatim(
    env: dict[str, str], admin_key: str
) -> None:
    found = run_cli(
        "tools",
        "call",
        "get_order_details",
        "--args",
        '{"order_id": "#W2611340"}',
        "--key",
        admin_key,
        env=env,
    )
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["user_id"] == "james_li_5688"
    missing = run_cli(
        "tools",
        "call",
        "get_order_details",
        "--args",
        '{"order_id": "#W0"}',
        "--key",
        admin_key,
        env=env,
    )
    assert missing.returncode == 1
    assert missing.stdout.strip() == "Error: order not found"
    unknown = run_cli("tools", "call", "launch_rocket", "--key", admin_key, env=env)
    assert unknown.returncode == 2
    assert "unknown tool 'launch_rocket'" in unknown.stderr
    bad_json = run_cli(
        "tools", "call", "get_order_details", "--args", "{oops", "--key", admin_key, env=env
    )
    assert bad_json.returncode == 2


def test_tools_run_applies_a_tasks_gold_actions_seen_in_store_export(
    env: dict[str, str], admin_key: str, tmp_path: Path
) -> None:
    task = json.loads((RETAIL / "tasks_dev_expected.json").read_text())[0]
    calls = tmp_path / "calls.json"
    calls.write_text(json.dumps(task["actions"]))
    ran = run_cli("tools", "run", str(calls), "--key", admin_key, env=env)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("cancel_pending_order: {")

    out = tmp_path / "state.json"
    exported = run_cli("store", "export", "--out", str(out), env=env)
    assert exported.returncode == 0, exported.stderr
    state = json.loads(out.read_text())
    assert set(state) == {"users", "orders", "products"}
    for order_id, expected in task["changed_orders"].items():
        assert state["orders"][order_id] == expected


def test_store_seed_keeps_existing_records_unless_reset(env: dict[str, str]) -> None:
    kept = run_cli("store", "seed", env=env)
    assert kept.returncode == 0, kept.stderr
    assert kept.stdout.startswith("500 users, 1000 orders, 50 products")
    reset = run_cli("store", "seed", "--reset", env=env)
    assert reset.returncode == 0
    assert "591 stock rows" in reset.stdout
    unknown = run_cli("store", "seed", "--tenant", "nobody", env=env)
    assert unknown.returncode == 2
    assert "tenant 'nobody' does not exist" in unknown.stderr

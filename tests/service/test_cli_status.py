"""`opsgraph status` beside a live `opsgraph serve`: a high-value order waits for a reviewer,
and the view shows that approval and the running worker; `--watch` refreshes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from service.demo_webhooks import DemoSenders, high_value_order
from tests.e2e.live import opsgraph_env, run_cli, serving

SENDERS = DemoSenders.create()


@pytest.fixture(scope="module")
def env(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("status")
    return opsgraph_env(folder / "data", database_url=database_url) | {
        "OPSGRAPH_SALEOR_JWKS_URL": SENDERS.saleor.write_jwks(folder / "jwks.json"),
        "OPSGRAPH_WORKER_CONCURRENCY": "1",
        "COLUMNS": "200",
    }


@pytest.fixture(scope="module")
def live(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("status-log") / "serve.log"
    with serving(env, log=log) as url:
        deadline = time.monotonic() + 60
        while httpx.get(f"{url}/readyz", timeout=5).status_code != 200:
            assert time.monotonic() < deadline, "the service did not become ready"
            time.sleep(0.2)
        yield url


def pending_approval(database_url: str, url: str) -> str:
    """Deliver a signed high-value order and wait until it rests at its approval."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    document = {"order": high_value_order(uuid.uuid4().hex[:8]), "issuedAt": now}
    path, body, headers = SENDERS.saleor_delivery("order_created", document)
    answer = httpx.post(f"{url}{path}", content=body, headers=headers, timeout=10)
    assert answer.status_code == 202, answer.text
    event_id = answer.json()["event_id"]
    deadline = time.monotonic() + 60
    with psycopg.connect(database_url, autocommit=True) as conn:
        while True:
            row = conn.execute(
                "SELECT approval_id FROM approvals WHERE event_id = %s AND status = 'pending'",
                (event_id,),
            ).fetchone()
            if row is not None:
                return str(row[0])
            assert time.monotonic() < deadline, "no approval appeared"
            time.sleep(0.2)


def test_status_shows_the_pending_approval_and_the_running_worker(
    database_url: str, env: dict[str, str], live: str
) -> None:
    approval_id = pending_approval(database_url, live)
    shown = run_cli("status", env=env)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    approval = next(line for line in lines if approval_id in line)
    assert "│ approval " in approval and "create_fulfillment" in approval
    assert any("awaiting_approval" in line and "│      1 │" in line for line in lines)
    assert any("│ running " in line and " ago " in line for line in lines), shown.stdout


def test_watch_stops_after_count_views(env: dict[str, str], live: str) -> None:
    del live
    shown = run_cli("status", "--watch", "--interval", "0.2", "--count", "3", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "Workers" in shown.stdout and "│ running " in shown.stdout


def test_a_tenant_with_nothing_pending_says_none(env: dict[str, str]) -> None:
    shown = run_cli("status", "--tenant", "nobody", env=env)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert any(line.startswith("│ none ") for line in lines), shown.stdout
    assert "awaiting_approval" not in shown.stdout

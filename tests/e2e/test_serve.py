"""`opsgraph serve` as a real process: embedded Postgres reused across restarts, or a URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import psycopg

from tests.e2e.live import opsgraph_env, run_cli, serving, wait_event

LEAD = {
    "type": "lead.created",
    "entity": "lead:e2e",
    "payload": {
        "email": "cto@big.example",
        "company": "Big",
        "employees": 900,
        "budget": 50000,
        "source": "referral",
    },
}


def create_key(env: dict[str, str]) -> str:
    created = run_cli("keys", "create", "--role", "operator", "--name", "e2e", env=env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("og_")
    return key


def test_embedded_postgres_is_created_reused_and_stopped(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = opsgraph_env(data_dir)
    log = tmp_path / "serve.log"
    pgdata = data_dir / "pg"

    with serving(env, log=log) as base_url:
        assert (pgdata / "PG_VERSION").exists()
        key = create_key(env)
        answer = httpx.post(
            f"{base_url}/events", json=LEAD, headers={"Authorization": f"Bearer {key}"}, timeout=10
        )
        assert answer.status_code == 202
        event_id = answer.json()["event_id"]
        first = wait_event(base_url, key, event_id)
        assert first["status"] == "done"
    assert not (pgdata / "postmaster.pid").exists(), "embedded postgres left running"
    assert "embedded postgres created" in log.read_text()

    with serving(env, log=log) as base_url:
        again = httpx.get(
            f"{base_url}/events/{event_id}", headers={"Authorization": f"Bearer {key}"}, timeout=10
        ).json()
        assert again["status"] == "done"
        assert again["timeline"] == first["timeline"]
    assert "embedded postgres reused" in log.read_text()
    assert not (pgdata / "postmaster.pid").exists()


def test_database_url_points_the_service_at_another_server(
    tmp_path: Path, second_pg_server: Any
) -> None:
    url = str(second_pg_server.get_uri())
    env = opsgraph_env(tmp_path / "data", database_url=url)
    with serving(env, log=tmp_path / "serve.log") as base_url:
        key = create_key(env)
        answer = httpx.post(
            f"{base_url}/events", json=LEAD, headers={"Authorization": f"Bearer {key}"}, timeout=10
        )
        event_id = answer.json()["event_id"]
        assert wait_event(base_url, key, event_id)["status"] == "done"
    assert not (tmp_path / "data" / "pg").exists(), "started an embedded server anyway"
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT status FROM events WHERE event_id = %s", (event_id,)).fetchone()
    assert row == ("done",)

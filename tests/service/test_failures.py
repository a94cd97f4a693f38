"""Transient failures retry with backoff, dead letters are listed, replays re-run them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest
from langchain_core.messages import AIMessage, AnyMessage

from graph.master import build_master_graph
from graph.models import PlaybookPlanner
from graph.specialists.base import Specialist
from graph.state import EventData
from runtime.apikeys import Role
from runtime.resources import Resources
from runtime.settings import Settings
from service.runner import EventRunner
from tests.e2e.live import opsgraph_env, run_cli
from tests.support import drain_queue, make_key

LEAD = {"type": "lead.created", "entity": "lead:flaky", "payload": {"email": "a@corp.example"}}


class FlakyPlanner(PlaybookPlanner):
    """Fails its first `failures` plans (a model outage), then plans from the playbook."""

    def __init__(self, failures: int) -> None:
        self.failures = failures

    async def plan(
        self, specialist: Specialist, event: EventData, messages: Sequence[AnyMessage]
    ) -> AIMessage:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("model unavailable")
        return await super().plan(specialist, event, messages)


def runner_with(resources: Resources, planner: PlaybookPlanner) -> EventRunner:
    graph = build_master_graph(planner=planner).compile(checkpointer=resources.checkpointer)
    return EventRunner(resources, graph)


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("failures"),
        job_max_attempts=2,
        pool_max_size=4,
    )


@pytest.fixture(scope="module")
async def admin_headers(resources: Resources) -> dict[str, str]:
    return {"Authorization": f"Bearer {await make_key(resources, Role.ADMIN)}"}


async def post(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    answer = await client.post(
        "/events", json={**LEAD, "entity": f"lead:{uuid.uuid4()}"}, headers=headers
    )
    assert answer.status_code == 202
    return str(answer.json()["event_id"])


async def view(
    client: httpx.AsyncClient, headers: dict[str, str], event_id: str
) -> dict[str, object]:
    answer = await client.get(f"/events/{event_id}", headers=headers)
    body: dict[str, object] = answer.json()
    return body


async def test_a_transient_failure_is_retried_and_succeeds(
    client: httpx.AsyncClient, admin_headers: dict[str, str], resources: Resources
) -> None:
    event_id = await post(client, admin_headers)
    await drain_queue(resources, runner=runner_with(resources, FlakyPlanner(failures=1)))
    seen = await view(client, admin_headers, event_id)
    assert (seen["status"], seen["attempts"], seen["error"]) == ("done", 2, None)


async def test_dead_letters_are_listed_and_replayed(
    client: httpx.AsyncClient, admin_headers: dict[str, str], resources: Resources
) -> None:
    event_id = await post(client, admin_headers)
    await drain_queue(resources, runner=runner_with(resources, FlakyPlanner(failures=99)))
    failed = await view(client, admin_headers, event_id)
    assert failed["status"] == "failed"
    assert failed["attempts"] == 2
    assert "model unavailable" in str(failed["error"])
    listed = (await client.get("/events?status=failed", headers=admin_headers)).json()
    assert event_id in {item["event_id"] for item in listed}

    answer = await client.post(f"/events/{event_id}/replay", headers=admin_headers)
    assert answer.status_code == 202
    assert answer.json() == {"event_id": event_id, "previous_status": "failed", "run": 1}
    await drain_queue(resources)
    replayed = await view(client, admin_headers, event_id)
    assert replayed["status"] == "done"
    assert replayed["error"] is None
    assert replayed["status_reason"] == "replayed from failed"


async def test_replaying_a_done_event_needs_force_and_starts_a_fresh_thread(
    client: httpx.AsyncClient, admin_headers: dict[str, str], resources: Resources
) -> None:
    event_id = await post(client, admin_headers)
    await drain_queue(resources)
    refused = await client.post(f"/events/{event_id}/replay", headers=admin_headers)
    assert refused.status_code == 409
    assert "--force" in refused.json()["detail"]

    forced = await client.post(f"/events/{event_id}/replay?force=true", headers=admin_headers)
    assert forced.json()["run"] == 2
    await drain_queue(resources)
    assert (await view(client, admin_headers, event_id))["status"] == "done"
    async with resources.pool.connection() as conn:
        threads = await (
            await conn.execute(
                "SELECT DISTINCT thread_id FROM checkpoints WHERE thread_id LIKE %s",
                (f"event:{event_id}%",),
            )
        ).fetchall()
    assert {row["thread_id"] for row in threads} == {f"event:{event_id}", f"event:{event_id}:run2"}


async def test_replay_is_admin_only_and_404s_unknown_events(
    client: httpx.AsyncClient, operator_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    missing = uuid.uuid4()
    assert (
        await client.post(f"/events/{missing}/replay", headers=operator_headers)
    ).status_code == 403
    assert (
        await client.post(f"/events/{missing}/replay", headers=admin_headers)
    ).status_code == 404


async def test_cli_replays_failed_events_and_refuses_done_ones_without_force(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    resources: Resources,
    database_url: str,
    tmp_path: Path,
) -> None:
    env = opsgraph_env(tmp_path / "data", database_url=database_url)
    failing = await post(client, admin_headers)
    await drain_queue(resources, runner=runner_with(resources, FlakyPlanner(failures=99)))
    result = run_cli("events", "replay", "--status", "failed", env=env)
    assert result.returncode == 0, result.stderr
    assert f"queued {failing} (was failed, run 1)" in result.stdout
    await drain_queue(resources)
    assert (await view(client, admin_headers, failing))["status"] == "done"

    refused = run_cli("events", "replay", failing, env=env)
    assert refused.returncode == 1
    assert "pass --force" in refused.stderr
    forced = run_cli("events", "replay", failing, "--force", env=env)
    assert forced.returncode == 0
    assert "(was done, run 2)" in forced.stdout
    both = run_cli("events", "replay", failing, "--status", "failed", env=env)
    assert both.returncode == 2

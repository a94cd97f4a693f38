"""Cancelling runs, with no worker running until the test drains the queue: a pending run
ends at once, its stream says so, and the worker later leaves it alone."""

from __future__ import annotations

from typing import Any

import httpx

from runtime.apikeys import Role
from runtime.recovery import Recovered
from runtime.resources import Resources
from runtime.threads import RUN_THREAD
from service.tasks import fail_abandoned_events
from tests.support import drain_queue, make_key


async def test_a_pending_run_is_cancelled_at_once_and_never_runs(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    operator = {"x-api-key": await make_key(resources, Role.OPERATOR)}
    thread_id = (await client.post("/threads", json={}, headers=operator)).json()["thread_id"]
    message: dict[str, Any] = {"messages": [{"role": "user", "content": "hello"}]}
    created = await client.post(
        f"/threads/{thread_id}/runs",
        json={"assistant_id": "chat", "input": message},
        headers=operator,
    )
    assert created.status_code == 200, created.text
    run = created.json()
    assert run["status"] == "pending"
    busy = await client.post(
        f"/threads/{thread_id}/runs",
        json={"assistant_id": "chat", "input": message},
        headers=operator,
    )
    assert busy.status_code == 409

    cancelled = await client.post(
        f"/threads/{thread_id}/runs/{run['run_id']}/cancel", headers=operator
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "interrupted"
    stream = await client.get(f"/threads/{thread_id}/runs/{run['run_id']}/stream", headers=operator)
    assert [line[7:] for line in stream.text.splitlines() if line.startswith("event: ")] == [
        "metadata",
        "end",
    ]
    await drain_queue(resources)
    again = await client.get(f"/threads/{thread_id}/runs/{run['run_id']}", headers=operator)
    assert again.json()["status"] == "interrupted"
    thread = (await client.get(f"/threads/{thread_id}", headers=operator)).json()
    assert thread["status"] == "idle" and thread["values"] == {}


async def test_a_run_whose_workers_kept_dying_ends_in_error_and_frees_its_thread(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    operator = {"x-api-key": await make_key(resources, Role.OPERATOR)}
    thread_id = (await client.post("/threads", json={}, headers=operator)).json()["thread_id"]
    created = await client.post(
        f"/threads/{thread_id}/runs",
        json={"assistant_id": "chat", "input": {"messages": [{"role": "user", "content": "hi"}]}},
        headers=operator,
    )
    run_id = created.json()["run_id"]
    lost = Recovered(
        job_id=0,
        task_name=RUN_THREAD,
        args={"tenant_id": "default", "run_id": run_id},
        crashes=3,
        failed=True,
    )

    await fail_abandoned_events(resources.pool, [lost])

    run = (await client.get(f"/threads/{thread_id}/runs/{run_id}", headers=operator)).json()
    assert run["status"] == "error"
    thread = (await client.get(f"/threads/{thread_id}", headers=operator)).json()
    assert thread["status"] == "error"
    stream = await client.get(f"/threads/{thread_id}/runs/{run_id}/stream", headers=operator)
    assert "event: error" in stream.text and "died 3 times" in stream.text

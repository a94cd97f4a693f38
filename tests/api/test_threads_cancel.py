"""Cancelling runs, with no worker running until the test drains the queue: a pending run
ends at once, its stream says so, and the worker later leaves it alone."""

from __future__ import annotations

from typing import Any

import httpx

from runtime.apikeys import Role
from runtime.resources import Resources
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

"""The LangGraph threads/runs API over the ASGI app, with a real worker running the chat graph
and the event graph on the real database."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from runtime.apikeys import Role
from runtime.resources import Resources
from service.worker import run_worker
from tests.graph.samples import PENDING_ORDER
from tests.support import decide, make_key, rows, wait_for


@pytest.fixture(scope="module", autouse=True)
async def worker(resources: Resources) -> AsyncIterator[None]:
    task = asyncio.create_task(run_worker(resources))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@pytest.fixture(scope="module")
async def operator(resources: Resources) -> dict[str, str]:
    """Sent as LangGraph's clients send a key."""
    return {"x-api-key": await make_key(resources, Role.OPERATOR)}


@pytest.fixture(scope="module")
async def reviewer(resources: Resources) -> dict[str, str]:
    return {"x-api-key": await make_key(resources, Role.REVIEWER)}


async def new_thread(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    answer = await client.post("/threads", json={"metadata": {"case": "test"}}, headers=headers)
    assert answer.status_code == 200, answer.text
    thread_id: str = answer.json()["thread_id"]
    return thread_id


async def say(
    client: httpx.AsyncClient, headers: dict[str, str], thread_id: str, text: str
) -> dict[str, Any]:
    answer = await client.post(
        f"/threads/{thread_id}/runs/wait",
        json={"assistant_id": "chat", "input": {"messages": [{"role": "user", "content": text}]}},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    values: dict[str, Any] = answer.json()
    return values


async def resume(
    client: httpx.AsyncClient, headers: dict[str, str], thread_id: str, value: Any
) -> httpx.Response:
    return await client.post(
        f"/threads/{thread_id}/runs/wait",
        json={"assistant_id": "chat", "command": {"resume": value}},
        headers=headers,
    )


def last_reply(values: dict[str, Any]) -> str:
    return str(values["messages"][-1]["content"])


def parse_sse(text: str) -> list[tuple[str, str, Any]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["id"], fields["event"], json.loads(fields["data"])))
    return events


async def paused_cancellation(
    client: httpx.AsyncClient, operator: dict[str, str], email: str, order: str
) -> tuple[str, dict[str, Any]]:
    """A confirmed cancellation above the policy's threshold: the thread waits for a reviewer."""
    thread_id = await new_thread(client, operator)
    await say(client, operator, thread_id, f"email {email}")
    await say(client, operator, thread_id, f"cancel order {order}, the customer changed their mind")
    values = await say(client, operator, thread_id, "yes")
    (paused,) = values["__interrupt__"]
    return thread_id, paused


async def test_a_turn_waits_for_the_reply(
    client: httpx.AsyncClient, operator: dict[str, str]
) -> None:
    thread_id = await new_thread(client, operator)
    answer = await client.post(
        f"/threads/{thread_id}/runs/wait",
        json={
            "assistant_id": "chat",
            "input": {"messages": [{"role": "user", "content": "hello"}]},
        },
        headers=operator,
    )
    assert answer.status_code == 200, answer.text
    values: dict[str, Any] = answer.json()
    assert values["messages"][0]["content"] == "hello"
    assert values["messages"][-1]["type"] == "ai"
    assert answer.headers["content-location"].startswith(f"/threads/{thread_id}/runs/")
    thread = (await client.get(f"/threads/{thread_id}", headers=operator)).json()
    assert thread["status"] == "idle"
    assert thread["metadata"] == {"case": "test", "graph_id": "chat", "assistant_id": "chat"}


async def test_a_stream_sends_metadata_first_then_the_run_then_end(
    client: httpx.AsyncClient, operator: dict[str, str]
) -> None:
    thread_id = await new_thread(client, operator)
    answer = await client.post(
        f"/threads/{thread_id}/runs/stream",
        json={
            "assistant_id": "chat",
            "input": {"messages": [{"role": "user", "content": "what is our return window?"}]},
            "stream_mode": ["values", "updates", "messages-tuple"],
        },
        headers=operator,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/event-stream")
    run_id = answer.headers["content-location"].rsplit("/", 1)[1]
    events = parse_sse(answer.text)
    names = [name for _, name, _ in events]
    assert names[0] == "metadata" and events[0][2] == {"run_id": run_id, "attempt": 1}
    assert names[-1] == "end"
    assert {"values", "updates", "messages"} <= set(names)
    assert [int(i) for i, _, _ in events] == list(range(1, len(events) + 1))
    final = [data for _, name, data in events if name == "values"][-1]
    message, metadata = [data for _, name, data in events if name == "messages"][-1]
    assert message["type"] == "ai" and "langgraph_node" in metadata
    assert message["content"] == last_reply(final)

    run = (await client.get(f"/threads/{thread_id}/runs/{run_id}", headers=operator)).json()
    assert run["status"] == "success"
    rejoined = await client.get(
        f"/threads/{thread_id}/runs/{run_id}/stream",
        headers={**operator, "Last-Event-ID": "2"},
    )
    assert [int(i) for i, _, _ in parse_sse(rejoined.text)] == list(range(3, len(events) + 1))


async def test_a_paused_cancellation_is_resumed_once_by_a_reviewer(
    client: httpx.AsyncClient,
    operator: dict[str, str],
    reviewer: dict[str, str],
    resources: Resources,
) -> None:
    thread_id, paused = await paused_cancellation(
        client, operator, "mei.ahmed5231@example.com", "#W2631563"
    )
    approval_id = paused["value"]["approval_id"]
    found = await client.post(
        "/threads/search", json={"status": "interrupted", "limit": 100}, headers=reviewer
    )
    assert thread_id in [t["thread_id"] for t in found.json()]
    busy = await say_refused(client, operator, thread_id)
    assert busy.status_code == 409

    by_operator = await resume(client, operator, thread_id, [{"type": "accept", "args": None}])
    assert by_operator.status_code == 403  # an operator sent the turn; a reviewer decides

    done = await resume(client, reviewer, thread_id, [{"type": "accept", "args": None}])
    assert done.status_code == 200, done.text
    assert last_reply(done.json()).startswith("Done: order #W2631563 is cancelled")
    assert "__interrupt__" not in done.json()

    again = await resume(client, reviewer, thread_id, [{"type": "accept", "args": None}])
    assert again.status_code == 409
    (approval,) = await rows(
        resources, "SELECT status, applied FROM approvals WHERE approval_id = %s", approval_id
    )
    assert approval == {"status": "decided", "applied": True}
    decided = await rows(
        resources,
        "SELECT actor FROM audit_log WHERE subject = %s AND action = 'approval.decided'",
        approval_id,
    )
    assert len(decided) == 1
    history = await client.post(
        f"/threads/{thread_id}/history", json={"limit": 50}, headers=reviewer
    )
    assert history.status_code == 200
    assert any(state["interrupts"] for state in history.json())


async def say_refused(
    client: httpx.AsyncClient, headers: dict[str, str], thread_id: str
) -> httpx.Response:
    return await client.post(
        f"/threads/{thread_id}/runs",
        json={"assistant_id": "chat", "input": {"messages": [{"role": "user", "content": "hi"}]}},
        headers=headers,
    )


async def test_a_decision_sent_twice_at_once_is_applied_once(
    client: httpx.AsyncClient,
    operator: dict[str, str],
    reviewer: dict[str, str],
    resources: Resources,
) -> None:
    thread_id, paused = await paused_cancellation(
        client, operator, "sofia.rossi2645@example.com", "#W5918442"
    )
    assert paused["value"]["action_request"]["action"] == "cancel_pending_order"
    decision = {"decisions": [{"type": "approve"}]}
    first, second = await asyncio.gather(
        resume(client, reviewer, thread_id, decision),
        resume(client, reviewer, thread_id, decision),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    runs = await rows(
        resources, "SELECT kind FROM runs WHERE thread_id = %s AND kind = 'resume'", thread_id
    )
    assert len(runs) == 1


async def test_a_decision_in_the_approvals_api_resumes_the_chat_thread(
    app: FastAPI,
    client: httpx.AsyncClient,
    operator: dict[str, str],
    reviewer: dict[str, str],
) -> None:
    thread_id, paused = await paused_cancellation(
        client, operator, "aarav.nguyen1293@example.com", "#W2443586"
    )
    approval_id = paused["value"]["approval_id"]
    listed = (await client.get("/approvals?status=pending", headers=reviewer)).json()
    assert approval_id in [a["approval_id"] for a in listed]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as browser:
        secret = reviewer["x-api-key"]
        signed_in = await browser.post("/inbox/login", data={"key": secret})
        assert signed_in.status_code == 303, signed_in.text
        inbox = await browser.get("/inbox")
        assert inbox.status_code == 200 and approval_id in inbox.text
        page = await browser.get(f"/inbox/{approval_id}")
        assert page.status_code == 200 and "cancel_pending_order" in page.text

    await decide(client, reviewer, approval_id, {"type": "response", "args": "not this one"})

    async def settled() -> bool:
        thread = (await client.get(f"/threads/{thread_id}", headers=reviewer)).json()
        return bool(thread["status"] == "idle")

    await wait_for(settled, timeout_s=30, what="the chat thread to resume")
    state = (await client.get(f"/threads/{thread_id}/state", headers=reviewer)).json()
    assert state["interrupts"] == [] and state["next"] == []
    assert "not this one" in last_reply(state["values"])


async def test_event_threads_are_listed_and_read_only(
    client: httpx.AsyncClient,
    operator: dict[str, str],
    reviewer: dict[str, str],
    resources: Resources,
) -> None:
    posted = await client.post(
        "/events",
        json={
            "type": "order.created",
            "entity": "order:#W9962383",
            "payload": {**PENDING_ORDER, "total": 1360.55},
        },
        headers=operator,
    )
    event_id = posted.json()["event_id"]
    thread_id = f"event:{event_id}"

    async def paused() -> bool:
        found = await client.post(
            "/threads/search",
            json={"status": "interrupted", "metadata": {"event_id": event_id}},
            headers=reviewer,
        )
        return [t["thread_id"] for t in found.json()] == [thread_id]

    await wait_for(paused, timeout_s=60, what="the event to pause for approval")
    thread = (await client.get(f"/threads/{thread_id}", headers=reviewer)).json()
    (interrupts,) = thread["interrupts"].values()
    assert interrupts[0]["value"]["action_request"]["action"] == "create_fulfillment"

    refused = await client.post(
        f"/threads/{thread_id}/runs",
        json={"assistant_id": "events", "input": {"messages": []}},
        headers=operator,
    )
    assert refused.status_code == 409
    by_admin = await client.post(
        f"/threads/{thread_id}/runs",
        json={"assistant_id": "events", "command": {"resume": [{"type": "accept"}]}},
        headers={"Authorization": f"Bearer {await make_key(resources, Role.ADMIN)}"},
    )
    assert by_admin.status_code == 200, by_admin.text
    assert by_admin.json()["status"] == "success"
    twice = await client.post(
        f"/threads/{thread_id}/runs",
        json={"assistant_id": "events", "command": {"resume": [{"type": "accept"}]}},
        headers=reviewer,
    )
    assert twice.status_code == 409

    async def done() -> bool:
        view = (await client.get(f"/events/{event_id}", headers=operator)).json()
        return bool(view["status"] == "done")

    await wait_for(done, timeout_s=60, what="the event to finish after the decision")


async def test_the_key_that_sent_the_message_cannot_approve_its_write(
    client: httpx.AsyncClient, reviewer: dict[str, str], resources: Resources
) -> None:
    admin = {"x-api-key": await make_key(resources, Role.ADMIN)}
    thread_id, _ = await paused_cancellation(
        client, admin, "sofia.thomas3069@example.com", "#W7619352"
    )
    own = await resume(client, admin, thread_id, {"decisions": [{"type": "approve"}]})
    assert own.status_code == 403
    assert "cannot approve" in own.json()["detail"]
    other = await resume(client, reviewer, thread_id, {"decisions": [{"type": "approve"}]})
    assert other.status_code == 200, other.text
    assert last_reply(other.json()).startswith("Done: order #W7619352 is cancelled")


async def test_the_key_is_taken_from_x_api_key_or_bearer_and_scopes_the_tenant(
    client: httpx.AsyncClient, operator: dict[str, str], resources: Resources
) -> None:
    thread_id = await new_thread(client, operator)
    bearer = {"Authorization": f"Bearer {operator['x-api-key']}"}
    assert (await client.get(f"/threads/{thread_id}", headers=bearer)).status_code == 200
    assert (await client.get(f"/threads/{thread_id}")).status_code == 401
    unknown = {"x-api-key": "og_not_a_key"}
    assert (await client.get(f"/threads/{thread_id}", headers=unknown)).status_code == 401
    async with resources.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO tenants (tenant_id, name) VALUES ('other', 'Other') ON CONFLICT DO NOTHING"
        )
    other = {"x-api-key": await make_key(resources, Role.OPERATOR, tenant_id="other")}
    assert (await client.get(f"/threads/{thread_id}", headers=other)).status_code == 404
    found = await client.post("/threads/search", json={"ids": [thread_id]}, headers=other)
    assert found.json() == []
    taken = await client.post("/threads", json={"thread_id": thread_id}, headers=other)
    assert taken.status_code == 409


async def test_post_chat_answers_and_names_the_approval_it_waits_for(
    client: httpx.AsyncClient, operator: dict[str, str]
) -> None:
    first = await client.post(
        "/chat", json={"message": "email ava.lopez3569@example.com"}, headers=operator
    )
    assert first.status_code == 200, first.text
    thread_id = first.json()["thread_id"]
    assert "Ava" in first.json()["reply"]
    assert first.json()["actions"][0]["tool"] == "find_user_id_by_email"

    async def chat(message: str) -> dict[str, Any]:
        answer = await client.post(
            "/chat", json={"thread_id": thread_id, "message": message}, headers=operator
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    stated = await chat("cancel order #W8327915, ordered by mistake")
    assert "#W8327915" in stated["reply"] and stated["pending_approvals"] == []
    paused = await chat("yes")
    (pending,) = paused["pending_approvals"]
    assert pending["action"] == "cancel_pending_order"
    assert pending["approval_id"].startswith("apr_")
    assert "waiting for a reviewer" in paused["reply"]
    refused = await client.post(
        "/chat", json={"thread_id": thread_id, "message": "hello?"}, headers=operator
    )
    assert refused.status_code == 409

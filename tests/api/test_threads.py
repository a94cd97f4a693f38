"""The LangGraph threads/runs API over the ASGI app, with a real worker running the chat graph."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from runtime.apikeys import Role
from runtime.resources import Resources
from service.worker import run_worker
from tests.support import make_key


@pytest.fixture(scope="module", autouse=True)
async def worker(resources: Resources) -> AsyncIterator[None]:
    task = asyncio.create_task(run_worker(resources))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@pytest.fixture(scope="module")
async def operator(resources: Resources) -> dict[str, str]:
    return {"x-api-key": await make_key(resources, Role.OPERATOR)}


async def new_thread(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    answer = await client.post("/threads", json={"metadata": {"case": "test"}}, headers=headers)
    assert answer.status_code == 200, answer.text
    thread_id: str = answer.json()["thread_id"]
    return thread_id


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

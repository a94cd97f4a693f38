"""The official `langgraph-sdk` Python client against `opsgraph serve` (a real process, its
in-process worker running the runs): threads, streamed runs, an approval interrupt, its
resume, history; a second resume is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import ConflictError

from runtime.apikeys import Role, create_key
from runtime.database import open_pool
from tests.e2e.live import opsgraph_env, serving


@pytest.fixture(scope="module")
def live_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("sdk")
    env = opsgraph_env(folder, database_url=database_url) | {"OPSGRAPH_LOG_LEVEL": "WARNING"}
    with serving(env, log=folder / "serve.log") as url:
        yield url


@pytest.fixture(scope="module")
async def keys(database_url: str) -> dict[Role, str]:
    async with open_pool(database_url, min_size=1, max_size=1) as pool:
        return {
            role: (await create_key(pool, tenant_id="default", name=f"sdk-{role}", role=role))[1]
            for role in (Role.OPERATOR, Role.REVIEWER)
        }


def user(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


async def test_the_sdk_streams_a_turn_pauses_for_a_reviewer_and_resumes_once(
    live_url: str, keys: dict[Role, str]
) -> None:
    operator = get_client(url=live_url, api_key=keys[Role.OPERATOR])
    reviewer = get_client(url=live_url, api_key=keys[Role.REVIEWER])

    assistants = await operator.assistants.search()
    assert {a["graph_id"] for a in assistants} == {"chat", "events"}
    thread = await operator.threads.create(metadata={"channel": "sdk"})
    thread_id = thread["thread_id"]

    created: list[Any] = []
    parts = [
        part
        async for part in operator.runs.stream(
            thread_id,
            "chat",
            input=user("email mei.ahmed5231@example.com"),
            stream_mode=["values", "updates", "messages-tuple"],
            on_run_created=created.append,
        )
    ]
    events = [part.event for part in parts]
    assert events[0] == "metadata" and events[-1] == "end"
    assert events.index("updates") < len(events) - 1 and "messages" in events
    assert parts[0].data["run_id"] == created[0]["run_id"]
    assert "Mei" in parts[-2].data["messages"][-1]["content"] or any(
        "Mei" in str(p.data) for p in parts if p.event == "values"
    )

    await operator.runs.wait(
        thread_id, "chat", input=user("cancel order #W2631563, no longer needed")
    )
    paused = await operator.runs.wait(thread_id, "chat", input=user("yes"))
    assert isinstance(paused, dict)
    (interrupt,) = paused["__interrupt__"]
    assert interrupt["value"]["action_request"]["action"] == "cancel_pending_order"
    waiting = await reviewer.threads.search(status="interrupted", metadata={"channel": "sdk"})
    assert [t["thread_id"] for t in waiting] == [thread_id]

    resumed = [
        part
        async for part in reviewer.runs.stream(
            thread_id,
            "chat",
            command={"resume": [{"type": "accept", "args": None}]},
            stream_mode="values",
        )
    ]
    assert resumed[0].event == "metadata" and resumed[-1].event == "end"
    final = [p.data for p in resumed if p.event == "values"][-1]
    assert final["messages"][-1]["content"].startswith("Done: order #W2631563 is cancelled")

    with pytest.raises(httpx.HTTPStatusError) as refused:
        await reviewer.runs.wait(
            thread_id, "chat", command={"resume": [{"type": "accept", "args": None}]}
        )
    assert refused.value.response.status_code == 409
    with pytest.raises(ConflictError):  # the same through a background run
        await reviewer.runs.create(
            thread_id, "chat", command={"resume": [{"type": "accept", "args": None}]}
        )
    state = await reviewer.threads.get_state(thread_id)
    assert state["interrupts"] == [] and state["next"] == []
    history = await reviewer.threads.get_history(thread_id, limit=20)
    assert len(history) >= 4 and any(h["interrupts"] for h in history)
    info = await reviewer.http.get("/info")
    assert info["flags"]["assistants"] is True

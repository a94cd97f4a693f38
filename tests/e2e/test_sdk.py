"""The official `langgraph-sdk` Python client against `opsgraph serve` (a real process, its
in-process worker running the runs): threads, streamed runs, an approval interrupt, its
resume, history; a second resume is refused."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import ConflictError

from runtime.apikeys import Role, create_key
from runtime.database import open_pool
from service.process import PROJECT_ROOT
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


def test_opsgraph_chat_shows_tool_calls_and_waits_for_the_reviewer(
    live_url: str, keys: dict[Role, str], tmp_path: Path
) -> None:
    env = opsgraph_env(tmp_path)
    chat = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "chat", "--url", live_url],
        env=env | {"OPSGRAPH_API_KEY": keys[Role.OPERATOR]},
        cwd=PROJECT_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert chat.stdin is not None
    chat.stdin.write(
        "email sofia.rossi2645@example.com\n"
        "cancel order #W5918442, the customer changed their mind\n"
        "yes\n"
    )
    chat.stdin.flush()
    reviewer = {"Authorization": f"Bearer {keys[Role.REVIEWER]}"}
    deadline = time.monotonic() + 60
    pending: list[dict[str, Any]] = []
    while not pending:
        assert time.monotonic() < deadline, "no approval raised by the chat"
        time.sleep(0.5)
        found = httpx.get(f"{live_url}/approvals?status=pending", headers=reviewer).json()
        pending = [a for a in found if a["proposed"]["args"].get("order_id") == "#W5918442"]
    decided = httpx.post(
        f"{live_url}/approvals/{pending[0]['approval_id']}/decision",
        json={"type": "accept"},
        headers=reviewer,
    )
    assert decided.status_code == 200, decided.text
    output, _ = chat.communicate("/quit\n", timeout=60)

    assert chat.returncode == 0, output
    assert "  → find_user_id_by_email" in output
    assert f"waiting for a reviewer: approval {pending[0]['approval_id']}" in output
    assert "opsgraph> Done: order #W5918442 is cancelled" in output


def test_opsgraph_chat_without_a_url_runs_the_service_in_process(
    database_url: str, tmp_path: Path
) -> None:
    env = opsgraph_env(tmp_path, database_url=database_url) | {"OPSGRAPH_LOG_LEVEL": "WARNING"}
    chat = subprocess.run(
        [sys.executable, "-m", "service.cli", "chat"],
        env=env,
        cwd=PROJECT_ROOT,
        input="hello\n/quit\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert chat.returncode == 0, chat.stdout + chat.stderr
    assert chat.stdout.startswith("thread ")
    assert "opsgraph> I can look up customers and their orders" in chat.stdout

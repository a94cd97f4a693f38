"""`opsgraph chat`: a terminal conversation on the threads/runs API.

Each line you type is a run streamed from the server (`POST /threads/{id}/runs/stream`):
tool calls and their results are shown as they happen, then the reply. When a write waits
for a reviewer the approval is named; the chat waits for the decision (taken in /inbox,
`opsgraph approvals decide` or Agent Inbox) and shows the outcome. Without `--url` the
service runs in this process, on a loopback port, with a key made for the session.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, TextIO

import httpx
import typer

from runtime.apikeys import Role, create_key, revoke_key
from runtime.settings import Settings

STREAM_MODES = ["updates", "messages-tuple"]
WAIT_POLL_S = 1.0


def short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, Any]]:
    name, data = "", ""
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif not line and name:
            yield name, json.loads(data) if data else None
            name, data = "", ""


class ChatSession:
    """One thread on a server; prints what happens to `out`."""

    def __init__(self, http: httpx.AsyncClient, out: TextIO, *, wait: bool = True) -> None:
        self.http = http
        self.out = out
        self.wait = wait
        self.thread_id = ""

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    async def open(self, thread_id: str | None) -> None:
        if thread_id:
            found = await self.http.get(f"/threads/{thread_id}")
            found.raise_for_status()
            self.thread_id = thread_id
        else:
            created = await self.http.post("/threads", json={"metadata": {"source": "cli"}})
            created.raise_for_status()
            self.thread_id = created.json()["thread_id"]
        self.say(f"thread {self.thread_id} (type /quit to leave)")

    async def send(self, text: str) -> None:
        body = {
            "assistant_id": "chat",
            "input": {"messages": [{"role": "user", "content": text}]},
            "stream_mode": STREAM_MODES,
        }
        async with self.http.stream(
            "POST", f"/threads/{self.thread_id}/runs/stream", json=body
        ) as response:
            if response.status_code != 200:
                detail = json.loads(await response.aread()).get("detail", "")
                self.say(f"! {response.status_code}: {detail}")
                return
            paused = await self.show(response)
        if paused and self.wait:
            await self.wait_for_decision()

    async def show(self, response: httpx.Response) -> bool:
        """Print a run's stream; True when it paused for a reviewer."""
        paused = False
        async for name, data in sse_events(response):
            if name == "messages":
                message = data[0]
                if message.get("type") == "ai" and message.get("content"):
                    self.say(f"opsgraph> {message['content']}")
            elif name == "updates":
                for node, update in (data or {}).items():
                    if node == "__interrupt__":
                        paused = True
                        for item in update:
                            self.show_approval(item.get("value") or {})
                    else:
                        self.show_tools(update)
            elif name == "error":
                self.say(f"! the run failed: {data.get('error')}: {data.get('message')}")
        return paused

    def show_tools(self, update: Any) -> None:
        for message in (update or {}).get("messages", []) if isinstance(update, dict) else []:
            if not isinstance(message, dict):
                continue
            for call in message.get("tool_calls") or []:
                self.say(f"  → {call.get('name')} {short(call.get('args'))}")
            if message.get("type") == "tool":
                self.say(f"  ← {message.get('name')}: {short(message.get('content'))}")

    def show_approval(self, value: dict[str, Any]) -> None:
        request = value.get("action_request") or {}
        self.say(
            f"  ⏸ waiting for a reviewer: approval {value.get('approval_id')} — "
            f"{request.get('action')} {short(request.get('args'))}"
        )
        self.say(
            "    decide it in /inbox, Agent Inbox or: opsgraph approvals decide "
            f"{value.get('approval_id')} --accept --key REVIEWER_KEY"
        )

    async def wait_for_decision(self) -> None:
        """Wait until the thread is resumed and finished, then show how its run ended."""
        self.say("  … waiting for the decision (Ctrl-C to stop waiting)")
        while True:
            await asyncio.sleep(WAIT_POLL_S)
            thread = (await self.http.get(f"/threads/{self.thread_id}")).json()
            if thread["status"] in ("idle", "error"):
                break
        runs = (await self.http.get(f"/threads/{self.thread_id}/runs", params={"limit": 1})).json()
        if not runs:
            return
        run_id = runs[0]["run_id"]
        async with self.http.stream(
            "GET",
            f"/threads/{self.thread_id}/runs/{run_id}/stream",
            params={"stream_mode": ["updates", "messages"]},
        ) as response:
            await self.show(response)


async def converse(
    base_url: str,
    key: str,
    lines: AsyncIterator[str],
    out: TextIO,
    *,
    thread_id: str | None,
    wait: bool,
) -> None:
    headers = {"x-api-key": key}
    timeout = httpx.Timeout(10, read=None)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=timeout) as http:
        session = ChatSession(http, out, wait=wait)
        await session.open(thread_id)
        async for line in lines:
            text = line.strip()
            if text in ("/quit", "/exit"):
                break
            if text:
                await session.send(text)


async def prompted(source: TextIO, out: TextIO) -> AsyncIterator[str]:
    """Lines from `source` (read off the event loop, which serves the in-process service
    meanwhile), with a prompt when it is a terminal."""
    interactive = source.isatty()
    while True:
        if interactive:
            out.write("you> ")
            out.flush()
        line = await asyncio.to_thread(source.readline)
        if not line:
            return
        yield line


@asynccontextmanager
async def local_service(settings: Settings) -> AsyncIterator[tuple[str, str]]:
    """The service (API and worker) in this process on a free loopback port, and an
    operator key for this session, revoked on the way out."""
    from service.app import build_service_app
    from service.process import free_port
    from service.server import build_server, wait_started

    port = free_port()
    app = build_service_app(settings.model_copy(update={"port": port}), with_worker=True)
    server = build_server(app, host="127.0.0.1", port=port, log_level="warning")
    task = asyncio.create_task(server.serve())
    await wait_started(server, task)
    pool = app.state.resources.pool
    made, secret = await create_key(pool, tenant_id="default", name="chat-cli", role=Role.OPERATOR)
    try:
        yield f"http://127.0.0.1:{port}", secret
    finally:
        await revoke_key(pool, tenant_id="default", key_id=made.key_id)
        server.should_exit = True
        await task


def register(app: typer.Typer, settings_loader: Callable[[], Settings]) -> None:
    @app.command()
    def chat(
        url: Annotated[
            str | None, typer.Option(help="A running server (default: start one in-process).")
        ] = None,
        key: Annotated[
            str | None,
            typer.Option(envvar="OPSGRAPH_API_KEY", help="An operator key for --url."),
        ] = None,
        thread: Annotated[str | None, typer.Option(help="Continue this thread.")] = None,
        wait: Annotated[
            bool, typer.Option(help="After a pause, wait for the reviewer's decision.")
        ] = True,
    ) -> None:
        """Chat with the operations hierarchy in the terminal (tool calls and approvals shown
        as they happen)."""
        lines = prompted(sys.stdin, sys.stdout)

        async def main() -> None:
            if url is not None:
                if not key:
                    raise typer.BadParameter("--url needs --key (or OPSGRAPH_API_KEY)")
                await converse(url, key, lines, sys.stdout, thread_id=thread, wait=wait)
                return
            async with local_service(settings_loader()) as (base_url, secret):
                await converse(base_url, secret, lines, sys.stdout, thread_id=thread, wait=wait)

        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            typer.echo("")

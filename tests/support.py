"""Helpers the tests share (fixtures live in conftest.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from runtime.apikeys import Role, create_key
from runtime.resources import Resources
from service.runner import EventRunner
from service.worker import run_worker


async def make_key(resources: Resources, role: Role, tenant_id: str = "default") -> str:
    _, secret = await create_key(
        resources.pool, tenant_id=tenant_id, name=f"test-{role}", role=role
    )
    return secret


async def drain_queue(
    resources: Resources, *, max_rounds: int = 50, runner: EventRunner | None = None
) -> None:
    """Run workers until no job is left to do.

    A worker with `wait=False` stops as soon as it finds nothing it may take, and a job
    held back by its entity lock counts as nothing, so run rounds until the queue is empty.
    """
    for _ in range(max_rounds):
        await run_worker(resources, wait=False, runner=runner)
        async with resources.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT count(*) AS n FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
            )
            row = await cursor.fetchone()
        if row is None or row["n"] == 0:
            return
        await asyncio.sleep(0.2)  # a retry may be scheduled a moment ahead
    raise AssertionError(f"queue not empty after {max_rounds} worker rounds")


async def rows(resources: Resources, query: str, *args: Any) -> list[dict[str, Any]]:
    """The rows a query with positional parameters returns, as dicts."""
    async with resources.pool.connection() as conn:
        return [dict(r) for r in await (await conn.execute(query, args)).fetchall()]


async def post_event(
    client: httpx.AsyncClient, headers: dict[str, str], kind: str, entity: str, payload: Any
) -> str:
    """POST a canonical event; it must be accepted (202). Its id."""
    answer = await client.post(
        "/events", json={"type": kind, "entity": entity, "payload": payload}, headers=headers
    )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["event_id"])


async def post_order(
    client: httpx.AsyncClient, headers: dict[str, str], order_id: str, payload: dict[str, Any]
) -> str:
    """POST `order.created` for `order_id`; its event id."""
    return await post_event(client, headers, "order.created", f"order:{order_id}", payload)


async def pending_approvals(
    client: httpx.AsyncClient, headers: dict[str, str], event_id: str
) -> list[dict[str, Any]]:
    """The event's pending approvals and attention items."""
    found = (await client.get("/approvals?status=pending", headers=headers)).json()
    return [a for a in found if a["event_id"] == event_id]


async def decide(
    client: httpx.AsyncClient, headers: dict[str, str], approval_id: str, body: dict[str, Any]
) -> None:
    """A reviewer's decision (`{"type": "accept"}`, an edit, ...); it must be taken (200)."""
    answer = await client.post(f"/approvals/{approval_id}/decision", json=body, headers=headers)
    assert answer.status_code == 200, answer.text


def stop_postgres(server: Any) -> None:
    """Stop an embedded server the hard way a real outage would (fast shutdown)."""
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)


def start_postgres(server: Any) -> None:
    server.ensure_postgres_running()


async def wait_for(
    probe: Callable[[], Awaitable[bool]], *, timeout_s: float = 60.0, what: str = "condition"
) -> None:
    """Poll `probe` until it holds; fail with `what` after `timeout_s`."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await probe():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        await asyncio.sleep(0.2)

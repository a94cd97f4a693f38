"""Dead workers are told from slow ones; their jobs go back without costing an attempt."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from runtime.queue import defer_process_event
from runtime.recovery import MAX_CRASHES, hold_liveness, recover_dead_workers, release_liveness
from runtime.resources import Resources
from service.tasks import fail_abandoned_events

STALLED_AFTER_S = 5.0


async def one(resources: Resources, query: str, *args: Any) -> dict[str, Any]:
    async with resources.pool.connection() as conn:
        row = await (await conn.execute(query, args)).fetchone()
    assert row is not None
    return dict(row)


async def silent_worker(resources: Resources, silent_for_s: float) -> int:
    """A worker row whose last heartbeat is `silent_for_s` old."""
    row = await one(
        resources,
        "INSERT INTO procrastinate_workers (last_heartbeat)"
        " VALUES (now() - make_interval(secs => %s)) RETURNING id",
        silent_for_s,
    )
    return int(row["id"])


async def job_taken_by(resources: Resources, worker_id: int) -> tuple[int, uuid.UUID]:
    """An event whose job the given worker has started (as procrastinate's fetch would)."""
    event_id = uuid.uuid4()
    async with resources.pool.connection() as conn, conn.transaction():
        job_id = await defer_process_event(
            resources.queue,
            conn,
            tenant_id="default",
            event_id=event_id,
            entity=f"order:{event_id.hex[:8]}",
        )
        await conn.execute(
            "INSERT INTO events (tenant_id, event_id, source, type, entity, payload, status,"
            " job_id) VALUES ('default', %s, 'api', 'order.created', 'order:x', '{}',"
            " 'running', %s)",
            (event_id, job_id),
        )
    await start(resources, job_id, worker_id)
    return job_id, event_id


async def start(resources: Resources, job_id: int, worker_id: int) -> None:
    async with resources.pool.connection() as conn:
        await conn.execute(
            "UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s WHERE id = %s",
            (worker_id, job_id),
        )


async def job(resources: Resources, job_id: int) -> dict[str, Any]:
    return await one(
        resources,
        "SELECT status, attempts, worker_id FROM procrastinate_jobs WHERE id = %s",
        job_id,
    )


@pytest.fixture(autouse=True)
async def no_workers_left(resources: Resources) -> None:
    async with resources.pool.connection() as conn:
        await conn.execute("UPDATE procrastinate_jobs SET status = 'failed' WHERE status = 'doing'")
        await conn.execute("DELETE FROM procrastinate_workers")


async def test_a_silent_worker_without_its_liveness_lock_is_dead(resources: Resources) -> None:
    dead = await silent_worker(resources, STALLED_AFTER_S + 1)
    job_id, _ = await job_taken_by(resources, dead)

    recovered = await recover_dead_workers(resources.pool, stalled_after_s=STALLED_AFTER_S)

    assert [(r.job_id, r.failed, r.crashes) for r in recovered] == [(job_id, False, 1)]
    assert await job(resources, job_id) == {"status": "todo", "attempts": 0, "worker_id": None}
    workers = await one(resources, "SELECT count(*) AS n FROM procrastinate_workers")
    assert workers["n"] == 0


async def test_a_slow_worker_holding_its_liveness_lock_keeps_its_job(resources: Resources) -> None:
    slow = await silent_worker(resources, STALLED_AFTER_S + 1)
    job_id, _ = await job_taken_by(resources, slow)
    async with resources.pool.connection() as liveness:
        await hold_liveness(liveness, slow)
        try:
            recovered = await recover_dead_workers(resources.pool, stalled_after_s=STALLED_AFTER_S)
        finally:
            await release_liveness(liveness, slow)
    assert recovered == []
    assert (await job(resources, job_id))["status"] == "doing"


async def test_a_recently_heard_worker_is_not_dead_yet(resources: Resources) -> None:
    quiet = await silent_worker(resources, 1)
    job_id, _ = await job_taken_by(resources, quiet)
    assert await recover_dead_workers(resources.pool, stalled_after_s=STALLED_AFTER_S) == []
    assert (await job(resources, job_id))["status"] == "doing"


async def test_a_job_that_keeps_killing_its_workers_fails_its_event(resources: Resources) -> None:
    job_id, event_id = await job_taken_by(resources, await silent_worker(resources, 60))
    for crash in range(1, MAX_CRASHES + 1):
        recovered = await recover_dead_workers(resources.pool, stalled_after_s=STALLED_AFTER_S)
        assert [(r.crashes, r.failed) for r in recovered] == [(crash, crash == MAX_CRASHES)]
        if crash < MAX_CRASHES:
            await start(resources, job_id, await silent_worker(resources, 60))

    assert await fail_abandoned_events(resources.pool, recovered) == 1
    assert (await job(resources, job_id))["status"] == "failed"
    event = await one(resources, "SELECT status, error FROM events WHERE event_id = %s", event_id)
    assert event["status"] == "failed"
    assert f"died {MAX_CRASHES} times" in event["error"]

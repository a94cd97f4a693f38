"""A worker killed in the middle of an event: the next worker finishes it, and every side
effect is present exactly once in the ledger, the store and the outbox."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runtime.resources import Resources
from service.process import opsgraph_env, start
from tests.fakes.openai_server import FAKE_API_KEY, FakeOpenAI, FollowThePlaybook, serve_fake_openai
from tests.graph.samples import PENDING_ORDER
from tests.support import wait_for

EFFECTS = ("reserve_stock", "create_fulfillment", "send_order_confirmation")


@pytest.fixture(scope="module")
def slow_model() -> Iterator[FakeOpenAI]:
    """A model that plans like the playbooks, slowly enough to be caught mid-event."""
    with serve_fake_openai(FollowThePlaybook()) as fake:
        fake.delay_s = 0.4
        yield fake


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return start(["service.cli", "worker"], log=log, env=env)


async def rows(resources: Resources, query: str, *args: Any) -> list[dict[str, Any]]:
    async with resources.pool.connection() as conn:
        return [dict(row) for row in await (await conn.execute(query, args)).fetchall()]


async def test_killed_worker_mid_event_is_finished_by_the_next_one_exactly_once(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    resources: Resources,
    database_url: str,
    slow_model: FakeOpenAI,
    tmp_path: Path,
) -> None:
    env = opsgraph_env(tmp_path / "data", database_url=database_url)
    env |= {
        "OPSGRAPH_MODEL": "openai:fake-model",
        "OPENAI_BASE_URL": slow_model.base_url,
        "OPENAI_API_KEY": FAKE_API_KEY,
        "OPSGRAPH_WORKER_HEARTBEAT_S": "0.5",
        "OPSGRAPH_STALLED_AFTER_S": "2",
        "OPSGRAPH_LOG_LEVEL": "INFO",
    }
    env.pop("OPENAI_API_BASE", None)
    log = tmp_path / "worker.log"
    answer = await client.post(
        "/events",
        json={"type": "order.created", "entity": "order:#W9962383", "payload": PENDING_ORDER},
        headers=operator_headers,
    )
    event_id = answer.json()["event_id"]
    thread = f"event:{event_id}"
    ledger_sql = "SELECT tool_name, tool_call_id FROM tool_ledger WHERE thread_id = %s"

    first = start_worker(env, log)
    try:

        async def first_effect_recorded() -> bool:
            return any(
                r["tool_name"] == "reserve_stock" for r in await rows(resources, ledger_sql, thread)
            )

        await wait_for(first_effect_recorded, timeout_s=60, what="the first side effect")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    (status,) = await rows(resources, "SELECT status FROM events WHERE event_id = %s", event_id)
    assert status["status"] == "running", "the event finished before the worker was killed"
    done_before = {r["tool_name"] for r in await rows(resources, ledger_sql, thread)}
    assert "send_order_confirmation" not in done_before

    await asyncio.sleep(2.5)  # the dead worker's heartbeat goes stale
    second = start_worker(env, log)
    try:

        async def finished() -> bool:
            found = await rows(resources, "SELECT status FROM events WHERE event_id = %s", event_id)
            return found[0]["status"] in ("done", "failed")

        await wait_for(finished, timeout_s=90, what="the event to finish after the restart")
    finally:
        second.send_signal(signal.SIGINT)
        second.wait(timeout=30)

    (event,) = await rows(
        resources, "SELECT status, attempts FROM events WHERE event_id = %s", event_id
    )
    assert event["status"] == "done", log.read_text()[-3000:]
    assert event["attempts"] == 2
    ledger = await rows(resources, ledger_sql, thread)
    for effect in EFFECTS:
        assert [r["tool_name"] for r in ledger].count(effect) == 1, ledger
    (order,) = await rows(
        resources, "SELECT doc FROM store_orders WHERE order_id = %s", "#W9962383"
    )
    assert len(order["doc"]["fulfillments"]) == 1
    reservations = await rows(
        resources,
        "SELECT item_id, quantity, status FROM store_reservations WHERE order_id = %s",
        "#W9962383",
    )
    assert sorted((r["item_id"], r["quantity"], r["status"]) for r in reservations) == [
        ("1421289881", 1, "shipped"),
        ("4238115171", 1, "shipped"),
    ]
    stock = await rows(
        resources,
        "SELECT reserved FROM store_stock WHERE item_id = ANY(%s)",
        ["1421289881", "4238115171"],
    )
    assert [s["reserved"] for s in stock] == [0, 0]
    mail = await rows(
        resources, "SELECT subject FROM email_outbox WHERE recipient = %s", PENDING_ORDER["email"]
    )
    assert [m["subject"] for m in mail] == ["Your order #W9962383 is on its way"]


async def test_offline_worker_killed_mid_event_finishes_with_each_effect_once(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    resources: Resources,
    database_url: str,
    tmp_path: Path,
) -> None:
    """The default planner. The CRM domain's write is held back by a row lock the test
    holds, so the e-commerce side effects are done while the event is not; the worker is
    killed there. Offline runs checkpoint when they stop, so the next worker starts the
    event over: the ledger must turn every repeat into a read."""
    env = opsgraph_env(tmp_path / "data", database_url=database_url)
    env |= {"OPSGRAPH_WORKER_HEARTBEAT_S": "0.5", "OPSGRAPH_STALLED_AFTER_S": "2"}
    customer = "yusuf_rossi_9620"
    order = {
        **PENDING_ORDER,
        "order_id": "#W6247578",
        "email": "yusuf.rossi7301@example.com",
        "customer": {"id": customer},
        "total": 53.27,
        "lines": [{"sku": "3799046073", "name": "T-Shirt", "quantity": 1, "unit_price": 53.27}],
    }
    async with resources.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO store_customer_profiles (tenant_id, customer_ref, segment,"
            " lifetime_value, order_count) VALUES ('default', %s, 'new', 0, 0)",
            (customer,),
        )
    answer = await client.post(
        "/events",
        json={"type": "order.created", "entity": "order:#W6247578", "payload": order},
        headers=operator_headers,
    )
    event_id = answer.json()["event_id"]
    thread = f"event:{event_id}"
    ledger_sql = "SELECT tool_name FROM tool_ledger WHERE thread_id = %s"
    log = tmp_path / "worker.log"

    async with resources.pool.connection() as holder, holder.transaction():
        await holder.execute(
            "SELECT 1 FROM store_customer_profiles WHERE customer_ref = %s FOR UPDATE",
            (customer,),
        )
        first = start_worker(env, log)
        try:

            async def ecommerce_effects_done() -> bool:
                done = {r["tool_name"] for r in await rows(resources, ledger_sql, thread)}
                return set(EFFECTS) <= done

            await wait_for(ecommerce_effects_done, timeout_s=60, what="the e-commerce effects")
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
    (status,) = await rows(resources, "SELECT status FROM events WHERE event_id = %s", event_id)
    assert status["status"] == "running", "the event finished before the worker was killed"

    await asyncio.sleep(2.5)
    second = start_worker(env, log)
    try:

        async def finished() -> bool:
            found = await rows(resources, "SELECT status FROM events WHERE event_id = %s", event_id)
            return found[0]["status"] in ("done", "failed")

        await wait_for(finished, timeout_s=90, what="the event to finish after the restart")
    finally:
        second.send_signal(signal.SIGINT)
        second.wait(timeout=30)

    (event,) = await rows(resources, "SELECT status FROM events WHERE event_id = %s", event_id)
    assert event["status"] == "done", log.read_text()[-3000:]
    names = [r["tool_name"] for r in await rows(resources, ledger_sql, thread)]
    for effect in (*EFFECTS, "update_customer_profile"):
        assert names.count(effect) == 1, names
    (doc,) = await rows(resources, "SELECT doc FROM store_orders WHERE order_id = %s", "#W6247578")
    assert len(doc["doc"]["fulfillments"]) == 1
    assert await rows(
        resources, "SELECT reserved FROM store_stock WHERE item_id = %s", "3799046073"
    ) == [{"reserved": 0}]
    mail = await rows(
        resources,
        "SELECT subject FROM email_outbox WHERE recipient = %s",
        "yusuf.rossi7301@example.com",
    )
    assert [m["subject"] for m in mail].count("Your order #W6247578 is on its way") == 1


async def job_of(resources: Resources, event_id: str) -> dict[str, Any]:
    (job,) = await rows(
        resources,
        "SELECT j.id, j.status, j.attempts, j.worker_id, (SELECT count(*) FROM procrastinate_events"
        " e WHERE e.job_id = j.id AND e.type = 'started') AS runs"
        " FROM events ev JOIN procrastinate_jobs j ON j.id = ev.job_id WHERE ev.event_id = %s",
        event_id,
    )
    return job


async def test_a_live_worker_reruns_a_killed_workers_job_without_charging_an_attempt(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    resources: Resources,
    database_url: str,
    tmp_path: Path,
) -> None:
    """Two workers with the default heartbeat settings; the one running the event is killed
    while a row lock the test holds keeps the event from finishing. The other worker notices
    (no restart, no periodic sweep), runs the job again as the same attempt, and forgets the
    dead worker."""
    env = opsgraph_env(tmp_path / "data", database_url=database_url)
    customer = "evelyn_kovacs_6742"
    order = {
        **PENDING_ORDER,
        "order_id": "#W5694685",
        "email": "evelyn.kovacs5369@example.com",
        "customer": {"id": customer},
        "payment_method": "paypal_7732922",
        "total": 98.25,
        "lines": [{"sku": "3909406921", "name": "Tea Kettle", "quantity": 1, "unit_price": 98.25}],
    }
    async with resources.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO store_customer_profiles (tenant_id, customer_ref, segment,"
            " lifetime_value, order_count) VALUES ('default', %s, 'new', 0, 0)",
            (customer,),
        )
    answer = await client.post(
        "/events",
        json={"type": "order.created", "entity": "order:#W5694685", "payload": order},
        headers=operator_headers,
    )
    event_id = answer.json()["event_id"]
    thread = f"event:{event_id}"
    ledger_sql = "SELECT tool_name FROM tool_ledger WHERE thread_id = %s"
    live_workers = "SELECT id FROM procrastinate_workers"
    before = {r["id"] for r in await rows(resources, live_workers)}
    survivor: subprocess.Popen[bytes] | None = None
    async with resources.pool.connection() as holder:
        await holder.execute("BEGIN")
        await holder.execute(
            "SELECT 1 FROM store_customer_profiles WHERE customer_ref = %s FOR UPDATE",
            (customer,),
        )
        victim = start_worker(env, tmp_path / "victim.log")
        try:

            async def ecommerce_effects_done() -> bool:
                done = {r["tool_name"] for r in await rows(resources, ledger_sql, thread)}
                return set(EFFECTS) <= done

            await wait_for(ecommerce_effects_done, timeout_s=60, what="the e-commerce effects")
            victim_id = (await job_of(resources, event_id))["worker_id"]
            survivor = start_worker(env, tmp_path / "survivor.log")

            async def survivor_registered() -> bool:
                return len({r["id"] for r in await rows(resources, live_workers)} - before) == 2

            await wait_for(survivor_registered, timeout_s=60, what="the second worker to start")
        finally:
            os.kill(victim.pid, signal.SIGKILL)
            killed_at = asyncio.get_running_loop().time()
            victim.wait(timeout=10)
            await holder.execute("ROLLBACK")
    try:
        (status,) = await rows(resources, "SELECT status FROM events WHERE event_id = %s", event_id)
        assert status["status"] == "running", "the event finished before the worker was killed"

        async def running_again() -> bool:
            job = await job_of(resources, event_id)
            return bool(job["runs"] == 2 and job["worker_id"] not in (None, victim_id))

        # the bound: a dead worker's jobs run again within 15 s of its death
        await wait_for(running_again, timeout_s=15, what="the job to run again")
        print(f"\nSIGKILL to running again: {asyncio.get_running_loop().time() - killed_at:.1f}s")

        async def finished() -> bool:
            found = await rows(resources, "SELECT status FROM events WHERE event_id = %s", event_id)
            return found[0]["status"] in ("done", "failed")

        await wait_for(finished, timeout_s=90, what="the event to finish on the survivor")
    finally:
        assert survivor is not None
        survivor.send_signal(signal.SIGINT)
        survivor.wait(timeout=30)

    (event,) = await rows(
        resources, "SELECT status, error FROM events WHERE event_id = %s", event_id
    )
    assert event["status"] == "done", event
    job = await job_of(resources, event_id)
    # procrastinate counts an attempt when a run ends (or errs): only the survivor's run
    assert job["attempts"] == 1, "the crash was charged as an attempt"
    assert victim_id not in {r["id"] for r in await rows(resources, live_workers)}
    names = [r["tool_name"] for r in await rows(resources, ledger_sql, thread)]
    for effect in (*EFFECTS, "update_customer_profile"):
        assert names.count(effect) == 1, names

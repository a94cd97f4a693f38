"""Running procrastinate workers with the event runner in their context."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import psycopg
from procrastinate.worker import Worker
from psycopg_pool import PoolTimeout

from runtime.queue import EVENTS_QUEUE, MAINTENANCE_QUEUE
from runtime.recovery import hold_liveness, recover_dead_workers, release_liveness
from runtime.resources import Resources
from service.chat_runs import CHAT_RUNNER_KEY, ChatRunner
from service.runner import EventRunner, compile_master_graph
from service.tasks import RUNNER_KEY, fail_abandoned_events, notifier

logger = logging.getLogger(__name__)

HEALTHY_RUN_S = 60.0
WORKER_STOP_S = 30.0
JOBS_STOP_S = 20.0
"""How long a stopping worker lets running jobs finish before procrastinate cancels them
(below WORKER_STOP_S, and a container's usual 30 s grace): a cancelled job is re-run by
recovery, while an unbounded wait could hang the shutdown behind one stuck job."""
PRUNE_AFTER_S = 3600.0
"""Procrastinate's own pruning at worker start: workers silent this long are deleted whatever
their liveness lock says. Dead workers are found and forgotten much sooner by the watch."""


def worker_loop() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop a worker process runs on: uvloop where it is installed (it comes with
    `uvicorn[standard]`, so `opsgraph serve` runs on it already), else asyncio's own. A
    worker spends much of its CPU in the loop: one wait per database statement, a task per
    graph node (bench.event_cost)."""
    try:
        import uvloop
    except ImportError:  # not built for this platform
        return None
    return uvloop.new_event_loop


async def run_worker(
    resources: Resources,
    *,
    wait: bool = True,
    install_signal_handlers: bool = False,
    runner: EventRunner | None = None,
) -> None:
    """Process jobs until cancelled (or, with `wait=False`, until the queue is empty),
    watching for dead workers all the while."""
    settings = resources.settings
    runner = runner or EventRunner(
        resources,
        compile_master_graph(resources),
        notify=notifier(resources.queue, settings),
    )
    worker = Worker(
        app=resources.queue,
        queues=[EVENTS_QUEUE, MAINTENANCE_QUEUE],
        name="opsgraph-worker",
        concurrency=settings.worker_concurrency,
        wait=wait,
        additional_context={
            RUNNER_KEY: runner,
            CHAT_RUNNER_KEY: ChatRunner(resources, notify=runner.notify),
        },
        install_signal_handlers=install_signal_handlers,
        update_heartbeat_interval=settings.worker_heartbeat_s,
        stalled_worker_timeout=max(PRUNE_AFTER_S, settings.stalled_after_s),
        shutdown_graceful_timeout=JOBS_STOP_S,
    )
    watch = asyncio.create_task(watch_for_dead_workers(resources, worker), name="worker-watch")
    try:
        await worker.run()  # type: ignore[no-untyped-call]
    finally:
        watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watch


async def watch_for_dead_workers(resources: Resources, worker: Worker) -> None:
    """Hold this worker's liveness lock and, every heartbeat, queue again the jobs of dead
    workers: a killed worker's jobs run again within seconds, without waiting for a
    restart (`runtime.recovery`)."""
    settings = resources.settings
    while True:
        try:
            async with resources.pool.connection() as conn:
                worker_id = await registered_id(worker)
                await hold_liveness(conn, worker_id)
                try:
                    while True:
                        recovered = await recover_dead_workers(
                            resources.pool, stalled_after_s=settings.stalled_after_s
                        )
                        await fail_abandoned_events(resources.pool, recovered)
                        await asyncio.sleep(settings.worker_heartbeat_s)
                finally:
                    with contextlib.suppress(psycopg.Error):
                        await release_liveness(conn, worker_id)
        except (psycopg.Error, PoolTimeout) as exc:
            logger.warning("watch for dead workers interrupted: %s", type(exc).__name__)
            await asyncio.sleep(settings.worker_heartbeat_s)


async def registered_id(worker: Worker) -> int:
    """The worker's id, once procrastinate has registered it."""
    while worker.worker_id is None:
        await asyncio.sleep(0.02)
    return worker.worker_id


async def supervise_worker(resources: Resources, *, max_backoff_s: float = 4.0) -> None:
    """Keep a worker running: procrastinate stops its worker when the database goes away,
    so restart it with backoff until the database is back (a failed start costs one
    refused connection, so the backoff stays short and the worker is back soon after)."""
    backoff = 1.0
    while True:
        started = time.monotonic()
        try:
            await run_worker(resources)
            logger.error("worker stopped on its own; restarting in %.0fs", backoff)
        except Exception as exc:
            logger.error(
                "worker failed (%s: %s); restarting in %.0fs", type(exc).__name__, exc, backoff
            )
        await asyncio.sleep(backoff)
        healthy_run = time.monotonic() - started > HEALTHY_RUN_S
        backoff = 1.0 if healthy_run else min(backoff * 2, max_backoff_s)


@asynccontextmanager
async def background_worker(resources: Resources) -> AsyncIterator[None]:
    """An in-process worker beside the API, stopped when the API shuts down."""
    task = asyncio.create_task(supervise_worker(resources), name="opsgraph-worker")
    logger.info("in-process worker started")
    try:
        yield
    finally:
        task.cancel()
        # Shutting down must not hang on a job that will not let go: what is still running
        # after this long is left to the next worker's recovery (its liveness lock dies with us).
        done, _ = await asyncio.wait({task}, timeout=WORKER_STOP_S)
        if done:
            with contextlib.suppress(asyncio.CancelledError):
                await task
            logger.info("in-process worker stopped")
        else:
            logger.error("in-process worker did not stop within %.0fs; leaving it", WORKER_STOP_S)

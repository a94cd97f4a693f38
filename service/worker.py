"""Running procrastinate workers with the event runner in their context."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from runtime.queue import EVENTS_QUEUE, MAINTENANCE_QUEUE
from runtime.resources import Resources
from service.runner import EventRunner, compile_master_graph
from service.tasks import RUNNER_KEY, notifier, recover_stalled_jobs

logger = logging.getLogger(__name__)

HEALTHY_RUN_S = 60.0


async def run_worker(
    resources: Resources,
    *,
    wait: bool = True,
    install_signal_handlers: bool = False,
    runner: EventRunner | None = None,
) -> None:
    """Process jobs until cancelled (or, with `wait=False`, until the queue is empty)."""
    settings = resources.settings
    runner = runner or EventRunner(
        resources,
        compile_master_graph(resources),
        notify=notifier(resources.queue, settings),
    )
    await recover_stalled_jobs(resources.queue, stalled_after_s=settings.stalled_after_s)
    await resources.queue.run_worker_async(
        queues=[EVENTS_QUEUE, MAINTENANCE_QUEUE],
        name="opsgraph-worker",
        concurrency=settings.worker_concurrency,
        wait=wait,
        additional_context={RUNNER_KEY: runner},
        install_signal_handlers=install_signal_handlers,
        update_heartbeat_interval=settings.worker_heartbeat_s,
        stalled_worker_timeout=settings.stalled_after_s,
    )


async def supervise_worker(resources: Resources, *, max_backoff_s: float = 30.0) -> None:
    """Keep a worker running: procrastinate stops its worker when the database goes away,
    so restart it with backoff until the database is back."""
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
        with contextlib.suppress(asyncio.CancelledError):
            await task
        logger.info("in-process worker stopped")

"""Running procrastinate workers with the event runner in their context."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from runtime.queue import EVENTS_QUEUE
from runtime.resources import Resources
from service.runner import EventRunner, compile_master_graph
from service.tasks import RUNNER_KEY

logger = logging.getLogger(__name__)


async def run_worker(
    resources: Resources, *, wait: bool = True, install_signal_handlers: bool = False
) -> None:
    """Process jobs until cancelled (or, with `wait=False`, until the queue is empty)."""
    runner = EventRunner(resources, compile_master_graph(resources))
    await resources.queue.run_worker_async(
        queues=[EVENTS_QUEUE],
        name="opsgraph-worker",
        concurrency=resources.settings.worker_concurrency,
        wait=wait,
        additional_context={RUNNER_KEY: runner},
        install_signal_handlers=install_signal_handlers,
    )


@asynccontextmanager
async def background_worker(resources: Resources) -> AsyncIterator[None]:
    """An in-process worker beside the API, stopped when the API shuts down."""
    task = asyncio.create_task(run_worker(resources), name="opsgraph-worker")
    task.add_done_callback(report_stopped_worker)
    logger.info("in-process worker started")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        logger.info("in-process worker stopped")


def report_stopped_worker(task: asyncio.Task[None]) -> None:
    """A worker that stops on its own is an outage: say so loudly."""
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        logger.critical("in-process worker died: %r; no jobs are being processed", error)
    else:
        logger.critical("in-process worker stopped on its own; no jobs are being processed")

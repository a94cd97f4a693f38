"""Worker tasks, registered on the queue app by name (the API defers them by that name)."""

from __future__ import annotations

import uuid

import procrastinate
from procrastinate import JobContext, RetryStrategy

from runtime.queue import EVENTS_QUEUE, PROCESS_EVENT
from service.runner import EventRunner

RUNNER_KEY = "event_runner"


def register_tasks(queue: procrastinate.App, *, max_attempts: int) -> None:
    """Register `process_event`, retried with exponential backoff up to `max_attempts` runs."""
    retries = max_attempts - 1

    @queue.task(
        name=PROCESS_EVENT,
        queue=EVENTS_QUEUE,
        pass_context=True,
        retry=RetryStrategy(max_attempts=retries, exponential_wait=2) if retries else False,
    )
    async def process_event(context: JobContext, *, tenant_id: str, event_id: str) -> None:
        runner: EventRunner = context.additional_context[RUNNER_KEY]
        await runner.run(
            tenant_id=tenant_id,
            event_id=uuid.UUID(event_id),
            final_attempt=context.job.attempts >= retries,
        )

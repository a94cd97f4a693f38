"""Worker tasks, registered on the queue app by name (the API defers them by that name)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from functools import partial

import procrastinate
from procrastinate import JobContext, RetryStrategy

from connectors.outbox import SmtpTarget, deliver_pending
from runtime.queue import EVENTS_QUEUE, MAINTENANCE_QUEUE, PROCESS_EVENT
from runtime.settings import Settings
from service.runner import EventRunner

RUNNER_KEY = "event_runner"

logger = logging.getLogger(__name__)


async def recover_stalled_jobs(queue: procrastinate.App, *, stalled_after_s: float) -> int:
    """Put the jobs of dead workers (no heartbeat for `stalled_after_s`) back in the queue.

    Their events resume from the last checkpoint, and the ledger keeps any side effect
    those workers already made from happening twice.
    """
    stalled = list(
        await queue.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after_s)
    )
    for job in stalled:
        await queue.job_manager.retry_job(job)
        logger.warning("job %s (%s) of a dead worker queued again", job.id, job.task_name)
    return len(stalled)


def register_tasks(
    queue: procrastinate.App,
    *,
    max_attempts: int,
    stalled_after_s: float = 30.0,
    smtp: SmtpTarget | None = None,
) -> None:
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

    @queue.periodic(cron="* * * * *", periodic_id="recover_stalled_jobs")
    @queue.task(
        name="recover_stalled_jobs",
        queue=MAINTENANCE_QUEUE,
        queueing_lock="recover_stalled_jobs",
        pass_context=True,
    )
    async def recover_stalled(context: JobContext, timestamp: int) -> None:  # noqa: ARG001
        await recover_stalled_jobs(context.app, stalled_after_s=stalled_after_s)

    if smtp is None:
        return

    @queue.periodic(cron="* * * * *", periodic_id="deliver_outbox")
    @queue.task(
        name="deliver_outbox",
        queue=MAINTENANCE_QUEUE,
        queueing_lock="deliver_outbox",
        pass_context=True,
    )
    async def deliver_outbox(context: JobContext, timestamp: int) -> None:  # noqa: ARG001
        runner: EventRunner = context.additional_context[RUNNER_KEY]
        sent, unsent = await deliver_pending(runner.resources.pool, smtp)
        if sent or unsent:
            logger.info("outbox: %d sent, %d not sent", sent, unsent)


def tasks_for(settings: Settings) -> Callable[[procrastinate.App], None]:
    """What registers this service's tasks on a queue app, configured from `settings`."""
    smtp = None
    if settings.smtp_url is not None:
        smtp = SmtpTarget.from_url(settings.smtp_url.get_secret_value(), sender=settings.smtp_from)
    return partial(
        register_tasks,
        max_attempts=settings.job_max_attempts,
        stalled_after_s=settings.stalled_after_s,
        smtp=smtp,
    )

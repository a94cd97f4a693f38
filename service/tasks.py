"""Worker tasks, registered on the queue app by name (the API defers them by that name)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import httpx
import procrastinate
from opentelemetry import trace
from procrastinate import JobContext, RetryStrategy

from connectors.notify import post_notice
from connectors.outbox import SmtpTarget, deliver_pending
from graph.context import Notifier, no_notice
from hitl.deadlines import apply_deadlines as apply_approval_deadlines
from runtime.database import Pool
from runtime.events import EventStatus, record_outcome
from runtime.logging import log_context
from runtime.queue import (
    EVENTS_QUEUE,
    MAINTENANCE_QUEUE,
    PROCESS_EVENT,
    RESUME_RUN,
)
from runtime.recovery import Recovered
from runtime.settings import Settings
from runtime.threads import RUN_THREAD, abandon_run
from runtime.tracing import job_span
from service.chat_runs import register_chat_tasks
from service.runner import EventRunner

RUNNER_KEY = "event_runner"
RunStep = Callable[..., Awaitable[EventStatus | None]]
SEND_NOTICE = "send_notice"
EVENT_TASKS = frozenset({PROCESS_EVENT, RESUME_RUN})

logger = logging.getLogger(__name__)
TRACER = trace.get_tracer(__name__)
"""A proxy: it traces to whatever provider the composition root installed (none: no-op)."""


async def fail_abandoned_events(pool: Pool, recovered: list[Recovered]) -> int:
    """An event whose job was failed because its workers kept dying ends `failed` with
    that reason, instead of resting in `running` with no job left to finish it (a chat
    run ends `error`, its thread no longer busy)."""
    failed = 0
    for job in recovered:
        if job.failed and job.task_name == RUN_THREAD:
            async with pool.connection() as conn:
                await abandon_run(
                    conn,
                    uuid.UUID(str(job.args["run_id"])),
                    f"the worker running it died {job.crashes} times; not retried again",
                )
            continue
        if not job.failed or job.task_name not in EVENT_TASKS:
            continue
        await record_outcome(
            pool,
            tenant_id=str(job.args["tenant_id"]),
            event_id=uuid.UUID(str(job.args["event_id"])),
            status=EventStatus.FAILED,
            domains=[],
            timeline=[],
            error=f"the worker running it died {job.crashes} times; not retried again",
        )
        failed += 1
    return failed


def register_tasks(
    queue: procrastinate.App,
    *,
    max_attempts: int,
    smtp: SmtpTarget | None = None,
    notice: tuple[str, str] | None = None,
) -> None:
    """Register `process_event`, retried with exponential backoff up to `max_attempts` runs.

    Only errors count: a run cut short by its worker's death is queued again as the same
    attempt (`runtime.recovery`)."""
    retries = max_attempts - 1
    retry = RetryStrategy(max_attempts=retries, exponential_wait=2) if retries else False

    def event_task(name: str, step: Callable[[EventRunner], RunStep]) -> None:
        """An event job: `step` of the runner, told whether this is the last attempt."""

        async def run_step(
            context: JobContext,
            *,
            tenant_id: str,
            event_id: str,
            trace_context: dict[str, str] | None = None,
        ) -> None:
            runner: EventRunner = context.additional_context[RUNNER_KEY]
            with (
                log_context(event_id=event_id, tenant=tenant_id, thread=f"event:{event_id}"),
                job_span(
                    TRACER,
                    name,
                    carrier=trace_context,
                    job_id=context.job.id,
                    attributes={"opsgraph.event_id": event_id, "opsgraph.tenant": tenant_id},
                ),
            ):
                await step(runner)(
                    tenant_id=tenant_id,
                    event_id=uuid.UUID(event_id),
                    final_attempt=context.job.attempts >= retries,
                )

        queue.task(name=name, queue=EVENTS_QUEUE, pass_context=True, retry=retry)(run_step)

    event_task(PROCESS_EVENT, lambda runner: runner.run)
    event_task(RESUME_RUN, lambda runner: runner.resume)
    register_chat_tasks(queue)

    @queue.periodic(cron="* * * * *", periodic_id="approval_deadlines")
    @queue.task(
        name="approval_deadlines",
        queue=MAINTENANCE_QUEUE,
        queueing_lock="approval_deadlines",
        pass_context=True,
    )
    async def approval_deadlines(context: JobContext, timestamp: int) -> None:  # noqa: ARG001
        runner: EventRunner = context.additional_context[RUNNER_KEY]
        await apply_deadlines(runner)

    @queue.task(
        name=SEND_NOTICE,
        queue=MAINTENANCE_QUEUE,
        retry=RetryStrategy(max_attempts=6, exponential_wait=3),
    )
    async def send_notice(*, kind: str, data: dict[str, Any], msg_id: str) -> None:
        if notice is None:
            return
        url, secret = notice
        async with httpx.AsyncClient(timeout=10) as client:
            await post_notice(client, url, secret, kind=kind, data=data, msg_id=msg_id)

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
    notice = None
    if settings.notify_url and settings.notify_secret:
        notice = (settings.notify_url, settings.notify_secret.get_secret_value())
    smtp = None
    if settings.smtp_url is not None:
        smtp = SmtpTarget.from_url(settings.smtp_url.get_secret_value(), sender=settings.smtp_from)
    return partial(
        register_tasks,
        max_attempts=settings.job_max_attempts,
        smtp=smtp,
        notice=notice,
    )


async def apply_deadlines(runner: EventRunner) -> tuple[int, int]:
    """The periodic deadline pass (`hitl.deadlines.apply_deadlines`) with the runner's pool,
    queue and notices. Returns (escalated, expired)."""
    resources = runner.resources
    return await apply_approval_deadlines(resources.pool, resources.queue, runner.notify)


def notifier(queue: procrastinate.App, settings: Settings) -> Notifier:
    """Notices go out as retried jobs, so a slow or failing receiver never blocks a run."""
    if not (settings.notify_url and settings.notify_secret):
        return no_notice

    async def notify(kind: str, data: dict[str, Any]) -> None:
        try:
            await queue.configure_task(name=SEND_NOTICE, queue=MAINTENANCE_QUEUE).defer_async(
                kind=kind, data=data, msg_id=f"msg_{uuid.uuid4().hex}"
            )
        except Exception as exc:  # a notice must never fail the run that raised it
            logger.warning("notice %s not queued: %s", kind, type(exc).__name__)

    return notify

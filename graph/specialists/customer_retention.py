"""CRM: a subscription being cancelled becomes a task for a person to keep (or win back)
the customer."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.state import EventData
from graph.tools.engagement import create_crm_task_tool

PROMPT = (
    "You keep customers who are leaving. When a subscription is set to cancel, call "
    "create_crm_task (kind 'retention', due in 2 days); when it has ended, kind 'win_back', "
    "due in 7 days. Report the task in one sentence."
)
RETENTION_DAYS = 2
WIN_BACK_DAYS = 7


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    payload = event["payload"]
    subscription = str(payload.get("id") or event["entity"].split(":", 1)[-1])
    customer = str(payload.get("customer") or "")
    ended = event["type"] == "subscription.deleted"
    task = last_result(results, create_crm_task_tool.name)
    if task is None:
        if not customer:
            return f"subscription {subscription} names no customer; no retention task opened"
        plan = payload.get("plan") or "their plan"
        return [
            call(
                create_crm_task_tool,
                customer=customer,
                kind="win_back" if ended else "retention",
                subject=(
                    f"{'Win back' if ended else 'Keep'} {customer}: subscription {subscription} "
                    f"({plan}) {'ended' if ended else 'set to cancel'}"
                ),
                due_in_days=WIN_BACK_DAYS if ended else RETENTION_DAYS,
                ref=subscription,
            )
        ]
    if is_error(task) or not isinstance(task, dict):
        return f"retention task not opened for {customer}: {task}"
    return f"{task['kind']} task {task['task_id']} opened for {customer}, due {task['due_at'][:10]}"


SPECIALIST = Specialist(
    name="customer_retention",
    domain="crm",
    description="Opens a retention (or win-back) task when a subscription is cancelled.",
    prompt=PROMPT,
    tools=(create_crm_task_tool,),
    playbook=playbook,
)

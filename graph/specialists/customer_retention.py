"""CRM: a subscription being cancelled becomes a task for a person to keep (or win back)
the customer. A subscription naming no customer goes to a person, who can name one."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.state import EventData
from graph.tools.attention import attention_args, chosen, left_as_is, raise_attention_tool
from graph.tools.engagement import create_crm_task_tool

PROMPT = (
    "You keep customers who are leaving. When a subscription is set to cancel, call "
    "create_crm_task (kind 'retention', due in 2 days); when it has ended, kind 'win_back', "
    "due in 7 days. If it names no customer, call raise_attention (problem no_customer) "
    "offering open_task (with details.customer) and skip, and carry out the choice. "
    "Report the task in one sentence."
)
REMEDIES = {
    "open_task": "open the task for `details.customer` (give the customer)",
    "skip": "open no task",
}
RETENTION_DAYS = 2
WIN_BACK_DAYS = 7


def customer_or_step(
    subscription: str, results: Sequence[ToolMessage]
) -> tuple[str, PlaybookStep | None]:
    """The customer a person named for a subscription that names none, else the step that
    asks them (or says what they decided)."""
    decided = last_result(results, raise_attention_tool.name)
    if decided is None:
        item = attention_args(
            problem="no_customer",
            subject=f"subscription {subscription}",
            reason=(
                f"subscription {subscription} is being cancelled but names no customer: "
                "no retention task can be opened"
            ),
            remedies=REMEDIES,
            remedy="skip",
            customer="",
        )
        return "", [call(raise_attention_tool, **item)]
    remedy, details = chosen(decided)
    if remedy == "open_task" and details.get("customer"):
        return str(details["customer"]), None
    if remedy is None:
        return "", f"subscription {subscription} names no customer; {left_as_is(decided)}"
    return "", f"subscription {subscription} names no customer; a reviewer opened no task"


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    payload = event["payload"]
    subscription = str(payload.get("id") or event["entity"].split(":", 1)[-1])
    ended = event["type"] == "subscription.deleted"
    customer = str(payload.get("customer") or "")
    if not customer:
        customer, step = customer_or_step(subscription, results)
        if step is not None:
            return step
    task = last_result(results, create_crm_task_tool.name)
    if task is None:
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
    description=(
        "Opens a retention (or win-back) task when a subscription is cancelled; without a "
        "customer, asks a person."
    ),
    prompt=PROMPT,
    tools=(create_crm_task_tool, raise_attention_tool),
    playbook=playbook,
)

"""CRM: a customer's value and segment; a welcome message for new customers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from graph.specialists.base import Playbook, PlaybookStep, Specialist, call, is_error, last_result
from graph.state import EventData
from graph.tools.crm import get_customer_value_tool, update_customer_profile_tool

PROMPT = (
    "You look after customers. Call get_customer_value, then update_customer_profile with "
    "the segment; send the welcome message to customers who just signed up or placed their "
    "first order."
)
PROFILE_TOOLS = (get_customer_value_tool, update_customer_profile_tool)


def customer_and_email(event: EventData) -> tuple[str, str | None]:
    payload = event["payload"]
    customer = payload.get("customer") or {}
    email = payload.get("email") or customer.get("email")
    ref = customer.get("id") or payload.get("customer_id") or email or event["entity"]
    return str(ref), email


def profile_playbook(
    *,
    welcome: Callable[[EventData, dict[str, Any]], bool],
    report: Callable[[str, dict[str, Any], Any], str],
) -> Playbook:
    """Value the event's customer, then save their profile with the segment. `welcome`
    says whether the update sends the welcome message; `report(customer, value, update's
    result)` words the outcome."""

    def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
        customer, email = customer_and_email(event)
        value = last_result(results, get_customer_value_tool.name)
        if value is None:
            return [call(get_customer_value_tool, customer=customer)]
        if is_error(value) or not isinstance(value, dict):
            return f"could not value customer {customer}: {value}"
        profile = last_result(results, update_customer_profile_tool.name)
        if profile is None:
            return [
                call(
                    update_customer_profile_tool,
                    customer=customer,
                    email=email,
                    segment=value["segment"],
                    lifetime_value=value["lifetime_value"],
                    order_count=value["order_count"],
                    send_welcome=welcome(event, value),
                )
            ]
        return report(customer, value, profile)

    return playbook


def first_contact(event: EventData, value: dict[str, Any]) -> bool:
    return event["type"] == "customer.created" or value["order_count"] <= 1


def report(customer: str, value: dict[str, Any], profile: Any) -> str:
    welcome = ", welcome sent" if isinstance(profile, dict) and profile["welcome_sent"] else ""
    return f"customer {customer}: {value['segment']}, value {value['lifetime_value']:.2f}{welcome}"


SPECIALIST = Specialist(
    name="customer_onboarding",
    domain="crm",
    description="Values and segments a customer; welcomes new ones.",
    prompt=PROMPT,
    tools=PROFILE_TOOLS,
    playbook=profile_playbook(welcome=first_contact, report=report),
)

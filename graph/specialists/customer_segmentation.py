"""CRM: an updated customer is valued and segmented again (no welcome: they are known)."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.specialists.customer_onboarding import customer_and_email
from graph.state import EventData
from graph.tools.crm import get_customer_value_tool, update_customer_profile_tool

PROMPT = (
    "You keep customer segments current. Call get_customer_value for the updated customer, "
    "then update_customer_profile with the segment and value (never a welcome message: "
    "the customer is not new). Report the segment."
)


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
                send_welcome=False,
            )
        ]
    if is_error(profile):
        return f"segment of {customer} not saved: {profile}"
    return f"customer {customer} segmented {value['segment']} (value {value['lifetime_value']:.2f})"


SPECIALIST = Specialist(
    name="customer_segmentation",
    domain="crm",
    description="Re-values and re-segments a customer whose record changed.",
    prompt=PROMPT,
    tools=(get_customer_value_tool, update_customer_profile_tool),
    playbook=playbook,
)

"""CRM: an updated customer is valued and segmented again (no welcome: they are known)."""

from __future__ import annotations

from typing import Any

from graph.specialists.base import Specialist, is_error
from graph.specialists.customer_onboarding import PROFILE_TOOLS, profile_playbook
from graph.state import EventData

PROMPT = (
    "You keep customer segments current. Call get_customer_value for the updated customer, "
    "then update_customer_profile with the segment and value (never a welcome message: "
    "the customer is not new). Report the segment."
)


def never(_event: EventData, _value: dict[str, Any]) -> bool:
    return False


def report(customer: str, value: dict[str, Any], profile: Any) -> str:
    if is_error(profile):
        return f"segment of {customer} not saved: {profile}"
    return f"customer {customer} segmented {value['segment']} (value {value['lifetime_value']:.2f})"


SPECIALIST = Specialist(
    name="customer_segmentation",
    domain="crm",
    description="Re-values and re-segments a customer whose record changed.",
    prompt=PROMPT,
    tools=PROFILE_TOOLS,
    playbook=profile_playbook(welcome=never, report=report),
)

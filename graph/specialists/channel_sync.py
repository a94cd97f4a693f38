"""Integration: push product and stock changes to the connected sales channels."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, last_result
from graph.state import EventData
from graph.tools.integration import ChannelSyncInput, plan_channel_sync_tool

PROMPT = "You keep sales channels in sync. Call plan_channel_sync for the product, then report."


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    plan = last_result(results, plan_channel_sync_tool.name)
    if plan is None:
        fields = set(ChannelSyncInput.model_fields)
        args = {key: value for key, value in event["payload"].items() if key in fields}
        args.setdefault("product_id", event["entity"].split(":", 1)[-1])
        return [{"name": plan_channel_sync_tool.name, "args": args}]
    if not isinstance(plan, dict):
        return f"channel sync failed: {plan}"
    actions = ", ".join(f"{u['channel']}:{u['action']}" for u in plan["updates"])
    return f"channels updated for product {plan['product_id']} ({actions})"


SPECIALIST = Specialist(
    name="channel_sync",
    domain="integration",
    description="Pushes product and stock changes to connected channels.",
    prompt=PROMPT,
    tools=(plan_channel_sync_tool,),
    playbook=playbook,
)

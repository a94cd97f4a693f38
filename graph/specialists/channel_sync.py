"""Integration: push product and stock changes to the connected sales channels."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.state import EventData
from graph.tools.integration import (
    ChannelSyncInput,
    plan_channel_sync_tool,
    push_channel_updates_tool,
)

PROMPT = (
    "You keep sales channels in sync. Call plan_channel_sync for the product (stock 0 locks "
    "every channel), then push_channel_updates with the plan, then report."
)


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    plan = last_result(results, plan_channel_sync_tool.name)
    if plan is None:
        fields = set(ChannelSyncInput.model_fields)
        args = {key: value for key, value in event["payload"].items() if key in fields}
        args.setdefault("product_id", event["entity"].split(":", 1)[-1])
        if event["type"] == "stock.out":
            args["stock"] = 0
        return [{"name": plan_channel_sync_tool.name, "args": args}]
    if is_error(plan) or not isinstance(plan, dict):
        return f"channel sync failed: {plan}"
    pushed = last_result(results, push_channel_updates_tool.name)
    if is_error(pushed):
        return f"channel updates for {plan['product_id']} not applied: {pushed}"
    if pushed is None:
        return [
            call(push_channel_updates_tool, product_id=plan["product_id"], updates=plan["updates"])
        ]
    actions = ", ".join(f"{u['channel']}:{u['action']}" for u in plan["updates"])
    return f"channels updated for product {plan['product_id']} ({actions})"


SPECIALIST = Specialist(
    name="channel_sync",
    domain="integration",
    description="Pushes product and stock changes to connected channels; out of stock locks.",
    prompt=PROMPT,
    tools=(plan_channel_sync_tool, push_channel_updates_tool),
    playbook=playbook,
)

"""Integration tools."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field

DEFAULT_CHANNELS = ("webshop", "marketplace", "pos")


class ChannelSyncInput(BaseModel):
    """A product's current listing state, to be pushed to the sales channels."""

    product_id: str
    sku: str | None = None
    name: str | None = None
    price: float | None = Field(default=None, ge=0)
    stock: int | None = Field(default=None, ge=0)
    channels: list[str] = Field(default_factory=lambda: list(DEFAULT_CHANNELS), min_length=1)


def plan_channel_sync(**kwargs: Any) -> dict[str, Any]:
    """Plan the per-channel updates for a product; out of stock locks every channel."""
    product = ChannelSyncInput(**kwargs)
    locked = product.stock == 0
    fields = {
        key: value
        for key, value in {
            "name": product.name,
            "price": product.price,
            "stock": product.stock,
        }.items()
        if value is not None
    }
    return {
        "product_id": product.product_id,
        "updates": [
            {"channel": channel, "action": "lock" if locked else "upsert", "fields": fields}
            for channel in product.channels
        ],
    }


plan_channel_sync_tool = StructuredTool.from_function(
    func=plan_channel_sync,
    name="plan_channel_sync",
    description=plan_channel_sync.__doc__ or "",
    args_schema=ChannelSyncInput,
)

INTEGRATION_TOOLS = (plan_channel_sync_tool,)

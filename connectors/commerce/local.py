"""The local store as the commerce backend: what the tools did before the seam, unchanged."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from connectors.commerce.backend import Result, StockLevel
from connectors.orders import add_fulfillment, cancel_order, get_order, item_quantities, save_order
from connectors.stock import release, reserve, ship, stock_records


class LocalBackend:
    """Acts on the tenant's store tables on the tool's connection (inside its ledger
    transaction, so an effect and its ledger row commit together)."""

    name = "local"

    def __init__(self, conn: AsyncConnection[DictRow], tenant_id: str) -> None:
        self.conn = conn
        self.tenant_id = tenant_id

    async def reserve_stock(self, order_id: str) -> Result:
        order = await get_order(self.conn, tenant_id=self.tenant_id, order_id=order_id)
        if order is None:
            return "Error: order not found"
        return await reserve(
            self.conn,
            tenant_id=self.tenant_id,
            order_id=order_id,
            quantities=item_quantities(order),
        )

    async def stock_levels(self, item_ids: list[str]) -> dict[str, StockLevel]:
        records = await stock_records(self.conn, tenant_id=self.tenant_id, item_ids=item_ids)
        return {
            item_id: StockLevel(
                item_id=item_id,
                product_id=str(row["product_id"]),
                available=int(row["available"]),
                price=None if row["price"] is None else float(row["price"]),
            )
            for item_id, row in records.items()
        }

    async def release_stock(self, order_id: str) -> dict[str, Any]:
        return await release(self.conn, tenant_id=self.tenant_id, order_id=order_id)

    async def fulfill_order(self, order_id: str, *, idempotency_key: str) -> Result:
        order = await get_order(self.conn, tenant_id=self.tenant_id, order_id=order_id)
        if order is None:
            return "Error: order not found"
        result = await add_fulfillment(
            self.conn,
            tenant_id=self.tenant_id,
            order_id=order_id,
            item_ids=[str(item["item_id"]) for item in order["items"]],
            idempotency_key=idempotency_key,
        )
        if isinstance(result, dict):
            result["shipped"] = await ship(self.conn, tenant_id=self.tenant_id, order_id=order_id)
        return result

    async def cancel_order(self, order_id: str, *, reason: str, idempotency_key: str) -> Result:
        del idempotency_key  # the ledger's transaction makes the store's cancellation once
        return await cancel_order(
            self.conn, tenant_id=self.tenant_id, order_id=order_id, reason=reason
        )

    def content_target(self, kind: str, subject: str) -> str | None:
        del kind, subject  # the CMS drafts are the local store's product pages
        return None

    async def apply_content(
        self, kind: str, subject: str, body: dict[str, Any], *, idempotency_key: str
    ) -> Result | None:
        del kind, subject, body, idempotency_key
        return None

    async def write_note(
        self, order_id: str, *, key: str, value: str, idempotency_key: str
    ) -> Result:
        del idempotency_key
        order = await get_order(self.conn, tenant_id=self.tenant_id, order_id=order_id, lock=True)
        if order is None:
            return "Error: order not found"
        notes = order.setdefault("notes", {})
        already = notes.get(key) == value
        if not already:
            notes[key] = value
            await save_order(self.conn, tenant_id=self.tenant_id, order=order)
        return {"order_id": order_id, "key": key, "value": value, "already": already}

"""The commerce-backend seam: what the tools ask of the tenant's system of record.

A tenant's orders, stock, fulfilments, cancellations, product copy and order notes live
either in the local store (the default; the demo and the tests) or in the tenant's Saleor
shop (when the tenant installed opsgraph as a Saleor App). Tools call the backend and never
know which; results keep the local store's shapes, so playbooks read both alike.

Every method that changes something may be called again after a crash or a resume (the
ledger records a result only when its transaction commits), so a backend must make a repeat
harmless: the local store does it inside the ledger's transaction; Saleor, which has no
idempotency keys, by reading whether the effect already exists before acting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

Result = dict[str, Any] | str
"""A result, or `"Error: ..."` for a refusal the planner should see."""


@dataclass(frozen=True)
class StockLevel:
    """What the system of record knows of one SKU's stock, for decisions such as a reorder."""

    item_id: str
    product_id: str
    available: int
    """Units the shortfall of an order is measured against (the figure `reserve_stock`
    reports as available)."""
    price: float | None
    """The variant's selling price, when the system of record has one."""


class CommerceBackend(Protocol):
    """The operations the e-commerce, order and CMS tools perform on the system of record."""

    @property
    def name(self) -> str:
        """`local` or `saleor`: where the effects land."""
        ...

    async def reserve_stock(self, order_id: str) -> Result:
        """Hold stock for every unit the order still needs, or say what is short."""
        ...

    async def stock_levels(self, item_ids: list[str]) -> dict[str, StockLevel]:
        """Stock per SKU across every warehouse; a SKU with no stock record is absent
        (unknown, not zero). Raises when the system of record cannot be read."""
        ...

    async def release_stock(self, order_id: str) -> dict[str, Any]:
        """Give back what `reserve_stock` held (the compensation of it)."""
        ...

    async def fulfill_order(self, order_id: str, *, idempotency_key: str) -> Result:
        """Ship every unit not yet shipped, with a tracking number derived from the key."""
        ...

    async def cancel_order(self, order_id: str, *, reason: str, idempotency_key: str) -> Result:
        """Cancel the order (an already cancelled one answers as if just cancelled)."""
        ...

    def content_target(self, kind: str, subject: str) -> str | None:
        """Where publishing content of this kind about this subject writes it, beyond the
        CMS drafts (e.g. a shop's product SEO fields); None when publishing stays local."""
        ...

    async def apply_content(
        self, kind: str, subject: str, body: dict[str, Any], *, idempotency_key: str
    ) -> Result | None:
        """Write published content to its `content_target`; None when there is none."""
        ...

    async def write_note(
        self, order_id: str, *, key: str, value: str, idempotency_key: str
    ) -> Result:
        """Keep an agent's note on the order (Saleor: the order's public metadata)."""
        ...

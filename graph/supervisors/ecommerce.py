"""E-commerce: fraud review, fulfilment and shipment, procurement, catalog and merchandising,
customer service."""

from __future__ import annotations

from graph.domain import Domain, stages

CHECK_THEN_FULFIL = stages("fraud_review", "order_fulfillment")
"""Nothing ships before the fraud review has scored the order (the gate reads its score)."""

DOMAIN = Domain(
    name="ecommerce",
    title="E-commerce",
    description="Orders from payment to shipment, stock and the catalog.",
    handles={
        "order.created": CHECK_THEN_FULFIL,
        "order.paid": CHECK_THEN_FULFIL,
        "order.updated[paid]": CHECK_THEN_FULFIL,
        "order.cancelled": stages("order_fulfillment"),
        "order.updated[cancelled]": stages("order_fulfillment"),
        "order.updated[shipped]": stages("shipment_tracking"),
        "order.fulfilled": stages("shipment_tracking"),
        "fulfillment.created": stages("shipment_tracking"),
        "product.created": stages(("catalog_seo", "merchandising")),
        "product.updated": stages("merchandising"),
        "stock.out": stages("procurement"),
        "support.requested": stages("customer_service"),
    },
)

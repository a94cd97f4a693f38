"""CRM: customer profiles and segments, touchpoints, retention, leads."""

from __future__ import annotations

from graph.domain import Domain, stages

SHIPPED = stages("customer_touchpoints")

DOMAIN = Domain(
    name="crm",
    title="CRM",
    description="Who the customers are, what they were told, and who follows up.",
    handles={
        "order.created": stages("customer_onboarding"),
        "order.updated[shipped]": SHIPPED,
        "order.fulfilled": SHIPPED,
        "fulfillment.created": SHIPPED,
        "customer.created": stages("customer_onboarding"),
        "customer.updated": stages("customer_segmentation"),
        "lead.created": stages(("lead_scoring", "lead_assignment")),
        "subscription.updated[cancelling]": stages("customer_retention"),
        "subscription.deleted": stages("customer_retention"),
    },
)

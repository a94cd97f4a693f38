"""Billing: invoices, payments and dunning, refunds, disputes, subscriptions."""

from __future__ import annotations

from graph.domain import Domain, stages

INVOICING = stages("invoicing")
SUBSCRIPTIONS = stages("subscriptions")

DOMAIN = Domain(
    name="billing",
    title="Billing",
    description="Money in and out: invoices, collection, refunds, disputes, subscriptions.",
    handles={
        "order.paid": INVOICING,
        "order.updated[paid]": INVOICING,
        "order.cancelled": INVOICING,
        "order.updated[cancelled]": INVOICING,
        "invoice.requested": INVOICING,
        "invoice.paid": stages("payment_reconciliation"),
        "payment.failed": stages("dunning"),
        "refund.created": stages("refunds"),
        "dispute.created": stages("disputes"),
        "subscription.created": SUBSCRIPTIONS,
        "subscription.updated[changed]": SUBSCRIPTIONS,
        "subscription.updated[cancelling]": SUBSCRIPTIONS,
        "subscription.deleted": SUBSCRIPTIONS,
    },
)

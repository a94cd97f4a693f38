"""Specialists, one module each; `SPECIALISTS` indexes them by name."""

from __future__ import annotations

from collections.abc import Mapping

from graph.specialists import (
    catalog_seo,
    channel_sync,
    content_drafting,
    customer_onboarding,
    customer_retention,
    customer_segmentation,
    customer_service,
    customer_touchpoints,
    dead_letter_triage,
    disputes,
    dunning,
    fraud_review,
    invoicing,
    lead_assignment,
    lead_scoring,
    merchandising,
    order_fulfillment,
    payment_reconciliation,
    procurement,
    publishing,
    refunds,
    shipment_tracking,
    subscriptions,
)
from graph.specialists.base import Specialist

MODULES = (
    fraud_review,
    order_fulfillment,
    shipment_tracking,
    procurement,
    catalog_seo,
    merchandising,
    customer_service,
    lead_scoring,
    lead_assignment,
    customer_onboarding,
    customer_segmentation,
    customer_touchpoints,
    customer_retention,
    invoicing,
    payment_reconciliation,
    dunning,
    refunds,
    disputes,
    subscriptions,
    content_drafting,
    publishing,
    channel_sync,
    dead_letter_triage,
)

SPECIALISTS: Mapping[str, Specialist] = {
    module.SPECIALIST.name: module.SPECIALIST for module in MODULES
}


def specialists_of(domain: str) -> dict[str, Specialist]:
    return {name: spec for name, spec in SPECIALISTS.items() if spec.domain == domain}

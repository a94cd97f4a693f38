"""The event registry: which domains and specialists a canonical event type concerns (data).

Within a domain, specialists run in stages: the specialists of one stage run in parallel,
and a later stage sees the earlier stages' outcomes (fulfillment waits for fraud review).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DOMAINS: tuple[str, ...] = ("crm", "ecommerce", "billing", "cms", "integration")

REGISTRY_VERSION = 2


@dataclass(frozen=True)
class Route:
    """One domain an event type goes to, and the stages of specialists it runs there."""

    domain: str
    stages: tuple[tuple[str, ...], ...]

    @property
    def specialists(self) -> tuple[str, ...]:
        return tuple(name for stage in self.stages for name in stage)


def route(domain: str, *stages: tuple[str, ...] | str) -> Route:
    return Route(domain, tuple((s,) if isinstance(s, str) else s for s in stages))


EVENT_ROUTES: Mapping[str, tuple[Route, ...]] = {
    "order.created": (
        route("ecommerce", "fraud_review", "order_fulfillment"),
        route("crm", "customer_onboarding"),
    ),
    "order.paid": (route("billing", "invoicing"),),
    "order.cancelled": (route("ecommerce", "order_fulfillment"), route("billing", "invoicing")),
    "invoice.requested": (route("billing", "invoicing"),),
    "payment.failed": (route("billing", "dunning"),),
    "refund.created": (route("billing", "refunds"),),
    "product.created": (
        route("ecommerce", "catalog_seo"),
        route("cms", "content_drafting"),
        route("integration", "channel_sync"),
    ),
    "product.updated": (route("integration", "channel_sync"),),
    "stock.out": (route("ecommerce", "procurement"), route("integration", "channel_sync")),
    "stock.updated": (route("integration", "channel_sync"),),
    "customer.created": (route("crm", "customer_onboarding"),),
    "lead.created": (route("crm", ("lead_scoring", "lead_assignment")),),
    "content.requested": (route("cms", "content_drafting", "publishing"),),
    "support.requested": (route("ecommerce", "customer_service"),),
    "dead_letter.detected": (route("integration", "dead_letter_triage"),),
}


def known_event_types() -> list[str]:
    return sorted(EVENT_ROUTES)


def domains_for(event_type: str) -> list[str]:
    """The domains an event type reaches, in registry order; empty when it is not routed."""
    return [r.domain for r in EVENT_ROUTES.get(event_type, ())]


def stages_for(event_type: str, domain: str) -> list[list[str]]:
    """The stages of specialists `domain` runs for `event_type`."""
    for r in EVENT_ROUTES.get(event_type, ()):
        if r.domain == domain:
            return [list(stage) for stage in r.stages]
    return []


def specialists_for(event_type: str, domain: str) -> list[str]:
    """All specialists `domain` runs for `event_type`, stage by stage."""
    return [name for stage in stages_for(event_type, domain) for name in stage]

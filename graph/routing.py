"""The event registry, assembled from the domains: which domains and specialists each
canonical event type reaches, and the types accepted but deliberately not run.

The API accepts exactly `REGISTRY.accepted_types`; the webhook normalizers map onto them;
docs/architecture.md's event table is checked against `REGISTRY` by a test.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graph.domain import Domain, EventRegistry, Route, build_registry
from graph.supervisors import billing, cms, crm, ecommerce, integration
from graph.variants import route_key

__all__ = [
    "DOMAINS",
    "EVENT_ROUTES",
    "REGISTRY",
    "REGISTRY_VERSION",
    "Domain",
    "EventRegistry",
    "Route",
    "domains_for",
    "known_event_types",
    "specialists_for",
    "stages_for",
]

REGISTRY_VERSION = 3

IGNORED: Mapping[str, str] = {
    "order.updated[open]": (
        "the order is neither paid, shipped nor cancelled: nothing for the agents to do "
        "(the store mirrors the update)"
    ),
}

REGISTRY = build_registry(
    domains=(ecommerce.DOMAIN, crm.DOMAIN, billing.DOMAIN, cms.DOMAIN, integration.DOMAIN),
    ignored=IGNORED,
    version=REGISTRY_VERSION,
)

DOMAINS: tuple[str, ...] = tuple(domain.name for domain in REGISTRY.domains)

EVENT_ROUTES: Mapping[str, tuple[Route, ...]] = REGISTRY.routes
"""route key -> the domains it reaches, with their stages."""


def known_event_types() -> list[str]:
    """Every event type the service accepts, sorted."""
    return sorted(REGISTRY.accepted_types)


def key_for(event_type: str, payload: Mapping[str, Any] | None = None) -> str:
    """A route key stays as it is; a type that routes by variant reads the payload."""
    return event_type if event_type in REGISTRY.routes else route_key(event_type, payload or {})


def domains_for(event_type: str, payload: Mapping[str, Any] | None = None) -> list[str]:
    """The domains an event reaches, in registry order; empty when none handles it."""
    return REGISTRY.domains_for(key_for(event_type, payload))


def stages_for(
    event_type: str, domain: str, payload: Mapping[str, Any] | None = None
) -> list[list[str]]:
    """The stages of specialists `domain` runs for the event."""
    return REGISTRY.stages_for(key_for(event_type, payload), domain)


def specialists_for(
    event_type: str, domain: str, payload: Mapping[str, Any] | None = None
) -> list[str]:
    """All specialists `domain` runs for the event, stage by stage."""
    return [name for stage in stages_for(event_type, domain, payload) for name in stage]

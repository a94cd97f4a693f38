"""The event registry and its helpers, and its agreement with the specialists and supervisors."""

from __future__ import annotations

import pytest

from graph.routing import (
    DOMAINS,
    EVENT_ROUTES,
    domains_for,
    known_event_types,
    specialists_for,
)
from graph.specialists import SPECIALISTS, specialists_of
from graph.supervisors import DOMAIN_BUILDERS

ROUTED = [
    (event_type, route.domain, specialist)
    for event_type, routes in EVENT_ROUTES.items()
    for route in routes
    for specialist in route.specialists
]


def test_known_event_types_are_the_registry_sorted() -> None:
    types = known_event_types()

    assert types == sorted(types)
    assert set(types) == set(EVENT_ROUTES)
    assert {"order.created", "order.paid", "product.created", "lead.created"} <= set(types)


def test_domains_for_follows_registry_order() -> None:
    assert domains_for("product.created") == ["ecommerce", "cms", "integration"]
    assert domains_for("order.created") == ["ecommerce", "crm"]
    assert domains_for("lead.created") == ["crm"]


def test_domains_for_an_unrouted_type_is_empty() -> None:
    assert domains_for("subscription.cancelled") == []
    assert domains_for("") == []


def test_specialists_for_a_domain_of_the_event() -> None:
    assert specialists_for("product.created", "cms") == ["content_drafting"]
    assert specialists_for("product.created", "integration") == ["channel_sync"]
    assert specialists_for("order.paid", "billing") == ["invoicing"]


def test_specialists_for_a_domain_the_event_does_not_reach_is_empty() -> None:
    assert specialists_for("product.created", "billing") == []
    assert specialists_for("subscription.cancelled", "crm") == []


@pytest.mark.parametrize("event_type", known_event_types())
def test_each_type_reaches_known_domains_once_each(event_type: str) -> None:
    domains = domains_for(event_type)

    assert domains
    assert len(set(domains)) == len(domains)
    assert set(domains) <= set(DOMAINS)
    assert all(specialists_for(event_type, domain) for domain in domains)


@pytest.mark.parametrize(("event_type", "domain", "specialist"), ROUTED)
def test_registry_specialist_exists_in_its_domain(
    event_type: str, domain: str, specialist: str
) -> None:
    assert specialist in SPECIALISTS, f"{event_type} names unknown specialist {specialist}"
    assert SPECIALISTS[specialist].domain == domain


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_domain_has_a_supervisor_and_specialists(domain: str) -> None:
    assert domain in DOMAIN_BUILDERS
    assert specialists_of(domain)


def test_every_specialist_belongs_to_a_domain() -> None:
    assert {specialist.domain for specialist in SPECIALISTS.values()} <= set(DOMAINS)
    assert all(name == specialist.name for name, specialist in SPECIALISTS.items())

"""The event registry: assembled from the domains' declarations, consistent with the
specialists, and refusing declarations that do not make one registry."""

from __future__ import annotations

import pytest

from connectors.order_states import order_state
from graph.domain import Domain, RegistryError, build_registry, stages
from graph.routing import (
    DOMAINS,
    EVENT_ROUTES,
    REGISTRY,
    domains_for,
    known_event_types,
    specialists_for,
)
from graph.specialists import SPECIALISTS, specialists_of
from graph.tools.registry import ALL_TOOLS
from graph.variants import SELECTORS, base_type, route_key

ROUTED = [
    (key, route.domain, specialist)
    for key, routes in EVENT_ROUTES.items()
    for route in routes
    for specialist in route.specialists
]


def test_known_event_types_are_the_accepted_types_sorted() -> None:
    types = known_event_types()

    assert types == sorted(types)
    assert set(types) == REGISTRY.accepted_types
    assert {"order.updated", "dispute.created", "subscription.deleted"} <= set(types)


def test_the_registry_is_the_union_of_the_domains_declarations() -> None:
    declared = {
        (key, domain.name): steps
        for domain in REGISTRY.domains
        for key, steps in domain.handles.items()
    }
    routed = {(key, r.domain): r.stages for key, routes in EVENT_ROUTES.items() for r in routes}

    assert routed == declared
    assert tuple(domain.name for domain in REGISTRY.domains) == DOMAINS


def test_domains_for_follows_registry_order() -> None:
    assert domains_for("product.created") == ["ecommerce", "cms", "integration"]
    assert domains_for("order.created") == ["ecommerce", "crm"]
    assert domains_for("lead.created") == ["crm"]


def test_an_order_update_is_routed_by_the_orders_new_state() -> None:
    assert domains_for("order.updated", {"paid": True}) == ["ecommerce", "billing"]
    assert domains_for("order.updated", {"status": "CANCELED"}) == ["ecommerce", "billing"]
    assert specialists_for("order.updated", "ecommerce", {"status": "CANCELED"}) == [
        "order_fulfillment"
    ]
    assert domains_for("order.updated", {"status": "FULFILLED"}) == ["ecommerce", "crm"]
    assert domains_for("order.updated", {"status": "UNFULFILLED"}) == []
    assert REGISTRY.why_ignored("order.updated[open]")


@pytest.mark.parametrize(
    ("payload", "state"),
    [
        ({"status": "canceled", "paid": True, "tracking": ["1"]}, "cancelled"),
        ({"status": "partially fulfilled", "paid": True}, "shipped"),
        ({"status": "unfulfilled", "tracking": ["1Z"]}, "shipped"),
        ({"status": "unfulfilled", "paid": True}, "paid"),
        ({"payment_status": "FULLY_CHARGED"}, "paid"),
        ({"status": "unconfirmed"}, "open"),
        ({}, "open"),
    ],
)
def test_order_state(payload: dict[str, object], state: str) -> None:
    assert order_state(payload) == state


def test_a_subscription_update_that_cancels_reaches_retention() -> None:
    cancelling = {"cancel_at_period_end": True}
    assert route_key("subscription.updated", cancelling) == "subscription.updated[cancelling]"
    assert specialists_for("subscription.updated", "crm", cancelling) == ["customer_retention"]
    assert domains_for("subscription.updated", {"plan": "pro"}) == ["billing"]


def test_an_unknown_type_is_neither_accepted_nor_routed() -> None:
    assert not REGISTRY.accepts("subscription.cancelled")
    assert domains_for("subscription.cancelled") == []
    assert specialists_for("product.created", "billing") == []


@pytest.mark.parametrize("key", sorted(EVENT_ROUTES))
def test_each_key_reaches_known_domains_once_each(key: str) -> None:
    domains = REGISTRY.domains_for(key)

    assert domains
    assert len(set(domains)) == len(domains)
    assert set(domains) <= set(DOMAINS)
    assert all(REGISTRY.stages_for(key, domain) for domain in domains)


@pytest.mark.parametrize(("key", "domain", "specialist"), ROUTED)
def test_registry_specialist_exists_in_its_domain(key: str, domain: str, specialist: str) -> None:
    assert specialist in SPECIALISTS, f"{key} names unknown specialist {specialist}"
    assert SPECIALISTS[specialist].domain == domain


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_domain_has_specialists(domain: str) -> None:
    assert specialists_of(domain)


def test_every_specialist_is_reached_by_some_event() -> None:
    reached = {specialist for _key, _domain, specialist in ROUTED}

    assert set(SPECIALISTS) == reached
    assert {specialist.domain for specialist in SPECIALISTS.values()} <= set(DOMAINS)
    assert all(name == specialist.name for name, specialist in SPECIALISTS.items())


def test_specialists_have_distinct_prompts() -> None:
    """The model path tells conversations apart by their system prompt."""
    prompts = [specialist.prompt for specialist in SPECIALISTS.values()]
    assert len(set(prompts)) == len(prompts)


def domain(name: str, **handles: tuple[tuple[str, ...], ...]) -> Domain:
    return Domain(name=name, title=name, description="", handles=handles)


def test_build_registry_refuses_inconsistent_declarations() -> None:
    one = stages("a")
    with pytest.raises(RegistryError, match="named twice"):
        build_registry(domains=[domain("x"), domain("x")], ignored={}, version=1)
    with pytest.raises(RegistryError, match="not an event type"):
        build_registry(domains=[Domain("x", "x", "", {"Order": one})], ignored={}, version=1)
    with pytest.raises(RegistryError, match=r"order\.created has no variants"):
        build_registry(
            domains=[Domain("x", "x", "", {"order.created[paid]": one})], ignored={}, version=1
        )
    with pytest.raises(RegistryError, match=r"name one of order\.updated\[paid\]"):
        build_registry(
            domains=[Domain("x", "x", "", {"order.updated": one})], ignored={}, version=1
        )
    with pytest.raises(RegistryError, match="not for"):
        build_registry(
            domains=[Domain("x", "x", "", {"order.updated[paid]": one})], ignored={}, version=1
        )
    with pytest.raises(RegistryError, match="both routed and ignored"):
        build_registry(
            domains=[Domain("x", "x", "", {"lead.created": one})],
            ignored={"lead.created": "no"},
            version=1,
        )


def test_every_variant_of_a_selected_type_is_routed_or_ignored() -> None:
    for event_type, selector in SELECTORS.items():
        for value in selector.values:
            key = f"{event_type}[{value}]"
            assert key in EVENT_ROUTES or REGISTRY.why_ignored(key), key
            assert base_type(key) == event_type


def test_every_specialists_tool_is_in_the_tool_registry() -> None:
    used = {tool.name for specialist in SPECIALISTS.values() for tool in specialist.tools}
    assert used <= set(ALL_TOOLS)

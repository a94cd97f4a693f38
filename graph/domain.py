"""What a domain declares, and the event registry assembled from the domains.

Each domain module (`graph/supervisors/<domain>.py`) says which route keys it handles and
the stages of specialists it runs for each; within a domain the specialists of one stage
run in parallel and a later stage sees the earlier stages' outcomes. The registry is the
union: the one source of truth for which event types are accepted and where they go.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from graph.variants import SELECTORS, base_type, route_key, variant_of

Stages = tuple[tuple[str, ...], ...]

EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


def stages(*steps: tuple[str, ...] | str) -> Stages:
    """`stages("fraud_review", "order_fulfillment")`: one after the other; a tuple runs its
    specialists side by side."""
    return tuple((step,) if isinstance(step, str) else step for step in steps)


@dataclass(frozen=True)
class Route:
    """One domain an event goes to, and the stages of specialists it runs there."""

    domain: str
    stages: Stages

    @property
    def specialists(self) -> tuple[str, ...]:
        return tuple(name for stage in self.stages for name in stage)


@dataclass(frozen=True)
class Domain:
    """A domain's knowledge: its name, what it is for, and the events it handles."""

    name: str
    title: str
    description: str
    handles: Mapping[str, Stages]
    """route key (`order.created`, `order.updated[paid]`) -> stages of specialist names."""


@dataclass(frozen=True)
class EventRegistry:
    """Which event types are accepted, and for each route key the domains and stages."""

    version: int
    domains: tuple[Domain, ...]
    routes: Mapping[str, tuple[Route, ...]]
    ignored: Mapping[str, str] = field(default_factory=dict)
    """route key -> why it is accepted but deliberately not run."""

    @property
    def accepted_types(self) -> frozenset[str]:
        return frozenset(base_type(key) for key in (*self.routes, *self.ignored))

    def accepts(self, event_type: str) -> bool:
        return event_type in self.accepted_types

    def key_of(self, event_type: str, payload: Mapping[str, object]) -> str:
        return route_key(event_type, payload)

    def routes_for(self, key: str) -> tuple[Route, ...]:
        return self.routes.get(key, ())

    def domains_for(self, key: str) -> list[str]:
        return [r.domain for r in self.routes_for(key)]

    def stages_for(self, key: str, domain: str) -> list[list[str]]:
        for r in self.routes_for(key):
            if r.domain == domain:
                return [list(stage) for stage in r.stages]
        return []

    def why_ignored(self, key: str) -> str | None:
        return self.ignored.get(key) or self.ignored.get(base_type(key))

    def domain(self, name: str) -> Domain:
        for domain in self.domains:
            if domain.name == name:
                return domain
        raise LookupError(f"no domain {name!r}; domains: {[d.name for d in self.domains]}")


class RegistryError(ValueError):
    """The domains' declarations do not make one consistent registry."""


def check_key(key: str, where: str) -> None:
    event_type, variant = base_type(key), variant_of(key)
    if not EVENT_TYPE.match(event_type):
        raise RegistryError(f"{where}: {key!r} is not an event type like 'order.created'")
    selector = SELECTORS.get(event_type)
    if selector is None and variant is not None:
        raise RegistryError(f"{where}: {event_type} has no variants; route it as {event_type!r}")
    if selector is not None and variant not in selector.values:
        raise RegistryError(
            f"{where}: {event_type} routes by {selector.reads}: name one of "
            + ", ".join(f"{event_type}[{value}]" for value in selector.values)
        )


def build_registry(
    *, domains: Sequence[Domain], ignored: Mapping[str, str], version: int
) -> EventRegistry:
    """The registry the domains declare; domains reach an event in the order given.

    Refused (RegistryError, saying what to fix): a domain named twice, a key that is not an
    event type or names a variant its type does not have, a key both routed and ignored,
    and a type with variants some of which nobody handles or ignores.
    """
    names = [domain.name for domain in domains]
    if len(set(names)) != len(names):
        raise RegistryError(f"domains named twice: {names}")
    routes: dict[str, list[Route]] = {}
    for domain in domains:
        for key, steps in domain.handles.items():
            check_key(key, f"domain {domain.name}")
            if not steps or not all(steps):
                raise RegistryError(f"domain {domain.name}: {key} needs at least one specialist")
            routes.setdefault(key, []).append(Route(domain.name, steps))
    for key in ignored:
        if base_type(key) != key or variant_of(key) is not None:
            check_key(key, "ignored")
        if key in routes:
            raise RegistryError(f"{key} is both routed and ignored")
    for event_type, selector in SELECTORS.items():
        keys = [f"{event_type}[{value}]" for value in selector.values]
        handled = [key for key in keys if key in routes or key in ignored]
        if handled and len(handled) < len(keys):
            missing = sorted(set(keys) - set(handled))
            raise RegistryError(f"{event_type} is routed by variant, but not for {missing}")
    return EventRegistry(
        version=version,
        domains=tuple(domains),
        routes={key: tuple(found) for key, found in routes.items()},
        ignored=dict(ignored),
    )

"""Domain supervisors, one module per domain; `DOMAIN_BUILDERS` maps each domain to its factory."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from graph.models import Planner
from graph.supervisors.base import DomainGraph
from graph.supervisors.billing import build_billing_graph
from graph.supervisors.cms import build_cms_graph
from graph.supervisors.crm import build_crm_graph
from graph.supervisors.ecommerce import build_ecommerce_graph
from graph.supervisors.integration import build_integration_graph

DomainBuilder = Callable[..., DomainGraph]

DOMAIN_BUILDERS: Mapping[str, DomainBuilder] = {
    "crm": build_crm_graph,
    "ecommerce": build_ecommerce_graph,
    "billing": build_billing_graph,
    "cms": build_cms_graph,
    "integration": build_integration_graph,
}

__all__ = ["DOMAIN_BUILDERS", "DomainBuilder", "Planner"]

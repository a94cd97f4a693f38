"""The CMS domain supervisor."""

from __future__ import annotations

from graph.models import Planner
from graph.specialists import specialists_of
from graph.supervisors.base import DomainGraph, build_domain_graph

DOMAIN = "cms"


def build_cms_graph(*, planner: Planner) -> DomainGraph:
    """The CMS supervisor over its specialists (uncompiled)."""
    return build_domain_graph(domain=DOMAIN, specialists=specialists_of(DOMAIN), planner=planner)

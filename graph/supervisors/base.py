"""The domain supervisor factory: pick specialists from the registry, run them in parallel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from graph.context import OpsContext
from graph.models import Planner
from graph.routing import specialists_for
from graph.specialists.agent import build_specialist_graph
from graph.specialists.base import Specialist
from graph.state import DomainInput, DomainOutput, DomainState

DomainGraph = StateGraph[DomainState, OpsContext, DomainInput, DomainOutput]


def build_domain_graph(
    *, domain: str, specialists: Mapping[str, Specialist], planner: Planner
) -> DomainGraph:
    """A supervisor for `domain` over `specialists`; uncompiled, the caller picks the saver."""
    if not specialists:
        raise ValueError(f"domain {domain!r} needs at least one specialist")

    def select_specialists(state: DomainState) -> dict[str, Any]:
        chosen = specialists_for(state["event"]["type"], domain)
        unknown = [name for name in chosen if name not in specialists]
        if unknown:
            raise LookupError(f"registry names specialists {unknown} that {domain} does not have")
        return {"specialists": chosen}

    def dispatch(state: DomainState) -> list[Send]:
        return [Send(name, {"event": state["event"]}) for name in state["specialists"]]

    graph = StateGraph(
        DomainState,
        context_schema=OpsContext,
        input_schema=DomainInput,
        output_schema=DomainOutput,
    )
    graph.add_node("select", select_specialists)
    for name, specialist in specialists.items():
        subgraph = build_specialist_graph(specialist=specialist, planner=planner).compile()
        graph.add_node(name, subgraph)
        graph.add_edge(name, END)
    graph.add_edge(START, "select")
    graph.add_conditional_edges("select", dispatch, [*specialists, END])
    return graph

"""The domain supervisor factory: specialists from the registry, stage by stage, in parallel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from graph.context import OpsContext
from graph.models import Planner
from graph.routing import stages_for
from graph.agent import build_specialist_graph
from graph.specialists.base import Specialist
from graph.state import DomainInput, DomainOutput, DomainState, EventData

DomainGraph = StateGraph[DomainState, OpsContext, DomainInput, DomainOutput]


def build_domain_graph(
    *, domain: str, specialists: Mapping[str, Specialist], planner: Planner
) -> DomainGraph:
    """A supervisor for `domain` over `specialists`; uncompiled, the caller picks the saver."""
    if not specialists:
        raise ValueError(f"domain {domain!r} needs at least one specialist")

    def select_specialists(state: DomainState) -> dict[str, Any]:
        stages = stages_for(state["event"]["type"], domain)
        unknown = [name for stage in stages for name in stage if name not in specialists]
        if unknown:
            raise LookupError(f"registry names specialists {unknown} that {domain} does not have")
        return {"stages": stages, "stage": 0}

    def dispatch(state: DomainState) -> list[Send] | str:
        if state["stage"] >= len(state["stages"]):
            return END
        event: EventData = {**state["event"], "prior": list(state.get("outcomes", []))}
        return [Send(name, {"event": event}) for name in state["stages"][state["stage"]]]

    def advance(state: DomainState) -> dict[str, Any]:
        return {"stage": state["stage"] + 1}

    graph = StateGraph(
        DomainState,
        context_schema=OpsContext,
        input_schema=DomainInput,
        output_schema=DomainOutput,
    )
    graph.add_node("select", select_specialists)
    graph.add_node("advance", advance)
    for name, specialist in specialists.items():
        subgraph = build_specialist_graph(specialist=specialist, planner=planner).compile()
        graph.add_node(name, subgraph)
        graph.add_edge(name, "advance")
    graph.add_edge(START, "select")
    graph.add_conditional_edges("select", dispatch, [*specialists, END])
    graph.add_conditional_edges("advance", dispatch, [*specialists, END])
    return graph

"""The domain supervisor factory: a domain's specialists, stage by stage, in parallel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from graph.agent import build_specialist_graph
from graph.context import OpsContext
from graph.domain import Domain
from graph.models import Planner
from graph.specialists import specialists_of
from graph.specialists.base import Specialist
from graph.state import DomainInput, DomainOutput, DomainState, EventData
from graph.variants import route_key

DomainGraph = StateGraph[DomainState, OpsContext, DomainInput, DomainOutput]


def build_domain_graph(
    *,
    domain: Domain,
    planner: Planner,
    specialists: Mapping[str, Specialist] | None = None,
) -> DomainGraph:
    """The supervisor of `domain` (its specialists unless given); uncompiled, so the caller
    picks the saver. The stages come from the domain's own declaration."""
    team = specialists_of(domain.name) if specialists is None else specialists
    if not team:
        raise ValueError(f"domain {domain.name!r} needs at least one specialist")

    async def select_specialists(state: DomainState) -> dict[str, Any]:
        event = state["event"]
        steps = domain.handles.get(route_key(event["type"], event["payload"]), ())
        unknown = [name for stage in steps for name in stage if name not in team]
        if unknown:
            raise LookupError(f"{domain.name} routes to specialists {unknown} it does not have")
        return {"stages": [list(stage) for stage in steps], "stage": 0}

    async def dispatch(state: DomainState) -> list[Send] | str:
        if state["stage"] >= len(state["stages"]):
            return END
        event: EventData = {**state["event"], "prior": list(state.get("outcomes", []))}
        return [Send(name, {"event": event}) for name in state["stages"][state["stage"]]]

    async def advance(state: DomainState) -> dict[str, Any]:
        return {"stage": state["stage"] + 1}

    graph = StateGraph(
        DomainState,
        context_schema=OpsContext,
        input_schema=DomainInput,
        output_schema=DomainOutput,
    )
    graph.add_node("select", select_specialists)
    graph.add_node("advance", advance)
    for name, specialist in team.items():
        subgraph = build_specialist_graph(specialist=specialist, planner=planner).compile()
        graph.add_node(name, subgraph)
        graph.add_edge(name, "advance")
    graph.add_edge(START, "select")
    graph.add_conditional_edges("select", dispatch, [*team, END])
    graph.add_conditional_edges("advance", dispatch, [*team, END])
    return graph

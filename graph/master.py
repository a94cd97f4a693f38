"""The master supervisor: route an event to its domains in parallel, then finalize."""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from graph.context import OpsContext
from graph.models import Planner
from graph.routing import DOMAINS, domains_for
from graph.state import MasterInput, MasterOutput, MasterState
from graph.supervisors import DOMAIN_BUILDERS


def build_master_graph(
    *, planner: Planner
) -> StateGraph[MasterState, OpsContext, MasterInput, MasterOutput]:
    """The whole hierarchy, uncompiled: compile it with the Postgres checkpointer at the edge."""

    def route_event(state: MasterState) -> dict[str, Any]:
        return {"domains": domains_for(state["event"]["type"])}

    def dispatch(state: MasterState) -> list[Send] | str:
        if not state["domains"]:
            return "finalize"
        return [Send(domain, {"event": state["event"]}) for domain in state["domains"]]

    def finalize(state: MasterState) -> dict[str, Any]:
        event = state["event"]
        if not state["domains"]:
            return {"summary": f"no domain handles {event['type']}"}
        parts = [
            f"{outcome['specialist']}: {outcome['summary']}"
            for outcome in sorted(
                state.get("outcomes", []), key=lambda o: (o["domain"], o["specialist"])
            )
        ]
        return {"summary": f"{event['type']} {event['entity']} -> " + "; ".join(parts)}

    graph = StateGraph(
        MasterState,
        context_schema=OpsContext,
        input_schema=MasterInput,
        output_schema=MasterOutput,
    )
    graph.add_node("route", route_event)
    for domain in DOMAINS:
        graph.add_node(domain, DOMAIN_BUILDERS[domain](planner=planner).compile())
        graph.add_edge(domain, "finalize")
    graph.add_node("finalize", finalize)
    graph.add_edge(START, "route")
    graph.add_conditional_edges("route", dispatch, [*DOMAINS, "finalize"])
    graph.add_edge("finalize", END)
    return graph

"""The master supervisor: route an event to its domains in parallel, then finalize."""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, Send

from graph.context import OpsContext
from graph.domain import EventRegistry
from graph.models import Planner
from graph.routing import REGISTRY
from graph.state import MasterInput, MasterOutput, MasterState
from graph.supervisors.base import build_domain_graph


def build_master_graph(
    *, planner: Planner, registry: EventRegistry = REGISTRY
) -> StateGraph[MasterState, OpsContext, MasterInput, MasterOutput]:
    """The whole hierarchy, uncompiled: compile it with the Postgres checkpointer at the edge."""

    async def route_event(state: MasterState) -> Command[str]:
        """Choose the domains and send the event to each. The node routes itself (a
        `Command`) rather than through a conditional edge, which costs a task of its own
        and a copy of the state per event."""
        event = state["event"]
        domains = registry.domains_for(registry.key_of(event["type"], event["payload"]))
        goto: list[Send] | str = (
            [Send(domain, {"event": event}) for domain in domains] if domains else "finalize"
        )
        return Command(update={"domains": domains}, goto=goto)

    async def finalize(state: MasterState) -> dict[str, Any]:
        event = state["event"]
        if not state["domains"]:
            key = registry.key_of(event["type"], event["payload"])
            why = registry.why_ignored(key)
            if why:
                return {"summary": f"{key} {event['entity']} ignored: {why}"}
            return {"summary": f"no domain handles {key}"}
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
    names = [domain.name for domain in registry.domains]
    graph.add_node("route", route_event, destinations=(*names, "finalize"))
    for domain in registry.domains:
        graph.add_node(domain.name, build_domain_graph(domain=domain, planner=planner).compile())
        graph.add_edge(domain.name, "finalize")
    graph.add_node("finalize", finalize)
    graph.add_edge(START, "route")
    graph.add_edge("finalize", END)
    return graph

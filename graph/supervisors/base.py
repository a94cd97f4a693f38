"""The domain supervisor factory: a domain's specialists, stage by stage, in parallel."""

from __future__ import annotations

from collections.abc import Mapping

from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, Send

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

    async def select_specialists(state: DomainState) -> Command[str]:
        event = state["event"]
        steps = domain.handles.get(route_key(event["type"], event["payload"]), ())
        unknown = [name for stage in steps for name in stage if name not in team]
        if unknown:
            raise LookupError(f"{domain.name} routes to specialists {unknown} it does not have")
        stages = [list(stage) for stage in steps]
        return Command(
            update={"stages": stages, "stage": 0}, goto=dispatch(state, stages=stages, stage=0)
        )

    def dispatch(state: DomainState, *, stages: list[list[str]], stage: int) -> list[Send] | str:
        """The next stage's specialists, each sent the event and the outcomes so far. The
        nodes route themselves (a `Command`) rather than through a conditional edge, which
        costs a task of its own and a copy of the state per stage."""
        if stage >= len(stages):
            return END
        event: EventData = {**state["event"], "prior": list(state.get("outcomes", []))}
        return [Send(name, {"event": event}) for name in stages[stage]]

    async def advance(state: DomainState) -> Command[str]:
        stage = state["stage"] + 1
        return Command(
            update={"stage": stage}, goto=dispatch(state, stages=state["stages"], stage=stage)
        )

    graph = StateGraph(
        DomainState,
        context_schema=OpsContext,
        input_schema=DomainInput,
        output_schema=DomainOutput,
    )
    graph.add_node("select", select_specialists, destinations=(*team, END))
    graph.add_node("advance", advance, destinations=(*team, END))
    for name, specialist in team.items():
        subgraph = build_specialist_graph(specialist=specialist, planner=planner).compile()
        graph.add_node(name, subgraph)
        graph.add_edge(name, "advance")
    graph.add_edge(START, "select")
    return graph

"""The floor under `bench.pipeline`: a no-op hierarchy of the real one's depth and fan-out.

master -> domain subgraph -> specialist subgraph, one node each that only returns a small
dict, dispatched with `Send` to the same domains and specialists the registry routes each
event type to, compiled with the worker's saver (`PooledPostgresSaver`) on the same database. What a
real event costs beyond this is the work itself: tools, store round trips, bookkeeping.
"""

from __future__ import annotations

import asyncio
import operator
import time
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Send

from graph.routing import DOMAINS, EVENT_ROUTES, Route, domains_for, specialists_for
from runtime.checkpoint import PooledPostgresSaver
from runtime.database import open_pool
from service.runner import durability_for

FLOOR_THREAD_PREFIX = "floor:"


class FloorEvent(TypedDict):
    event_id: str
    type: str
    entity: str
    payload: dict[str, Any]


class FloorOutcome(TypedDict):
    domain: str
    specialist: str
    summary: str


class FloorInput(TypedDict):
    event: FloorEvent


class FloorOutput(TypedDict):
    outcomes: list[FloorOutcome]


class MasterState(TypedDict):
    event: FloorEvent
    domains: list[str]
    outcomes: Annotated[list[FloorOutcome], operator.add]


class DomainState(TypedDict):
    event: FloorEvent
    specialists: list[str]
    outcomes: Annotated[list[FloorOutcome], operator.add]


class SpecialistState(TypedDict):
    event: FloorEvent
    outcomes: Annotated[list[FloorOutcome], operator.add]


FloorGraph = CompiledStateGraph[Any, Any, Any, Any]


def specialists_by_domain(routes: Mapping[str, Sequence[Route]]) -> dict[str, list[str]]:
    """Every specialist the registry can send to, per domain (the real graph's nodes)."""
    found: dict[str, list[str]] = {domain: [] for domain in DOMAINS}
    for event_routes in routes.values():
        for one in event_routes:
            found[one.domain].extend(
                name for name in one.specialists if name not in found[one.domain]
            )
    return found


def build_specialist_floor(
    *, domain: str, specialist: str
) -> StateGraph[SpecialistState, None, FloorInput, FloorOutput]:
    """One node that does nothing but report."""

    def work(state: SpecialistState) -> dict[str, Any]:  # noqa: ARG001 - a no-op by design
        return {"outcomes": [{"domain": domain, "specialist": specialist, "summary": "no-op"}]}

    graph = StateGraph(SpecialistState, input_schema=FloorInput, output_schema=FloorOutput)
    graph.add_node("work", work)
    graph.add_edge(START, "work")
    graph.add_edge("work", END)
    return graph


def build_domain_floor(
    *, domain: str, specialists: Sequence[str]
) -> StateGraph[DomainState, None, FloorInput, FloorOutput]:
    """One node choosing the event type's specialists, then a `Send` to each."""

    def select(state: DomainState) -> dict[str, Any]:
        return {"specialists": specialists_for(state["event"]["type"], domain)}

    def dispatch(state: DomainState) -> list[Send]:
        return [Send(name, {"event": state["event"]}) for name in state["specialists"]]

    graph = StateGraph(DomainState, input_schema=FloorInput, output_schema=FloorOutput)
    graph.add_node("select", select)
    for name in specialists:
        graph.add_node(name, build_specialist_floor(domain=domain, specialist=name).compile())
        graph.add_edge(name, END)
    graph.add_edge(START, "select")
    graph.add_conditional_edges("select", dispatch, list(specialists))
    return graph


def build_floor_graph(
    *, routes: Mapping[str, Sequence[Route]] = EVENT_ROUTES
) -> StateGraph[MasterState, None, FloorInput, FloorOutput]:
    """The no-op hierarchy, uncompiled: compile it with the checkpointer under test."""

    def route(state: MasterState) -> dict[str, Any]:
        return {"domains": domains_for(state["event"]["type"])}

    def dispatch(state: MasterState) -> list[Send]:
        return [Send(domain, {"event": state["event"]}) for domain in state["domains"]]

    graph = StateGraph(MasterState, input_schema=FloorInput, output_schema=FloorOutput)
    graph.add_node("route", route)
    for domain, names in specialists_by_domain(routes).items():
        graph.add_node(domain, build_domain_floor(domain=domain, specialists=names).compile())
        graph.add_edge(domain, END)
    graph.add_edge(START, "route")
    graph.add_conditional_edges("route", dispatch, list(DOMAINS))
    return graph


async def run_floor(
    database_uri: str, events: Sequence[FloorEvent], *, concurrency: int
) -> tuple[list[float], float, float]:
    """Run every event through the floor, `concurrency` at a time, on a pool of its own.

    Returns each event's wall time (seconds), the whole run's, and the CPU seconds this
    process spent on it (the hierarchy's own cost: there is no tool, queue or API here).
    """
    async with open_pool(database_uri) as pool:  # the worker's pool sizes (defaults)
        graph: FloorGraph = build_floor_graph().compile(checkpointer=PooledPostgresSaver(pool))
        gate = asyncio.Semaphore(concurrency)
        times: list[float] = []

        async def one(event: FloorEvent) -> None:
            thread_id = f"{FLOOR_THREAD_PREFIX}{event['event_id']}"
            config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
            async with gate:
                started = time.perf_counter()
                result = await graph.ainvoke(
                    {"event": event}, config, durability=durability_for("offline")
                )
                times.append(time.perf_counter() - started)
            expected = sum(
                len(specialists_for(event["type"], d)) for d in domains_for(event["type"])
            )
            if len(result["outcomes"]) != expected:
                raise RuntimeError(f"floor ran {len(result['outcomes'])} of {expected} nodes")

        started, cpu_started = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(event) for event in events))
        return times, time.perf_counter() - started, time.process_time() - cpu_started

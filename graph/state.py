"""State schemas of the three graph levels; each level returns only its own output keys."""

from __future__ import annotations

import operator
from typing import Annotated, Any, NotRequired, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages


class EventData(TypedDict):
    """The event a run works on, as plain JSON so it checkpoints as is."""

    event_id: str
    tenant_id: str
    source: str
    type: str
    entity: str
    payload: dict[str, Any]
    prior: NotRequired[list[SpecialistOutcome]]
    """What earlier stages of the same domain produced (specialists see it, planners too)."""


class ToolCallRecord(TypedDict):
    id: str
    name: str
    args: dict[str, Any]
    result: Any
    status: str


class SpecialistOutcome(TypedDict):
    domain: str
    specialist: str
    tool_calls: list[ToolCallRecord]
    summary: str


class MasterInput(TypedDict):
    event: EventData


class MasterState(TypedDict):
    event: EventData
    domains: list[str]
    outcomes: Annotated[list[SpecialistOutcome], operator.add]
    summary: str


class MasterOutput(TypedDict):
    domains: list[str]
    outcomes: list[SpecialistOutcome]
    summary: str


class DomainInput(TypedDict):
    event: EventData


class DomainState(TypedDict):
    event: EventData
    stages: list[list[str]]
    stage: int
    outcomes: Annotated[list[SpecialistOutcome], operator.add]


class DomainOutput(TypedDict):
    outcomes: list[SpecialistOutcome]


class SpecialistInput(TypedDict):
    event: EventData


class SpecialistState(TypedDict):
    event: EventData
    messages: Annotated[list[AnyMessage], add_messages]
    outcomes: Annotated[list[SpecialistOutcome], operator.add]


class SpecialistOutput(TypedDict):
    outcomes: list[SpecialistOutcome]

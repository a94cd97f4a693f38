"""The master graph planned by a chat model: langchain-openai against a real local fake server.

The hierarchy, the tools and the Postgres checkpointer are the real ones; only the model is
scripted, behind the same HTTP API the OpenAI client speaks.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import openai
import pytest
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.types import Command
from pydantic import BaseModel

from graph.agent import MAX_TURNS
from graph.master import build_master_graph
from graph.models import ChatModelPlanner, build_planner, event_brief
from graph.routing import EVENT_ROUTES, REGISTRY
from graph.specialists import SPECIALISTS
from graph.state import EventData
from graph.variants import base_type
from runtime.resources import Resources
from service.runner import MasterGraph
from tests.fakes.openai_server import (
    ARGUMENT_BUILDERS,
    FAKE_API_KEY,
    ChatRequest,
    Exchange,
    FakeOpenAI,
    FollowThePlaybook,
    FollowTheTools,
    HttpError,
    Reply,
    Scripted,
    ToolCall,
    arguments_for,
)
from tests.graph.samples import SAMPLES
from tests.graph.support import make_event, mirror_into_store, open_context

MODEL = "openai:fake-model"
CALL_ID = re.compile(r"^call_[0-9a-f]{24}$")
ONE_SPECIALIST = "invoice.requested"
"""Routed to one specialist (billing's invoicing), so a script answers one conversation."""


def model_graph(resources: Resources) -> MasterGraph:
    """The hierarchy as the service compiles it for an `openai:` model setting."""
    return build_master_graph(planner=build_planner(MODEL)).compile(
        checkpointer=resources.checkpointer
    )


def thread_config() -> RunnableConfig:
    return {"configurable": {"thread_id": f"test-model-{uuid.uuid4()}"}}


async def run_graph(
    graph: MasterGraph, resources: Resources, event: EventData | None, config: RunnableConfig
) -> dict[str, Any]:
    """Start (or, with no event, resume) a thread the way `EventRunner` does."""
    state = None if event is None else {"event": event}
    output: dict[str, Any] = await graph.ainvoke(
        state, config, context=open_context(resources.pool)
    )
    return output


async def run_master(resources: Resources, event: EventData) -> dict[str, Any]:
    graph, config = model_graph(resources), thread_config()
    output = await run_graph(graph, resources, event, config)
    for _ in range(5):  # an attention item asks whatever the policy: a reviewer accepts it
        if "__interrupt__" not in output:
            break
        accept: Command[Any] = Command(resume={"type": "accept", "args": None})
        output = await graph.ainvoke(accept, config, context=open_context(resources.pool))
    return output


def sample_event(key: str) -> EventData:
    sample = SAMPLES[key]
    return make_event(base_type(key), sample.entity, sample.payload)


def brief_of(event: EventData) -> dict[str, Any]:
    brief: dict[str, Any] = json.loads(event_brief(event))
    return brief


def parsed(content: str) -> Any:
    """A tool message's content as the value the tool returned (JSON, or plain text)."""
    try:
        return json.loads(content)
    except ValueError:
        return content


def conversation(fake: FakeOpenAI, specialist: str) -> list[Exchange]:
    """The exchanges of `specialist`'s conversation, told apart by its system prompt."""
    prompt = SPECIALISTS[specialist].prompt
    return [x for x in fake.exchanges if x.request.system == prompt]


def call_schema(tool: BaseTool) -> dict[str, Any]:
    """The JSON schema of the arguments a model fills in (injected ones left out)."""
    schema = tool.tool_call_schema
    if isinstance(schema, dict):
        return schema
    assert issubclass(schema, BaseModel), f"{tool.name} has a pydantic v1 schema"
    return schema.model_json_schema()


def assert_schemas_sent(request: ChatRequest, tools: tuple[BaseTool, ...]) -> None:
    """The request bound exactly `tools`, each with its description and arguments' schema."""
    assert request.tool_names == [tool.name for tool in tools]
    for sent, tool in zip(request.tools, tools, strict=True):
        assert sent["type"] == "function"
        assert sent["function"]["description"] == tool.description
        parameters = request.tool_parameters(tool.name)
        assert parameters["type"] == "object"
        assert set(parameters["properties"]) == set(tool.args)
        required = call_schema(tool).get("required", [])
        assert sorted(parameters.get("required", [])) == sorted(required)


@pytest.mark.parametrize("key", sorted(EVENT_ROUTES))
async def test_model_plans_each_routed_event_through_its_specialists(
    key: str, resources: Resources, fake_openai: FakeOpenAI
) -> None:
    """With a model that decides as the playbooks do, every route key makes the same tool
    calls over HTTP as offline: the model's ids, the tools' real results, all successful."""
    fake_openai.reset(FollowThePlaybook())
    sample = SAMPLES[key]
    event = sample_event(key)
    await mirror_into_store(resources.pool, event)

    output = await run_master(resources, event)

    assert output["domains"] == REGISTRY.domains_for(key)
    made = {
        (o["domain"], o["specialist"]): [(c["name"], c["status"]) for c in o["tool_calls"]]
        for o in output["outcomes"]
    }
    assert made == {
        (domain, specialist): [(tool, "success") for tool in tools]
        for domain, team in sample.expected.items()
        for specialist, tools in team.items()
    }, [o["summary"] for o in output["outcomes"]]
    for outcome in output["outcomes"]:
        specialist = SPECIALISTS[outcome["specialist"]]
        exchanges = conversation(fake_openai, specialist.name)
        first = exchanges[0]
        assert (first.request.model, first.request.api_key) == ("fake-model", FAKE_API_KEY)
        assert [m["role"] for m in first.request.messages] == ["system", "user"]
        assert_schemas_sent(first.request, specialist.tools)
        brief = first.request.event()
        assert {k: v for k, v in brief.items() if k != "earlier_findings"} == brief_of(event)
        model_ids = [i for exchange in exchanges for i in exchange.tool_call_ids]
        assert [c["id"] for c in outcome["tool_calls"]] == model_ids
        assert all(CALL_ID.match(call_id) for call_id in model_ids)
        # Every later turn carried all earlier results back, by the model's own call ids.
        for turn, exchange in enumerate(exchanges[1:], start=1):
            assert exchange.request.turn == turn
            sent_back = [r["tool_call_id"] for r in exchange.request.tool_results]
            assert sent_back == model_ids[: len(sent_back)]
        assert outcome["summary"] == exchanges[-1].text
    for needle in sample.summary_has:
        assert needle in output["summary"]


async def test_follow_the_tools_calls_the_first_tool_and_quotes_it(
    resources: Resources, fake_openai: FakeOpenAI
) -> None:
    event = sample_event(ONE_SPECIALIST)

    output = await run_master(resources, event)

    (outcome,) = output["outcomes"]
    first, second = conversation(fake_openai, "invoicing")
    (call,) = outcome["tool_calls"]
    assert call["name"] == "draft_invoice"
    assert call["args"] == arguments_for("draft_invoice", first.request.event())
    assert call["status"] == "success"
    (result,) = second.request.tool_results
    assert parsed(result["content"]) == call["result"]
    assert outcome["summary"] == f"draft_invoice returned {result['content']}"


BUILT_TOOL_SAMPLES = sorted(
    {
        (tool, key)
        for key, sample in SAMPLES.items()
        for team in sample.expected.values()
        for tools in team.values()
        for tool in tools
        if tool in ARGUMENT_BUILDERS
    }
)
"""Each tool the fake builds arguments for, with the samples whose run calls it."""


@pytest.mark.parametrize(("tool_name", "key"), BUILT_TOOL_SAMPLES)
def test_argument_builders_fill_in_what_their_tool_accepts(tool_name: str, key: str) -> None:
    """The fake model's arguments for a tool keep up with the tool's own schema."""
    tool = next(t for s in SPECIALISTS.values() for t in s.tools if t.name == tool_name)
    schema = tool.tool_call_schema
    assert isinstance(schema, type) and issubclass(schema, BaseModel)

    schema.model_validate(arguments_for(tool_name, brief_of(sample_event(key))))


async def test_invalid_arguments_get_the_tool_error_back_and_the_model_recovers(
    resources: Resources, fake_openai: FakeOpenAI
) -> None:
    event = sample_event(ONE_SPECIALIST)
    good = arguments_for("draft_invoice", brief_of(event))
    fake_openai.reset(
        Scripted(
            [
                [ToolCall("draft_invoice", {**good, "currency": "EURO"})],
                [ToolCall("draft_invoice", good)],
                "invoice drafted once the currency was right",
            ]
        )
    )

    output = await run_master(resources, event)

    (outcome,) = output["outcomes"]
    failed, fixed = outcome["tool_calls"]
    assert (failed["status"], fixed["status"]) == ("error", "success")
    assert failed["args"]["currency"] == "EURO"
    assert fixed["result"]["currency"] == good["currency"].upper()
    first, second, third = fake_openai.exchanges
    # The model was shown the validation error of its own call, by id, and then both results.
    (error,) = second.request.tool_results
    assert error["tool_call_id"] == failed["id"] == first.tool_call_ids[0]
    assert "currency" in error["content"]
    assert "at most 3 characters" in error["content"]
    assert [r["tool_call_id"] for r in third.request.tool_results] == [failed["id"], fixed["id"]]
    assert outcome["summary"] == "invoice drafted once the currency was right"


async def test_unparseable_arguments_are_fed_back_to_the_model(
    resources: Resources, fake_openai: FakeOpenAI
) -> None:
    event = sample_event(ONE_SPECIALIST)
    good = arguments_for("draft_invoice", brief_of(event))
    fake_openai.reset(
        Scripted(
            [
                [ToolCall("draft_invoice", json.dumps(good)[:-3])],
                [ToolCall("draft_invoice", good)],
                "invoice drafted once the JSON was whole",
            ]
        )
    )

    output = await run_master(resources, event)

    (outcome,) = output["outcomes"]
    assert len(fake_openai.exchanges) == 3
    assert [call["status"] for call in outcome["tool_calls"]] == ["error", "success"]
    assert outcome["summary"] == "invoice drafted once the JSON was whole"


class Endless:
    """A model that calls the first bound tool on every turn and never answers."""

    def __call__(self, request: ChatRequest) -> Reply:
        tool = request.tool_names[0]
        return [ToolCall(tool, arguments_for(tool, request.event(), request.tool_parameters(tool)))]


async def test_a_model_that_never_stops_is_cut_off_at_max_turns(
    resources: Resources, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reset(Endless())

    output = await run_master(resources, sample_event(ONE_SPECIALIST))

    (outcome,) = output["outcomes"]
    assert outcome["summary"] == f"stopped after {MAX_TURNS} turns without finishing"
    exchanges = fake_openai.exchanges
    assert [x.request.turn for x in exchanges] == list(range(MAX_TURNS))
    ids = [call["id"] for call in outcome["tool_calls"]]
    assert ids == [x.tool_call_ids[0] for x in exchanges]
    assert len(set(ids)) == MAX_TURNS
    assert {call["status"] for call in outcome["tool_calls"]} == {"success"}


async def test_a_server_error_makes_the_run_raise_after_the_clients_own_retries(
    resources: Resources, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reset(lambda _request: HttpError(500, "model overloaded"))
    planner = build_planner(MODEL)
    assert isinstance(planner, ChatModelPlanner)
    graph = build_master_graph(planner=planner).compile(checkpointer=resources.checkpointer)
    config = thread_config()

    with pytest.raises(openai.InternalServerError, match="model overloaded") as raised:
        await run_graph(graph, resources, sample_event(ONE_SPECIALIST), config)

    assert raised.value.status_code == 500
    retries: int = planner.model.root_async_client.max_retries
    assert [x.status for x in fake_openai.exchanges] == [500] * (1 + retries)
    # The thread stopped inside the hierarchy, where the worker's retry resumes it.
    assert (await graph.aget_state(config)).next == ("billing",)


class FailOnceOnTurn:
    """Follows the tools, but answers the first request of turn `turn` with HTTP 500."""

    def __init__(self, turn: int) -> None:
        self.turn = turn
        self.failed = False
        self.follow = FollowTheTools()

    def __call__(self, request: ChatRequest) -> Reply:
        if request.turn == self.turn and not self.failed:
            self.failed = True
            return HttpError(500, "model fell over mid-conversation", retryable=False)
        return self.follow(request)


async def test_a_retry_after_a_server_error_resumes_without_repeating_the_tool_call(
    resources: Resources, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reset(FailOnceOnTurn(turn=1))
    graph = model_graph(resources)
    config = thread_config()

    with pytest.raises(openai.InternalServerError, match="fell over"):
        await run_graph(graph, resources, sample_event(ONE_SPECIALIST), config)
    output = await run_graph(graph, resources, None, config)  # EventRunner's resume

    planned, failed, resumed = fake_openai.exchanges
    assert [x.status for x in (planned, failed, resumed)] == [200, 500, 200]
    # The resumed run asked for turn 1 again, with the result kept from before the failure.
    assert resumed.request.messages == failed.request.messages
    (outcome,) = output["outcomes"]
    (call,) = outcome["tool_calls"]
    assert (call["id"], call["status"]) == (planned.tool_call_ids[0], "success")
    assert outcome["summary"] == resumed.text

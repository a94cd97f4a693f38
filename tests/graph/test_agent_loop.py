"""The specialist agent loop with scripted planners, and the planner factory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
import pytest
from langchain_core.messages import AIMessage, AnyMessage, ToolMessage
from langchain_core.messages.tool import tool_call
from langchain_core.tools import StructuredTool
from pydantic import BaseModel

from connectors.saleor import SaleorUnavailable
from graph.agent import MAX_TURNS, build_specialist_graph
from graph.master import build_master_graph
from graph.models import ChatModelPlanner, Planner, PlaybookPlanner, build_planner
from graph.specialists.base import PlannedCall, PlaybookStep, Specialist
from graph.state import EventData, SpecialistOutcome
from graph.tools.integration import plan_channel_sync_tool
from graph.tools.risk import OrderRiskInput, score_order_risk
from tests.graph.support import make_event

SCORE_TOOL = StructuredTool.from_function(
    func=score_order_risk,
    name="score_order_risk",
    description="Score facts given as arguments (a pure tool, so the loop runs without a store).",
    args_schema=OrderRiskInput,
)
SCORER = Specialist(
    name="scorer",
    domain="ecommerce",
    description="Scores facts it is given.",
    prompt="Score the order.",
    tools=(SCORE_TOOL,),
    playbook=lambda _event, _results: "nothing to do",
)
ORDER = make_event("order.created", "order:1001", {"order_id": "1001", "total": 50.0})
CALM_ORDER = {
    "order_total": 50.0,
    "currency": "USD",
    "customer_order_count": 3,
    "customer_average_total": 40.0,
    "account_age_days": 300,
}
"""Facts that raise no risk signal: the score is 0."""


def calling(name: str, args: dict[str, Any], call_id: str) -> AIMessage:
    return AIMessage(content="", tool_calls=[tool_call(name=name, args=args, id=call_id)])


class ScriptedPlanner:
    """Answers each turn with the next scripted message and keeps what it was shown."""

    def __init__(self, replies: Sequence[AIMessage]) -> None:
        self.replies = list(replies)
        self.seen: list[list[AnyMessage]] = []

    async def plan(
        self,
        specialist: Specialist,  # noqa: ARG002 - part of the Planner protocol
        event: EventData,  # noqa: ARG002 - part of the Planner protocol
        messages: Sequence[AnyMessage],
    ) -> AIMessage:
        self.seen.append(list(messages))
        if not self.replies:
            raise AssertionError("the loop asked for more turns than were scripted")
        return self.replies.pop(0)


class EndlessPlanner:
    """Calls a tool on every turn and never gives a final answer."""

    def __init__(self) -> None:
        self.turns = 0

    async def plan(
        self,
        specialist: Specialist,  # noqa: ARG002 - part of the Planner protocol
        event: EventData,  # noqa: ARG002 - part of the Planner protocol
        messages: Sequence[AnyMessage],  # noqa: ARG002 - part of the Planner protocol
    ) -> AIMessage:
        self.turns += 1
        return calling("score_order_risk", CALM_ORDER, f"endless-{self.turns}")


async def run_specialist(
    specialist: Specialist, planner: Planner, event: EventData
) -> SpecialistOutcome:
    graph = build_specialist_graph(specialist=specialist, planner=planner).compile()
    output = await graph.ainvoke({"event": event})
    assert set(output) == {"outcomes"}
    outcomes: list[SpecialistOutcome] = output["outcomes"]
    assert len(outcomes) == 1
    return outcomes[0]


async def test_tool_error_is_recorded_and_the_loop_goes_on() -> None:
    invalid = {**CALM_ORDER, "order_total": -5}
    planner = ScriptedPlanner(
        [
            calling("score_order_risk", invalid, "bad"),
            calling("score_order_risk", CALM_ORDER, "good"),
            AIMessage(content="fraud risk 0/100 after a retry"),
        ]
    )

    outcome = await run_specialist(SCORER, planner, ORDER)

    assert [(call["id"], call["status"]) for call in outcome["tool_calls"]] == [
        ("bad", "error"),
        ("good", "success"),
    ]
    failed, succeeded = outcome["tool_calls"]
    assert isinstance(failed["result"], str)
    assert "order_total" in failed["result"]
    assert succeeded["result"] == {"score": 0, "reasons": []}
    assert outcome["summary"] == "fraud risk 0/100 after a retry"
    assert planner.replies == []
    # The planner's second turn was shown the error, so a model could correct itself.
    errors = [m for m in planner.seen[1] if isinstance(m, ToolMessage) and m.status == "error"]
    assert [m.tool_call_id for m in errors] == ["bad"]


async def test_max_turns_stops_a_planner_that_never_finishes() -> None:
    planner = EndlessPlanner()

    outcome = await run_specialist(SCORER, planner, ORDER)

    assert planner.turns == MAX_TURNS
    assert outcome["summary"] == f"stopped after {MAX_TURNS} turns without finishing"
    assert len(outcome["tool_calls"]) == MAX_TURNS
    assert {call["status"] for call in outcome["tool_calls"]} == {"success"}


async def test_playbook_planner_plans_the_same_ids_for_the_same_event() -> None:
    graph = build_master_graph(planner=PlaybookPlanner()).compile()
    event = make_event("product.created", "product:77", {"name": "Trail Running Shoe"})

    runs = []
    for _ in range(2):
        output = await graph.ainvoke({"event": event})
        runs.append(
            {
                outcome["specialist"]: [call["id"] for call in outcome["tool_calls"]]
                for outcome in output["outcomes"]
            }
        )

    assert (
        runs[0]
        == runs[1]
        == {
            "catalog_seo": ["catalog_seo-0-0", "catalog_seo-1-0"],
            "merchandising": ["merchandising-0-0", "merchandising-1-0"],  # not scored: attention
            "content_drafting": ["content_drafting-0-0", "content_drafting-1-0"],
            "channel_sync": ["channel_sync-0-0", "channel_sync-1-0"],
        }
    )


def two_step_playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    """Two calls on the first turn, one on the second, then the answer."""
    product_id = event["entity"].split(":", 1)[-1]
    step: PlannedCall = {"name": plan_channel_sync_tool.name, "args": {"product_id": product_id}}
    if not results:
        return [step, step]
    if len(results) == 2:
        return [step]
    return "synced three times"


async def test_playbook_ids_number_turns_and_calls_within_a_turn() -> None:
    specialist = Specialist(
        name="two_step",
        domain="integration",
        description="Syncs a product in two turns.",
        prompt="Sync twice.",
        tools=(plan_channel_sync_tool,),
        playbook=two_step_playbook,
    )
    event = make_event("product.updated", "product:77", {})

    first = await run_specialist(specialist, PlaybookPlanner(), event)
    second = await run_specialist(specialist, PlaybookPlanner(), event)

    ids = [call["id"] for call in first["tool_calls"]]
    assert ids == ["two_step-0-0", "two_step-0-1", "two_step-1-0"]
    assert [call["id"] for call in second["tool_calls"]] == ids
    assert first["summary"] == "synced three times"


def test_offline_model_builds_the_playbook_planner() -> None:
    assert isinstance(build_planner("offline"), PlaybookPlanner)


@pytest.mark.parametrize("setting", ["nonsense", "openai:", "gpt-4o", ""])
def test_unknown_model_setting_says_what_to_use(setting: str) -> None:
    with pytest.raises(ValueError, match="unknown model setting") as raised:
        build_planner(setting)
    assert repr(setting) in str(raised.value)
    assert "'offline' or 'openai:<model name>'" in str(raised.value)


def test_openai_model_builds_a_chat_model_planner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)

    planner = build_planner("openai:gpt-x")

    assert isinstance(planner, ChatModelPlanner)
    assert planner.model.model_name == "gpt-x"
    assert planner.model.temperature == 0


class Flaky(BaseModel):
    """Nothing to fill in."""

    note: str = "x"


def database_down(**_: Any) -> str:
    raise psycopg.OperationalError("connection lost")


def shop_down(**_: Any) -> str:
    raise SaleorUnavailable("Saleor answered 503", "HTTP_503", maybe_applied=False)


def bad_input(**_: Any) -> str:
    raise ValueError("no such order")


def finish_at_once(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    del event, results
    return "done"


async def test_database_errors_fail_the_run_but_other_errors_go_back_to_the_model() -> None:
    """A dropped connection must retry the job; a refusal is an answer the model can use."""
    tools = (
        StructuredTool.from_function(
            func=database_down, name="database_down", description="d", args_schema=Flaky
        ),
        StructuredTool.from_function(
            func=bad_input, name="bad_input", description="b", args_schema=Flaky
        ),
    )
    specialist = Specialist(
        name="flaky",
        domain="crm",
        description="",
        prompt="p",
        tools=tools,
        playbook=finish_at_once,
    )
    refused = ScriptedPlanner([calling("bad_input", {}, "c1"), AIMessage(content="told")])
    outcome = await run_specialist(specialist, refused, ORDER)
    assert outcome["tool_calls"][0]["status"] == "error"
    assert "no such order" in str(outcome["tool_calls"][0]["result"])

    broken = ScriptedPlanner([calling("database_down", {}, "c2"), AIMessage(content="x")])
    with pytest.raises(psycopg.OperationalError):
        await run_specialist(specialist, broken, ORDER)


async def test_an_unreachable_shop_fails_the_run_so_the_job_is_retried() -> None:
    """Saleor down is not the model's problem to solve: the job retries later."""
    tool = StructuredTool.from_function(
        func=shop_down, name="shop_down", description="s", args_schema=Flaky
    )
    specialist = Specialist(
        name="shop",
        domain="ecommerce",
        description="",
        prompt="p",
        tools=(tool,),
        playbook=finish_at_once,
    )
    planner = ScriptedPlanner([calling("shop_down", {}, "c3"), AIMessage(content="x")])
    with pytest.raises(SaleorUnavailable):
        await run_specialist(specialist, planner, ORDER)

"""The chat with a model: langchain-openai against a real local fake server. The route is the
model's structured output, the specialist's tools are bound, and the code still decides: the
customer is identified before their data is read, a write is held for a plain yes, and the
reply's policy claims are checked for citations."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectors.orders import get_order
from graph.chat.graph import chat_registry
from graph.chat.model import CHAT_RULES
from graph.context import OpsContext
from graph.models import build_planner
from hitl.policy import load_policy
from runtime.resources import Resources
from tests.fakes.openai_server import (
    ChatRequest,
    FakeOpenAI,
    Reply,
    Scripted,
    ToolCall,
)
from tests.graph.chat.support import Conversation, compile_chat

MODEL = "openai:fake-model"


def model_chat(resources: Resources) -> Conversation:
    context = OpsContext(pool=resources.pool, policy=load_policy(), tools=chat_registry())
    return Conversation(compile_chat(resources, build_planner(MODEL)), context)


def route(intent: str, confidence: float = 0.9, question: str = "") -> list[ToolCall]:
    args = {"intent": intent, "specialist": "customer_service", "confidence": confidence}
    return [ToolCall("RouteChoice", {**args, "clarifying_question": question})]


class Answering:
    """Route, search, then answer citing the damaged-items passage, plus one uncited claim."""

    def __init__(self) -> None:
        self.script = Scripted(
            [route("policy_question"), [ToolCall("search_knowledge_base", {"query": "damaged"})]]
        )

    def __call__(self, request: ChatRequest) -> Reply:
        if not request.tool_results:
            return self.script(request)
        found = json.loads(request.tool_results[-1]["content"])
        (n,) = [h["n"] for h in found["results"] if h["heading_path"].endswith("defective items")]
        return (
            f"Send a photo of a damaged item within 7 days of delivery [{n}]. "
            "Refunds always take 5 to 7 business days."
        )


@pytest.mark.usefixtures("sample_kb")
async def test_a_models_answer_keeps_its_citations_and_flags_an_uncited_claim(
    resources: Resources, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reset(Answering())
    chat = model_chat(resources)

    answer = await chat.say("what is our return window for damaged items?")

    values = await chat.values()
    assert answer.startswith("Send a photo of a damaged item within 7 days of delivery [")
    (citation,) = values["citations"]
    assert citation["heading"].endswith("Damaged or defective items")
    assert values["uncited"] == ["Refunds always take 5 to 7 business days."]
    assert values["messages"][-1].response_metadata["uncited_claims"] == values["uncited"]
    assert values["route"] == {
        "intent": "policy_question",
        "domain": "ecommerce",
        "specialist": "customer_service",
        "confidence": 0.9,
        "by": "model",
    }
    router, planner, _ = fake_openai.exchanges
    assert router.request.tool_names == ["RouteChoice"]
    assert "search_knowledge_base" in planner.request.tool_names
    assert "cancel_pending_order" in planner.request.tool_names
    assert CHAT_RULES in str(planner.request.system)


async def test_a_model_reads_and_writes_only_as_the_rules_allow(
    resources: Resources, fake_openai: FakeOpenAI
) -> None:
    cancel = ToolCall(
        "cancel_pending_order", {"order_id": "#W5694685", "reason": "no longer needed"}
    )
    fake_openai.reset(
        Scripted(
            [
                route("cancel_order"),
                [ToolCall("get_order_details", {"order_id": "#W5694685"})],
                [cancel],
                route("identify"),
                [ToolCall("find_user_id_by_email", {"email": "evelyn.kovacs5369@example.com"})],
                [ToolCall("get_user_details", {"user_id": "evelyn_kovacs_6742"})],
                [cancel],
            ]
        )
    )
    chat = model_chat(resources)

    refused = await chat.say("cancel order #W5694685, they changed their mind")

    assert "identify the customer first" in refused
    results = [x.request.tool_results for x in fake_openai.exchanges][2]
    assert results[-1]["content"].startswith("Error: identify the customer first")
    assert (await chat.values()).get("pending") is None

    stated = await chat.say("her email is evelyn.kovacs5369@example.com")

    assert "I will cancel order #W5694685" in stated and "98.25" in stated
    assert await status_of(resources, "#W5694685") == "pending"
    exchanged = len(fake_openai.exchanges)

    done = await chat.say("yes")

    assert done == "Done: order #W5694685 is cancelled. Refunded: 98.25 to paypal_7732922."
    assert await status_of(resources, "#W5694685") == "cancelled"
    assert len(fake_openai.exchanges) == exchanged  # a yes is decided by code, not the model


async def test_a_model_unsure_of_the_route_asks_its_clarifying_question(
    resources: Resources, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reset(Scripted([route("other", 0.2, "Which order do you mean?")]))
    chat = model_chat(resources)

    asked = await chat.say("that one, you know")

    assert asked == "Which order do you mean?"
    assert len(fake_openai.exchanges) == 1
    assert (await chat.values())["clarified"] is True


async def status_of(resources: Resources, order_id: str) -> Any:
    async with resources.pool.connection() as conn:
        order: Any = await get_order(conn, tenant_id="default", order_id=order_id)
    return order["status"]

"""Policy answers cite the chunk they came from; unclear messages get one clarifying question."""

from __future__ import annotations

import re

import pytest
from langchain_core.messages import AIMessage

from graph.chat.citations import check_reply
from graph.chat.intents import CLARIFY_BELOW
from runtime.resources import Resources
from tests.graph.chat.support import Conversation, compile_chat, gated

RETURNS = "orders/returns-and-exchanges.md"


async def chunk_text(resources: Resources, chunk_id: int) -> str | None:
    """The cited chunk's text, if the id names a chunk of the tenant's knowledge base."""
    async with resources.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT content FROM kb_chunks WHERE tenant_id = 'default' AND chunk_id = %s",
            (chunk_id,),
        )
        row = await cursor.fetchone()
    return None if row is None else str(row["content"])


@pytest.mark.usefixtures("sample_kb")
async def test_the_return_window_for_damaged_items_is_answered_with_its_citation(
    resources: Resources,
) -> None:
    chat = Conversation(compile_chat(resources), gated(resources))

    answer = await chat.say("what is our return window for damaged items?")

    values = await chat.values()
    backed = re.search(r"7 days of delivery[^\[]*\[(\d+)\]", answer)
    assert backed is not None, answer
    (citation,) = [c for c in values["citations"] if c["n"] == int(backed.group(1))]
    assert citation["source"] == RETURNS
    assert citation["heading"].endswith("Damaged or defective items")
    assert "7 days of delivery" in str(await chunk_text(resources, citation["chunk_id"]))
    assert values["uncited"] == []
    last = values["messages"][-1]
    assert isinstance(last, AIMessage)
    assert last.response_metadata["citations"] == values["citations"]
    assert values["route"]["intent"] == "policy_question"
    assert values.get("customer") is None  # a policy question needs no identification


@pytest.mark.usefixtures("sample_kb")
async def test_every_policy_sentence_of_an_offline_answer_is_cited(resources: Resources) -> None:
    chat = Conversation(compile_chat(resources), gated(resources))
    for question in (
        "how long does a refund take?",
        "which payment methods do we accept?",
        "can an order be changed after it ships?",
    ):
        answer = await chat.say(question)
        values = await chat.values()
        assert values["citations"], answer
        assert values["uncited"] == [], answer


def test_uncited_and_miscited_policy_claims_are_flagged() -> None:
    passages = {
        1: {"n": 1, "chunk_id": 7, "title": "Returns", "heading_path": "", "source": "r.md"}
    }

    cited, uncited = check_reply(
        "Damaged items are reported within 7 days [1]. Refunds take 5 to 7 business days. "
        "Exchanges are free once per order [3]. Your order #W1 is delivered.",
        passages,
    )

    assert [c["chunk_id"] for c in cited] == [7]
    assert uncited == [
        "Refunds take 5 to 7 business days.",
        "Exchanges are free once per order [3]. (cites [3], which no retrieved passage has)",
    ]


async def test_an_unclear_message_gets_one_clarifying_question(resources: Resources) -> None:
    chat = Conversation(compile_chat(resources), gated(resources))

    asked = await chat.say("hmm, not sure really")

    values = await chat.values()
    assert values["route"]["confidence"] < CLARIFY_BELOW
    assert asked.endswith("?")
    assert values["clarified"] is True
    assert not [m for m in values["messages"] if isinstance(m, AIMessage) and m.tool_calls]

    again = await chat.say("banana")  # still unclear: no second question

    assert again != asked
    assert (await chat.values())["clarified"] is False


async def test_the_answer_to_a_clarifying_question_is_acted_on(resources: Resources) -> None:
    chat = Conversation(compile_chat(resources), gated(resources))
    await chat.say("the thing from before")

    answered = await chat.say("where is order #W2611340?")

    assert "identify the customer" in answered
    assert (await chat.values())["route"]["intent"] == "order_status"

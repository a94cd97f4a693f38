"""Offline conversations through the compiled chat graph (Postgres checkpointer, the seeded
store, the default approval policy): identify first, look up, state the write, act on yes."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, ToolMessage

from runtime.resources import Resources
from tests.graph.chat.support import Conversation, compile_chat, gated, order_status


def tools_called(values: dict[str, Any]) -> list[str]:
    return [
        call["name"]
        for message in values["messages"]
        if isinstance(message, AIMessage)
        for call in message.tool_calls
    ]


async def test_an_order_question_identifies_the_customer_first(resources: Resources) -> None:
    chat = Conversation(compile_chat(resources), gated(resources))

    asked = await chat.say("where is order #W2611340?")

    assert "identify the customer" in asked
    assert tools_called(await chat.values()) == []

    answered = await chat.say("the customer's email is james.li4495@example.com")

    values = await chat.values()
    assert tools_called(values) == [
        "find_user_id_by_email",
        "get_user_details",
        "get_order_details",
    ]
    assert "#W2611340 is processed" in answered
    assert "357962501027" in answered  # the tracking number, from the store
    assert values["customer"]["user_id"] == "james_li_5688"
    assert values["focus_order"] == "#W2611340"
    assert values["route"]["intent"] == "order_status"  # the deferred request, answered


async def test_a_processed_order_is_not_offered_for_cancellation(resources: Resources) -> None:
    chat = Conversation(compile_chat(resources), gated(resources))
    await chat.say("I'm James Li, zip 10083")
    await chat.say("where is order #W2611340?")

    answered = await chat.say("cancel it, the customer changed their mind")

    assert "only pending orders can be cancelled" in answered
    assert (await chat.values()).get("pending") is None
    assert await order_status(resources, "#W2611340") == "processed"


async def test_a_cancellation_states_the_write_and_runs_only_after_yes(
    resources: Resources,
) -> None:
    chat = Conversation(compile_chat(resources), gated(resources))
    await chat.say("Hi, I'm Evelyn Kovacs, zip 32117")
    await chat.say("where is order #W5694685?")

    stated = await chat.say("cancel it, the customer changed their mind")

    for detail in ("#W5694685", "98.25", "paypal_7732922", "'no longer needed'", "item "):
        assert detail in stated, stated
    values = await chat.values()
    assert values["pending"]["tool"] == "cancel_pending_order"
    assert [a["status"] for a in values["actions"]] == ["success", "held"]
    assert values["uncited"] == []  # a statement of the store's facts claims no policy
    assert await order_status(resources, "#W5694685") == "pending"

    done = await chat.say("yes")

    assert done == "Done: order #W5694685 is cancelled. Refunded: 98.25 to paypal_7732922."
    assert await order_status(resources, "#W5694685") == "cancelled"
    values = await chat.values()
    assert values["pending"] is None
    assert [(a["tool"], a["status"]) for a in values["actions"]] == [
        ("cancel_pending_order", "success")
    ]
    assert await chat.interrupts() == []


async def test_no_leaves_the_order_as_it_is(resources: Resources) -> None:
    chat = Conversation(compile_chat(resources), gated(resources))
    await chat.say("the email is yusuf.rossi7301@example.com")
    await chat.say("cancel order #W6247578, ordered by mistake")

    answered = await chat.say("no")

    assert "nothing was changed" in answered
    assert await order_status(resources, "#W6247578") == "pending"
    assert (await chat.values())["pending"] is None
    assert "cancel_pending_order" not in tools_called(await chat.values())


async def test_a_cancellation_needs_a_reason_from_taus_list(resources: Resources) -> None:
    chat = Conversation(compile_chat(resources), gated(resources))
    await chat.say("email olivia.silva3776@example.com")

    asked = await chat.say("cancel order #W6940125")

    assert "'no longer needed' or 'ordered by mistake'" in asked
    stated = await chat.say("they ordered by mistake")
    assert "'ordered by mistake'" in stated and "#W6940125" in stated
    assert (await chat.values())["pending"]["args"] == {
        "order_id": "#W6940125",
        "reason": "ordered by mistake",
    }


async def test_another_customers_order_is_refused(resources: Resources) -> None:
    chat = Conversation(compile_chat(resources), gated(resources))
    await chat.say("I'm James Li, zip 10083")

    answered = await chat.say("cancel order #W5694685, no longer needed")

    assert "not one of James Li's orders" in answered
    assert "get_order_details" not in tools_called(await chat.values())


async def test_a_return_states_items_amount_and_payment_method(resources: Resources) -> None:
    chat = Conversation(compile_chat(resources), gated(resources))
    await chat.say("I'm James Li, zip 10083")

    stated = await chat.say("what about #W4435622, can we return it?")

    values = await chat.values()
    assert values["pending"]["tool"] == "return_delivered_order_items"
    assert values["pending"]["args"]["payment_method_id"] == "gift_card_1725971"
    assert "Refund: 287.54 to gift_card_1725971" in stated
    assert await order_status(resources, "#W4435622") == "delivered"


async def test_the_conversation_keeps_tool_calls_paired_with_results(
    resources: Resources,
) -> None:
    """Every tool call in the messages has its result (clients and models rely on it)."""
    chat = Conversation(compile_chat(resources), gated(resources))
    await chat.say("email james.li4495@example.com")
    await chat.say("cancel order #W2611340, no longer needed")
    values = await chat.values()
    calls = [c["id"] for m in values["messages"] if isinstance(m, AIMessage) for c in m.tool_calls]
    results = [m.tool_call_id for m in values["messages"] if isinstance(m, ToolMessage)]
    assert calls == results


async def test_the_run_acts_for_the_tenant_its_config_names(resources: Resources) -> None:
    """The tenant comes from the run's configurable (the server sets it from the key): the
    default tenant's customers do not exist for another tenant's chat."""
    async with resources.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO tenants (tenant_id, name) VALUES ('chat-other', 'Other shop')"
            " ON CONFLICT DO NOTHING"
        )
    chat = Conversation(compile_chat(resources), gated(resources), tenant_id="chat-other")

    answered = await chat.say("email james.li4495@example.com")

    assert "could not find that customer" in answered
    values = await chat.values()
    assert values["event"]["tenant_id"] == "chat-other"
    assert values.get("customer") is None


async def test_a_yes_with_nothing_stated_does_nothing(resources: Resources) -> None:
    chat = Conversation(compile_chat(resources), gated(resources))
    await chat.say("I'm James Li, zip 10083")

    answered = await chat.say("yes")

    assert answered.startswith("Nothing is waiting for a yes")
    assert [a["tool"] for a in (await chat.values())["actions"]] == []


async def test_the_conversation_can_move_on_to_another_customer(resources: Resources) -> None:
    chat = Conversation(compile_chat(resources), gated(resources))
    await chat.say("I'm James Li, zip 10083")

    switched = await chat.say("now the customer with email yusuf.rossi7301@example.com")

    assert "Yusuf Rossi" in switched
    assert (await chat.values())["customer"]["user_id"] == "yusuf_rossi_9620"
    refused = await chat.say("where is order #W2611340?")  # James Li's, not Yusuf Rossi's
    assert "not one of Yusuf Rossi's orders" in refused


async def test_an_identification_without_details_asks_for_them(resources: Resources) -> None:
    chat = Conversation(compile_chat(resources), gated(resources))

    asked = await chat.say("here is the customer's email address")

    assert (await chat.values())["route"]["intent"] == "identify"
    assert "identify the customer" in asked

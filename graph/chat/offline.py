"""The offline chat planner: τ-bench's customer-service procedure, step by step, without a model.

Each call looks at the turn so far (the request and the tool results since the user's message)
and says what to do next: tool calls, a reply, or a write to hold for the user's yes. It
identifies the customer before anything about their orders, looks an order up before acting
on it, and states a write before it runs (the graph runs it only after a plain yes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import ToolMessage

from graph.chat.answers import answer_from
from graph.chat.citations import passages_in
from graph.chat.entities import cancel_reason_in, email_in, name_zip_in, order_in
from graph.chat.intents import INTENTS
from graph.chat.state import ChatState, Customer, Deferred
from graph.specialists.base import PlannedCall, is_error, last_result
from graph.tools.knowledge import search_knowledge_base_tool

IDENTIFY = (
    "Before I look at orders I need to identify the customer: their email address, or their "
    "first name, last name and zip code."
)
CAPABILITIES = (
    "I can look up customers and their orders, cancel pending orders, request returns of "
    "delivered ones, and answer questions from the knowledge base with sources. " + IDENTIFY
)


@dataclass(frozen=True)
class Calls:
    calls: list[PlannedCall]


@dataclass(frozen=True)
class Say:
    text: str
    deferred: Deferred | None = None
    citations: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class Hold:
    tool: str
    args: dict[str, Any]


Step = Calls | Say | Hold


def call(name: str, **args: Any) -> Calls:
    return Calls([{"name": name, "args": args}])


def plan_turn(state: ChatState, intent: str, request: str, results: Sequence[ToolMessage]) -> Step:
    """The next step of this turn for `intent`, asked as `request`."""
    customer = state.get("customer")
    identified = identify(customer, request, results)
    if identified is not None:
        return identified
    if INTENTS[intent].needs_customer and customer is None:
        return Say(IDENTIFY, deferred={"intent": intent, "text": request})
    if intent == "policy_question":
        return answer_from_knowledge(request, results)
    if intent == "greeting":
        return Say(CAPABILITIES if customer is None else greeting_for(customer))
    if intent == "human_agent":
        if last_result(results, "transfer_to_human_agents") is None:
            summary = f"Chat request: {request[:300]}"
            return call("transfer_to_human_agents", summary=summary)
        return Say("I have handed this conversation to a human colleague, with a summary.")
    if customer is None:  # an "identify" message that named nobody
        return Say(IDENTIFY)
    if intent in {"identify", "customer_profile"}:
        return Say(greeting_for(customer))
    return order_step(state, customer, intent, request, results)


def identify(
    customer: Customer | None, request: str, results: Sequence[ToolMessage]
) -> Step | None:
    """Look the customer up whenever the request names one (a thread may move on to
    another customer); their details are read unless they are the one already known."""
    email, named = email_in(request), name_zip_in(request)
    found = last_result(results, "find_user_id_by_email")
    if found is None:
        found = last_result(results, "find_user_id_by_name_zip")
    if found is None:
        if email:
            return call("find_user_id_by_email", email=email)
        if named:
            return call(
                "find_user_id_by_name_zip",
                first_name=named.first_name,
                last_name=named.last_name,
                zip=named.zip,
            )
        return None
    if is_error(found):
        return Say(
            f"I could not find that customer ({found}). Please check the details. {IDENTIFY}"
        )
    known = customer is not None and customer["user_id"] == str(found)
    if not known and last_result(results, "get_user_details") is None:
        return call("get_user_details", user_id=str(found))
    return None


def greeting_for(customer: Customer) -> str:
    orders = ", ".join(customer["orders"]) or "none"
    return (
        f"I found {customer['name']} (user id {customer['user_id']}). Their orders: {orders}. "
        "What can I do for them?"
    )


def order_step(
    state: ChatState,
    customer: Customer,
    intent: str,
    request: str,
    results: Sequence[ToolMessage],
) -> Step:
    """Order status, cancellation, return: resolve the order, look it up, then act or tell."""
    order_id = order_in(request) or state.get("focus_order")
    if order_id is None and len(customer["orders"]) == 1:
        order_id = customer["orders"][0]
    if order_id is None:
        return Say(
            f"Which order? {customer['name']}'s orders are: {', '.join(customer['orders'])}.",
            deferred={"intent": intent, "text": request},
        )
    if order_id not in customer["orders"]:
        return Say(f"Order {order_id} is not one of {customer['name']}'s orders.")
    order = last_result(results, "get_order_details")
    if order is None or (isinstance(order, dict) and order.get("order_id") != order_id):
        return call("get_order_details", order_id=order_id)
    if not isinstance(order, dict):
        return Say(f"I could not look order {order_id} up: {order}")
    if intent == "cancel_order":
        return cancellation(order, request)
    if intent == "return_items":
        return order_return(order, request)
    return Say(order_status(order))


def cancellation(order: dict[str, Any], request: str) -> Step:
    if order["status"] != "pending":
        return Say(
            f"Order {order['order_id']} is {order['status']}: only pending orders can be "
            f"cancelled. {order_status(order)}"
        )
    reason = cancel_reason_in(request)
    if reason is None:
        return Say(
            f"Why is order {order['order_id']} being cancelled: 'no longer needed' or "
            "'ordered by mistake'?",
            deferred={"intent": "cancel_order", "text": request},
        )
    return Hold("cancel_pending_order", {"order_id": order["order_id"], "reason": reason})


def order_return(order: dict[str, Any], request: str) -> Step:
    if order["status"] != "delivered":
        return Say(
            f"Order {order['order_id']} is {order['status']}: only delivered orders can be "
            f"returned. {order_status(order)}"
        )
    lowered = request.lower()
    items = order.get("items", [])
    named = [i for i in items if i["item_id"] in request or str(i["name"]).lower() in lowered]
    payments = [
        p["payment_method_id"]
        for p in order.get("payment_history", [])
        if p.get("transaction_type") == "payment"
    ]
    return Hold(
        "return_delivered_order_items",
        {
            "order_id": order["order_id"],
            "item_ids": [i["item_id"] for i in (named or items)],
            "payment_method_id": payments[0] if payments else "",
        },
    )


def order_status(order: dict[str, Any]) -> str:
    items = ", ".join(f"{i['name']} ({float(i['price']):.2f})" for i in order.get("items", []))
    tracking = [t for f in order.get("fulfillments", []) for t in f.get("tracking_id", [])]
    shipped = f" Tracking: {', '.join(tracking)}." if tracking else " Not shipped yet."
    return f"Order {order['order_id']} is {order['status']}: {items}.{shipped}"


def answer_from_knowledge(request: str, results: Sequence[ToolMessage]) -> Step:
    """Search, then answer from the passages found: each sentence cites the one it came from."""
    found = last_result(results, search_knowledge_base_tool.name)
    if found is None:
        return call(search_knowledge_base_tool.name, query=request[:500], k=3)
    passages = passages_in(results)
    if not passages:
        return Say(f"The knowledge base has nothing on that: {request[:200]}")
    text, cited = answer_from(request, passages)
    return Say(text, citations=cited)

"""E-commerce: the retail customer-service operations (τ-bench semantics) on the store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from graph.specialists.base import (
    PlannedCall,
    PlaybookStep,
    Specialist,
    call,
    last_result,
    tool_result,
)
from graph.state import EventData
from graph.tools.knowledge import (
    CITATION_RULE,
    cited_answer,
    policy_question,
    search_knowledge_base_tool,
)
from graph.tools.retail import RETAIL_TOOLS

PROMPT = (
    "You are a retail customer-service agent. Authenticate the customer (find_user_id_by_email "
    "or find_user_id_by_name_zip), look up what you need, then act with the one tool that "
    "does what was asked. Only cancel or modify pending orders; only return or exchange "
    "delivered ones. Explain the outcome briefly." + CITATION_RULE
)


def requested_operations(payload: dict[str, Any]) -> list[PlannedCall]:
    """The operations a support request names: `operations: [{name, arguments}]` or one."""
    listed = payload.get("operations")
    if listed is None and payload.get("operation"):
        listed = [{"name": payload["operation"], "arguments": payload.get("arguments") or {}}]
    return [
        {"name": str(op["name"]), "args": dict(op.get("arguments") or op.get("kwargs") or {})}
        for op in listed or []
    ]


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    """Answer the customer's question from the knowledge base (cited), if there is one;
    then run the requested operations one after another, and report each result."""
    question = policy_question(event)
    operations = requested_operations(event["payload"])
    if not operations and question is None:
        return "no operation requested"
    answer: list[str] = []
    if question is not None:
        found = last_result(results, search_knowledge_base_tool.name)
        if found is None:
            return [call(search_knowledge_base_tool, query=question, k=3)]
        answer = [cited_answer(question, found)]
    done = [r for r in results if r.name != search_knowledge_base_tool.name]
    if len(done) < len(operations):
        return [operations[len(done)]]
    reports = "; ".join(
        f"{op['name']}: {describe(tool_result(result))}"
        for op, result in zip(operations, done, strict=False)
    )
    return "\n".join([*([reports] if reports else []), *answer])


def describe(result: Any) -> str:
    """A record's id and status when the tool returned one, else the (short) text."""
    if isinstance(result, dict) and "status" in result:
        name = result.get("order_id") or result.get("user_id") or "record"
        return f"{name} {result['status']}"
    return str(result)[:160]


SPECIALIST = Specialist(
    name="customer_service",
    domain="ecommerce",
    description=(
        "Answers policy questions from the knowledge base; looks up customers, orders and "
        "products; cancels, modifies, returns, exchanges."
    ),
    prompt=PROMPT,
    tools=(*RETAIL_TOOLS, search_knowledge_base_tool),
    playbook=playbook,
)

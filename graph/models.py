"""Planners: the offline playbook or a chat model, driving one and the same agent loop."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Protocol

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, AnyMessage, ToolMessage
from langchain_core.messages.tool import tool_call

from graph.specialists.base import Specialist
from graph.state import EventData

OFFLINE = "offline"
OPENAI_PREFIX = "openai:"


class Planner(Protocol):
    """Decides a specialist's next step from the conversation so far."""

    async def plan(
        self, specialist: Specialist, event: EventData, messages: Sequence[AnyMessage]
    ) -> AIMessage: ...


class PlaybookPlanner:
    """Deterministic planning from each specialist's playbook (no model needed).

    Tool call ids derive from the specialist and turn, so a re-run plans the same ids.
    """

    async def plan(
        self, specialist: Specialist, event: EventData, messages: Sequence[AnyMessage]
    ) -> AIMessage:
        results = [message for message in messages if isinstance(message, ToolMessage)]
        turn = sum(isinstance(message, AIMessage) for message in messages)
        step = specialist.playbook(event, results)
        if isinstance(step, str):
            return AIMessage(content=step)
        return AIMessage(
            content="",
            tool_calls=[
                tool_call(
                    name=call["name"],
                    args=call["args"],
                    id=f"{specialist.name}-{turn}-{index}",
                )
                for index, call in enumerate(step)
            ],
        )


class ChatModelPlanner:
    """A tool-calling chat model (any OpenAI-compatible server) plans instead of the playbook."""

    def __init__(
        self,
        model_name: str,
        *,
        timeout_s: float = 60.0,
        max_retries: int = 1,
        callbacks: Sequence[BaseCallbackHandler] = (),
    ) -> None:
        from langchain_openai import ChatOpenAI

        self.model = ChatOpenAI(
            model=model_name,
            temperature=0,
            timeout=timeout_s,
            max_retries=max_retries,
            callbacks=list(callbacks) or None,
        )

    async def plan(
        self,
        specialist: Specialist,
        event: EventData,  # noqa: ARG002 - the model reads the event from the messages
        messages: Sequence[AnyMessage],
    ) -> AIMessage:
        # One call per turn: gated calls pause one at a time, in the order they were planned.
        bound = self.model.bind_tools(list(specialist.tools), parallel_tool_calls=False)
        reply = await bound.ainvoke(list(messages))
        if not isinstance(reply, AIMessage):
            raise TypeError(f"model answered with {type(reply).__name__}, not an AI message")
        return reply


def model_name(model: str) -> str:
    """The model's own name in a setting (`openai:gpt-4o-mini` -> `gpt-4o-mini`)."""
    return model.removeprefix(OPENAI_PREFIX)


def build_planner(
    model: str,
    *,
    timeout_s: float = 60.0,
    max_retries: int = 1,
    callbacks: Sequence[BaseCallbackHandler] = (),
) -> Planner:
    """`offline` -> playbooks; `openai:<model>` -> that model through langchain-openai, with
    `callbacks` on every call it makes (the service records each call: `graph.model_calls`).

    The client's own retries are few: a failed run is retried by the job queue anyway.
    """
    if model == OFFLINE:
        return PlaybookPlanner()
    if model.startswith(OPENAI_PREFIX) and len(model) > len(OPENAI_PREFIX):
        return ChatModelPlanner(
            model_name(model), timeout_s=timeout_s, max_retries=max_retries, callbacks=callbacks
        )
    raise ValueError(
        f"unknown model setting {model!r}: use 'offline' or 'openai:<model name>' "
        "(OPENAI_API_KEY and, for other servers, OPENAI_BASE_URL)"
    )


def event_brief(event: EventData) -> str:
    """The event (and what earlier specialists concluded) as the first user message."""
    brief: dict[str, object] = {
        "type": event["type"],
        "entity": event["entity"],
        "payload": event["payload"],
    }
    if event.get("prior"):
        brief["earlier_findings"] = {
            outcome["specialist"]: {
                "summary": outcome["summary"],
                "results": {
                    call["name"]: call["result"]
                    for call in outcome["tool_calls"]
                    if call["status"] == "success"
                },
            }
            for outcome in event.get("prior", [])
        }
    return json.dumps(brief, sort_keys=True, default=str)

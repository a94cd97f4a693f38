"""The chat graph's state: the conversation (`messages`, LangGraph's `add_messages` shape that
`langgraph-sdk` clients and Agent Chat UI read) and the little the graph must remember between
turns. Everything here is bounded: older turns are folded into `summary`, and the per-turn
fields (`citations`, `actions`, `uncited`) are replaced, never appended, each turn.
"""

from __future__ import annotations

from typing import Annotated, Any, NotRequired, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

from graph.state import EventData


class Citation(TypedDict):
    """A retrieved chunk a reply cites as `[n]`."""

    n: int
    chunk_id: int
    document: str
    heading: str
    source: str


class Customer(TypedDict):
    """The customer the conversation is about, once identified through a look-up tool."""

    user_id: str
    name: str
    orders: list[str]


class PendingWrite(TypedDict):
    """A write the user was shown and has not confirmed yet: it runs only after a "yes"."""

    tool: str
    args: dict[str, Any]
    statement: str
    """The exact write as the user was shown it (order, items, amounts, payment method)."""


class ChatAction(TypedDict):
    """A tool call of this turn and where it got to: `held` (stated, waiting for a yes),
    `confirmed`, `awaiting_approval`, `success` or `error` (the tool node's verdict)."""

    id: str
    tool: str
    args: dict[str, Any]
    status: str
    result: str


class ChatRoute(TypedDict):
    """Where the latest message went, how sure the router was, and who decided."""

    intent: str
    domain: str
    specialist: str
    confidence: float
    by: str
    """`classifier` (offline), `model` (structured output) or `rule` (yes/no to a write)."""


class Deferred(TypedDict):
    """A request held until the customer is identified (or a clarifying answer arrives)."""

    intent: str
    text: str


class ChatInput(TypedDict):
    """What a run sends: new user messages (`{"role": "user", "content": ...}` is accepted)."""

    messages: Annotated[list[AnyMessage], add_messages]


class ChatState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]
    summary: NotRequired[str]
    """Older turns, folded into a few bounded lines once they leave `messages`."""
    event: NotRequired[EventData]
    """The chat as tools and the approval gate see it: tenant, thread, channel `chat`."""
    turn: NotRequired[int]
    route: NotRequired[ChatRoute]
    customer: NotRequired[Customer | None]
    focus_order: NotRequired[str | None]
    """The order "it" refers to: the last one the conversation named or looked up."""
    pending: NotRequired[PendingWrite | None]
    deferred: NotRequired[Deferred | None]
    request: NotRequired[str]
    """What this turn works on: the user's message, with a deferred request before it."""
    clarified: NotRequired[bool]
    """A clarifying question was just asked: the next low-confidence message is not asked again."""
    steps: NotRequired[int]
    """Planning steps taken in the current turn (bounded by `MAX_STEPS`)."""
    citations: NotRequired[list[Citation]]
    actions: NotRequired[list[ChatAction]]
    uncited: NotRequired[list[str]]
    """Sentences of the latest reply that state policy without a valid `[n]` citation."""


class ChatOutput(TypedDict):
    messages: list[AnyMessage]
    route: NotRequired[ChatRoute]
    customer: NotRequired[Customer | None]
    pending: NotRequired[PendingWrite | None]
    citations: NotRequired[list[Citation]]
    actions: NotRequired[list[ChatAction]]
    uncited: NotRequired[list[str]]

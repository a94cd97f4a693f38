"""Entry point for LangGraph tooling (`langgraph.json`): the hierarchy for the set planner."""

from __future__ import annotations

from typing import Any

from langgraph.graph.state import CompiledStateGraph

from graph.chat.graph import build_chat_graph
from graph.master import build_master_graph
from graph.models import build_planner
from runtime.settings import get_settings


def make_graph() -> CompiledStateGraph[Any, Any, Any, Any]:
    """Compiled without a checkpointer: the LangGraph server supplies its own."""
    return build_master_graph(planner=build_planner(get_settings().model)).compile()


def make_chat_graph() -> CompiledStateGraph[Any, Any, Any, Any]:
    """The chat graph, compiled the same way (served as `chat`; bench.chat compares servers).

    Without a context schema: the LangGraph server builds the run context from JSON, and an
    `OpsContext` holds a database pool, so this serves the turns that need no tools."""
    builder: Any = build_chat_graph(planner=build_planner(get_settings().model))
    builder.context_schema = None
    return builder.compile()  # type: ignore[no-any-return]

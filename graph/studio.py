"""Entry point for LangGraph tooling (`langgraph.json`): the hierarchy for the set planner."""

from __future__ import annotations

from typing import Any

from langgraph.graph.state import CompiledStateGraph

from graph.master import build_master_graph
from graph.models import build_planner
from runtime.settings import get_settings


def make_graph() -> CompiledStateGraph[Any, Any, Any, Any]:
    """Compiled without a checkpointer: the LangGraph server supplies its own."""
    return build_master_graph(planner=build_planner(get_settings().model)).compile()

"""A span for every graph node a run goes through, from LangChain's callbacks.

LangGraph reports each node's start and end to the run's callback handlers; this handler
turns them into OpenTelemetry spans nested as the graphs are (master -> domain supervisor ->
specialist -> node), under the span current when the run started (the worker's job). Spans
are not made current here: the callbacks do not run in the node's own context, so tool and
database spans hang from the job span, in the same trace.
"""

from __future__ import annotations

import uuid
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langgraph.errors import GraphBubbleUp
from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode

TRACER = trace.get_tracer(__name__)
HIDDEN = "langsmith:hidden"


class NodeSpans(BaseCallbackHandler):
    """Opens a span when a graph node starts and ends it when the node ends."""

    run_inline = True

    def __init__(self) -> None:
        self._spans: dict[uuid.UUID, Span] = {}
        self._nearest: dict[uuid.UUID, Span | None] = {}
        """Each open chain run's nearest node span (its own, or an ancestor's)."""

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,  # noqa: ARG002
        inputs: Any,  # noqa: ARG002
        *,
        run_id: uuid.UUID,
        parent_run_id: uuid.UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parent = self._nearest.get(parent_run_id) if parent_run_id else None
        node = (metadata or {}).get("langgraph_node")
        if node is None or kwargs.get("name") != node or HIDDEN in (tags or []):
            self._nearest[run_id] = parent
            return
        span = TRACER.start_span(
            f"node {node}",
            context=trace.set_span_in_context(parent) if parent is not None else None,
            attributes={
                "langgraph.node": str(node),
                "langgraph.step": int((metadata or {}).get("langgraph_step", 0)),
            },
        )
        self._spans[run_id] = span
        self._nearest[run_id] = span

    def on_chain_end(self, outputs: Any, *, run_id: uuid.UUID, **kwargs: Any) -> None:  # noqa: ARG002
        self._nearest.pop(run_id, None)
        span = self._spans.pop(run_id, None)
        if span is not None:
            span.end()

    def on_chain_error(self, error: BaseException, *, run_id: uuid.UUID, **kwargs: Any) -> None:  # noqa: ARG002
        self._nearest.pop(run_id, None)
        span = self._spans.pop(run_id, None)
        if span is None:
            return
        if isinstance(error, GraphBubbleUp):
            span.set_attribute("langgraph.interrupted", True)  # a pause, not a failure
        else:
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.end()

"""Times each knowledge-base search a run makes, from LangChain's tool callbacks.

The compiled graphs carry this handler (`service.runner`, `service.chat_runs`), so a search
made as a tool call inside a worker (a chat answer, a content draft) is stored as one row in
`kb_searches` (`runtime.kb_searches`) for `/metrics`. Every other callback is ignored, and
inline: the handler sees every node of every run, so it must cost next to nothing there.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from langchain_core.callbacks import AsyncCallbackHandler
from langgraph.errors import GraphBubbleUp

from graph.model_calls import tenant_of
from graph.tools.knowledge import search_knowledge_base_tool
from runtime.database import Pool
from runtime.kb_searches import record_kb_search
from runtime.model_calls import Outcome

logger = logging.getLogger(__name__)

SEARCH_TOOL = search_knowledge_base_tool.name


class KbSearchRecorder(AsyncCallbackHandler):
    """Stores the duration and outcome of every `search_knowledge_base` call.

    Tool callbacks come under LangChain's `ignore_agent` switch, so that one stays off."""

    run_inline = True

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self._started: dict[uuid.UUID, tuple[float, str]] = {}

    @property
    def ignore_chain(self) -> bool:
        return True

    @property
    def ignore_llm(self) -> bool:
        return True

    @property
    def ignore_chat_model(self) -> bool:
        return True

    @property
    def ignore_retriever(self) -> bool:
        return True

    @property
    def ignore_retry(self) -> bool:
        return True

    @property
    def ignore_custom_event(self) -> bool:
        return True

    async def on_tool_start(
        self,
        serialized: dict[str, Any],
        input_str: str,  # noqa: ARG002
        *,
        run_id: uuid.UUID,
        parent_run_id: uuid.UUID | None = None,  # noqa: ARG002
        tags: list[str] | None = None,  # noqa: ARG002
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,  # noqa: ARG002
        **kwargs: Any,
    ) -> None:
        if (serialized or {}).get("name", kwargs.get("name")) == SEARCH_TOOL:
            self._started[run_id] = (time.perf_counter(), tenant_of(metadata))

    async def on_tool_end(
        self,
        output: Any,  # noqa: ARG002
        *,
        run_id: uuid.UUID,
        parent_run_id: uuid.UUID | None = None,  # noqa: ARG002
        **kwargs: Any,  # noqa: ARG002
    ) -> None:
        await self._record(run_id, "success")

    async def on_tool_error(
        self,
        error: BaseException,
        *,
        run_id: uuid.UUID,
        parent_run_id: uuid.UUID | None = None,  # noqa: ARG002
        **kwargs: Any,  # noqa: ARG002
    ) -> None:
        if isinstance(error, GraphBubbleUp):  # a pause, not a search that failed
            self._started.pop(run_id, None)
            return
        await self._record(run_id, "error")

    async def _record(self, run_id: uuid.UUID, outcome: Outcome) -> None:
        started = self._started.pop(run_id, None)
        if started is None:
            return
        began, tenant = started
        try:
            await record_kb_search(
                self.pool, tenant_id=tenant, outcome=outcome, seconds=time.perf_counter() - began
            )
        except Exception as exc:
            logger.warning("knowledge-base search not recorded: %s", type(exc).__name__)

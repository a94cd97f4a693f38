"""Records each knowledge-base search a run makes as a tool call, for `/metrics`.

`SequentialToolNode` (every tool call of every run goes through it) tells the run context's
`time_tool` how long each call took; the composition root hands it a `KbSearchTimer`
(`service.runner`, `service.chat_runs`), which keeps the `search_knowledge_base` calls as
rows in `kb_searches` (`runtime.kb_searches`): the searches a chat answer or a content draft
makes inside a worker, which has no endpoint of its own. Other tools cost it one name check.
"""

from __future__ import annotations

import logging

from langchain_core.runnables import RunnableConfig

from graph.model_calls import tenant_of
from graph.tools.knowledge import search_knowledge_base_tool
from runtime.database import Pool
from runtime.kb_searches import record_kb_search

logger = logging.getLogger(__name__)

SEARCH_TOOL = search_knowledge_base_tool.name


class KbSearchTimer:
    """A `graph.context.ToolTimer` that stores knowledge-base searches; a failure to store
    is logged, never raised into the run."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    async def __call__(
        self, name: str, seconds: float, outcome: str, config: RunnableConfig
    ) -> None:
        if name != SEARCH_TOOL:
            return
        try:
            await record_kb_search(
                self.pool,
                tenant_id=tenant_of(config.get("metadata")),
                outcome="success" if outcome == "success" else "error",
                seconds=seconds,
            )
        except Exception as exc:
            logger.warning("knowledge-base search not recorded: %s", type(exc).__name__)

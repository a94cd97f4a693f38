"""`PlainTool`: a `StructuredTool` that awaits its coroutine without LangChain's reflection.

No `from __future__ import annotations` here, on purpose: `BaseTool.arun` resolves the type
hints of `_arun` on every call (`typing.get_type_hints`, looking for a `RunnableConfig`
parameter), and string annotations would be compiled and evaluated anew each time.
"""

from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForToolRun
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import StructuredTool


class PlainTool(StructuredTool):
    """A `StructuredTool` whose coroutine is awaited as is.

    LangChain's `StructuredTool._arun` inspects the coroutine's signature and resolves its
    type hints on every call, looking for a `callbacks` or `RunnableConfig` parameter; these
    tools take neither (they read the run through `ToolRuntime`).
    """

    async def _arun(
        self,
        *args: Any,
        config: RunnableConfig,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
        **kwargs: Any,
    ) -> Any:
        if self.coroutine is None:
            return await super()._arun(*args, config=config, run_manager=run_manager, **kwargs)
        return await self.coroutine(*args, **kwargs)

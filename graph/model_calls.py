"""Records every chat-model call (model, outcome, tokens, latency) from LangChain's callbacks.

Attached to the model where the planner builds it (`graph.models.build_planner`), so every
call through it is seen, whichever graph made it: the specialists' planning in event runs,
and the chat graph's routing and replies. Each call becomes one row in `model_calls`
(`runtime.model_calls`), which `/metrics` tallies; no prompt or reply text is stored.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, LLMResult

from runtime.database import Pool
from runtime.logging import LOG_FIELDS
from runtime.model_calls import Outcome, record_model_call

logger = logging.getLogger(__name__)

DEFAULT_TENANT = "default"
TENANT_KEY = "tenant_id"
"""The run's metadata key naming the tenant (the event runner and the chat runner set it)."""


class ModelCallRecorder(AsyncCallbackHandler):
    """Times each call from its start to its end or error and stores the outcome.

    A failure to store is logged and swallowed: counting a call must never fail the run."""

    def __init__(self, pool: Pool, *, model: str) -> None:
        self.pool = pool
        self.model = model
        self._started: dict[uuid.UUID, tuple[float, str]] = {}

    async def on_chat_model_start(
        self,
        serialized: dict[str, Any],  # noqa: ARG002
        messages: list[list[BaseMessage]],  # noqa: ARG002
        *,
        run_id: uuid.UUID,
        parent_run_id: uuid.UUID | None = None,  # noqa: ARG002
        tags: list[str] | None = None,  # noqa: ARG002
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,  # noqa: ARG002
    ) -> None:
        self._started[run_id] = (time.perf_counter(), tenant_of(metadata))

    async def on_llm_end(
        self,
        response: LLMResult,
        *,
        run_id: uuid.UUID,
        parent_run_id: uuid.UUID | None = None,  # noqa: ARG002
        tags: list[str] | None = None,  # noqa: ARG002
        **kwargs: Any,  # noqa: ARG002
    ) -> None:
        prompt, completion = token_usage(response)
        await self._record(run_id, "success", prompt, completion)

    async def on_llm_error(
        self,
        error: BaseException,  # noqa: ARG002
        *,
        run_id: uuid.UUID,
        parent_run_id: uuid.UUID | None = None,  # noqa: ARG002
        tags: list[str] | None = None,  # noqa: ARG002
        **kwargs: Any,  # noqa: ARG002
    ) -> None:
        await self._record(run_id, "error", 0, 0)

    async def _record(
        self, run_id: uuid.UUID, outcome: Outcome, prompt: int, completion: int
    ) -> None:
        started = self._started.pop(run_id, None)
        if started is None:
            return
        began, tenant = started
        try:
            await record_model_call(
                self.pool,
                tenant_id=tenant,
                model=self.model,
                outcome=outcome,
                prompt_tokens=prompt,
                completion_tokens=completion,
                seconds=time.perf_counter() - began,
            )
        except Exception as exc:
            logger.warning("model call not recorded: %s", type(exc).__name__)


def tenant_of(metadata: dict[str, Any] | None) -> str:
    """The run's tenant: its metadata, else the log context the worker task set."""
    named = (metadata or {}).get(TENANT_KEY) or LOG_FIELDS.get().get("tenant")
    return str(named) if named else DEFAULT_TENANT


def token_usage(response: LLMResult) -> tuple[int, int]:
    """Prompt and completion tokens as the server reported them (0 when it did not)."""
    prompt = completion = 0
    for generations in response.generations:
        for generation in generations:
            if not isinstance(generation, ChatGeneration):
                continue
            message = generation.message
            usage = message.usage_metadata if isinstance(message, AIMessage) else None
            if usage:
                prompt += int(usage.get("input_tokens", 0))
                completion += int(usage.get("output_tokens", 0))
    if prompt or completion:
        return prompt, completion
    reported = (response.llm_output or {}).get("token_usage") or {}
    return int(reported.get("prompt_tokens") or 0), int(reported.get("completion_tokens") or 0)

"""Counting model calls and tokens per case, whatever graph makes them.

A callback handler set in a context variable that LangChain's configure hook picks up: every
chat model run inside the case's task (and the tasks it spawns) reports to the case's counter.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult
from langchain_core.tracers.context import register_configure_hook


@dataclass
class Usage:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class UsageCounter(BaseCallbackHandler):
    """Adds each finished model call and its token usage to `usage`."""

    def __init__(self) -> None:
        self.usage = Usage()

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:  # noqa: ARG002
        self.usage.calls += 1
        for generations in response.generations:
            for generation in generations:
                message = getattr(generation, "message", None)
                meta = getattr(message, "usage_metadata", None) or {}
                self.usage.input_tokens += int(meta.get("input_tokens") or 0)
                self.usage.output_tokens += int(meta.get("output_tokens") or 0)


@cache
def usage_var() -> ContextVar[UsageCounter | None]:
    """Created and registered once, on first use (not at import)."""
    var: ContextVar[UsageCounter | None] = ContextVar("opsgraph_eval_usage", default=None)
    register_configure_hook(var, inheritable=True)
    return var


@contextmanager
def counting_usage() -> Iterator[Usage]:
    counter = UsageCounter()
    token = usage_var().set(counter)
    try:
        yield counter.usage
    finally:
        usage_var().reset(token)

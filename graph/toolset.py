"""The tool registry: an explicit object the composition root builds and hands down.

A side-effecting tool carries its `Effect` (argument schema, body, the facts the policy judges
it by) on itself; the registry is assembled from a list of tools, never filled by importing
modules. The graph reaches it through the run context (to run an approved or compensating
action by name, and to find a call's facts), the API through the app (to check an edit).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from langchain_core.tools import BaseTool
from pydantic import BaseModel, ValidationError

from graph.facts import FactSource

EFFECT_KEY = "opsgraph.effect"
"""Where a side-effecting tool keeps its `Effect` (in the tool's `metadata`)."""

EffectBody = Callable[[Any, Any], Awaitable[Any]]
"""`async (ToolEnv, parsed arguments) -> result`."""


@dataclass(frozen=True)
class Effect:
    """What it takes to run a side-effecting tool by name, and to judge a call of it."""

    name: str
    schema: type[BaseModel]
    body: EffectBody
    facts: tuple[FactSource, ...] = ()
    """The sources of the facts the approval policy judges a call of this tool by."""
    attention: bool = False
    """Every call asks a person (an attention item), whatever the policy says."""


def effect_of(tool: BaseTool) -> Effect | None:
    """The tool's effect, or None for a tool that only reads."""
    found = (tool.metadata or {}).get(EFFECT_KEY)
    return found if isinstance(found, Effect) else None


class ToolRegistry:
    """Every tool by name, and the side-effecting ones' effects."""

    def __init__(self, tools: Iterable[BaseTool] = ()) -> None:
        self._tools: dict[str, BaseTool] = {}
        for tool in tools:
            if tool.name in self._tools and self._tools[tool.name] is not tool:
                raise ValueError(f"two different tools are named {tool.name!r}")
            self._tools[tool.name] = tool
        self._effects = {
            name: effect for name, tool in self._tools.items() if (effect := effect_of(tool))
        }

    @property
    def tools(self) -> Mapping[str, BaseTool]:
        return self._tools

    def is_effect(self, name: str) -> bool:
        return name in self._effects

    def effect(self, name: str) -> Effect:
        if name not in self._effects:
            raise LookupError(f"{name!r} is not a side-effecting tool in this registry")
        return self._effects[name]

    def facts_of(self, name: str) -> tuple[FactSource, ...]:
        """The fact sources the tool declares; none for a tool this registry does not know
        (its rules then lack every fact and fail closed)."""
        return self._effects[name].facts if name in self._effects else ()

    def check_edit(self, action: str, args: Any) -> dict[str, Any]:
        """Edited arguments must satisfy the tool's own schema; returns them normalized."""
        if action not in self._effects:
            raise ValueError(f"{action} cannot be edited")
        if not isinstance(args, dict):
            raise ValueError("edit needs the new arguments as a JSON object")
        try:
            return self._effects[action].schema.model_validate(args).model_dump(mode="json")
        except ValidationError as exc:
            raise ValueError(str(exc).replace("\n", "; ")) from exc

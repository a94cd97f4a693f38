"""Agent Inbox's interrupt and response shapes, and the reviewer-facing description."""

from __future__ import annotations

import json
from typing import Any, Literal, NotRequired, TypedDict


class ActionRequest(TypedDict):
    action: str
    args: dict[str, Any]


class HumanInterruptConfig(TypedDict):
    allow_accept: bool
    allow_edit: bool
    allow_respond: bool
    allow_ignore: bool


InterruptKind = Literal["approval", "attention"]
"""approval: a rule stopped a call. attention: a specialist cannot reach its goal and asks
which remedy to take (the proposed action is its recommendation)."""


class HumanInterrupt(TypedDict):
    """What the graph pauses with (Agent Inbox's `HumanInterrupt`), plus our approval id."""

    action_request: ActionRequest
    config: HumanInterruptConfig
    description: str
    approval_id: str
    kind: NotRequired[InterruptKind]
    domain: NotRequired[str]
    specialist: NotRequired[str]


ResponseType = Literal["accept", "edit", "response", "ignore"]


class HumanResponse(TypedDict):
    """What the graph resumes with: `args` is an ActionRequest for edit, text for response."""

    type: ResponseType
    args: NotRequired[Any]


FULL_CONFIG: HumanInterruptConfig = {
    "allow_accept": True,
    "allow_edit": True,
    "allow_respond": True,
    "allow_ignore": True,
}


def describe(
    *,
    tool: str,
    args: dict[str, Any],
    proposed: ActionRequest,
    facts: dict[str, Any],
    rules: list[dict[str, Any]],
    context: list[str],
) -> str:
    """Markdown a reviewer can act on: what is asked, why it stopped, what is known, and
    what could not be established (a rule that needs it stops the call: fail closed)."""
    lines = [f"## Approve `{proposed['action']}`?", ""]
    if proposed["action"] != tool:
        lines += [f"Instead of `{tool}`, the policy proposes `{proposed['action']}`.", ""]
    lines += ["**Why it stopped**", *[f"- {r['id']}: {r['description']}" for r in rules], ""]
    missing = [
        f"- {m['fact']} (needed by {r['id']}): {m['why']}"
        for r in rules
        for m in r.get("missing", [])
    ]
    if missing:
        lines += ["**Missing facts** (the rule could not be checked, so a person decides)"]
        lines += [*missing, ""]
    lines += ["**Facts**", *[f"- {k}: {v}" for k, v in sorted(facts.items())], ""]
    if context:
        lines += ["**Context**", *[f"- {line}" for line in context], ""]
    lines += ["**Proposed action**", "```json", json.dumps(proposed, indent=2, default=str), "```"]
    if proposed["args"] != args:
        lines += ["", "Original call:", "```json", json.dumps(args, indent=2, default=str), "```"]
    return "\n".join(lines)


def describe_attention(
    *,
    tool: str,
    args: dict[str, Any],
    proposed: ActionRequest,
    facts: dict[str, Any],
    rules: list[dict[str, Any]],
    context: list[str],
) -> str:
    """Markdown for an attention item: what happened, why, and the remedies on offer.

    Accept takes the recommended remedy; edit picks another (`remedy`, with its arguments);
    respond sends a note instead; ignore leaves it as it is."""
    del tool, rules
    chosen = proposed["args"]
    lines = [f"## Needs attention: {str(chosen.get('problem', 'a problem')).replace('_', ' ')}", ""]
    lines += ["**What happened and why**", f"- {args.get('reason') or 'no reason given'}", ""]
    lines += ["**Remedies** (accept takes the recommended one; edit `remedy` to choose)"]
    remedies = chosen.get("remedies")
    for name, text in (remedies if isinstance(remedies, dict) else {}).items():
        mark = " (recommended)" if chosen.get("remedy") == name else ""
        lines.append(f"- `{name}`{mark}: {text}")
    lines += ["- respond: a note instead; ignore: leave it on hold", ""]
    for line in chosen.get("reorder") or []:
        figures = ", ".join(f"{k} {v}" for k, v in (line.get("figures") or {}).items())
        lines.append(
            f"- reorder {line.get('item_id')}: {line.get('quantity')} at"
            f" {line.get('unit_cost')} ({figures})"
        )
    if chosen.get("reorder"):
        lines.append("")
    lines += ["**Facts**", *[f"- {k}: {v}" for k, v in sorted(facts.items())], ""]
    if context:
        lines += ["**Context**", *[f"- {line}" for line in context], ""]
    lines += ["**Proposed remedy**", "```json", json.dumps(proposed, indent=2, default=str), "```"]
    return "\n".join(lines)

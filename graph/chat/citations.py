"""Citations: the passages a turn retrieved, the `[n]` a reply uses, and the policy claims
that carry none.

A passage is numbered as `search_knowledge_base` numbered it; a reply may cite only numbers a
retrieved passage has. Sentences that state policy (time limits, what is allowed, fees) without
a valid `[n]` are returned as uncited claims: the graph keeps them in the state (`uncited`) and
in the reply's `response_metadata`, whoever wrote the reply.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from graph.chat.state import Citation
from graph.specialists.base import tool_result
from graph.tools.knowledge import search_knowledge_base_tool

CITE = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
POLICY = re.compile(
    r"\b(polic(?:y|ies)|within \d+|\d+\s*(?:to \d+\s*)?(?:business\s+)?(?:days?|weeks?|hours?)"
    r"|window|eligib\w*|allowed|must|required?|fees?|final sale|non-?refundable"
    r"|we (?:do not |don't |never )?(?:accept|ship|refund|replace|offer|charge)"
    r"|customers? (?:can|may|cannot|can't|must))\b",
    re.IGNORECASE,
)

Passage = dict[str, Any]


def passages_in(results: Sequence[ToolMessage]) -> dict[int, Passage]:
    """The numbered passages of this turn's knowledge-base searches (a later search's number
    replaces an earlier one's: a reply cites what the last search showed)."""
    found: dict[int, Passage] = {}
    for message in results:
        if message.name != search_knowledge_base_tool.name:
            continue
        value = tool_result(message)
        for hit in value.get("results", []) if isinstance(value, dict) else []:
            found[int(hit["n"])] = hit
    return found


def citation_of(passage: Passage) -> Citation:
    return {
        "n": int(passage["n"]),
        "chunk_id": int(passage["chunk_id"]),
        "document": str(passage.get("title") or passage.get("source") or ""),
        "heading": str(passage.get("heading_path") or ""),
        "source": str(passage.get("source") or ""),
    }


def cited_numbers(text: str) -> list[int]:
    numbers: list[int] = []
    for group in CITE.findall(text):
        for part in group.split(","):
            number = int(part)
            if number not in numbers:
                numbers.append(number)
    return numbers


def sentences(text: str) -> list[str]:
    return [part.strip() for part in SENTENCE.split(text) if part.strip()]


def check_reply(text: str, passages: dict[int, Passage]) -> tuple[list[Citation], list[str]]:
    """The citations a reply makes (valid numbers only) and its uncited policy claims."""
    citations = [citation_of(passages[n]) for n in cited_numbers(text) if n in passages]
    uncited: list[str] = []
    for sentence in sentences(text):
        if sentence.lower().startswith("sources:") or (
            sentence.startswith("[") and "]" in sentence[:5]
        ):
            continue
        numbers = cited_numbers(sentence)
        invalid = [n for n in numbers if n not in passages]
        if invalid:
            uncited.append(f"{sentence} (cites {invalid}, which no retrieved passage has)")
        elif not numbers and POLICY.search(sentence) and not sentence.endswith("?"):
            uncited.append(sentence)
    return citations, uncited


def sources_line(citations: Sequence[Citation]) -> str:
    """`Sources: [1] Returns > Damaged items (orders/returns.md)`."""
    parts = []
    for citation in citations:
        place = " > ".join(p for p in (citation["document"], citation["heading"]) if p)
        parts.append(f"[{citation['n']}] {place} ({citation['source']})")
    return "Sources: " + "; ".join(parts) if parts else ""

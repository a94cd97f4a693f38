"""The knowledge base as a tool: specialists that answer from policy search it and cite the
chunks they used as [n], with each chunk's id and source kept in the tool's result."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from graph.state import EventData
from graph.tools.base import ToolEnv, reader_tool
from rag.search import search_on

SNIPPET_CHARS = 1_200
SENTENCE = re.compile(r"(?<=[.!?])\s+")
WORD = re.compile(r"\w+")


class SearchKnowledgeBaseArgs(BaseModel):
    """Search the shop's own policies, runbooks and product knowledge."""

    query: str = Field(
        min_length=1, max_length=500, description="The question, in the customer's words."
    )
    k: int = Field(default=3, ge=1, le=10, description="How many passages to return.")
    collection: str | None = Field(default=None, description="Only this collection.")


async def search_knowledge_base(env: ToolEnv, args: SearchKnowledgeBaseArgs) -> dict[str, Any]:
    hits = await search_on(
        env.conn, env.tenant_id, args.query, k=args.k, collection=args.collection
    )
    return {
        "query": args.query,
        "results": [
            {
                "n": number,
                "chunk_id": hit.chunk_id,
                "document_id": str(hit.document_id),
                "source": hit.source,
                "title": hit.title,
                "heading_path": hit.heading_path,
                "text": hit.content[:SNIPPET_CHARS],
            }
            for number, hit in enumerate(hits, start=1)
        ],
    }


search_knowledge_base_tool = reader_tool(
    name="search_knowledge_base",
    description=(
        "Search the knowledge base (policies, runbooks, product knowledge). Results are "
        "numbered passages with their source; cite the ones you use as [n]."
    ),
    args_schema=SearchKnowledgeBaseArgs,
    body=search_knowledge_base,
)

KNOWLEDGE_TOOLS = (search_knowledge_base_tool,)

CITATION_RULE = (
    " When the request asks a question about policy or procedure, call search_knowledge_base "
    "first, answer only from the passages it returns, and cite each one you use as [n]."
)


def policy_question(event: EventData) -> str | None:
    """The question an event asks, if it is a question/policy matter (`payload.question`)."""
    question = event["payload"].get("question")
    return question.strip() if isinstance(question, str) and question.strip() else None


def best_sentences(question: str, text: str, *, limit: int = 2) -> str:
    """The passage's sentences sharing most words with the question, in their order."""
    asked = {word.lower() for word in WORD.findall(question) if len(word) > 2}
    sentences = [s.strip() for s in SENTENCE.split(" ".join(text.split())) if s.strip()]
    if not sentences:
        return ""
    overlap = [len(asked & {w.lower() for w in WORD.findall(s)}) for s in sentences]
    chosen = sorted(sorted(range(len(sentences)), key=lambda i: -overlap[i])[:limit])
    return " ".join(sentences[i] for i in chosen)


def cited_answer(question: str, found: Any) -> str:
    """An answer from the best passage, cited [1], with the source line that backs it."""
    results = found.get("results") if isinstance(found, dict) else None
    if not results:
        return f"The knowledge base has nothing on: {question}"
    top = results[0]
    place = " > ".join(part for part in (top["title"], top["heading_path"]) if part)
    return (
        f"{best_sentences(question, top['text'])} [1]\n"
        f"Sources: [1] {place} ({top['source']}, chunk {top['chunk_id']})"
    )

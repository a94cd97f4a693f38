"""Calling the retail tools the way an agent's tool node does, for the store's tests."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping

from connectors.store.documents import StoreData
from graph.context import OpsContext
from graph.tools.direct import call_tool, tool_message_text
from graph.tools.retail import RETAIL_TOOLS_BY_NAME
from runtime.database import Pool


async def call(
    pool: Pool,
    name: str,
    args: Mapping[str, object],
    *,
    tenant_id: str = "default",
    thread_id: str = "store-tests",
    call_id: str | None = None,
) -> str:
    """Run retail tool `name` once (a fresh call id unless given) and return its answer.

    As an operator's direct call (`opsgraph tools run`): not gated by the approval policy,
    which is for what agents do; the gate has its own tests in tests/hitl.
    """
    reply = await call_tool(
        RETAIL_TOOLS_BY_NAME[name],
        dict(args),
        context=OpsContext(pool=pool, gated=False),
        tenant_id=tenant_id,
        thread_id=thread_id,
        call_id=call_id or f"call-{uuid.uuid4().hex}",
    )
    assert reply.status == "success", reply.content
    return tool_message_text(reply)


def dumped(data: StoreData) -> dict[str, dict[str, str]]:
    """Every record serialized: equal only if types, floats and key order all agree."""
    return {
        "users": {key: json.dumps(doc) for key, doc in data["users"].items()},
        "orders": {key: json.dumps(doc) for key, doc in data["orders"].items()},
        "products": {key: json.dumps(doc) for key, doc in data["products"].items()},
    }

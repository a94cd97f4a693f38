"""The tool registry is handed to the API by whoever builds the app: an app built from
`api.app.create_app` with the composition root's registry accepts an edit; one built
without a registry knows no tool and refuses every edit (nothing is found by importing)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from graph.tools.registry import build_tool_registry
from hitl.approvals import raise_approval
from runtime.apikeys import Role
from runtime.resources import Resources
from runtime.settings import Settings
from tests.support import make_key


async def pending_refund(resources: Resources) -> str:
    approval_id = f"apr_{uuid.uuid4().hex[:20]}"
    args = {"order_id": "#W6247578", "amount": 250.0}
    async with resources.pool.connection() as conn:
        await raise_approval(
            conn,
            {
                "tenant_id": "default",
                "approval_id": approval_id,
                "event_id": None,
                "thread_id": f"test:{approval_id}",
                "tool_call_id": "call-1",
                "tool_name": "refund_payment",
                "args": args,
                "proposed": {"action": "refund_payment", "args": args},
                "facts": {"amount": 250.0},
                "rules": [{"id": "large_refund", "description": "Refunds above 200"}],
                "policy_version": "test",
                "required_approvers": 1,
                "description": "refund?",
                "payload": {},
                "requested_by": None,
                "on_expiry": "reject",
                "warn_after": timedelta(hours=1),
                "deadline": timedelta(hours=4),
            },
        )
    return approval_id


@pytest.fixture(scope="module")
async def bare_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The API alone: `create_app` with no registry handed to it."""
    api = create_app(settings)
    async with api.router.lifespan_context(api):
        yield api


@pytest.fixture(scope="module")
async def composed_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The API built from `create_app` with the composition root's registry."""
    api = create_app(settings, tools=build_tool_registry())
    async with api.router.lifespan_context(api):
        yield api


async def edit(api: FastAPI, approval_id: str, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api), base_url="http://testserver"
    ) as client:
        return await client.post(
            f"/approvals/{approval_id}/decision",
            json={"type": "edit", "args": {"order_id": "#W6247578", "amount": 20}},
            headers=headers,
        )


async def test_an_app_with_the_composition_roots_registry_accepts_an_edit(
    composed_app: FastAPI,
) -> None:
    resources: Resources = composed_app.state.resources
    headers = {"Authorization": f"Bearer {await make_key(resources, Role.REVIEWER)}"}
    approval_id = await pending_refund(resources)

    answer = await edit(composed_app, approval_id, headers)

    assert answer.status_code == 200, answer.text
    assert answer.json()["decision"] == {
        "type": "edit",
        "args": {"action": "refund_payment", "args": {"order_id": "#W6247578", "amount": 20.0}},
    }
    assert answer.json()["kind"] == "approval"


async def test_an_app_built_without_a_registry_refuses_every_edit(bare_app: FastAPI) -> None:
    resources: Resources = bare_app.state.resources
    headers = {"Authorization": f"Bearer {await make_key(resources, Role.REVIEWER)}"}
    approval_id = await pending_refund(resources)

    answer = await edit(bare_app, approval_id, headers)

    assert answer.status_code == 422
    assert "refund_payment cannot be edited" in answer.json()["detail"]

"""Gated actions end to end: a high-value order pauses before fulfillment; decisions resume it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from hitl.audit import verify_audit
from runtime.apikeys import Role
from runtime.events import EventStatus
from runtime.resources import Resources
from service.runner import EventRunner, compile_master_graph
from service.tasks import apply_deadlines
from tests.graph.samples import PENDING_ORDER
from tests.support import (
    decide,
    drain_queue,
    make_key,
    pending_approvals,
    post_order,
    rows,
)

HIGH_VALUE = {**PENDING_ORDER, "total": 1360.55}


async def test_high_value_order_pauses_then_accept_completes_it(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    event_id = await post_order(client, operator_headers, "#W9962383", HIGH_VALUE)
    await drain_queue(resources)
    view = (await client.get(f"/events/{event_id}", headers=operator_headers)).json()
    assert view["status"] == "awaiting_approval", view
    (paused,) = [o for o in view["timeline"] if o["tool_calls"][0]["status"] == "awaiting_approval"]
    assert (paused["domain"], paused["specialist"]) == ("ecommerce", "order_fulfillment")
    assert paused["tool_calls"][0]["name"] == "create_fulfillment"

    (approval,) = await pending_approvals(client, reviewer_headers, event_id)
    assert approval["tool_name"] == "create_fulfillment"
    assert [r["id"] for r in approval["rules"]] == ["high_value_order"]
    assert approval["interrupt"]["action_request"] == {
        "action": "create_fulfillment",
        "args": {"order_id": "#W9962383"},
    }
    assert approval["interrupt"]["config"]["allow_edit"] is True
    assert "high_value_order" in approval["description"]

    await decide(client, reviewer_headers, approval["approval_id"], {"type": "accept"})
    await drain_queue(resources)
    view = (await client.get(f"/events/{event_id}", headers=operator_headers)).json()
    assert view["status"] == "done", view


async def test_reject_cancels_the_order_and_compensates(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    order = {
        **HIGH_VALUE,
        "order_id": "#W2974929",
        "email": "fatima.anderson1447@example.com",
        "customer": {"id": "fatima_anderson_2157"},
        "lines": [{"sku": "3877188862", "name": "Skateboard", "quantity": 1, "unit_price": 182.03}],
    }
    event_id = await post_order(client, operator_headers, "#W2974929", order)
    await drain_queue(resources)
    (approval,) = await pending_approvals(client, reviewer_headers, event_id)
    reserved = await rows(
        resources, "SELECT reserved FROM store_stock WHERE item_id = %s", "3877188862"
    )
    assert reserved == [{"reserved": 1}]

    await decide(
        client,
        reviewer_headers,
        approval["approval_id"],
        {"type": "ignore", "comment": "looks wrong"},
    )
    await drain_queue(resources)

    view = (await client.get(f"/events/{event_id}", headers=operator_headers)).json()
    assert view["status"] == "done"
    fulfillment = next(o for o in view["timeline"] if o["specialist"] == "order_fulfillment")
    assert fulfillment["tool_calls"][1]["result"] == "Error: rejected by the reviewer"
    (doc,) = await rows(resources, "SELECT doc FROM store_orders WHERE order_id = %s", "#W2974929")
    assert doc["doc"]["status"] == "cancelled"
    assert doc["doc"]["cancel_reason"] == "rejected by reviewer"
    assert doc["doc"]["payment_history"][-1]["transaction_type"] == "refund"
    assert await rows(
        resources, "SELECT reserved FROM store_stock WHERE item_id = %s", "3877188862"
    ) == [{"reserved": 0}]
    ledger = await rows(
        resources, "SELECT tool_name FROM tool_ledger WHERE thread_id = %s", f"event:{event_id}"
    )
    names = sorted(r["tool_name"] for r in ledger)
    assert names.count("cancel_order") == 1 and names.count("release_stock") == 1
    assert "create_fulfillment" not in names


async def test_an_edited_refund_runs_with_the_reviewers_amount(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    answer = await client.post(
        "/events",
        json={
            "type": "refund.created",
            "entity": "order:#W6247578",
            "payload": {"order_id": "#W6247578", "amount": 250.0},
        },
        headers=operator_headers,
    )
    event_id = answer.json()["event_id"]
    await drain_queue(resources)
    (approval,) = await pending_approvals(client, reviewer_headers, event_id)
    assert [r["id"] for r in approval["rules"]] == ["large_refund"]

    bad = await client.post(
        f"/approvals/{approval['approval_id']}/decision",
        json={"type": "edit", "args": {"order_id": "#W6247578", "amount": -3}},
        headers=reviewer_headers,
    )
    assert bad.status_code == 422
    await decide(
        client,
        reviewer_headers,
        approval["approval_id"],
        {"type": "edit", "args": {"order_id": "#W6247578", "amount": 20}},
    )
    await drain_queue(resources)

    view = (await client.get(f"/events/{event_id}", headers=operator_headers)).json()
    assert view["status"] == "done"
    (doc,) = await rows(resources, "SELECT doc FROM store_orders WHERE order_id = %s", "#W6247578")
    refund = doc["doc"]["payment_history"][-1]
    assert (refund["transaction_type"], refund["amount"]) == ("refund", 20.0)
    audit = await rows(
        resources,
        "SELECT details FROM audit_log WHERE action = %s AND subject = %s",
        "approval.edited",
        approval["approval_id"],
    )
    assert audit[0]["details"]["before"] == {"order_id": "#W6247578", "amount": 250.0}
    assert audit[0]["details"]["after"] == {"order_id": "#W6247578", "amount": 20.0}


async def test_decision_rules_repeat_conflict_expiry(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    event_id = await post_order(
        client, operator_headers, "#W3897284", {**HIGH_VALUE, "order_id": "#W3897284", "lines": []}
    )
    await drain_queue(resources)
    (approval,) = await pending_approvals(client, reviewer_headers, event_id)
    url = f"/approvals/{approval['approval_id']}/decision"
    first = await client.post(url, json={"type": "accept"}, headers=reviewer_headers)
    again = await client.post(url, json={"type": "accept"}, headers=reviewer_headers)
    assert (first.status_code, again.status_code) == (200, 200)
    jobs = await rows(
        resources,
        "SELECT id FROM procrastinate_jobs WHERE task_name = 'resume_run'"
        " AND args->>'event_id' = %s",
        event_id,
    )
    assert len(jobs) == 1, "the same decision twice is applied once"
    conflict = await client.post(url, json={"type": "ignore"}, headers=reviewer_headers)
    assert conflict.status_code == 409

    second = await post_order(
        client, operator_headers, "#W8306539", {**HIGH_VALUE, "order_id": "#W8306539", "lines": []}
    )
    await drain_queue(resources)
    (late,) = await pending_approvals(client, reviewer_headers, second)
    async with resources.pool.connection() as conn:
        await conn.execute(
            "UPDATE approvals SET deadline_at = now() - interval '1 second' WHERE approval_id = %s",
            (late["approval_id"],),
        )
    gone = await client.post(
        f"/approvals/{late['approval_id']}/decision",
        json={"type": "accept"},
        headers=reviewer_headers,
    )
    assert gone.status_code == 410


async def test_four_eyes_needs_two_different_reviewers(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    event_id = await post_order(
        client,
        operator_headers,
        "#W5694685",
        {**HIGH_VALUE, "order_id": "#W5694685", "total": 6200.0},
    )
    await drain_queue(resources)
    (approval,) = await pending_approvals(client, reviewer_headers, event_id)
    assert approval["required_approvers"] == 2
    assert {r["id"] for r in approval["rules"]} == {"high_value_order", "four_eyes"}
    url = f"/approvals/{approval['approval_id']}/decision"

    one = await client.post(url, json={"type": "accept"}, headers=reviewer_headers)
    assert one.status_code == 200 and one.json()["status"] == "pending"
    assert (await client.post(url, json={"type": "accept"}, headers=reviewer_headers)).json()[
        "status"
    ] == "pending"
    other = {"Authorization": f"Bearer {await make_key(resources, Role.REVIEWER)}"}
    two = await client.post(url, json={"type": "accept"}, headers=other)
    assert two.json()["status"] == "decided"
    assert len(two.json()["votes"]) == 2
    await drain_queue(resources)
    view = (await client.get(f"/events/{event_id}", headers=operator_headers)).json()
    assert view["status"] == "done"


async def test_a_response_continues_without_the_action(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    event_id = await post_order(
        client, operator_headers, "#W1000001", {**HIGH_VALUE, "order_id": "#W1000001", "lines": []}
    )
    await drain_queue(resources)
    (approval,) = await pending_approvals(client, reviewer_headers, event_id)
    await decide(
        client,
        reviewer_headers,
        approval["approval_id"],
        {"type": "response", "args": "call the customer first"},
    )
    await drain_queue(resources)
    view = (await client.get(f"/events/{event_id}", headers=operator_headers)).json()
    assert view["status"] == "done"
    ledger = await rows(
        resources, "SELECT tool_name FROM tool_ledger WHERE thread_id = %s", f"event:{event_id}"
    )
    assert "create_fulfillment" not in {r["tool_name"] for r in ledger}
    assert "call the customer first" in str(view["timeline"])


async def test_deadlines_escalate_then_apply_the_default(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    event_id = await post_order(
        client, operator_headers, "#W1000002", {**HIGH_VALUE, "order_id": "#W1000002", "lines": []}
    )
    await drain_queue(resources)
    (approval,) = await pending_approvals(client, reviewer_headers, event_id)
    runner = EventRunner(resources, compile_master_graph(resources))
    async with resources.pool.connection() as conn:
        await conn.execute(
            "UPDATE approvals SET warn_at = now() WHERE approval_id = %s",
            (approval["approval_id"],),
        )
    await apply_deadlines(runner)
    await apply_deadlines(runner)
    escalated = (
        await client.get(f"/approvals/{approval['approval_id']}", headers=reviewer_headers)
    ).json()
    assert escalated["status"] == "pending" and escalated["escalated_at"] is not None
    async with resources.pool.connection() as conn:
        await conn.execute(
            "UPDATE approvals SET deadline_at = now() WHERE approval_id = %s",
            (approval["approval_id"],),
        )
    await apply_deadlines(runner)
    await drain_queue(resources)

    expired = (
        await client.get(f"/approvals/{approval['approval_id']}", headers=reviewer_headers)
    ).json()
    assert expired["status"] == "expired"
    assert expired["decision"] == {"type": "ignore"}
    view = (await client.get(f"/events/{event_id}", headers=operator_headers)).json()
    assert view["status"] == "done"
    actions = await rows(
        resources,
        "SELECT action FROM audit_log WHERE subject = %s ORDER BY seq",
        approval["approval_id"],
    )
    assert [a["action"] for a in actions] == [
        "approval.raised",
        "approval.escalated",
        "approval.expired",
    ]


async def test_the_audit_trail_of_real_runs_verifies_and_names_a_tampered_row(
    resources: Resources,
) -> None:
    report = await verify_audit(resources.pool)
    assert report.ok and report.entries > 5
    async with resources.pool.connection() as conn:
        (target,) = await (
            await conn.execute(
                "SELECT seq FROM audit_log WHERE action = 'approval.decided' ORDER BY seq LIMIT 1"
            )
        ).fetchall()
        await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
        await conn.execute(
            'UPDATE audit_log SET details = \'{"type": "accept"}\''
            " WHERE tenant_id = 'default' AND seq = %s",
            (target["seq"],),
        )
        await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER USER")
    broken = await verify_audit(resources.pool)
    assert not broken.ok
    assert broken.broken_at == ("default", target["seq"])


async def test_a_failed_resume_attempt_is_retried_from_where_it_paused(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    event_id = await post_order(
        client, operator_headers, "#W1000003", {**HIGH_VALUE, "order_id": "#W1000003", "lines": []}
    )
    await drain_queue(resources)
    (approval,) = await pending_approvals(client, reviewer_headers, event_id)
    async with resources.pool.connection() as conn:
        await conn.execute("DELETE FROM procrastinate_jobs WHERE status = 'todo'")
    await decide(client, reviewer_headers, approval["approval_id"], {"type": "accept"})
    runner = EventRunner(resources, compile_master_graph(resources))
    real = runner.graph.ainvoke
    failures = iter([RuntimeError("database hiccup")])

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        for failure in failures:
            raise failure
        return await real(*args, **kwargs)

    monkeypatch.setattr(runner.graph, "ainvoke", flaky)
    with pytest.raises(RuntimeError, match="hiccup"):
        await runner.resume(tenant_id="default", event_id=uuid.UUID(event_id), final_attempt=False)
    view = (await client.get(f"/events/{event_id}", headers=operator_headers)).json()
    assert view["status"] == "awaiting_approval", "the retry must find the event paused"

    assert await runner.resume(tenant_id="default", event_id=uuid.UUID(event_id)) == (
        EventStatus.DONE
    )


async def test_a_decision_holds_even_if_the_facts_change_before_the_resume(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    """A rejected refund on a disputed order stays rejected after the dispute is cleared."""

    async def set_disputed(value: bool) -> None:
        async with resources.pool.connection() as conn:
            await conn.execute(
                "UPDATE store_orders SET doc = (jsonb_set(doc::jsonb, '{disputed}', %s))::json"
                " WHERE order_id = '#W2611340'",
                (json.dumps(value),),
            )

    await set_disputed(True)
    answer = await client.post(
        "/events",
        json={
            "type": "refund.created",
            "entity": "order:#W2611340",
            "payload": {"order_id": "#W2611340", "amount": 50},
        },
        headers=operator_headers,
    )
    event_id = answer.json()["event_id"]
    await drain_queue(resources)
    (approval,) = await pending_approvals(client, reviewer_headers, event_id)
    assert [r["id"] for r in approval["rules"]] == ["disputed_refund"]
    await decide(client, reviewer_headers, approval["approval_id"], {"type": "ignore"})
    await set_disputed(False)
    await drain_queue(resources)

    (doc,) = await rows(resources, "SELECT doc FROM store_orders WHERE order_id = %s", "#W2611340")
    assert all(p["transaction_type"] == "payment" for p in doc["doc"]["payment_history"])


async def test_rejecting_a_proposed_cancellation_does_not_cancel(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    risky = {
        **HIGH_VALUE,
        "order_id": "#W1000004",
        "lines": [],
        "total": 300.0,
        "customer": {"id": "first_time_buyer_1004", "account_age_days": 0},
        "billing_address": {"country": "US"},
        "shipping_address": {"country": "RU"},
        "orders_last_24h": 5,
        "payment_method": "crypto",
    }
    event_id = await post_order(client, operator_headers, "#W1000004", risky)
    await drain_queue(resources)
    (approval,) = await pending_approvals(client, reviewer_headers, event_id)
    assert approval["proposed"]["action"] == "cancel_order"
    await decide(
        client,
        reviewer_headers,
        approval["approval_id"],
        {"type": "ignore", "comment": "not fraud, do not cancel"},
    )
    await drain_queue(resources)
    (doc,) = await rows(resources, "SELECT doc FROM store_orders WHERE order_id = %s", "#W1000004")
    assert doc["doc"]["status"] == "pending"


async def test_the_key_that_sent_an_event_cannot_approve_its_action(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    admin = {"Authorization": f"Bearer {await make_key(resources, Role.ADMIN)}"}
    event_id = await post_order(
        client, admin, "#W1000005", {**HIGH_VALUE, "order_id": "#W1000005", "lines": []}
    )
    await drain_queue(resources)
    (approval,) = await pending_approvals(client, admin, event_id)
    own = await client.post(
        f"/approvals/{approval['approval_id']}/decision", json={"type": "accept"}, headers=admin
    )
    assert own.status_code == 403
    assert "requested this action" in own.json()["detail"]


async def test_a_support_cancellation_of_a_large_order_waits_for_a_reviewer(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    """The customer-service agent's money-moving operations are gated like any other."""
    answer = await client.post(
        "/events",
        json={
            "type": "support.requested",
            "entity": "order:#W5918442",
            "payload": {
                "operations": [
                    {
                        "name": "cancel_pending_order",
                        "arguments": {"order_id": "#W5918442", "reason": "no longer needed"},
                    }
                ]
            },
        },
        headers=operator_headers,
    )
    event_id = answer.json()["event_id"]
    await drain_queue(resources)
    (approval,) = await pending_approvals(client, reviewer_headers, event_id)
    assert [r["id"] for r in approval["rules"]] == ["large_retail_refund"]
    (doc,) = await rows(
        resources, "SELECT status FROM store_orders WHERE order_id = %s", "#W5918442"
    )
    assert doc["status"] == "pending"

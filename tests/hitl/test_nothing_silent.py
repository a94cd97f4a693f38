"""Nothing ends silently (issue 9, item 3): a specialist that cannot reach its goal raises an
attention item through the same machinery as approvals (interrupt, approvals row of kind
attention, `attention.raised` in the audit trail and the notices, the inbox), naming the
reason; the reviewer's decision resumes the run. Through the API, the worker and the real
graph."""

from __future__ import annotations

from typing import Any

import httpx

from connectors.ingest import upsert_product
from runtime.resources import Resources
from tests.support import decide, drain_queue, pending_approvals, post_event, rows


async def waiting_item(
    client: httpx.AsyncClient,
    operator: dict[str, str],
    reviewer: dict[str, str],
    resources: Resources,
    event_id: str,
    problem: str,
) -> dict[str, Any]:
    """The event waits on one attention item about `problem`, raised and audited."""
    view = (await client.get(f"/events/{event_id}", headers=operator)).json()
    assert view["status"] == "awaiting_approval", view
    found = (await client.get("/approvals?kind=attention", headers=reviewer)).json()
    mine = [a for a in found if a["event_id"] == event_id and a["status"] == "pending"]
    assert len(mine) == 1, (view["status"], view["summary"])
    (item,) = mine
    assert item["kind"] == "attention" and item["tool_name"] == "raise_attention"
    assert item["proposed"]["args"]["problem"] == problem
    assert "Needs attention" in item["description"]
    audited = await rows(
        resources,
        "SELECT count(*) AS n FROM audit_log WHERE action = 'attention.raised' AND subject = %s",
        item["approval_id"],
    )
    assert audited[0]["n"] == 1
    return dict(item)


async def approve_refund(
    client: httpx.AsyncClient, reviewer: dict[str, str], resources: Resources, event_id: str
) -> None:
    """The refund rules ask first (an unknown order lacks its facts; a large amount): a
    reviewer approves, and the store then refuses."""
    (approval,) = await pending_approvals(client, reviewer, event_id)
    assert approval["kind"] == "approval" and approval["tool_name"] == "refund_payment"
    await decide(client, reviewer, approval["approval_id"], {"type": "accept"})
    await drain_queue(resources)


async def finished(
    client: httpx.AsyncClient, operator: dict[str, str], event_id: str
) -> dict[str, Any]:
    view = (await client.get(f"/events/{event_id}", headers=operator)).json()
    assert view["status"] == "done", view
    return dict(view)


async def test_a_refund_on_an_unknown_order_waits_then_ignore_ends_it_said_so(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    payload = {"order_id": "#NS-GHOST", "amount": 20.0}
    event_id = await post_event(
        client, operator_headers, "refund.created", "order:#NS-GHOST", payload
    )
    await drain_queue(resources)
    await approve_refund(client, reviewer_headers, resources, event_id)
    item = await waiting_item(
        client, operator_headers, reviewer_headers, resources, event_id, "refund_refused"
    )
    assert "order #NS-GHOST was refused: order not found" in item["proposed"]["args"]["reason"]
    assert item["proposed"]["args"]["remedy"] == "no_refund"

    await decide(client, reviewer_headers, item["approval_id"], {"type": "ignore"})
    await drain_queue(resources)
    view = await finished(client, operator_headers, event_id)
    assert "refund not made" in view["summary"] and "dismissed" in view["summary"]


async def test_a_refund_over_the_paid_amount_runs_with_the_amount_a_reviewer_picks(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    payload = {"order_id": "#W7303089", "amount": 500.0}  # paid: 395.17
    event_id = await post_event(
        client, operator_headers, "refund.created", "order:#W7303089", payload
    )
    await drain_queue(resources)
    await approve_refund(client, reviewer_headers, resources, event_id)
    item = await waiting_item(
        client, operator_headers, reviewer_headers, resources, event_id, "refund_refused"
    )
    assert "exceeds" in item["proposed"]["args"]["reason"]

    args = item["proposed"]["args"]
    edited = {**args, "remedy": "refund_amount", "details": {"amount": 5.0}}
    await decide(client, reviewer_headers, item["approval_id"], {"type": "edit", "args": edited})
    await drain_queue(resources)
    view = await finished(client, operator_headers, event_id)
    assert "refunded 5.00 on order #W7303089" in view["summary"], view["summary"]


async def test_a_publication_that_fails_waits_and_a_reviewer_keeps_the_draft(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    payload = {"subject": "Winter socks", "audience": "hikers", "points": ["Wool keeps warm"]}
    event_id = await post_event(
        client, operator_headers, "content.requested", "content:ns-socks", payload
    )
    await drain_queue(resources)
    (approval,) = await pending_approvals(client, reviewer_headers, event_id)
    assert approval["tool_name"] == "publish_content"
    content_id = approval["proposed"]["args"]["content_id"]
    async with resources.pool.connection() as conn:  # the draft is gone by the time it is approved
        await conn.execute("DELETE FROM store_content WHERE content_id = %s", (content_id,))
    await decide(client, reviewer_headers, approval["approval_id"], {"type": "accept"})
    await drain_queue(resources)

    item = await waiting_item(
        client, operator_headers, reviewer_headers, resources, event_id, "publication_blocked"
    )
    assert f"no content {content_id}" in item["proposed"]["args"]["reason"]
    await decide(client, reviewer_headers, item["approval_id"], {"type": "accept"})
    await drain_queue(resources)
    view = await finished(client, operator_headers, event_id)
    assert "a reviewer chose to keep it unpublished" in view["summary"]


async def test_a_product_that_cannot_be_scored_waits_and_a_retry_scores_it(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    payload = {"name": "Ghost Lamp"}  # no product id: nothing is learned into the store
    event_id = await post_event(
        client, operator_headers, "product.updated", "product:NS-P1", payload
    )
    await drain_queue(resources)
    item = await waiting_item(
        client, operator_headers, reviewer_headers, resources, event_id, "score_not_computed"
    )
    assert "product NS-P1 is not in the store" in item["proposed"]["args"]["reason"]

    product = {"product_id": "NS-P1", "name": "Ghost Lamp", "sku": "NSL1", "price": 30.0}
    async with resources.pool.connection() as conn:  # the reviewer fixes the catalog
        await upsert_product(conn, tenant_id="default", payload=product)
    await decide(client, reviewer_headers, item["approval_id"], {"type": "accept"})
    await drain_queue(resources)
    view = await finished(client, operator_headers, event_id)
    assert "Ghost Lamp POOR" in view["summary"] and "not scored" not in view["summary"]


async def test_a_lead_that_cannot_be_scored_waits_and_is_rescored_from_the_reviewers_details(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    payload = {"id": "NS-L1", "email": "x", "company": "Acme"}
    event_id = await post_event(client, operator_headers, "lead.created", "lead:NS-L1", payload)
    await drain_queue(resources)
    item = await waiting_item(
        client, operator_headers, reviewer_headers, resources, event_id, "score_not_computed"
    )
    assert "lead NS-L1 could not be scored" in item["proposed"]["args"]["reason"]

    args = item["proposed"]["args"]
    details = {**args["details"], "email": "ops@acme.example"}
    edited = {**args, "remedy": "rescore", "details": details}
    await decide(client, reviewer_headers, item["approval_id"], {"type": "edit", "args": edited})
    await drain_queue(resources)
    view = await finished(client, operator_headers, event_id)
    assert "lead graded" in view["summary"], view["summary"]
    (saved,) = await rows(
        resources, "SELECT grade, email, owner FROM store_leads WHERE lead_id = %s", "NS-L1"
    )
    assert saved["grade"] in {"A", "B", "C", "D"}
    assert saved["email"] == "ops@acme.example", "the assignment beside it kept the bad email"
    assert saved["owner"], "the lead was assigned an owner too"


async def test_a_dispute_naming_no_order_waits_for_one_then_its_evidence_for_review(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    payload = {"id": "dp_ns_1", "charge": "ch_ns_1", "amount": 54.85, "currency": "USD"}
    event_id = await post_event(
        client, operator_headers, "dispute.created", "charge:ch_ns_1", payload
    )
    await drain_queue(resources)
    item = await waiting_item(
        client, operator_headers, reviewer_headers, resources, event_id, "dispute_without_order"
    )
    assert "dispute dp_ns_1 names no order" in item["proposed"]["args"]["reason"]

    args = item["proposed"]["args"]
    edited = {**args, "remedy": "assemble_evidence", "details": {"order_id": "#W8032761"}}
    await decide(client, reviewer_headers, item["approval_id"], {"type": "edit", "args": edited})
    await drain_queue(resources)
    review = await waiting_item(
        client, operator_headers, reviewer_headers, resources, event_id, "evidence_review"
    )
    assert review["proposed"]["args"]["remedy"] == "submit"
    assert review["proposed"]["args"]["details"]["evidence"]["order"]["order_id"] == "#W8032761"
    disputed = await rows(
        resources,
        "SELECT doc->>'disputed' AS disputed FROM store_orders WHERE order_id = %s",
        "#W8032761",
    )
    assert disputed[0]["disputed"] == "true"

    await decide(client, reviewer_headers, review["approval_id"], {"type": "accept"})
    await drain_queue(resources)
    view = await finished(client, operator_headers, event_id)
    assert "approved for submission by a reviewer" in view["summary"]


async def test_a_cancelling_subscription_with_no_customer_waits_for_one(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    payload = {"id": "sub_ns_1", "plan": "pro", "status": "active", "cancel_at_period_end": True}
    event_id = await post_event(
        client, operator_headers, "subscription.updated", "subscription:sub_ns_1", payload
    )
    await drain_queue(resources)
    item = await waiting_item(
        client, operator_headers, reviewer_headers, resources, event_id, "no_customer"
    )
    assert "names no customer: no retention task" in item["proposed"]["args"]["reason"]

    args = item["proposed"]["args"]
    edited = {**args, "remedy": "open_task", "details": {"customer": "cus_ns_1"}}
    await decide(client, reviewer_headers, item["approval_id"], {"type": "edit", "args": edited})
    await drain_queue(resources)
    view = await finished(client, operator_headers, event_id)
    assert "retention task" in view["summary"] and "cus_ns_1" in view["summary"]

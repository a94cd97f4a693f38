"""The gate fails closed: a fact a rule needs that cannot be established stops the call, and
the approval names the fact and why (issue 8, finding 2)."""

from __future__ import annotations

import httpx

from runtime.resources import Resources
from tests.graph.samples import PENDING_ORDER
from tests.hitl.support import high_risk_order, shipped
from tests.support import drain_queue, pending_approvals, post_order


async def test_a_high_risk_order_pauses_whether_or_not_its_currency_is_valid(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    valid_id = await post_order(
        client, operator_headers, "#F800001", high_risk_order("#F800001", "USD")
    )
    broken_id = await post_order(
        client, operator_headers, "#F800002", high_risk_order("#F800002", "US")
    )
    await drain_queue(resources)

    (valid,) = await pending_approvals(client, reviewer_headers, valid_id)
    assert [r["id"] for r in valid["rules"]] == ["fraud_review", "fraud_hold"]
    assert valid["proposed"]["action"] == "cancel_order"
    assert valid["facts"]["fraud_score"] >= 90

    view = (await client.get(f"/events/{broken_id}", headers=operator_headers)).json()
    assert view["status"] == "awaiting_approval", view
    (broken,) = await pending_approvals(client, reviewer_headers, broken_id)
    assert broken["tool_name"] == "create_fulfillment"
    # Nothing was judged, so nothing is proposed in its place: the reviewer decides the call.
    assert broken["proposed"] == {"action": "create_fulfillment", "args": {"order_id": "#F800002"}}
    assert "fraud_score" not in broken["facts"]
    missing = {r["id"]: r.get("missing") for r in broken["rules"]}
    assert set(missing) == {"high_value_order", "fraud_review", "fraud_hold"}
    currency_why = "the order's currency 'US' is not a three-letter code"
    assert missing["high_value_order"] == [{"fact": "currency", "why": currency_why}]
    for rule in ("fraud_review", "fraud_hold"):
        ((fact, why),) = [(m["fact"], m["why"]) for m in missing[rule] or []]
        assert fact == "fraud_score"
        assert why.startswith("score_order_risk failed: Error: cannot score order #F800002")
        assert currency_why in why
    assert "**Missing facts**" in broken["description"]
    assert (
        "- fraud_score (needed by fraud_review): score_order_risk failed" in broken["description"]
    )

    assert not await shipped(resources, valid_id, "#F800001")
    assert not await shipped(resources, broken_id, "#F800002")


async def test_an_ordinary_order_with_every_fact_known_still_ships(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    event_id = await post_order(
        client, operator_headers, "#F800004", {**PENDING_ORDER, "order_id": "#F800004"}
    )
    await drain_queue(resources)

    view = (await client.get(f"/events/{event_id}", headers=operator_headers)).json()
    assert view["status"] == "done", view
    assert await pending_approvals(client, reviewer_headers, event_id) == []
    assert await shipped(resources, event_id, "#F800004")

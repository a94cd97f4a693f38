"""The store operations behind the newly routed events: invoice payments stop dunning,
subscriptions say what changed, disputes mark their order and keep a draft of evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from connectors.billing import issue_invoice, mark_paid, schedule_retries
from connectors.disputes import draft_evidence, freeze_refunds
from connectors.orders import get_order
from connectors.shipments import fulfilment_status, record_shipment
from connectors.subscriptions import record_subscription
from runtime.resources import Resources

TENANT = "default"


async def test_a_paid_invoice_stops_its_retries_and_a_late_failure_is_not_dunned(
    resources: Resources,
) -> None:
    async with resources.pool.connection() as conn:
        scheduled = await schedule_retries(
            conn, tenant_id=TENANT, invoice_ref="in_late", failed_attempts=1
        )
        assert [entry["attempt"] for entry in scheduled] == [1, 2, 3]

        paid = await mark_paid(
            conn,
            tenant_id=TENANT,
            invoice_ref="in_late",
            order_id=None,
            amount=Decimal("19.99"),
            currency="USD",
        )
        assert paid == {
            "invoice_ref": "in_late",
            "invoices_paid": [],
            "retries_cancelled": [1, 2, 3],
        }

        # Stripe does not keep order: a failure notice arriving after the payment.
        assert (
            await schedule_retries(conn, tenant_id=TENANT, invoice_ref="in_late", failed_attempts=2)
            == []
        )
        cursor = await conn.execute(
            "SELECT DISTINCT status FROM store_payment_retries WHERE invoice_ref = 'in_late'"
        )
        assert [row["status"] for row in await cursor.fetchall()] == ["cancelled"]


async def test_paying_an_orders_invoice_marks_our_invoice_paid(resources: Resources) -> None:
    draft = {
        "order_id": "#W6247578",
        "currency": "USD",
        "lines": [{"sku": "3799046073", "quantity": 1, "unit_price": "53.27"}],
        "subtotal": "53.27",
        "tax": "0",
        "total": "53.27",
    }
    async with resources.pool.connection() as conn:
        issued = await issue_invoice(conn, tenant_id=TENANT, draft=draft)
        paid = await mark_paid(
            conn,
            tenant_id=TENANT,
            invoice_ref="in_stripe_9",
            order_id="#W6247578",
            amount=None,
            currency=None,
        )
        cursor = await conn.execute(
            "SELECT status, paid_at IS NOT NULL AS stamped FROM store_invoices"
            " WHERE invoice_id = %s",
            (issued["invoice_id"],),
        )
        row = await cursor.fetchone()
    assert paid["invoices_paid"] == [issued["invoice_id"]]
    assert row is not None and (row["status"], row["stamped"]) == ("paid", True)


async def report(resources: Resources, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "subscription_id": "sub_life",
        "customer": "cus_life",
        "plan": "pro_monthly",
        "status": "active",
        "amount": Decimal("49"),
        "currency": "USD",
        "period_end": datetime(2027, 1, 1, tzinfo=UTC),
        "cancel_at_period_end": False,
        **fields,
    }
    async with resources.pool.connection() as conn:
        return await record_subscription(conn, tenant_id=TENANT, **values)


async def test_a_subscriptions_reports_say_what_changed(resources: Resources) -> None:
    later = datetime(2027, 2, 1, tzinfo=UTC)

    assert (await report(resources))["change"] == "created"
    changed = await report(resources, plan="team_monthly")
    assert (changed["change"], changed["previous_plan"]) == ("plan_changed", "pro_monthly")
    assert (await report(resources, plan="team_monthly", period_end=later))["change"] == "renewed"
    scheduled = await report(
        resources, plan="team_monthly", period_end=later, cancel_at_period_end=True
    )
    assert scheduled["change"] == "cancellation_scheduled"
    ended = await report(resources, plan="team_monthly", status="canceled", period_end=later)
    assert ended["change"] == "cancelled"
    assert (await report(resources, plan="team_monthly", period_end=later - timedelta(days=1)))[
        "change"
    ] == "updated"


async def test_a_dispute_marks_the_order_and_keeps_evidence_from_the_store(
    resources: Resources,
) -> None:
    async with resources.pool.connection() as conn:
        missing = await draft_evidence(
            conn, tenant_id=TENANT, dispute_id="dp_x", order_id="#W5918442", history={}
        )
        frozen = await freeze_refunds(
            conn,
            tenant_id=TENANT,
            order_id="#W5918442",
            dispute_id="dp_x",
            charge="ch_x",
            amount=Decimal("10"),
            currency="USD",
            reason="fraudulent",
        )
        evidence = await draft_evidence(
            conn,
            tenant_id=TENANT,
            dispute_id="dp_x",
            order_id="#W5918442",
            history={"earlier_orders": 1},
        )
        order = await get_order(conn, tenant_id=TENANT, order_id="#W5918442")
        unknown = await freeze_refunds(
            conn,
            tenant_id=TENANT,
            order_id="#nope",
            dispute_id="dp_y",
            charge=None,
            amount=None,
            currency=None,
            reason=None,
        )
    assert missing == "Error: dispute dp_x is not recorded; freeze refunds first"
    assert frozen == {"order_id": "#W5918442", "dispute_id": "dp_x", "refunds_frozen": True}
    assert order["disputed"] is True and order["disputes"] == ["dp_x"]
    assert isinstance(evidence, dict)
    pack = evidence["evidence"]
    assert pack["order"]["total"] == 1463.7
    assert pack["customer"] == {
        "id": "sofia_rossi_8776",
        "email": "sofia.rossi2645@example.com",
        "earlier_orders": 1,
    }
    assert unknown == "Error: order #nope is not in the store"


async def test_a_platform_shipment_is_recorded_once_and_ends_fulfilment(
    resources: Resources,
) -> None:
    async with resources.pool.connection() as conn:
        before = await fulfilment_status(conn, tenant_id=TENANT, order_id="#W3361211")
        first = await record_shipment(
            conn, tenant_id=TENANT, order_id="#W3361211", tracking=["T1", "T1", "T2"]
        )
        again = await record_shipment(conn, tenant_id=TENANT, order_id="#W3361211", tracking=["T2"])
        after = await fulfilment_status(conn, tenant_id=TENANT, order_id="#W3361211")
    assert isinstance(before, dict) and before["needs_fulfilment"] is True
    assert isinstance(first, dict) and first["new_tracking"] == ["T1", "T2"]
    assert isinstance(again, dict) and again["new_tracking"] == []
    assert isinstance(after, dict)
    assert (after["status"], after["tracking"], after["needs_fulfilment"]) == (
        "processed",
        ["T1", "T2"],
        False,
    )

"""One sample event per route key (an event type, or `type[variant]` for the types routed
by their content), on the seeded store, and what the hierarchy must do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Sample:
    entity: str
    payload: dict[str, Any]
    expected: dict[str, dict[str, list[str]]]
    """domain -> specialist -> tool names in call order (all must succeed)."""
    summary_has: list[str] = field(default_factory=list)


PENDING_ORDER = {
    "order_id": "#W9962383",
    "total": 360.55,
    "currency": "USD",
    "email": "fatima.muller6448@example.com",
    "customer": {"id": "fatima_muller_6713"},
    "payment_method": "paypal_5541158",
    "lines": [
        {"sku": "1421289881", "name": "Mechanical Keyboard", "quantity": 1, "unit_price": 268.77},
        {"sku": "4238115171", "name": "Tea Kettle", "quantity": 1, "unit_price": 91.78},
    ],
}

SAMPLES: dict[str, Sample] = {
    "order.created": Sample(
        "order:#W9962383",
        PENDING_ORDER,
        {
            "ecommerce": {
                "fraud_review": ["get_customer_history", "score_order_risk"],
                "order_fulfillment": [
                    "reserve_stock",
                    "create_fulfillment",
                    "send_order_confirmation",
                ],
            },
            "crm": {"customer_onboarding": ["get_customer_value", "update_customer_profile"]},
        },
        ["fraud risk", "shipped with tracking"],
    ),
    "order.paid": Sample(
        "order:#W2974929",
        {
            "order_id": "#W2974929",
            "currency": "USD",
            "lines": [
                {"sku": "3877188862", "name": "Skateboard", "quantity": 1, "unit_price": 182.03}
            ],
        },
        {
            "ecommerce": {
                "fraud_review": ["get_customer_history", "score_order_risk"],
                "order_fulfillment": [
                    "get_fulfilment_status",
                    "reserve_stock",
                    "create_fulfillment",
                ],
            },
            "billing": {"invoicing": ["draft_invoice", "issue_invoice"]},
        },
        ["invoice INV-", "fraud risk", "shipped with tracking"],
    ),
    "order.updated[paid]": Sample(
        "order:#W6779827",
        {
            "order_id": "#W6779827",
            "status": "UNFULFILLED",
            "paid": True,
            "currency": "USD",
            "email": "ethan.lopez@example.com",
            "customer": {"id": "ethan_lopez_6291"},
            "lines": [
                {"sku": "7896397433", "name": "Dumbbell Set", "quantity": 1, "unit_price": 457.81}
            ],
        },
        {
            "ecommerce": {
                "fraud_review": ["get_customer_history", "score_order_risk"],
                "order_fulfillment": [
                    "get_fulfilment_status",
                    "reserve_stock",
                    "create_fulfillment",
                    "send_order_confirmation",
                ],
            },
            "billing": {"invoicing": ["draft_invoice", "issue_invoice"]},
        },
        ["invoice INV-", "shipped with tracking"],
    ),
    "order.cancelled": Sample(
        "order:#W2631563",
        {"order_id": "#W2631563"},
        {
            "ecommerce": {"order_fulfillment": ["release_stock", "send_order_notice"]},
            "billing": {"invoicing": ["void_invoice"]},
        },
        ["released", "customer told at mei.ahmed", "voided"],
    ),
    "order.updated[cancelled]": Sample(
        "order:#W7619352",
        {"order_id": "#W7619352", "status": "CANCELED"},
        {
            "ecommerce": {"order_fulfillment": ["release_stock", "send_order_notice"]},
            "billing": {"invoicing": ["void_invoice"]},
        },
        ["released", "customer told", "voided"],
    ),
    "order.updated[shipped]": Sample(
        "order:#W9318778",
        {"order_id": "#W9318778", "status": "FULFILLED", "tracking": ["1Z999AA10123456784"]},
        {
            "ecommerce": {"shipment_tracking": ["record_shipment", "send_order_notice"]},
            "crm": {"customer_touchpoints": ["log_touchpoint"]},
        },
        ["tracking 1Z999AA10123456784 sent to", "touchpoint logged for lucas_martin_4549"],
    ),
    "order.fulfilled": Sample(
        "order:#W8327915",
        {"order_id": "#W8327915", "status": "fulfilled", "tracking": ["940010000000000001"]},
        {
            "ecommerce": {"shipment_tracking": ["record_shipment", "send_order_notice"]},
            "crm": {"customer_touchpoints": ["log_touchpoint"]},
        },
        ["tracking 940010000000000001 sent to"],
    ),
    "fulfillment.created": Sample(
        "order:#W8808563",
        {"order_id": "#W8808563", "tracking": ["TRK-8808563-1"]},
        {
            "ecommerce": {"shipment_tracking": ["record_shipment", "send_order_notice"]},
            "crm": {"customer_touchpoints": ["log_touchpoint"]},
        },
        ["TRK-8808563-1"],
    ),
    "invoice.requested": Sample(
        "order:#W6247578",
        {
            "order_id": "#W6247578",
            "currency": "USD",
            "lines": [{"sku": "3799046073", "name": "T-Shirt", "quantity": 1, "unit_price": 53.27}],
        },
        {"billing": {"invoicing": ["draft_invoice", "issue_invoice"]}},
        ["53.27 USD"],
    ),
    "payment.failed": Sample(
        "invoice:in_42",
        {
            "id": "in_42",
            "amount": 19.99,
            "currency": "USD",
            "attempt_count": 1,
            "email": "billing@acme.example",
        },
        {"billing": {"dunning": ["schedule_payment_retries"]}},
        ["retries scheduled", "notice sent"],
    ),
    "invoice.paid": Sample(
        "invoice:in_77",
        {"id": "in_77", "amount": 19.99, "currency": "USD", "customer": "cus_77"},
        {"billing": {"payment_reconciliation": ["mark_invoice_paid"]}},
        ["invoice in_77 paid", "no retries pending"],
    ),
    "dispute.created": Sample(
        "charge:ch_5065081",
        {
            "id": "dp_5065081",
            "charge": "ch_5065081",
            "order_id": "#W5065081",
            "amount": 54.85,
            "currency": "USD",
            "reason": "product_not_received",
        },
        {"billing": {"disputes": ["freeze_refunds", "draft_dispute_evidence", "raise_attention"]}},
        [
            "refunds on #W5065081 frozen",
            "evidence for dp_5065081 drafted",
            "approved for submission by a reviewer",
        ],
    ),
    "subscription.created": Sample(
        "subscription:sub_1",
        {
            "id": "sub_1",
            "customer": "cus_1",
            "plan": "pro_monthly",
            "status": "active",
            "amount": 49.0,
            "currency": "USD",
            "period_end": "2027-01-01T00:00:00+00:00",
        },
        {"billing": {"subscriptions": ["record_subscription"]}},
        ["subscription sub_1 created (pro_monthly, period ends 2027-01-01)"],
    ),
    "subscription.updated[changed]": Sample(
        "subscription:sub_2",
        {"id": "sub_2", "customer": "cus_2", "plan": "team_yearly", "status": "active"},
        {"billing": {"subscriptions": ["record_subscription"]}},
        ["subscription sub_2"],
    ),
    "subscription.updated[cancelling]": Sample(
        "subscription:sub_3",
        {
            "id": "sub_3",
            "customer": "cus_3",
            "plan": "pro_monthly",
            "status": "active",
            "cancel_at_period_end": True,
        },
        {
            "crm": {"customer_retention": ["create_crm_task"]},
            "billing": {"subscriptions": ["record_subscription"]},
        },
        ["retention task", "subscription sub_3"],
    ),
    "subscription.deleted": Sample(
        "subscription:sub_4",
        {"id": "sub_4", "customer": "cus_4", "plan": "pro_monthly", "status": "canceled"},
        {
            "crm": {"customer_retention": ["create_crm_task"]},
            "billing": {"subscriptions": ["record_subscription"]},
        },
        ["win_back task", "subscription sub_4 cancelled"],
    ),
    "refund.created": Sample(
        "order:#W3897284",
        {"order_id": "#W3897284", "amount": 20.0},
        {"billing": {"refunds": ["refund_payment"]}},
        ["refunded 20.00", "gift_card_3410768"],
    ),
    "product.created": Sample(
        "product:9000000001",
        {
            "product_id": "9000000001",
            "name": "Trail Bottle",
            "description": "An insulated bottle for the trail.",
            "brand": "Opsgraph",
            "sku": "9000000002",
            "price": 24.5,
            "stock": 30,
        },
        {
            "ecommerce": {
                "catalog_seo": ["draft_seo_copy", "save_content_draft"],
                "merchandising": ["classify_product", "recommend_price", "recommend_products"],
            },
            "cms": {"content_drafting": ["draft_content", "save_content_draft"]},
            "integration": {"channel_sync": ["plan_channel_sync", "push_channel_updates"]},
        },
        ["trail-bottle", "upsert"],
    ),
    "product.updated": Sample(
        "product:8310926033",
        {"product_id": "8310926033", "name": "Water Bottle", "price": 47.84},
        {
            "ecommerce": {
                "merchandising": [
                    "classify_product",
                    "recommend_price",
                    "set_price",
                    "recommend_products",
                ]
            },
            "integration": {"channel_sync": ["plan_channel_sync", "push_channel_updates"]},
        },
        ["webshop:upsert"],
    ),
    "stock.out": Sample(
        "product:8310926033",
        {"product_id": "8310926033", "sku": "6469567736", "stock": 0},
        {
            "ecommerce": {"procurement": ["plan_reorder", "propose_reorder"]},
            "integration": {"channel_sync": ["plan_channel_sync", "push_channel_updates"]},
        },
        ["reorder proposed", "webshop:lock"],
    ),
    "stock.updated": Sample(
        "product:8310926033",
        {"product_id": "8310926033", "stock": 12},
        {"integration": {"channel_sync": ["plan_channel_sync", "push_channel_updates"]}},
        ["upsert"],
    ),
    "customer.created": Sample(
        "customer:new_customer_1",
        {"customer_id": "new_customer_1", "email": "new.customer@example.com"},
        {"crm": {"customer_onboarding": ["get_customer_value", "update_customer_profile"]}},
        ["new", "welcome sent"],
    ),
    "customer.updated": Sample(
        "customer:fatima_anderson_2157",
        {"customer_id": "fatima_anderson_2157", "email": "fatima.anderson1447@example.com"},
        {"crm": {"customer_segmentation": ["get_customer_value", "update_customer_profile"]}},
        ["customer fatima_anderson_2157 segmented"],
    ),
    "lead.created": Sample(
        "lead:L-7",
        {
            "id": "L-7",
            "email": "cto@bigcorp.example",
            "company": "BigCorp",
            "employees": 900,
            "budget": 50000,
            "source": "referral",
            "country": "DE",
        },
        {
            "crm": {
                "lead_scoring": ["score_lead", "save_lead_score"],
                "lead_assignment": ["assign_lead"],
            }
        },
        ["graded A", "assigned to noah (territory)"],
    ),
    "content.requested": Sample(
        "content:care-guide",
        {
            "subject": "Leather boot care",
            "audience": "hikers",
            "points": ["Clean after each hike", "Condition monthly"],
        },
        {
            "cms": {
                "content_drafting": ["draft_content", "save_content_draft"],
                "publishing": ["publish_content"],
            }
        },
        ["published article-care-guide"],
    ),
    "support.requested": Sample(
        "order:#W8306539",
        {
            "operations": [
                {
                    "name": "find_user_id_by_email",
                    "arguments": {"email": "daiki.jackson9202@example.com"},
                },
                {
                    "name": "cancel_pending_order",
                    "arguments": {"order_id": "#W8306539", "reason": "no longer needed"},
                },
            ]
        },
        {"ecommerce": {"customer_service": ["find_user_id_by_email", "cancel_pending_order"]}},
        ["daiki_jackson_4362", "cancelled"],
    ),
    "dead_letter.detected": Sample(
        "dead_letters:default",
        {"limit": 10},
        {"integration": {"dead_letter_triage": ["list_failed_events"]}},
        ["no failed events"],
    ),
}

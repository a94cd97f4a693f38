"""One sample event per routed type, on the seeded store, and what the hierarchy must do."""

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
        {"billing": {"invoicing": ["draft_invoice", "issue_invoice"]}},
        ["invoice INV-"],
    ),
    "order.cancelled": Sample(
        "order:#W5694685",
        {"order_id": "#W5694685"},
        {
            "ecommerce": {"order_fulfillment": ["release_stock"]},
            "billing": {"invoicing": ["void_invoice"]},
        },
        ["released", "voided"],
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
            "ecommerce": {"catalog_seo": ["draft_seo_copy", "save_content_draft"]},
            "cms": {"content_drafting": ["draft_content", "save_content_draft"]},
            "integration": {"channel_sync": ["plan_channel_sync", "push_channel_updates"]},
        },
        ["trail-bottle", "upsert"],
    ),
    "product.updated": Sample(
        "product:8310926033",
        {"product_id": "8310926033", "name": "Water Bottle", "price": 47.84},
        {"integration": {"channel_sync": ["plan_channel_sync", "push_channel_updates"]}},
        ["webshop:upsert"],
    ),
    "stock.out": Sample(
        "product:8310926033",
        {"product_id": "8310926033", "sku": "6469567736", "stock": 0},
        {
            "ecommerce": {"procurement": ["get_sales_velocity", "propose_reorder"]},
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

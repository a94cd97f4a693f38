"""Regenerate the shipped datasets: `python -m evals.build_datasets` writes events.jsonl,
retail.jsonl and kb_answers.jsonl next to this file.

Events: one case per route key from the graph tests' per-route samples (what the hierarchy
must call, pinned down there), events over the seeded store for every routed type from the
pipeline benchmark's mix, and hand-made cases for high-value and fraud orders, duplicates,
out-of-order and stale events, unknown and ignored types. Routing expectations are written
out literally (frozen in the JSONL), so a routing change shows up as a regression.
KB answers: support requests asking questions of kb_questions.jsonl; customer service must
cite the section that answers them (the agent path of the knowledge base, offline embedder).
Retail: τ-bench's 20 dev tasks as `support.requested` events carrying the gold operations,
with τ-bench's expected end state of every changed order and user.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.mix import build_events
from connectors.store.seed import read_seed_file
from evals.build_retail_chat import retail_chat_cases
from evals.dataset import write_dataset
from graph.routing import REGISTRY, key_for
from tests.graph.samples import SAMPLES

HERE = Path(__file__).parent
ACCEPT_ALL = [{"type": "accept"} for _ in range(4)]
APPROVALS_OF_SAMPLES = {"content.requested": ["publish_generated"]}


def routing(event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    key = key_for(event_type, payload)
    routes = REGISTRY.routes_for(key)
    return {
        "domains": [r.domain for r in routes],
        "specialists": [name for r in routes for name in r.specialists],
    }


def event_case(
    case_id: str, event: dict[str, Any], expect: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return {
        "id": case_id,
        "kind": "event",
        "deliveries": [{"event": event}],
        "expect": expect,
        **extra,
    }


def sample_cases() -> list[dict[str, Any]]:
    cases = []
    for key, sample in SAMPLES.items():
        event_type = key.split("[", 1)[0]
        calls = [
            {"name": tool}
            for specialists in sample.expected.values()
            for tools in specialists.values()
            for tool in tools
        ]
        cases.append(
            event_case(
                f"route-{key}",
                {"type": event_type, "entity": sample.entity, "payload": sample.payload},
                {
                    "status": "done",
                    **routing(event_type, sample.payload),
                    "tool_calls": calls,
                    "trajectory": "superset",
                    "tool_args": {"*": "ignore"},
                    "approvals": APPROVALS_OF_SAMPLES.get(key, []),
                    "reply": {"facts": list(sample.summary_has)},
                },
                decisions=ACCEPT_ALL,
                tags=["route", key],
            )
        )
    return cases


def mix_cases(count: int) -> list[dict[str, Any]]:
    cases = []
    for n, event in enumerate(build_events(count, seed=12)):
        cases.append(
            event_case(
                f"mix-{n:03d}-{event.type}",
                event.body(),
                {"status": "done", **routing(event.type, event.payload)},
                decisions=ACCEPT_ALL,
                tags=["mix", event.type],
            )
        )
    return cases


def new_order(order_id: str, total: float, **extra: Any) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "total": total,
        "currency": "USD",
        "customer": {"id": "guest"},
        "email": f"{order_id.lower()}@example.com",
        "lines": [
            {"sku": "1421289881", "name": "Mechanical Keyboard", "quantity": 1, "unit_price": total}
        ],
        **extra,
    }


def risk_cases() -> list[dict[str, Any]]:
    cases = []
    created = routing("order.created", {})
    for n, total in enumerate([1000.0, 1250.5, 4999.0]):
        order = f"EVHV{n}"
        payload = new_order(order, total)
        payload["customer"] = {"id": "fatima_muller_6713"}
        for decision in ("accept", "ignore"):
            cases.append(
                event_case(
                    f"high-value-{n}-{decision}",
                    {"type": "order.created", "entity": f"order:{order}", "payload": payload},
                    {"status": "done", **created, "approvals": ["high_value_order"]},
                    decisions=[{"tool": "create_fulfillment", "type": decision}],
                    tags=["high_value", decision],
                )
            )
    risky = {
        "billing_address": {"country": "US"},
        "shipping_address": {"country": "NG"},
        "orders_last_24h": 5,
    }
    for n, (method, rules) in enumerate(
        [("credit_card", ["fraud_review"]), ("crypto", ["fraud_review", "fraud_hold"])]
    ):
        order = f"EVFR{n}"
        payload = new_order(order, 150.0, payment_method=method, **risky)
        for decision in ("accept", "ignore"):
            cases.append(
                event_case(
                    f"fraud-{method}-{decision}",
                    {"type": "order.created", "entity": f"order:{order}", "payload": payload},
                    {"status": "done", **created, "approvals": rules},
                    decisions=[{"tool": "create_fulfillment", "type": decision}],
                    tags=["fraud", decision],
                )
            )
    waiting = new_order("EVHVW", 2500.0)
    waiting["customer"] = {"id": "fatima_muller_6713"}
    cases.append(
        event_case(
            "high-value-waits-without-reviewer",
            {"type": "order.created", "entity": "order:EVHVW", "payload": waiting},
            {
                "status": "awaiting_approval",
                "domains": created["domains"],
                "approvals": ["high_value_order"],
            },
            tags=["high_value", "pending"],
        )
    )
    return cases


def attention_cases() -> list[dict[str, Any]]:
    """Nothing silent: an order fulfilment cannot carry out raises an attention item."""
    created = routing("order.created", {})
    unknown = new_order("EVAT1", 80.0)
    unknown["customer"] = {"id": "fatima_muller_6713"}
    unknown["lines"] = [
        {"sku": "999000111", "name": "Mystery Box", "quantity": 1, "unit_price": 80.0}
    ]
    short = new_order("EVAT2", 300.0)
    short["customer"] = {"id": "fatima_muller_6713"}
    short["lines"] = [
        {"sku": "1421289881", "name": "Mechanical Keyboard", "quantity": 400, "unit_price": 0.75}
    ]
    cases = []
    for name, payload, remedy_tool in (
        ("unknown-item", unknown, "ask_customer"),
        ("stock-short", short, "propose_reorder"),
    ):
        event = {
            "type": "order.created",
            "entity": f"order:{payload['order_id']}",
            "payload": payload,
        }
        cases.append(
            event_case(
                f"attention-{name}-waits",
                event,
                {"status": "awaiting_approval", "domains": created["domains"], "attention": True},
                tags=["attention", "pending"],
            )
        )
        cases.append(
            event_case(
                f"attention-{name}-remedy",
                event,
                {
                    "status": "done",
                    **created,
                    "attention": True,
                    "tool_calls": [{"name": "resolve_order_problem"}, {"name": remedy_tool}],
                    "trajectory": "superset",
                },
                decisions=ACCEPT_ALL,
                tags=["attention", "accept"],
            )
        )
    return cases


def stripe_invoice(event_id: str, invoice: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "invoice.paid",
        "created": 1764600000,
        "data": {"object": {"id": invoice, "amount_paid": 1000, "currency": "usd"}},
    }


def delivery_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for n in range(3):
        body = stripe_invoice(f"evt_dup{n}", f"in_dup{n}")
        cases.append(
            {
                "id": f"duplicate-stripe-{n}",
                "kind": "event",
                "deliveries": [{"webhook": {"source": "stripe", "body": body}}] * 2,
                "primary": 0,
                "expect": {
                    "status": "done",
                    "domains": ["billing"],
                    "deliveries": [{"http_status": 202}, {"http_status": 200, "duplicate": True}],
                },
                "tags": ["duplicate", "webhook"],
            }
        )
    order = {
        "id": "EVSH1",
        "name": "#EVSH1",
        "email": "mei.kovacs8020@example.com",
        "total_price": "360.55",
        "currency": "USD",
        "line_items": [
            {"sku": "1421289881", "title": "Mechanical Keyboard", "quantity": 1, "price": "268.77"},
            {"sku": "4238115171", "title": "Tea Kettle", "quantity": 1, "price": "91.78"},
        ],
        "payment_gateway_names": ["credit_card"],
    }
    shopify = {"source": "shopify", "event_name": "orders/create", "body": order}
    cases.append(
        {
            "id": "duplicate-shopify-body-new-webhook-id",
            "description": "the same signed body under the same topic runs once, whatever "
            "X-Shopify-Webhook-Id it comes with (the harness sends a new one each time)",
            "kind": "event",
            "deliveries": [{"webhook": shopify}, {"webhook": shopify}],
            "primary": 0,
            "decisions": ACCEPT_ALL,
            "expect": {
                "status": "done",
                **routing("order.created", {}),
                "deliveries": [{"http_status": 202}, {"http_status": 200, "duplicate": True}],
            },
            "tags": ["duplicate", "webhook"],
        }
    )
    paid = {**shopify, "event_name": "orders/paid", "body": {**order, "financial_status": "paid"}}
    cases.append(
        {
            "id": "shopify-same-order-other-topic-runs",
            "kind": "event",
            "deliveries": [{"webhook": shopify}, {"webhook": paid}],
            "decisions": ACCEPT_ALL,
            "expect": {
                "deliveries": [{"http_status": 202}, {"http_status": 202, "duplicate": False}],
                **routing("order.paid", {}),
            },
            "tags": ["webhook"],
        }
    )
    lead = {
        "type": "lead.created",
        "data": {"id": "L-dup1", "email": "dup@acme.example", "company": "Acme"},
    }
    cases.append(
        {
            "id": "duplicate-standard-webhook-id",
            "kind": "event",
            "deliveries": [
                {"webhook": {"source": "standard", "webhook_id": "msg_dup1", "body": lead}}
            ]
            * 2,
            "primary": 0,
            "expect": {
                "domains": ["crm"],
                "deliveries": [{"http_status": 202}, {"duplicate": True}],
            },
            "tags": ["duplicate", "webhook"],
        }
    )
    for n, event_type in enumerate(["order.fulfilled", "customer.updated", "product.updated"]):
        sample = SAMPLES[event_type]
        later = {
            "type": event_type,
            "entity": sample.entity,
            "payload": sample.payload,
            "occurred_at": "now-60s",
        }
        earlier = {**later, "occurred_at": "now-7200s"}
        cases.append(
            {
                "id": f"stale-{n}-{event_type}",
                "kind": "event",
                "deliveries": [{"event": later}, {"event": earlier}],
                "expect": {
                    "status": "stale",
                    "domains": [],
                    "deliveries": [{"status": "done"}, {"status": "stale"}],
                },
                "tags": ["out_of_order", "stale"],
            }
        )
        cases.append(
            {
                "id": f"in-order-{n}-{event_type}",
                "kind": "event",
                "deliveries": [{"event": earlier}, {"event": later}],
                "expect": {"status": "done", **routing(event_type, sample.payload)},
                "tags": ["in_order"],
            }
        )
    for n, name in enumerate(["carts/create", "checkouts/update", "themes/publish"]):
        cases.append(
            {
                "id": f"unknown-shopify-{n}",
                "kind": "event",
                "deliveries": [
                    {"webhook": {"source": "shopify", "event_name": name, "body": {"id": n}}}
                ],
                "expect": {
                    "status": "ignored",
                    "domains": [],
                    "deliveries": [{"http_status": 200}],
                },
                "tags": ["unknown_type", "webhook"],
            }
        )
    cases.append(
        event_case(
            "unknown-canonical-type",
            {"type": "warehouse.flooded", "entity": "site:1", "payload": {}},
            {"domains": [], "deliveries": [{"http_status": 422}]},
            tags=["unknown_type"],
        )
    )
    cases.append(
        event_case(
            "ignored-order-updated-open",
            {
                "type": "order.updated",
                "entity": "order:#W2611340",
                "payload": {"order_id": "#W2611340", "status": "unconfirmed"},
            },
            {"status": "skipped", "domains": [], "approvals": []},
            tags=["ignored"],
        )
    )
    return cases


KB_EVERY = 4
"""Every 4th line of kb_questions.jsonl is asked as a support request (22 of 86)."""


def knowledge_cases() -> list[dict[str, Any]]:
    """Support requests carrying a policy question: customer service answers from the sample
    knowledge base and cites the chunk; the section that answers it must be the one cited."""
    lines = (HERE / "kb_questions.jsonl").read_text("utf-8").splitlines()
    cases = []
    for n in range(0, len(lines), KB_EVERY):
        item = json.loads(lines[n])
        payload = {"customer": {"id": "mei_ahmed_5058"}, "question": item["question"]}
        cases.append(
            event_case(
                f"kb-question-{n:02d}",
                {"type": "support.requested", "entity": f"support:kb{n}", "payload": payload},
                {
                    "status": "done",
                    "domains": ["ecommerce"],
                    "tool_calls": [{"name": "search_knowledge_base"}],
                    "tool_args": {"search_knowledge_base": "ignore"},
                    "reply": {"facts": [item["expected_heading"]], "citations": True},
                },
                setup={"knowledge_base": "sample"},
                tags=["knowledge_base", item["expected_document"]],
            )
        )
    return cases


def events_dataset() -> list[dict[str, Any]]:
    return [
        *sample_cases(),
        *risk_cases(),
        *attention_cases(),
        *delivery_cases(),
        *mix_cases(75),
    ]


def retail_dataset() -> list[dict[str, Any]]:
    tasks = read_seed_file("tasks_dev.json")
    expected = read_seed_file("tasks_dev_expected.json")
    cases = []
    for index, (task, gold) in enumerate(zip(tasks, expected, strict=True)):
        operations = [{"name": a["name"], "arguments": a["kwargs"]} for a in task["actions"]]
        cases.append(
            event_case(
                f"task-{index:02d}-direct",
                {
                    "type": "support.requested",
                    "entity": f"customer:{task['user_id']}",
                    "payload": {"customer": {"id": task["user_id"]}, "operations": operations},
                },
                {
                    "status": "done",
                    "domains": ["ecommerce"],
                    "specialists": ["customer_service"],
                    "tool_calls": [
                        {"name": a["name"], "args": a["kwargs"]} for a in task["actions"]
                    ],
                    "trajectory": "strict",
                    "tool_args": {"*": "exact"},
                    "end_state": {
                        "orders": gold.get("changed_orders") or {},
                        "users": gold.get("changed_users") or {},
                    },
                },
                decisions=[{"type": "accept"} for _ in task["actions"]],
                description=task["instruction"],
                tags=["retail", "direct"],
            )
        )
    return cases


def main() -> None:
    sets = (
        ("events", events_dataset()),
        ("retail", retail_dataset() + retail_chat_cases(read_seed_file)),
        ("kb_answers", knowledge_cases()),
    )
    for name, cases in sets:
        count = write_dataset(HERE / f"{name}.jsonl", cases)
        print(f"{name}.jsonl: {count} cases")


if __name__ == "__main__":
    main()

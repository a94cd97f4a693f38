"""The pipeline benchmark's event mix: every routed type, with distinct entities, on the
seeded retail store (read from the seed files directly, not through the API)."""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from typing import Any

HIGH_VALUE_ORDER = 1000.0

MIX: dict[str, int] = {
    "order.created": 55,
    "order.paid": 30,
    "order.cancelled": 25,
    "order.updated[paid]": 20,
    "order.updated[cancelled]": 10,
    "order.updated[shipped]": 10,
    "order.fulfilled": 10,
    "invoice.requested": 30,
    "invoice.paid": 15,
    "refund.created": 20,
    "payment.failed": 25,
    "dispute.created": 10,
    "subscription.created": 10,
    "subscription.updated[changed]": 10,
    "subscription.updated[cancelling]": 10,
    "subscription.deleted": 5,
    "product.created": 30,
    "product.updated": 30,
    "stock.out": 10,
    "stock.updated": 10,
    "customer.created": 25,
    "customer.updated": 20,
    "lead.created": 30,
    "content.requested": 25,
    "support.requested": 25,
}
"""Events of each route key (a type, or a type's variant) per 500; scaled to --events.
Product events run merchandising; a dispute's evidence waits for a reviewer (parked)."""


@dataclass(frozen=True)
class Event:
    type: str
    entity: str
    payload: dict[str, Any]

    def body(self) -> dict[str, Any]:
        """The event as `POST /events` takes it."""
        return {"type": self.type, "entity": self.entity, "payload": self.payload}


def retail(name: str) -> dict[str, Any]:
    """One of the seed files `opsgraph store seed` loads (read directly, not through the API)."""
    data: dict[str, Any] = json.loads(
        (resources.files("connectors.store.retail_data") / f"{name}.json").read_text("utf-8")
    )
    return data


def mix_counts(events: int) -> dict[str, int]:
    """MIX scaled to `events` (largest remainder, so the counts add up)."""
    total = sum(MIX.values())
    exact = {kind: events * weight / total for kind, weight in MIX.items()}
    counts = {kind: int(share) for kind, share in exact.items()}
    short = events - sum(counts.values())
    for kind in sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)[:short]:
        counts[kind] += 1
    return counts


def take(pool: list[Any], count: int, what: str) -> list[Any]:
    if count > len(pool):
        raise ValueError(
            f"{count} events need {count} distinct {what}; the seeded store has {len(pool)}: "
            "use fewer --events"
        )
    taken, pool[:] = pool[:count], pool[count:]
    return taken


def order_lines(order: dict[str, Any]) -> list[dict[str, Any]]:
    quantities = Counter(item["item_id"] for item in order["items"])
    first = {item["item_id"]: item for item in order["items"]}
    return [
        {
            "sku": item_id,
            "product_id": first[item_id]["product_id"],
            "name": first[item_id]["name"],
            "quantity": quantity,
            "unit_price": first[item_id]["price"],
        }
        for item_id, quantity in quantities.items()
    ]


def build_events(events: int, *, seed: int) -> list[Event]:
    """`events` canonical events over the seeded store, one entity each, shuffled."""
    rng = random.Random(seed)
    orders, products, users = retail("orders"), retail("products"), retail("users")
    available = {i: v["available"] for p in products.values() for i, v in p["variants"].items()}
    by_status: dict[str, list[dict[str, Any]]] = {}
    for order_id in sorted(orders):
        by_status.setdefault(orders[order_id]["status"], []).append(orders[order_id])
    for pool in by_status.values():
        rng.shuffle(pool)
    pending = by_status["pending"]
    shippable = [
        o
        for o in pending
        if all(available[i["item_id"]] for i in o["items"])
        and sum(i["price"] for i in o["items"]) < HIGH_VALUE_ORDER
    ]
    unshippable = [o for o in pending if o not in shippable]
    delivered = by_status["delivered"]
    product_pool = [products[p] for p in sorted(products)]
    rng.shuffle(product_pool)
    user_pool = sorted(user_id for user_id, user in users.items() if user["orders"])
    rng.shuffle(user_pool)
    counts = mix_counts(events)
    made: list[Event] = []

    def order_event(kind: str, order: dict[str, Any], payload: dict[str, Any]) -> None:
        order_id = order["order_id"]
        made.append(Event(kind, f"order:{order_id}", {"order_id": order_id, **payload}))

    for order in take(shippable, counts["order.created"], "shippable pending orders"):
        paid = order["payment_history"]
        order_event(
            "order.created",
            order,
            {
                "total": round(sum(item["price"] for item in order["items"]), 2),
                "currency": "USD",
                "email": users[order["user_id"]]["email"],
                "customer": {"id": order["user_id"]},
                "payment_method": paid[0]["payment_method_id"] if paid else "credit_card",
                "lines": order_lines(order),
            },
        )
    for order in take(shippable, counts["order.updated[paid]"], "shippable pending orders"):
        order_event(
            "order.updated",
            order,
            {
                "status": "UNFULFILLED",
                "paid": True,
                "currency": "USD",
                "email": users[order["user_id"]]["email"],
                "customer": {"id": order["user_id"]},
                "lines": order_lines(order),
            },
        )
    reserved = {line["sku"] for e in made for line in e.payload["lines"]}
    for order in take(unshippable, counts["order.cancelled"], "other pending orders"):
        order_event("order.cancelled", order, {})
    for order in take(unshippable, counts["order.updated[cancelled]"], "other pending orders"):
        order_event("order.updated", order, {"status": "CANCELED"})
    for kind, status in (("order.updated[shipped]", "FULFILLED"), ("order.fulfilled", "fulfilled")):
        for order in take(by_status["processed"], counts[kind], "processed orders"):
            tracking = [f"TRK-{order['order_id'].lstrip('#')}-1"]
            order_event(kind.split("[")[0], order, {"status": status, "tracking": tracking})
    for kind, pool, what in (
        ("order.paid", by_status["processed"], "processed orders"),
        ("invoice.requested", delivered, "delivered orders"),
    ):
        for order in take(pool, counts[kind], what):
            order_event(kind, order, {"currency": "USD", "lines": order_lines(order)})
    for order in take(delivered, counts["refund.created"], "delivered orders"):
        paid = sum(
            p["amount"] for p in order["payment_history"] if p["transaction_type"] == "payment"
        )
        order_event("refund.created", order, {"amount": round(min(10.0, paid / 2), 2)})
    for n, order in enumerate(take(delivered, counts["dispute.created"], "delivered orders")):
        made.append(
            Event(
                "dispute.created",
                f"charge:ch_bench_{n}",
                {
                    "id": f"dp_bench_{n}",
                    "charge": f"ch_bench_{n}",
                    "order_id": order["order_id"],
                    "amount": round(sum(i["price"] for i in order["items"]), 2),
                    "currency": "USD",
                    "reason": "product_not_received",
                },
            )
        )

    def variant_of(product: dict[str, Any]) -> str:
        """A variant no shipped order reserves, so stock events do not starve fulfillment."""
        free = [i for i in sorted(product["variants"]) if i not in reserved]
        fallback = (free or sorted(product["variants"]))[0]
        return str(next((i for i in free if available[i]), fallback))

    for product in take(product_pool, counts["product.updated"], "products"):
        first = product["variants"][sorted(product["variants"])[0]]
        payload = {"name": product["name"], "price": round(first["price"] * 1.05, 2)}
        made.append(Event("product.updated", f"product:{product['product_id']}", payload))
    for kind, stock in (("stock.out", 0), ("stock.updated", 12)):
        for product in take(product_pool, counts[kind], "products"):
            payload = {"sku": variant_of(product), "stock": stock}
            made.append(Event(kind, f"product:{product['product_id']}", payload))
    for event in made:
        if event.entity.startswith("product:"):
            event.payload["product_id"] = event.entity.removeprefix("product:")
    for user_id in take(user_pool, counts["support.requested"], "users"):
        user = users[user_id]
        operations = [
            {"name": "find_user_id_by_email", "arguments": {"email": user["email"]}},
            {"name": "get_order_details", "arguments": {"order_id": user["orders"][0]}},
        ]
        made.append(Event("support.requested", f"customer:{user_id}", {"operations": operations}))
    for user_id in take(user_pool, counts["customer.updated"], "users"):
        payload = {"customer_id": user_id, "email": users[user_id]["email"]}
        made.append(Event("customer.updated", f"customer:{user_id}", payload))
    made += synthetic_events(counts, rng)
    made += subscription_events(counts, rng)
    entities = Counter(event.entity for event in made)
    if max(entities.values()) > 1:
        raise RuntimeError(f"entities repeat: {entities.most_common(3)}")
    rng.shuffle(made)
    return made


def synthetic_events(counts: dict[str, int], rng: random.Random) -> list[Event]:
    """Events about records the store does not have yet: they create them."""
    made = [
        Event(
            "product.created",
            f"product:{9_100_000_000 + n}",
            {
                "product_id": str(9_100_000_000 + n),
                "sku": str(9_200_000_000 + n),
                "name": f"Trail Bottle {n}",
                "description": f"An insulated {500 + 50 * (n % 10)}ml bottle for the trail.",
                "brand": "Opsgraph",
                "price": round(rng.uniform(12, 60), 2),
                "stock": rng.randint(5, 60),
            },
        )
        for n in range(counts["product.created"])
    ]
    made += [
        Event(
            "customer.created",
            f"customer:bench_customer_{n}",
            {
                "customer_id": f"bench_customer_{n}",
                "email": f"bench.customer{n}@example.com",
                "first_name": "Bench",
                "last_name": f"Customer{n}",
            },
        )
        for n in range(counts["customer.created"])
    ]
    made += [
        Event(
            "lead.created",
            f"lead:L-B{n:04d}",
            {
                "id": f"L-B{n:04d}",
                "email": f"buyer{n}@company{n}.example",
                "company": f"Company {n}",
                "employees": rng.choice([8, 40, 120, 900]),
                "budget": rng.choice([2_000, 12_000, 50_000]),
                "source": rng.choice(["web_form", "referral", "demo_request"]),
                "country": rng.choice(["DE", "FR", "US", "GB"]),
            },
        )
        for n in range(counts["lead.created"])
    ]
    made += [
        Event(
            "content.requested",
            f"content:bench-guide-{n}",
            {
                "subject": f"Care guide {n}: leather boots",
                "audience": rng.choice(["hikers", "runners", "commuters"]),
                "points": ["Clean after each outing", "Condition monthly", f"Tip {n}"],
            },
        )
        for n in range(counts["content.requested"])
    ]
    made += [
        Event(
            "payment.failed",
            f"invoice:in_bench_{n}",
            {
                "id": f"in_bench_{n}",
                "amount": round(rng.uniform(9, 99), 2),
                "currency": "USD",
                "attempt_count": rng.randint(1, 2),
                "email": f"billing{n}@acme.example",
            },
        )
        for n in range(counts["payment.failed"])
    ]
    return made


SUBSCRIPTION_KINDS = (
    ("subscription.created", {"status": "active"}),
    ("subscription.updated[changed]", {"status": "active", "plan": "team_yearly"}),
    ("subscription.updated[cancelling]", {"status": "active", "cancel_at_period_end": True}),
    ("subscription.deleted", {"status": "canceled"}),
)


def subscription_events(counts: dict[str, int], rng: random.Random) -> list[Event]:
    """Subscriptions as the billing platform reports them, each its own subscription;
    paid invoices for invoices the store learns from the event."""
    made: list[Event] = []
    for kind, fields in SUBSCRIPTION_KINDS:
        for _ in range(counts[kind]):
            sub = f"sub_bench_{len(made)}"
            payload = {
                "id": sub,
                "customer": f"cus_bench_{sub}",
                "plan": "pro_monthly",
                "amount": rng.choice([19.0, 49.0, 99.0]),
                "currency": "USD",
                "period_end": "2027-01-01T00:00:00+00:00",
                **fields,
            }
            made.append(Event(kind.split("[")[0], f"subscription:{sub}", payload))
    for n in range(counts["invoice.paid"]):
        invoice = f"in_bench_paid_{n}"
        payload = {"id": invoice, "amount": round(rng.uniform(9, 99), 2), "currency": "USD"}
        made.append(
            Event("invoice.paid", f"invoice:{invoice}", {**payload, "customer": f"cus_{n}"})
        )
    return made

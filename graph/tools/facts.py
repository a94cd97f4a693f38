"""Fact sources tools declare: what the approval policy may judge a call by.

Each is computed in code from the call's arguments, the store and the event, never taken
from model output. A tool names its sources next to itself (`effect_tool(facts=...)`); a
fact a source cannot establish is named with its reason, so a rule that needs it fails
closed.
"""

from __future__ import annotations

from connectors.orders import get_order, order_total
from graph.facts import FactQuery, Facts, FactSource, UnknownFact, claimed_amount


def own_total(query: FactQuery, order_id: str) -> float:
    """The event's own total, when the call is about the event's own order (else 0)."""
    if str(query.payload.get("order_id") or "") != order_id:
        return 0.0
    return claimed_amount(query.payload, "total") or 0.0


async def order_facts(query: FactQuery, facts: Facts) -> None:
    """The called-on order's id, total and dispute state, from the store (and the event's
    own total when it is that order's event: the larger counts)."""
    order_id = str(query.args.get("order_id") or "")
    if not order_id:
        for name in ("order_total", "disputed"):
            facts.lack(name, "the call names no order")
        return
    facts.set("order_id", order_id)
    async with query.pool.connection() as conn:
        order = await get_order(conn, tenant_id=query.tenant_id, order_id=order_id)
    if order is None:
        for name in ("order_total", "disputed"):
            facts.lack(name, f"order {order_id} is not in the store")
        return
    facts.set("disputed", bool(order.get("disputed")))
    try:
        facts.set("order_total", round(max(order_total(order), own_total(query, order_id)), 2))
    except UnknownFact as error:
        facts.lack("order_total", str(error))
    items = ", ".join(f"{i['name']} ({i['price']:.2f})" for i in order["items"][:8])
    facts.lines.append(f"order {order_id} ({order['status']}): {items or 'no items'}")
    facts.lines.append(f"customer: {query.payload.get('email') or order['user_id']}")


async def order_total_as_amount(query: FactQuery, facts: Facts) -> None:
    """The amount at stake is the order's whole total (run after `order_facts`)."""
    if "order_total" in facts.values:
        facts.set("amount", facts.values["order_total"])
    else:
        facts.lack("amount", facts.unknown.get("order_total", "the call names no order"))
    del query


def arguments(*names: str) -> FactSource:
    """The call's own arguments `names`, as facts by the same names (when given)."""

    async def source(query: FactQuery, facts: Facts) -> None:
        for name in names:
            value = query.args.get(name)
            if value is not None:
                facts.set(name, float(value) if name == "amount" else value)

    return source


async def reorder_budget(query: FactQuery, facts: Facts) -> None:
    """A purchase's budget: quantity times unit cost."""
    quantity, unit_cost = query.args.get("quantity"), query.args.get("unit_cost")
    if quantity is None or unit_cost is None:
        facts.lack("budget", "the call names no quantity and unit cost")
        return
    facts.set("budget", round(float(quantity) * float(unit_cost), 2))
    for name in ("product_id", "item_id"):
        if query.args.get(name) is not None:
            facts.set(name, query.args[name])


async def order_subject(query: FactQuery, facts: Facts) -> None:
    """Order facts when the call names an order (the default for tools declaring none)."""
    if query.args.get("order_id"):
        await order_facts(query, facts)


DEFAULT_FACTS: tuple[FactSource, ...] = (
    order_subject,
    arguments("amount", "content_id", "product_id"),
)
"""For a side-effecting tool that declares no facts of its own: the order it names, and
its amount and subject ids as given."""

"""Procurement's reorder maths: sales velocity, lead time, economic order quantity and
safety stock, each figure kept so a proposal can show how its quantity was reached.

Velocity is read from the order events of the last `WINDOW_DAYS` (dated sales); a store
whose orders carry no dates (the seeded demo) counts its orders as `UNDATED_HISTORY_DAYS`
of sales, with Poisson spread.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import BaseModel, Field

from graph.tools.base import ToolEnv, reader_tool

WINDOW_DAYS = 28
UNDATED_HISTORY_DAYS = 90
LEAD_TIME_DAYS = 14
ORDER_COST = 50.0
"""What placing one purchase order costs (EOQ's S), in the store's currency."""
HOLDING_RATE = 0.25
"""A year's holding cost as a share of the unit cost (EOQ's H = rate x unit cost)."""
SERVICE_Z = 1.65
"""Safety factor for a 95% cycle service level."""
COST_RATIO = 0.6
"""Unit cost as a share of the selling price, when the supplier's cost is not known."""


@dataclass(frozen=True)
class ReorderPlan:
    """How much to reorder of one item, and every figure behind it."""

    item_id: str
    product_id: str
    daily_velocity: float
    demand_std: float
    lead_time_days: int
    safety_stock: int
    reorder_point: int
    eoq: int
    available: int
    shortfall: int
    quantity: int
    unit_cost: float

    @property
    def budget(self) -> float:
        return round(self.quantity * self.unit_cost, 2)

    def figures(self) -> dict[str, Any]:
        """The figures a reviewer sees next to the quantity."""
        shown = asdict(self)
        for key in ("item_id", "product_id", "quantity", "unit_cost"):
            shown.pop(key)
        return shown

    def reason(self) -> str:
        return (
            f"velocity {self.daily_velocity}/day (sd {self.demand_std}), lead time "
            f"{self.lead_time_days} d, safety stock {self.safety_stock}, reorder point "
            f"{self.reorder_point}, EOQ {self.eoq}, available {self.available}, short "
            f"{self.shortfall} -> {self.quantity}"
        )


def plan_quantity(
    *,
    item_id: str,
    product_id: str,
    daily_sales: list[float],
    available: int,
    shortfall: int,
    unit_cost: float,
    lead_time_days: int = LEAD_TIME_DAYS,
    dated: bool = True,
) -> ReorderPlan:
    """Order the larger of the economic order quantity and what brings the stock back to
    the reorder point with the shortfall covered.

    safety stock = z x sd(daily demand) x sqrt(lead time); reorder point = velocity x lead
    time + safety stock; EOQ = sqrt(2 x yearly demand x order cost / holding cost per unit).
    """
    velocity = statistics.fmean(daily_sales) if daily_sales else 0.0
    if dated and len(daily_sales) > 1:
        spread = statistics.pstdev(daily_sales)
    else:
        spread = math.sqrt(velocity)
    safety = math.ceil(SERVICE_Z * spread * math.sqrt(lead_time_days))
    reorder_point = math.ceil(velocity * lead_time_days) + safety
    holding = HOLDING_RATE * unit_cost
    yearly = velocity * 365
    eoq = math.ceil(math.sqrt(2 * yearly * ORDER_COST / holding)) if yearly and holding else 0
    needed = reorder_point - available + shortfall
    return ReorderPlan(
        item_id=item_id,
        product_id=product_id,
        daily_velocity=round(velocity, 3),
        demand_std=round(spread, 3),
        lead_time_days=lead_time_days,
        safety_stock=safety,
        reorder_point=reorder_point,
        eoq=eoq,
        available=available,
        shortfall=shortfall,
        quantity=max(eoq, needed, shortfall, 1),
        unit_cost=round(unit_cost, 2),
    )


DATED_SALES = """
SELECT date_trunc('day', e.occurred_at) AS day,
       sum(CASE WHEN l->>'quantity' ~ '^[0-9]{1,6}$' THEN (l->>'quantity')::int ELSE 1 END)
           AS units
  FROM events e,
       jsonb_array_elements(CASE WHEN jsonb_typeof(e.payload->'lines') = 'array'
                                 THEN e.payload->'lines' ELSE '[]'::jsonb END) l
 WHERE e.tenant_id = %s AND e.type = 'order.created' AND l->>'sku' = %s
   AND e.status NOT IN ('rejected', 'stale')
   AND e.occurred_at > now() - make_interval(days => %s)
 GROUP BY 1
"""

UNDATED_SALES = """
SELECT coalesce(sum(coalesce((i->>'quantity')::numeric, 1)), 0) AS units
  FROM store_orders o, json_array_elements(o.doc->'items') i
 WHERE o.tenant_id = %s AND i->>'item_id' = %s AND o.status <> 'cancelled'
"""

LINE_PRICE = """
SELECT (i->>'price')::numeric AS price
  FROM store_orders o, json_array_elements(o.doc->'items') i
 WHERE o.tenant_id = %s AND i->>'item_id' = %s AND (i->>'price')::numeric > 0
 LIMIT 1
"""


async def daily_sales(env: ToolEnv, item_id: str) -> tuple[list[float], bool]:
    """Units sold per day over the window (dated), or the store's undated average."""
    cursor = await env.conn.execute(DATED_SALES, (env.tenant_id, item_id, WINDOW_DAYS))
    rows = await cursor.fetchall()
    if rows:
        by_day = [float(row["units"]) for row in rows]
        return by_day + [0.0] * (WINDOW_DAYS - len(by_day)), True
    cursor = await env.conn.execute(UNDATED_SALES, (env.tenant_id, item_id))
    row = await cursor.fetchone()
    units = float(row["units"]) if row else 0.0
    return [units / UNDATED_HISTORY_DAYS], False


class ReorderRequest(BaseModel):
    """Which items to plan a reorder for, and units already short on open orders."""

    item_ids: list[str] = Field(min_length=1, max_length=50)
    shortfall: dict[str, int] = Field(
        default_factory=dict, description="Units an order needs beyond what is available."
    )


async def plan_reorders(env: ToolEnv, args: ReorderRequest) -> dict[str, Any]:
    """Plans from the stock the tenant's system of record reports (the store, or the
    shop's warehouses): an item it has no stock record of is unknown and gets no plan."""
    levels = await (await env.commerce()).stock_levels(args.item_ids)
    plans: list[dict[str, Any]] = []
    unknown: list[str] = []
    for item_id in args.item_ids:
        item = levels.get(item_id)
        if item is None:
            unknown.append(item_id)
            continue
        price = item.price
        if price is None:
            cursor = await env.conn.execute(LINE_PRICE, (env.tenant_id, item_id))
            line = await cursor.fetchone()
            price = float(line["price"]) if line else 0.0
        sales, dated = await daily_sales(env, item_id)
        plan = plan_quantity(
            item_id=item_id,
            product_id=item.product_id,
            daily_sales=sales,
            available=max(item.available, 0),
            shortfall=int(args.shortfall.get(item_id, 0)),
            unit_cost=float(price) * COST_RATIO,
            dated=dated,
        )
        plans.append(
            {
                "product_id": plan.product_id,
                "item_id": plan.item_id,
                "quantity": plan.quantity,
                "unit_cost": plan.unit_cost,
                "budget": plan.budget,
                "reason": plan.reason(),
                "figures": plan.figures(),
            }
        )
    return {"plans": plans, "unknown": unknown}


plan_reorder_tool = reader_tool(
    name="plan_reorder",
    description=(
        "Plan a reorder per item: sales velocity, lead time, safety stock, reorder point and "
        "economic order quantity, and the quantity and unit cost they give."
    ),
    args_schema=ReorderRequest,
    body=plan_reorders,
)

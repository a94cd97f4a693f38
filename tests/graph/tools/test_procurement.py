"""Procurement's reorder maths: every figure from velocity, lead time, EOQ and safety stock."""

from __future__ import annotations

import math

from graph.tools.procurement import (
    HOLDING_RATE,
    LEAD_TIME_DAYS,
    ORDER_COST,
    SERVICE_Z,
    plan_quantity,
)


def test_steady_sales_order_the_economic_quantity() -> None:
    plan = plan_quantity(
        item_id="A",
        product_id="P",
        daily_sales=[2.0] * 28,
        available=100,
        shortfall=0,
        unit_cost=10.0,
    )

    assert plan.daily_velocity == 2.0
    assert plan.demand_std == 0.0
    assert plan.safety_stock == 0
    assert plan.reorder_point == 2 * LEAD_TIME_DAYS
    yearly = 2.0 * 365
    assert plan.eoq == math.ceil(math.sqrt(2 * yearly * ORDER_COST / (HOLDING_RATE * 10.0)))
    assert plan.quantity == plan.eoq  # stock is above the reorder point: EOQ decides
    assert plan.budget == round(plan.quantity * 10.0, 2)


def test_uneven_sales_add_safety_stock_and_a_shortfall_is_covered() -> None:
    sales = [0.0, 6.0] * 14
    plan = plan_quantity(
        item_id="A",
        product_id="P",
        daily_sales=sales,
        available=0,
        shortfall=40,
        unit_cost=500.0,
    )

    assert plan.demand_std == 3.0
    assert plan.safety_stock == math.ceil(SERVICE_Z * 3.0 * math.sqrt(LEAD_TIME_DAYS))
    assert plan.reorder_point == 3 * LEAD_TIME_DAYS + plan.safety_stock
    assert plan.quantity == plan.reorder_point + 40 > plan.eoq
    assert "EOQ" in plan.reason() and "safety stock" in plan.reason()
    assert set(plan.figures()) == {
        "daily_velocity",
        "demand_std",
        "lead_time_days",
        "safety_stock",
        "reorder_point",
        "eoq",
        "available",
        "shortfall",
    }


def test_no_sales_history_still_covers_what_an_order_lacks() -> None:
    plan = plan_quantity(
        item_id="A", product_id="P", daily_sales=[], available=0, shortfall=3, unit_cost=0.0
    )

    assert (plan.daily_velocity, plan.eoq, plan.safety_stock) == (0.0, 0, 0)
    assert plan.quantity == 3


def test_undated_history_spreads_demand_as_poisson() -> None:
    plan = plan_quantity(
        item_id="A",
        product_id="P",
        daily_sales=[4.0],
        available=0,
        shortfall=0,
        unit_cost=1.0,
        dated=False,
    )

    assert plan.demand_std == 2.0  # sqrt of the daily velocity

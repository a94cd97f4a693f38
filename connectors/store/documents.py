"""Store records as τ-bench shapes them, and the records one operation locks and writes back.

An operation loads the few records it may touch into a `StoreData` — the same
`{"users", "orders", "products"}` mapping τ-bench's tools work on — applies the rule to those
Python dicts, then writes back every record whose serialized form changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg.types.json import Json

Conn = AsyncConnection[DictRow]
Doc = dict[str, Any]
Kind = Literal["users", "orders", "products"]


class StoreData(TypedDict):
    """Records keyed by id, each shaped exactly as in the seed files."""

    users: dict[str, Doc]
    orders: dict[str, Doc]
    products: dict[str, Doc]


def empty_data() -> StoreData:
    return {"users": {}, "orders": {}, "products": {}}


@dataclass
class Scope:
    """The records an operation holds, and their serialized form as loaded."""

    tenant_id: str
    data: StoreData = field(default_factory=empty_data)
    loaded: dict[tuple[str, str], str] = field(default_factory=dict)

    def hold(self, kind: Kind, key: str, doc: Doc) -> None:
        self.data[kind][key] = doc
        self.loaded[(kind, key)] = json.dumps(doc)

    def changed(self, kind: Kind) -> list[tuple[str, Doc]]:
        return [
            (key, doc)
            for key, doc in self.data[kind].items()
            if self.loaded.get((kind, key)) != json.dumps(doc)
        ]


async def lock_user(conn: Conn, scope: Scope, user_id: str) -> None:
    cursor = await conn.execute(
        "SELECT doc FROM store_users WHERE tenant_id = %s AND user_id = %s FOR UPDATE",
        (scope.tenant_id, user_id),
    )
    row = await cursor.fetchone()
    if row is not None:
        scope.hold("users", user_id, row["doc"])


async def lock_order(conn: Conn, scope: Scope, order_id: str, *, with_products: bool) -> None:
    """Lock the order and its customer; read the products of its items if the rule needs them."""
    cursor = await conn.execute(
        "SELECT doc FROM store_orders WHERE tenant_id = %s AND order_id = %s FOR UPDATE",
        (scope.tenant_id, order_id),
    )
    row = await cursor.fetchone()
    if row is None:
        return
    order: Doc = row["doc"]
    scope.hold("orders", order_id, order)
    user_id = order.get("user_id")
    if isinstance(user_id, str):
        await lock_user(conn, scope, user_id)
    if with_products:
        await read_products(conn, scope, item_product_ids(order))


def item_product_ids(order: Doc) -> list[str]:
    items = order.get("items")
    if not isinstance(items, list):
        return []
    found = {item.get("product_id") for item in items if isinstance(item, dict)}
    return sorted(product_id for product_id in found if isinstance(product_id, str))


async def read_products(conn: Conn, scope: Scope, product_ids: list[str]) -> None:
    if not product_ids:
        return
    cursor = await conn.execute(
        "SELECT product_id, doc FROM store_products WHERE tenant_id = %s AND product_id = ANY(%s)",
        (scope.tenant_id, product_ids),
    )
    for row in await cursor.fetchall():
        scope.hold("products", row["product_id"], row["doc"])


async def save(conn: Conn, scope: Scope) -> None:
    """Write back the records the rule changed, keeping the order's indexed columns in step."""
    for user_id, doc in scope.changed("users"):
        await conn.execute(
            "UPDATE store_users SET doc = %s WHERE tenant_id = %s AND user_id = %s",
            (Json(doc), scope.tenant_id, user_id),
        )
    for order_id, doc in scope.changed("orders"):
        await conn.execute(
            "UPDATE store_orders SET doc = %s, user_id = %s, status = %s"
            " WHERE tenant_id = %s AND order_id = %s",
            (Json(doc), str(doc["user_id"]), str(doc["status"]), scope.tenant_id, order_id),
        )
    for product_id, doc in scope.changed("products"):
        await conn.execute(
            "UPDATE store_products SET doc = %s WHERE tenant_id = %s AND product_id = %s",
            (Json(doc), scope.tenant_id, product_id),
        )

"""Retail look-ups: records as τ-bench renders them, and user ids found by email or name and zip.

The finders scan users in seed order and answer with the first match, comparing with
Python's `str.lower()` as τ-bench does. SQL only narrows the scan to a superset of the
matches: ASCII case folding under the "C" collation equals `str.lower()` for ASCII text, and
rows with other characters are always handed to Python to decide.
"""

from __future__ import annotations

import json

from connectors.store.documents import Conn

FIND_BY_EMAIL = """
SELECT user_id, doc -> 'email' AS email
  FROM store_users
 WHERE tenant_id = %(tenant_id)s
   AND (%(scan_all)s
        OR lower((doc ->> 'email') COLLATE "C") = %(folded)s
        OR octet_length(doc ->> 'email') <> length(doc ->> 'email'))
 ORDER BY position
"""

FIND_BY_ZIP = """
SELECT user_id, doc -> 'name' AS name, doc -> 'address' -> 'zip' AS zip
  FROM store_users
 WHERE tenant_id = %s AND (doc -> 'address') ->> 'zip' = %s
 ORDER BY position
"""


async def get_user_details(conn: Conn, tenant_id: str, *, user_id: str) -> str:
    cursor = await conn.execute(
        "SELECT doc FROM store_users WHERE tenant_id = %s AND user_id = %s", (tenant_id, user_id)
    )
    row = await cursor.fetchone()
    return "Error: user not found" if row is None else json.dumps(row["doc"])


async def get_order_details(conn: Conn, tenant_id: str, *, order_id: str) -> str:
    cursor = await conn.execute(
        "SELECT doc FROM store_orders WHERE tenant_id = %s AND order_id = %s",
        (tenant_id, order_id),
    )
    row = await cursor.fetchone()
    return "Error: order not found" if row is None else json.dumps(row["doc"])


async def get_product_details(conn: Conn, tenant_id: str, *, product_id: str) -> str:
    cursor = await conn.execute(
        "SELECT doc FROM store_products WHERE tenant_id = %s AND product_id = %s",
        (tenant_id, product_id),
    )
    row = await cursor.fetchone()
    return "Error: product not found" if row is None else json.dumps(row["doc"])


async def list_all_product_types(conn: Conn, tenant_id: str) -> str:
    cursor = await conn.execute(
        "SELECT doc -> 'name' AS name, doc -> 'product_id' AS product_id FROM store_products"
        " WHERE tenant_id = %s ORDER BY position",
        (tenant_id,),
    )
    # A later product of the same name wins, as in τ-bench's dict comprehension.
    by_name = {row["name"]: row["product_id"] for row in await cursor.fetchall()}
    return json.dumps(dict(sorted(by_name.items())))


async def find_user_id_by_email(conn: Conn, tenant_id: str, *, email: str) -> str:
    wanted = email.lower()
    cursor = await conn.execute(
        FIND_BY_EMAIL,
        {"tenant_id": tenant_id, "scan_all": not email.isascii(), "folded": wanted},
    )
    for row in await cursor.fetchall():
        if isinstance(row["email"], str) and row["email"].lower() == wanted:
            return str(row["user_id"])
    return "Error: user not found"


async def find_user_id_by_name_zip(
    conn: Conn, tenant_id: str, *, first_name: str, last_name: str, zip: str
) -> str:
    cursor = await conn.execute(FIND_BY_ZIP, (tenant_id, zip))
    for row in await cursor.fetchall():
        name = row["name"]
        if (
            isinstance(name, dict)
            and name["first_name"].lower() == first_name.lower()
            and name["last_name"].lower() == last_name.lower()
            and row["zip"] == zip
        ):
            return str(row["user_id"])
    return "Error: user not found"

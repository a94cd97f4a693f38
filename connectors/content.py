"""CMS content: drafts and their publication; channel listings for connected sales channels."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

Conn = AsyncConnection[DictRow]


async def save_draft(
    conn: Conn,
    *,
    tenant_id: str,
    content_id: str,
    kind: str,
    subject: str,
    title: str,
    body: dict[str, Any],
) -> dict[str, Any]:
    await conn.execute(
        """
        INSERT INTO store_content (tenant_id, content_id, kind, subject, title, body, status)
        VALUES (%s, %s, %s, %s, %s, %s, 'draft')
        ON CONFLICT (tenant_id, content_id) DO UPDATE
           SET title = EXCLUDED.title, body = EXCLUDED.body, status = 'draft'
        """,
        (tenant_id, content_id, kind, subject, title, Jsonb(body)),
    )
    return {"content_id": content_id, "status": "draft", "title": title}


async def get_content(conn: Conn, *, tenant_id: str, content_id: str) -> dict[str, Any] | None:
    """A content item's kind, subject, title, body and status; None when there is none."""
    cursor = await conn.execute(
        "SELECT kind, subject, title, body, status FROM store_content"
        " WHERE tenant_id = %s AND content_id = %s",
        (tenant_id, content_id),
    )
    row = await cursor.fetchone()
    return None if row is None else dict(row)


async def publish(conn: Conn, *, tenant_id: str, content_id: str) -> dict[str, Any] | str:
    cursor = await conn.execute(
        "UPDATE store_content SET status = 'published', published_at = now()"
        " WHERE tenant_id = %s AND content_id = %s RETURNING title",
        (tenant_id, content_id),
    )
    row = await cursor.fetchone()
    if row is None:
        return f"Error: no content {content_id}"
    return {"content_id": content_id, "status": "published", "title": row["title"]}


async def apply_listing(
    conn: Conn,
    *,
    tenant_id: str,
    channel: str,
    product_id: str,
    fields: dict[str, Any],
    lock: bool,
) -> dict[str, Any]:
    await conn.execute(
        """
        INSERT INTO store_channel_listings (tenant_id, channel, product_id, fields, locked)
        VALUES (%s, %s, %s, %s, %s)
        ON CONFLICT (tenant_id, channel, product_id) DO UPDATE
           SET fields = store_channel_listings.fields || EXCLUDED.fields,
               locked = EXCLUDED.locked, updated_at = now()
        """,
        (tenant_id, channel, product_id, Jsonb(fields), lock),
    )
    return {"channel": channel, "product_id": product_id, "locked": lock}

"""The email outbox: messages are rendered into a table and delivered over SMTP later.

Enqueueing is idempotent on a key (the tool call's), so a repeated action never queues a
second copy; delivery is a separate step that marks each message sent or failed.
"""

from __future__ import annotations

import asyncio
import smtplib
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from runtime.database import Pool


async def enqueue_email(
    conn: AsyncConnection[DictRow],
    *,
    tenant_id: str,
    idempotency_key: str,
    recipient: str,
    subject: str,
    body: str,
) -> uuid.UUID:
    """Queue a message once per key; return its id (the first one's, on a repeat)."""
    cursor = await conn.execute(
        """
        INSERT INTO email_outbox
               (tenant_id, message_id, idempotency_key, recipient, subject, body)
        VALUES (%s, %s, %s, %s, %s, %s)
        ON CONFLICT (tenant_id, idempotency_key)
        DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
        RETURNING message_id
        """,
        (tenant_id, uuid.uuid4(), idempotency_key, recipient, subject, body),
    )
    row = await cursor.fetchone()
    if row is None:
        raise RuntimeError("outbox insert returned nothing")
    return uuid.UUID(str(row["message_id"]))


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    username: str | None
    password: str | None
    sender: str
    starttls: bool

    @classmethod
    def from_url(cls, url: str, *, sender: str) -> SmtpTarget:
        """`smtp://user:pass@host:port` (plain) or `smtp+starttls://...`."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtp+starttls") or not parts.hostname:
            raise ValueError("SMTP URL must look like smtp://[user:pass@]host[:port]")
        return cls(
            host=parts.hostname,
            port=parts.port or 25,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            sender=sender,
            starttls=parts.scheme == "smtp+starttls",
        )


def send_one(target: SmtpTarget, recipient: str, subject: str, body: str, key: str) -> None:
    message = EmailMessage()
    message["From"] = target.sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = f"<{key.replace('/', '.')}@opsgraph>"
    message.set_content(body)
    with smtplib.SMTP(target.host, target.port, timeout=10) as smtp:
        if target.starttls:
            smtp.starttls()
        if target.username and target.password:
            smtp.login(target.username, target.password)
        smtp.send_message(message)


async def deliver_pending(pool: Pool, target: SmtpTarget, *, limit: int = 50) -> tuple[int, int]:
    """Send up to `limit` pending messages; return (sent, failed)."""
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT tenant_id, message_id, idempotency_key, recipient, subject, body"
            " FROM email_outbox WHERE status = 'pending' ORDER BY created_at LIMIT %s",
            (limit,),
        )
        pending = await cursor.fetchall()
    sent = failed = 0
    for row in pending:
        outcome: tuple[str, str | None]
        try:
            await asyncio.to_thread(
                send_one,
                target,
                row["recipient"],
                row["subject"],
                row["body"],
                row["idempotency_key"],
            )
        except (OSError, smtplib.SMTPException) as exc:
            failed += 1
            outcome = ("pending", type(exc).__name__)
        else:
            sent += 1
            outcome = ("sent", None)
        async with pool.connection() as conn:
            await conn.execute(
                """
                UPDATE email_outbox
                   SET status = %s, last_error = %s, attempts = attempts + 1,
                       sent_at = CASE WHEN %s = 'sent' THEN now() END
                 WHERE tenant_id = %s AND message_id = %s
                """,
                (outcome[0], outcome[1], outcome[0], row["tenant_id"], row["message_id"]),
            )
    return sent, failed

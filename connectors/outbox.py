"""The email outbox: messages are rendered into a table and delivered over SMTP later.

Enqueueing is idempotent on a key (the tool call's), so a repeated action never queues a
second copy; delivery is a separate step that marks each message sent or failed.
"""

from __future__ import annotations

import asyncio
import re
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from runtime.database import Pool

MAX_ATTEMPTS = 8
AUTH_CODES = frozenset({530, 535})
"""Authentication refusals are our configuration's fault: retried, not failed."""
BACKOFF_S = 30
ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def check_headers(recipient: str, subject: str) -> None:
    """Refuse what would break (or inject) a header: line breaks, a malformed address."""
    if any(c in recipient + subject for c in "\r\n"):
        raise ValueError("a recipient or subject may not contain line breaks")
    if not ADDRESS.match(recipient):
        raise ValueError(f"{recipient!r} is not an email address")


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
    check_headers(recipient, subject)
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


def send_one(target: SmtpTarget, row: dict[str, object]) -> None:
    message = EmailMessage()
    message["From"] = target.sender
    message["To"] = str(row["recipient"])
    message["Subject"] = str(row["subject"])
    message["Message-ID"] = f"<{row['message_id']}@opsgraph>"
    message.set_content(str(row["body"]))
    with smtplib.SMTP(target.host, target.port, timeout=10) as smtp:
        if target.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if target.username and target.password:
            smtp.login(target.username, target.password)
        smtp.send_message(message)


CLAIM = """
UPDATE email_outbox SET status = 'sending', attempts = attempts + 1
 WHERE message_id IN (
       SELECT message_id FROM email_outbox
        WHERE status = 'pending' AND next_attempt_at <= now()
        ORDER BY next_attempt_at, created_at
        LIMIT %s
          FOR UPDATE SKIP LOCKED)
RETURNING tenant_id, message_id, recipient, subject, body, attempts, created_at
"""


def outcome_of(exc: BaseException | None, attempts: int) -> tuple[str, str | None]:
    """(status, error): permanent SMTP refusals and unbuildable messages fail for good."""
    if exc is None:
        return "sent", None
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code = min(refusal[0] for refusal in exc.recipients.values())
    error = f"{type(exc).__name__}{f' {code}' if code else ''}"
    refused = isinstance(code, int) and code >= 500 and code not in AUTH_CODES
    permanent = isinstance(exc, ValueError) or refused
    if permanent or attempts >= MAX_ATTEMPTS:
        return "failed", error
    return "pending", error


async def deliver_pending(pool: Pool, target: SmtpTarget, *, limit: int = 50) -> tuple[int, int]:
    """Claim up to `limit` due messages and send them; return (sent, not sent).

    Claiming (`sending`, with SKIP LOCKED) keeps overlapping runs from sending a message
    twice; a transient failure puts it back with backoff, a permanent one marks it failed.
    """
    async with pool.connection() as conn:
        claimed = await (await conn.execute(CLAIM, (limit,))).fetchall()
    claimed.sort(key=lambda row: row["created_at"])  # RETURNING keeps no order
    sent = 0
    for row in claimed:
        error: BaseException | None = None
        try:
            await asyncio.to_thread(send_one, target, dict(row))
        except Exception as exc:  # one bad message must not stop the others
            error = exc
        status, reason = outcome_of(error, int(row["attempts"]))
        sent += status == "sent"
        async with pool.connection() as conn:
            await conn.execute(
                """
                UPDATE email_outbox
                   SET status = %s, last_error = %s,
                       sent_at = CASE WHEN %s = 'sent' THEN now() END,
                       next_attempt_at = now() + make_interval(secs => %s)
                 WHERE tenant_id = %s AND message_id = %s
                """,
                (
                    status,
                    reason,
                    status,
                    BACKOFF_S * 2 ** int(row["attempts"]),
                    row["tenant_id"],
                    row["message_id"],
                ),
            )
    return sent, len(claimed) - sent

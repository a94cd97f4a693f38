"""Inbox sessions: a random id in the cookie, only its SHA-256 stored, ended server-side.

A session is bound to the API key it was made with and dies with it: at its absolute expiry,
after an idle spell, at sign-out, or when the key is revoked. Every check runs against the
database's clock, so tests move time by moving the stored timestamps.
"""

from __future__ import annotations

import hashlib
import secrets

from runtime.apikeys import ApiKey
from runtime.database import Pool

SESSION_ID_BYTES = 32

START = """
INSERT INTO inbox_sessions (tenant_id, session_hash, key_id, expires_at)
VALUES (%(tenant_id)s, %(session_hash)s, %(key_id)s, now() + make_interval(secs => %(ttl_s)s))
"""

FORGET_ENDED = """
DELETE FROM inbox_sessions
 WHERE expires_at <= now() OR last_seen_at <= now() - make_interval(secs => %(idle_s)s)
"""

# Touching a live session and reading its key is one statement, so a revocation or sign-out
# that commits before it cannot be missed.
TOUCH = """
UPDATE inbox_sessions AS s SET last_seen_at = now()
  FROM api_keys AS k
 WHERE s.session_hash = %(session_hash)s
   AND k.key_id = s.key_id AND k.tenant_id = s.tenant_id AND k.revoked_at IS NULL
   AND s.expires_at > now()
   AND s.last_seen_at > now() - make_interval(secs => %(idle_s)s)
RETURNING k.key_id, k.tenant_id, k.name, k.role
"""

END = "DELETE FROM inbox_sessions WHERE session_hash = %(session_hash)s"


def hash_session_id(session_id: str) -> bytes:
    """Session ids carry 256 random bits, so a plain SHA-256 is a safe one-way index."""
    return hashlib.sha256(session_id.encode("utf-8")).digest()


async def start_session(pool: Pool, key: ApiKey, *, ttl_s: int, idle_s: int) -> str:
    """A new session for `key`; the id is returned once and only its hash is kept."""
    session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
    async with pool.connection() as conn, conn.transaction():
        await conn.execute(FORGET_ENDED, {"idle_s": idle_s})
        await conn.execute(
            START,
            {
                "tenant_id": key.tenant_id,
                "session_hash": hash_session_id(session_id),
                "key_id": key.key_id,
                "ttl_s": ttl_s,
            },
        )
    return session_id


async def find_session(pool: Pool, session_id: str, *, idle_s: int) -> ApiKey | None:
    """The live key behind a live session, marking the session as just used; else None."""
    async with pool.connection() as conn:
        cursor = await conn.execute(
            TOUCH, {"session_hash": hash_session_id(session_id), "idle_s": idle_s}
        )
        row = await cursor.fetchone()
    return ApiKey.model_validate(row) if row else None


async def end_session(pool: Pool, session_id: str) -> bool:
    """Forget a session (sign-out); False when there was none."""
    async with pool.connection() as conn:
        cursor = await conn.execute(END, {"session_hash": hash_session_id(session_id)})
    return cursor.rowcount > 0

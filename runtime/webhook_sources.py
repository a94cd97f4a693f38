"""Per-tenant webhook secrets (Shopify, Stripe, Standard Webhooks), sealed at rest.

The default tenant's secrets are the settings (`OPSGRAPH_*_SECRETS`); every other tenant's
live in `webhook_sources`, sealed with the process's `SecretBox`, several per source so a
rotation keeps the old secret valid until it is removed. A secret belongs to one source only:
signatures cover the body, not the URL, so a secret two tenants shared would let a delivery
for one be posted to the other's URL and pass.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from runtime.apikeys import UnknownTenantError
from runtime.database import Pool
from runtime.secretbox import SecretBox

DEFAULT_TENANT = "default"
TENANT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$"
"""Tenant ids a webhook URL can name (one path segment, no dot-segments)."""

CACHE_TTL_S = 5.0
"""How long the API keeps a source's secrets: a removal is refused by then at the latest."""

FINGERPRINT_CHARS = 8


class SourceKind(StrEnum):
    SHOPIFY = "shopify"
    STRIPE = "stripe"
    STANDARD = "standard"


class InvalidSource(ValueError):
    """The tenant id, kind, name or secret cannot make a usable source."""


class SecretInUse(ValueError):
    """The secret already verifies another source (or this one): storing it again is refused."""


@dataclass(frozen=True)
class SourceSecret:
    """What may be shown about a stored secret: never the secret, nor its sealed form."""

    source_id: uuid.UUID
    tenant_id: str
    kind: SourceKind
    name: str
    fingerprint: str
    created_at: datetime


def fingerprint(secret: str) -> str:
    """The first hex digits of the secret's SHA-256: enough to tell secrets apart in a list,
    too few to help guess one (`printf %s "$SECRET" | sha256sum | cut -c1-8`)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:FINGERPRINT_CHARS]


def check_source(tenant_id: str, kind: SourceKind, name: str, secret: str) -> None:
    """Refuse what no webhook URL or verifier could use."""
    if not re.fullmatch(TENANT_ID_PATTERN, tenant_id):
        raise InvalidSource(
            f"tenant id {tenant_id!r} cannot be named in a webhook URL: use letters, digits, "
            "'.', '-', '_' (up to 255, starting with a letter or digit)"
        )
    if tenant_id == DEFAULT_TENANT:
        raise InvalidSource(
            "the default tenant's webhook secrets are the settings (OPSGRAPH_SHOPIFY_SECRETS, "
            "OPSGRAPH_STRIPE_SECRETS, OPSGRAPH_STANDARD_WEBHOOK_SECRETS)"
        )
    if (kind is SourceKind.STANDARD) != bool(name):
        raise InvalidSource(
            "a standard source needs a name (--name)"
            if kind is SourceKind.STANDARD
            else f"a {kind.value} source has no name"
        )
    if not secret or secret != secret.strip() or any(char.isspace() for char in secret):
        raise InvalidSource("the secret is empty or contains whitespace")


SELECT_RECORD = "source_id, tenant_id, kind, source_name, fingerprint, created_at"


def _record(row: Mapping[str, object]) -> SourceSecret:
    return SourceSecret(
        source_id=row["source_id"],  # type: ignore[arg-type]
        tenant_id=str(row["tenant_id"]),
        kind=SourceKind(str(row["kind"])),
        name=str(row["source_name"]),
        fingerprint=str(row["fingerprint"]),
        created_at=row["created_at"],  # type: ignore[arg-type]
    )


async def add_source_secret(
    pool: Pool,
    box: SecretBox,
    *,
    tenant_id: str,
    kind: SourceKind,
    name: str = "",
    secret: str,
    create_tenant: bool = False,
    settings_secrets: Collection[str] = (),
) -> tuple[SourceSecret, bool]:
    """Seal and store `secret` for the tenant's source; (record, whether the tenant was made).

    Refused (`SecretInUse`) when any source of the same kind already holds it, another
    tenant's or the settings' (`settings_secrets`, the default tenant's). Adds are
    serialized so two concurrent ones cannot both miss each other.
    """
    check_source(tenant_id, kind, name, secret)
    if any(hmac.compare_digest(secret.encode(), taken.encode()) for taken in settings_secrets):
        raise SecretInUse(f"that secret is the default tenant's {kind.value} secret (settings)")
    sealed = box.seal(secret)
    async with pool.connection() as conn, conn.transaction():
        created = await _ensure_tenant(conn, tenant_id, create=create_tenant)
        await conn.execute("LOCK TABLE webhook_sources IN SHARE ROW EXCLUSIVE MODE")
        await _refuse_reuse(conn, box, kind=kind, secret=secret)
        cursor = await conn.execute(
            f"""
            INSERT INTO webhook_sources
                   (source_id, tenant_id, kind, source_name, sealed_secret, fingerprint)
            VALUES (%s, %s, %s, %s, %s, %s)
            RETURNING {SELECT_RECORD}
            """,
            (uuid.uuid4(), tenant_id, kind.value, name, sealed, fingerprint(secret)),
        )
        row = await cursor.fetchone()
    assert row is not None
    return _record(row), created


async def _ensure_tenant(conn: AsyncConnection[DictRow], tenant_id: str, *, create: bool) -> bool:
    if create:
        cursor = await conn.execute(
            "INSERT INTO tenants (tenant_id, name) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (tenant_id, tenant_id),
        )
        return cursor.rowcount == 1
    cursor = await conn.execute("SELECT 1 FROM tenants WHERE tenant_id = %s", (tenant_id,))
    if await cursor.fetchone() is None:
        raise UnknownTenantError(f"tenant {tenant_id!r} does not exist")
    return False


async def _refuse_reuse(
    conn: AsyncConnection[DictRow], box: SecretBox, *, kind: SourceKind, secret: str
) -> None:
    """Open every stored secret of this kind and compare: sealing is randomized, so the
    database cannot be asked; a secret that cannot be opened fails the add (fail closed)."""
    cursor = await conn.execute(
        "SELECT tenant_id, source_name, sealed_secret FROM webhook_sources WHERE kind = %s",
        (kind.value,),
    )
    for row in await cursor.fetchall():
        stored = box.open(row["sealed_secret"])
        if hmac.compare_digest(stored.encode(), secret.encode()):
            where = f"tenant {row['tenant_id']!r}" + (
                f", source {row['source_name']!r}" if row["source_name"] else ""
            )
            raise SecretInUse(f"that secret is already stored ({kind.value}, {where})")


async def list_source_secrets(pool: Pool, *, tenant_id: str) -> list[SourceSecret]:
    """The tenant's stored secrets, oldest first; `UnknownTenantError` for no such tenant."""
    async with pool.connection() as conn:
        await _ensure_tenant(conn, tenant_id, create=False)
        cursor = await conn.execute(
            f"""
            SELECT {SELECT_RECORD} FROM webhook_sources WHERE tenant_id = %s
             ORDER BY kind, source_name, created_at, source_id
            """,
            (tenant_id,),
        )
        rows = await cursor.fetchall()
    return [_record(row) for row in rows]


async def remove_source_secret(
    pool: Pool, *, tenant_id: str, source_id: uuid.UUID
) -> SourceSecret | None:
    """Delete one of the tenant's secrets; None if the tenant has no such secret.

    The API stops accepting it once its cached copy expires (`CACHE_TTL_S`)."""
    async with pool.connection() as conn:
        cursor = await conn.execute(
            f"""
            DELETE FROM webhook_sources WHERE tenant_id = %s AND source_id = %s
            RETURNING {SELECT_RECORD}
            """,
            (tenant_id, source_id),
        )
        row = await cursor.fetchone()
    return None if row is None else _record(row)


async def read_source_secrets(
    pool: Pool, box: SecretBox, *, tenant_id: str, kind: SourceKind, name: str = ""
) -> tuple[str, ...]:
    """The source's secrets in the clear, newest first (empty: the source is not enabled).

    `SecretBoxError` when one cannot be opened: the caller answers 503, never 401."""
    async with pool.connection() as conn:
        cursor = await conn.execute(
            """
            SELECT sealed_secret FROM webhook_sources
             WHERE tenant_id = %s AND kind = %s AND source_name = %s
             ORDER BY created_at DESC, source_id
            """,
            (tenant_id, kind.value, name),
        )
        rows = await cursor.fetchall()
    return tuple(box.open(row["sealed_secret"]) for row in rows)


@dataclass(frozen=True)
class _Cached:
    expires_at: float
    secrets: tuple[str, ...]


class SourceSecrets:
    """The API's view of per-tenant secrets: read from the database, kept at most `ttl_s`.

    Absences are cached too, so requests naming unknown tenants cost one read per `ttl_s`;
    at most `max_entries` sources are kept. The box is built on first use, not at start-up.
    """

    def __init__(
        self,
        open_box: Callable[[], SecretBox],
        *,
        ttl_s: float = CACHE_TTL_S,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 4096,
    ) -> None:
        self._open_box = open_box
        self._box: SecretBox | None = None
        self.ttl_s = ttl_s
        self.clock = clock
        self.max_entries = max_entries
        self._entries: dict[tuple[str, SourceKind, str], _Cached] = {}

    def __repr__(self) -> str:
        return f"SourceSecrets(ttl_s={self.ttl_s}, cached={len(self._entries)})"

    async def get(
        self, pool: Pool, *, tenant_id: str, kind: SourceKind, name: str = ""
    ) -> tuple[str, ...]:
        key = (tenant_id, kind, name)
        now = self.clock()
        cached = self._entries.get(key)
        if cached is not None and now < cached.expires_at:
            return cached.secrets
        if self._box is None:
            self._box = self._open_box()
        secrets = await read_source_secrets(
            pool, self._box, tenant_id=tenant_id, kind=kind, name=name
        )
        self._remember(key, _Cached(now + self.ttl_s, secrets), now)
        return secrets

    def _remember(self, key: tuple[str, SourceKind, str], entry: _Cached, now: float) -> None:
        self._entries.pop(key, None)
        if len(self._entries) >= self.max_entries:
            self._entries = {k: v for k, v in self._entries.items() if v.expires_at > now}
        while len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[key] = entry

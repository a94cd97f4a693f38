"""The audit trail: who did what to which subject, append-only and hash-chained per tenant.

Each entry's hash covers its own fields and the previous entry's hash, so an entry changed,
removed or reordered behind the database's back (the append-only trigger can be disabled by a
table owner) breaks the chain at that point, and `verify_audit` names it. Removing the newest
entries leaves a shorter chain that is still whole: compare `AuditReport.head` with a copy
kept elsewhere to catch that.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from runtime.database import Pool

GENESIS_HASH = "0" * 64
"""The `prev_hash` of each tenant's first entry."""
CLI_ACTOR = "cli (local operator)"
"""Who acts through `opsgraph` commands run on the server itself (no API key involved)."""
SALEOR_ACTOR = "saleor (signed install or uninstall)"
"""Who acts when a Saleor shop installs or uninstalls the app (its token or signature)."""

VERIFY_PAGE = 1000

HASH_MISMATCH = "hash mismatch"
PREV_MISMATCH = "prev_hash does not match the previous entry"
SEQUENCE_GAP = "sequence gap"

LOCK_AND_NORMALIZE = """
SELECT pg_advisory_xact_lock(hashtextextended('audit_log/' || %s, 0)), %s::jsonb AS details
"""

LAST_ENTRY = """
SELECT seq, hash FROM audit_log WHERE tenant_id = %s ORDER BY seq DESC LIMIT 1
"""

INSERT_ENTRY = """
INSERT INTO audit_log
       (tenant_id, seq, at, actor, action, subject, address, details, prev_hash, hash)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""

ENTRIES_AFTER = """
SELECT tenant_id, seq, at, actor, action, subject, address, details, prev_hash, hash
  FROM audit_log
 WHERE (%(tenant_id)s::text IS NULL OR tenant_id = %(tenant_id)s)
   AND (tenant_id, seq) > (%(after_tenant)s, %(after_seq)s)
 ORDER BY tenant_id, seq
 LIMIT %(limit)s
"""


@dataclass(frozen=True)
class AuditEntry:
    tenant_id: str
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    address: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AuditReport:
    """What `verify_audit` found: whether the chain holds, and where it first breaks."""

    ok: bool
    entries: int
    """Entries that checked out before the first break (all of them when `ok`)."""
    broken_at: tuple[str, int] | None = None
    """(tenant_id, seq) of the first broken entry; for a gap, the first missing seq."""
    reason: str | None = None
    head: dict[str, str] | None = None
    """Each checked tenant's newest hash, to compare with a copy kept outside the database."""


async def append_audit(
    conn: AsyncConnection[DictRow],
    *,
    tenant_id: str,
    actor: str,
    action: str,
    subject: str,
    details: dict[str, Any],
    address: str | None = None,
) -> AuditEntry:
    """Append one entry to the tenant's chain.

    Runs in the caller's transaction when there is one (the entry then commits or rolls back
    with the action it records), otherwise in its own. Appends for one tenant are serialized
    by a transaction-scoped advisory lock, so concurrent writers queue up until the holder
    commits and the chain stays linear. (Under REPEATABLE READ a concurrent append can make
    this one fail on the primary key; the chain never forks.)
    """
    if not (actor and action and subject):
        raise ValueError("an audit entry needs an actor, an action and a subject")
    async with conn.transaction():
        # Taking the lock also passes the details through jsonb, so the entry returned (and
        # hashed) holds them exactly as a later read will: jsonb may respell numbers.
        cursor = await conn.execute(LOCK_AND_NORMALIZE, (tenant_id, Jsonb(check_details(details))))
        locked = await cursor.fetchone()
        if locked is None:
            raise RuntimeError("the audit lock query returned nothing")
        stored: dict[str, Any] = locked["details"]
        cursor = await conn.execute(LAST_ENTRY, (tenant_id,))
        last = await cursor.fetchone()
        seq = 1 if last is None else int(last["seq"]) + 1
        prev_hash = GENESIS_HASH if last is None else str(last["hash"])
        at = datetime.now(UTC)
        fields: dict[str, Any] = {
            "tenant_id": tenant_id,
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action,
            "subject": subject,
            "address": address,
            "details": stored,
            "prev_hash": prev_hash,
        }
        digest = entry_hash(fields)
        await conn.execute(
            INSERT_ENTRY,
            (tenant_id, seq, at, actor, action, subject, address, Jsonb(stored), prev_hash, digest),
        )
    return AuditEntry(
        tenant_id=tenant_id,
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        address=address,
        details=stored,
        prev_hash=prev_hash,
        hash=digest,
    )


async def verify_audit(pool: Pool, *, tenant_id: str | None = None) -> AuditReport:
    """Walk each tenant's chain (or one tenant's) from its first entry; stop at the first break.

    Raises `LookupError` for a tenant that does not exist, so a typo is not reported as an
    intact, empty trail.
    """
    entries = 0
    head: dict[str, str] = {}
    expected_seq, prev_hash = 1, GENESIS_HASH
    after: tuple[str, int] = ("", 0)
    async with pool.connection() as conn:
        if tenant_id is not None:
            await _require_tenant(conn, tenant_id)
        while True:
            cursor = await conn.execute(
                ENTRIES_AFTER,
                {
                    "tenant_id": tenant_id,
                    "after_tenant": after[0],
                    "after_seq": after[1],
                    "limit": VERIFY_PAGE,
                },
            )
            rows = await cursor.fetchall()
            for row in rows:
                if row["tenant_id"] != after[0]:
                    expected_seq, prev_hash = 1, GENESIS_HASH
                reason, seq = _check(row, expected_seq, prev_hash)
                if reason is not None:
                    return AuditReport(
                        ok=False,
                        entries=entries,
                        broken_at=(row["tenant_id"], seq),
                        reason=reason,
                        head=head,
                    )
                entries += 1
                head[row["tenant_id"]] = row["hash"]
                expected_seq, prev_hash = row["seq"] + 1, row["hash"]
                after = (row["tenant_id"], row["seq"])
            if len(rows) < VERIFY_PAGE:
                return AuditReport(ok=True, entries=entries, head=head)


def _check(row: DictRow, expected_seq: int, prev_hash: str) -> tuple[str | None, int]:
    """The reason this row breaks the chain (and the seq to name), or None."""
    if row["seq"] != expected_seq:
        return SEQUENCE_GAP, expected_seq
    fields = {key: row[key] for key in row if key != "hash"}
    if entry_hash(fields) != row["hash"]:
        return HASH_MISMATCH, row["seq"]
    if row["prev_hash"] != prev_hash:
        return PREV_MISMATCH, row["seq"]
    return None, row["seq"]


async def _require_tenant(conn: AsyncConnection[DictRow], tenant_id: str) -> None:
    cursor = await conn.execute("SELECT 1 FROM tenants WHERE tenant_id = %s", (tenant_id,))
    if await cursor.fetchone() is None:
        raise LookupError(f"tenant {tenant_id!r} does not exist")


def entry_hash(fields: dict[str, Any]) -> str:
    """sha256 (hex) of the entry's canonical text; `at` must be timezone-aware."""
    at: datetime = fields["at"]
    if at.tzinfo is None:
        raise ValueError("an audit timestamp must be timezone-aware")
    document = {**fields, "at": at.astimezone(UTC).isoformat(timespec="microseconds")}
    return hashlib.sha256(canonical_json(document).encode("ascii")).hexdigest()


def check_details(details: dict[str, Any]) -> dict[str, Any]:
    """Refuse what jsonb cannot hold with a clear message (NaN, infinity, non-JSON types)."""
    if not isinstance(details, dict):
        raise TypeError("audit details must be a dict (a JSON object)")
    try:
        json.dumps(details, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"audit details must be finite JSON: {exc}") from None
    return details


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, ASCII only, and one spelling per number.

    jsonb keeps numbers as `numeric`, so a float can come back as an int (`1e+100` is read
    back as a 101-digit integer) and `-0.0` as `0.0`; numbers are therefore written by value.
    """
    if value is None or isinstance(value, bool | str):
        return json.dumps(value)
    if isinstance(value, int | float):
        return _canonical_number(value)
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda item: str(item[0]))
        return "{" + ",".join(f"{json.dumps(k)}:{canonical_json(v)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(canonical_json(item) for item in value) + "]"
    raise TypeError(f"cannot hash a {type(value).__name__} in an audit entry")


def _canonical_number(number: int | float) -> str:
    """`<digits>E<exponent>` with no trailing zeros in the digits: 1.5 -> 15E-1, 1e100 -> 1E100."""
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError("audit details may not hold NaN or infinity")
    exact = Decimal(repr(number)) if isinstance(number, float) else Decimal(number)
    if exact == 0:
        return "0"
    sign, digits, exponent = exact.as_tuple()
    significant = "".join(map(str, digits)).rstrip("0")
    exponent = int(exponent) + len(digits) - len(significant)
    return f"{'-' if sign else ''}{significant}E{exponent}"

"""Liveness and readiness."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import ResourcesDep
from runtime.migrate import pending_migrations

router = APIRouter(tags=["health"])

CHECK_TIMEOUT_S = 3.0


class Readiness(BaseModel):
    """Each check's outcome; a 503 adds `detail` (the shape of every error answer)."""

    status: Literal["ready", "unavailable"]
    failing: list[str]
    checks: dict[str, dict[str, Any]]


@router.get("/healthz")
async def read_health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={
        200: {"model": Readiness, "description": "every check passed"},
        503: {"description": "a check failed: `detail` names it, `checks` say why"},
    },
)
async def read_readiness(resources: ResourcesDep) -> JSONResponse:
    """Database reachable, migrations current, a worker heartbeat seen recently."""
    checks: dict[str, dict[str, Any]] = {}
    try:
        checks = await asyncio.wait_for(run_checks(resources), CHECK_TIMEOUT_S)
    except Exception as exc:  # whatever broke, the database is not usable from here
        checks = {"database": {"ok": False, "detail": f"unreachable: {type(exc).__name__}"}}
    failing = [name for name, check in checks.items() if not check["ok"]]
    body: dict[str, Any] = {
        "status": "unavailable" if failing else "ready",
        "failing": failing,
        "checks": checks,
    }
    if failing:  # an error answer, in the shape all of them share
        body["detail"] = f"not ready: {', '.join(failing)} failing"
    code = status.HTTP_503_SERVICE_UNAVAILABLE if failing else status.HTTP_200_OK
    return JSONResponse(body, status_code=code)


async def run_checks(resources: ResourcesDep) -> dict[str, dict[str, Any]]:
    pool = resources.pool
    async with pool.connection(timeout=CHECK_TIMEOUT_S) as conn:
        await conn.execute("SELECT 1")
        cursor = await conn.execute(
            """
            SELECT extract(epoch FROM now() - max(last_heartbeat)) AS age
              FROM procrastinate_workers
            """
        )
        row = await cursor.fetchone()
    checks: dict[str, dict[str, Any]] = {"database": {"ok": True}}
    pending = await pending_migrations(pool)
    checks["migrations"] = {
        "ok": not pending,
        "detail": "current" if not pending else f"pending: {[m.version for m in pending]}",
    }
    age = None if row is None or row["age"] is None else float(row["age"])
    max_age = resources.settings.worker_heartbeat_max_age_s
    checks["worker"] = {
        "ok": age is not None and age <= max_age,
        "detail": "no worker heartbeat" if age is None else f"last heartbeat {age:.1f}s ago",
    }
    return checks

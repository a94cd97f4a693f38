"""`GET /metrics` (Prometheus text format) and the timing of webhook and search answers.

Who may read it: a caller presenting `OPSGRAPH_METRICS_TOKEN` as a bearer token (what a
Prometheus scrape config holds), or an operator or admin API key of the `default` tenant (the
deployment's own). Never anonymous, and never another tenant's key (a Saleor shop's): the
figures count every tenant's business together.
"""

from __future__ import annotations

import hmac
import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import api_key_header, bearer, current_key, require_role
from api.deps import ResourcesDep
from api.webhooks.config import WebhookConfig
from graph.routing import EVENT_ROUTES
from graph.specialists import SPECIALISTS
from graph.tools.ecommerce import create_fulfillment_tool
from graph.tools.registry import ALL_TOOLS
from runtime.apikeys import Role
from runtime.metrics import CONTENT_TYPE, ProcessMetrics, exposition, read_store
from runtime.metrics_tally import FinishedTally

router = APIRouter(tags=["metrics"])

NAMED_SOURCES = frozenset({"saleor", "shopify", "stripe"})
DEPLOYMENT_TENANT = "default"
operator_or_admin = require_role(Role.OPERATOR)


def build_process_metrics() -> ProcessMetrics:
    """This process's counters, its tally labelled with the names the code defines."""
    tally = FinishedTally(
        event_types=sorted(EVENT_ROUTES),
        specialists=sorted(SPECIALISTS),
        tools=sorted(ALL_TOOLS),
        fulfilment_tools=[create_fulfillment_tool.name],
    )
    return ProcessMetrics(tally)


async def metrics_reader(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    header_key: Annotated[str | None, Depends(api_key_header)],
) -> None:
    """The metrics token admits at once; anything else must be an operator or admin key of
    the deployment's own tenant, since the figures are summed over all tenants."""
    token = request.app.state.resources.settings.metrics_token
    presented = credentials.credentials if credentials is not None else None
    if (
        token is not None
        and presented is not None
        and hmac.compare_digest(presented.encode(), token.get_secret_value().encode())
    ):
        return
    key = await current_key(request, credentials, header_key)
    await operator_or_admin(key)
    if key.tenant_id != DEPLOYMENT_TENANT:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail="metrics count every tenant's events; read them with OPSGRAPH_METRICS_TOKEN "
            f"or a key of the {DEPLOYMENT_TENANT!r} tenant",
        )


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition format (version 0.0.4)",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        401: {"description": "no metrics token and no API key, or an unknown one"},
        403: {
            "description": "a key of a role that may not read metrics (reviewer), or of a "
            "tenant other than `default`"
        },
    },
    dependencies=[Depends(metrics_reader)],
)
async def read_metrics(request: Request, resources: ResourcesDep) -> Response:
    """Counted from the database at scrape time, plus this process's webhook counters."""
    process: ProcessMetrics = request.app.state.metrics
    await process.tally.advance(resources.pool)
    await process.model_calls.advance(resources.pool)
    await process.kb_searches.advance(resources.pool)
    snapshot = await read_store(resources.pool, event_types=sorted(EVENT_ROUTES))
    return Response(exposition(process, snapshot), media_type=CONTENT_TYPE)


def webhook_source(path: str, config: WebhookConfig) -> str:
    """A bounded label: the named platforms, configured standard senders, else `other`.

    A tenant's URL (`.../t/{tenant}`) counts as its platform; tenants' own standard senders
    (names nobody bounds) count as `standard`."""
    parts = path.removeprefix("/webhooks/").split("/")
    if len(parts) == 3 and parts[1] == "t" and parts[0] in NAMED_SOURCES:
        return parts[0]
    if len(parts) == 4 and parts[0] == "standard" and parts[2] == "t":
        return "standard"
    if len(parts) == 1 and parts[0] in NAMED_SOURCES:
        return parts[0]
    if len(parts) == 2 and parts[0] == "standard" and parts[1] in config.standard_secrets:
        return parts[1]
    return "other"


class AnswerTiming:
    """ASGI middleware: how each webhook was answered and how fast; KB search latency."""

    def __init__(self, app: ASGIApp, *, metrics: ProcessMetrics, config: WebhookConfig) -> None:
        self.app = app
        self.metrics = metrics
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        is_webhook = path.startswith("/webhooks/") and scope.get("method") == "POST"
        if not is_webhook and path != "/kb/search":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed = time.perf_counter() - started
                if is_webhook:
                    source = webhook_source(path, self.config)
                    self.metrics.observe_webhook(source, int(message["status"]), elapsed)
                elif message["status"] == 200:
                    self.metrics.kb_search_seconds.observe(elapsed)
            await send(message)

        await self.app(scope, receive, timed_send)

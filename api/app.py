"""The FastAPI app factory; the lifespan opens the pool, checkpointer and queue."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

import procrastinate
from fastapi import Depends, FastAPI

from api import approvals, chat, events, health, inbox, kb, keys, langgraph, metrics
from api.deps import storable_params
from api.errors import complete_contract, install_error_handlers
from api.limits import BodyLimit
from api.saleor_app import router as saleor_app
from api.saleor_app.config import SaleorAppConfig
from api.webhooks import router as webhooks
from api.webhooks import tenant_sources as tenant_webhooks
from api.webhooks.config import WebhookConfig
from api.webhooks.saleor import SaleorShops
from graph.toolset import ToolRegistry
from runtime.resources import Resources, open_resources
from runtime.run_events import listening
from runtime.settings import Settings

ServiceHook = Callable[[Resources], AbstractAsyncContextManager[None]]


def create_app(
    settings: Settings,
    *,
    register_tasks: Callable[[procrastinate.App], None] | None = None,
    service_hook: ServiceHook | None = None,
    tools: ToolRegistry | None = None,
) -> FastAPI:
    """Build the API; `service_hook` runs beside it (the in-process worker, for instance).

    `tools` is the composition root's tool registry: approval edits are checked against
    its schemas (without one, no action can be edited)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            resources = await stack.enter_async_context(
                open_resources(settings, register_tasks=register_tasks)
            )
            app.state.resources = resources
            app.state.run_hub = await stack.enter_async_context(listening(resources.pool))
            if service_hook is not None:
                await stack.enter_async_context(service_hook(resources))
            # Start-up leaves ~150k long-lived objects; freezing them keeps full collections
            # (tens of milliseconds each) out of request latency.
            gc.collect()
            gc.freeze()
            yield

    app = FastAPI(
        title="opsgraph",
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[Depends(storable_params)],
    )
    app.state.webhooks = WebhookConfig.from_settings(settings)
    app.state.saleor_app = SaleorAppConfig(settings)
    app.state.saleor_shops = SaleorShops(lambda: app.state.saleor_app.box)
    app.state.tools = tools if tools is not None else ToolRegistry()
    app.add_middleware(BodyLimit, max_body_bytes=settings.max_body_bytes)
    app.state.metrics = metrics.build_process_metrics()
    app.add_middleware(metrics.AnswerTiming, metrics=app.state.metrics, config=app.state.webhooks)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(events.router)
    app.include_router(approvals.router)
    app.include_router(keys.router)
    app.include_router(webhooks.router)
    app.include_router(saleor_app.router)
    app.include_router(tenant_webhooks.router)
    app.include_router(inbox.router)
    app.include_router(kb.build_router(max_upload_bytes=settings.kb_max_upload_bytes))
    app.include_router(langgraph.build_router())
    app.include_router(chat.router)
    app.include_router(metrics.router)
    complete_contract(app)
    return app

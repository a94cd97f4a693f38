"""The service's app: the API with the worker tasks registered, and optionally a worker."""

from __future__ import annotations

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider

from api.app import create_app
from graph.tools.registry import build_tool_registry
from runtime.settings import Settings
from runtime.tracing import install_tracing, otlp_provider, sampler_from
from service.tasks import tasks_for
from service.worker import background_worker


def build_service_app(
    settings: Settings, *, with_worker: bool = True, tracing: TracerProvider | None = None
) -> FastAPI:
    """The API; with `with_worker` an in-process worker runs jobs beside it. This is the
    composition root: it builds the tool registry the API checks edits against, and the
    tracer provider (`tracing`, or one exporting to `OPSGRAPH_OTEL_ENDPOINT`)."""
    app = create_app(
        settings,
        register_tasks=tasks_for(settings),
        service_hook=background_worker if with_worker else None,
        tools=build_tool_registry(),
    )
    if tracing is not None:
        install_tracing(tracing)
    provider = tracing or start_tracing(settings)
    if provider is not None:
        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=provider, exclude_spans=["receive", "send"]
        )
    return app


def start_tracing(settings: Settings) -> TracerProvider | None:
    """With `OPSGRAPH_OTEL_ENDPOINT` set, trace this process to it; else do nothing (no
    provider, no exporter, no network)."""
    if settings.otel_endpoint is None:
        return None
    provider = otlp_provider(
        settings.otel_endpoint,
        service_name=settings.otel_service_name,
        sampler=sampler_from(settings.otel_traces_sampler, settings.otel_traces_sampler_arg),
    )
    install_tracing(provider)
    return provider

"""Trace context in job arguments, the sampler, the OTLP exporter, and tracing left off."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from runtime.queue import defer_process_event
from runtime.resources import Resources
from runtime.settings import Settings
from runtime.tracing import (
    TRACE_CONTEXT_ARG,
    build_tracer_provider,
    context_from,
    current_trace_context,
    current_trace_id,
    otlp_provider,
)
from service.app import start_tracing
from tests.fakes.otlp_collector import serve_otlp_collector


def in_memory() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = build_tracer_provider(
        service_name="test", processors=[SimpleSpanProcessor(exporter)]
    )
    return provider, exporter


def test_no_context_outside_a_span() -> None:
    assert current_trace_context() == {}
    assert current_trace_id() is None
    assert context_from(None) is None
    assert context_from({}) is None


def test_trace_context_round_trips_through_job_arguments() -> None:
    provider, exporter = in_memory()
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("request") as request:
        carried = current_trace_context()
        trace_id = current_trace_id()
    with tracer.start_as_current_span("job", context=context_from(dict(carried))) as job:
        pass

    assert carried["traceparent"].startswith("00-")
    assert trace_id == format(request.get_span_context().trace_id, "032x")
    assert job.get_span_context().trace_id == request.get_span_context().trace_id
    finished = {span.name: span for span in exporter.get_finished_spans()}
    parent = finished["job"].parent
    assert parent is not None and parent.span_id == request.get_span_context().span_id


def test_a_database_call_outside_any_request_is_not_sampled_but_one_inside_is() -> None:
    provider, exporter = in_memory()
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("poll", kind=SpanKind.CLIENT):
        pass
    with (
        tracer.start_as_current_span("request", kind=SpanKind.SERVER),
        tracer.start_as_current_span("insert", kind=SpanKind.CLIENT),
    ):
        pass

    assert sorted(span.name for span in exporter.get_finished_spans()) == ["insert", "request"]


def test_tracing_is_off_without_an_endpoint(tmp_path: Path) -> None:
    assert start_tracing(Settings(data_dir=tmp_path)) is None
    assert Settings(data_dir=tmp_path, otel_endpoint="  ").otel_endpoint is None


def test_spans_reach_an_otlp_collector_over_http() -> None:
    with serve_otlp_collector() as collector:
        provider = otlp_provider(collector.url, service_name="test")
        tracer = provider.get_tracer("test")
        with tracer.start_as_current_span("request"):
            with tracer.start_as_current_span("job"):
                pass
            trace_id = current_trace_id()
        provider.shutdown()  # flushes the batch

        assert collector.spans == 2
        assert collector.names == {"request", "job"}
        assert collector.trace_ids == {trace_id}


async def job_args(resources: Resources, job_id: int) -> dict[str, Any]:
    async with resources.pool.connection() as conn:
        cursor = await conn.execute("SELECT args FROM procrastinate_jobs WHERE id = %s", (job_id,))
        row = await cursor.fetchone()
    assert row is not None
    args: dict[str, Any] = row["args"]
    return args


async def test_a_job_deferred_inside_a_trace_carries_its_context(resources: Resources) -> None:
    provider, _ = in_memory()
    async with resources.pool.connection() as conn:
        with provider.get_tracer("test").start_as_current_span("request") as request:
            traced = await defer_process_event(
                resources.queue, conn, tenant_id="default", event_id=uuid.uuid4(), entity="a:1"
            )
        untraced = await defer_process_event(
            resources.queue, conn, tenant_id="default", event_id=uuid.uuid4(), entity="a:2"
        )

    carried = (await job_args(resources, traced))[TRACE_CONTEXT_ARG]
    assert format(request.get_span_context().trace_id, "032x") in carried["traceparent"]
    assert TRACE_CONTEXT_ARG not in await job_args(resources, untraced)

"""Trace context in job arguments, the samplers, database statement spans, the OTLP exporter,
and tracing left off."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from runtime.queue import defer_process_event
from runtime.resources import Resources
from runtime.settings import Settings
from runtime.statement_spans import trace_statements, untrace_statements
from runtime.tracing import (
    TRACE_CONTEXT_ARG,
    build_tracer_provider,
    context_from,
    current_trace_context,
    current_trace_id,
    otlp_provider,
    sampler_from,
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


@pytest.fixture
def statements() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    """Database statements traced to an in-memory exporter, for this test only."""
    provider, exporter = in_memory()
    untrace_statements()
    trace_statements(provider.get_tracer("test.database"))
    yield provider, exporter
    untrace_statements()


async def test_a_statement_inside_a_trace_gets_a_client_span_and_one_outside_gets_none(
    resources: Resources, statements: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = statements
    async with resources.pool.connection() as conn:
        await conn.execute("SELECT 1")
        with provider.get_tracer("test").start_as_current_span("job") as job:
            await conn.execute("  select count(*) FROM tenants WHERE tenant_id = %s", ("x",))
            async with conn.cursor() as cursor:
                await cursor.executemany("SELECT %s::int", [(1,), (2,)])

    spans = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.CLIENT]
    assert [s.name for s in spans] == ["SELECT", "SELECT"]
    first = spans[0]
    assert first.parent is not None and first.parent.span_id == job.get_span_context().span_id
    assert first.attributes == {
        "db.system.name": "postgresql",
        "db.operation.name": "SELECT",
        "db.query.text": "  select count(*) FROM tenants WHERE tenant_id = %s",
    }


async def test_a_failed_statement_is_marked_by_its_class_without_the_refused_value(
    resources: Resources, statements: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = statements
    async with resources.pool.connection() as conn:
        with (
            provider.get_tracer("test").start_as_current_span("job"),
            pytest.raises(psycopg.errors.InvalidTextRepresentation),
        ):
            await conn.execute("SELECT %s::int", ("4111 1111 1111 1111",))

    (span,) = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.CLIENT]
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "InvalidTextRepresentation"
    assert not span.events, "no exception event: its message quotes the value"


async def test_an_unsampled_trace_makes_no_database_spans(
    resources: Resources, statements: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    _, exporter = statements
    provider = build_tracer_provider(
        service_name="test",
        processors=[SimpleSpanProcessor(exporter)],
        sampler=sampler_from("parentbased_traceidratio", 0.0),
    )
    async with resources.pool.connection() as conn:
        with provider.get_tracer("test").start_as_current_span("request", kind=SpanKind.SERVER):
            await conn.execute("SELECT 1")

    assert exporter.get_finished_spans() == ()


def test_the_standard_sampler_variables_choose_the_sampler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.25")
    settings = Settings(data_dir=tmp_path)
    assert (settings.otel_traces_sampler, settings.otel_traces_sampler_arg) == (
        "parentbased_traceidratio",
        0.25,
    )
    sampler = sampler_from(settings.otel_traces_sampler, settings.otel_traces_sampler_arg)
    assert "TraceIdRatioBased{0.25}" in sampler.get_description()


@pytest.mark.parametrize("name", ["always_on", "parentbased_always_on", "traceidratio"])
def test_every_sampler_keeps_a_request_and_its_database_call_and_drops_a_lone_one(
    name: str,
) -> None:
    exporter = InMemorySpanExporter()
    provider = build_tracer_provider(
        service_name="test",
        processors=[SimpleSpanProcessor(exporter)],
        sampler=sampler_from(name, 1.0),
    )
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("poll", kind=SpanKind.CLIENT):
        pass
    with (
        tracer.start_as_current_span("request", kind=SpanKind.SERVER),
        tracer.start_as_current_span("insert", kind=SpanKind.CLIENT),
    ):
        pass

    assert sorted(span.name for span in exporter.get_finished_spans()) == ["insert", "request"]


def test_always_off_and_a_zero_ratio_record_nothing() -> None:
    for sampler in (sampler_from("always_off"), sampler_from("parentbased_traceidratio", 0.0)):
        exporter = InMemorySpanExporter()
        provider = build_tracer_provider(
            service_name="test", processors=[SimpleSpanProcessor(exporter)], sampler=sampler
        )
        with provider.get_tracer("test").start_as_current_span("request"):
            pass
        assert exporter.get_finished_spans() == ()

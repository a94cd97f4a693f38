"""OpenTelemetry tracing: the provider, database spans, and a trace context that rides in jobs.

Off unless `OPSGRAPH_OTEL_ENDPOINT` is set: then nothing is exported and the API's no-op
tracer makes every span here a cheap no-op. The provider is built and installed by the
composition root (`service`), never at import. A webhook's trace reaches the worker through
the job's arguments (a W3C `traceparent`), so one trace runs from the ack to the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind
from opentelemetry.util.types import Attributes

from runtime.statement_spans import statements_traced, trace_statements, untrace_statements

TRACE_CONTEXT_ARG = "trace_context"
"""The job argument that carries the deferring request's trace context."""


class NoLoneClientSpans(Sampler):
    """Drops a client span with no parent: a call outside any request or job (queue
    polling, heartbeats) is not worth a trace of its own; everything else is left to
    `roots`. (Database calls outside a trace make no span at all: `runtime.statement_spans`.)"""

    def __init__(self, roots: Sampler = ALWAYS_ON) -> None:
        self._roots = roots

    def should_sample(
        self,
        parent_context: context.Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        if kind is SpanKind.CLIENT:
            parent = trace.get_current_span(parent_context).get_span_context()
            if not parent.is_valid:
                return SamplingResult(Decision.DROP)
        return self._roots.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"NoLoneClientSpans{{{self._roots.get_description()}}}"


def sampler_from(name: str, ratio: float = 1.0) -> Sampler:
    """The sampler OpenTelemetry's standard `OTEL_TRACES_SAMPLER` value names (`always_on`,
    `always_off`, `traceidratio`, each optionally `parentbased_`), `ratio` being
    `OTEL_TRACES_SAMPLER_ARG`; lone client spans are dropped under every one. A trace left
    out costs next to nothing: its spans do not record and database calls make none."""
    roots = {"always_on": ALWAYS_ON, "always_off": ALWAYS_OFF}.get(
        name.removeprefix("parentbased_")
    ) or TraceIdRatioBased(ratio)
    sampler = NoLoneClientSpans(roots)
    return ParentBased(root=sampler) if name.startswith("parentbased_") else sampler


class FixedResource(Resource):
    """A resource whose hash is computed once. The OTLP encoder groups every span it
    exports by resource, and `Resource.__hash__` JSON-encodes the attributes each time
    (an eighth of the encoder's CPU per span); a provider's resource never changes."""

    def __init__(self, resource: Resource) -> None:
        super().__init__(dict(resource.attributes), resource.schema_url)
        self._hash = super().__hash__()

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return super().__eq__(other)


def build_tracer_provider(
    *,
    service_name: str,
    processors: Sequence[SpanProcessor],
    sampler: Sampler | None = None,
) -> TracerProvider:
    """A provider that samples every trace started by a request or a job (or as `sampler`
    says: `sampler_from`)."""
    provider = TracerProvider(
        resource=FixedResource(Resource.create({SERVICE_NAME: service_name})),
        sampler=sampler or sampler_from("parentbased_always_on"),
    )
    for processor in processors:
        provider.add_span_processor(processor)
    return provider


def otlp_provider(
    endpoint: str, *, service_name: str, sampler: Sampler | None = None
) -> TracerProvider:
    """Spans batched to an OTLP/HTTP collector (`endpoint` is its base URL, as for
    OTEL_EXPORTER_OTLP_ENDPOINT: `/v1/traces` is appended)."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
    return build_tracer_provider(
        service_name=service_name, processors=[BatchSpanProcessor(exporter)], sampler=sampler
    )


def install_tracing(provider: TracerProvider) -> None:
    """Make `provider` the process's tracer provider and trace every database call.

    OpenTelemetry lets a process set its provider once; a later call is ignored (with a
    warning in the log), so a process traces to one place for its lifetime."""
    trace.set_tracer_provider(provider)
    trace_statements(provider.get_tracer("opsgraph.database"))


def tracing_installed() -> bool:
    """Whether `install_tracing` ran (and no `uninstall_tracing` since): graphs compiled
    now get their node spans."""
    return statements_traced()


def uninstall_tracing() -> None:
    """Stop tracing database calls and graphs compiled from now on (tests)."""
    untrace_statements()


def current_trace_context() -> dict[str, str]:
    """The active span's context as W3C headers (`traceparent`), empty when none is active."""
    carrier: dict[str, str] = {}
    if trace.get_current_span().get_span_context().is_valid:
        propagate.inject(carrier)
    return carrier


def context_from(carrier: dict[str, Any] | None) -> context.Context | None:
    """The context a job was deferred in, to parent the job's span; None without one."""
    if not carrier:
        return None
    return propagate.extract({str(k): str(v) for k, v in carrier.items()})


def job_span(
    tracer: trace.Tracer,
    task: str,
    *,
    carrier: dict[str, Any] | None,
    job_id: int | None,
    attributes: Mapping[str, str],
) -> AbstractContextManager[trace.Span]:
    """A queue job's span (`job <task>`): a consumer, the child of the trace it was
    deferred in (`carrier`), with `attributes` and the queue's messaging attributes."""
    return tracer.start_as_current_span(
        f"job {task}",
        context=context_from(carrier),
        kind=SpanKind.CONSUMER,
        attributes={
            **attributes,
            "messaging.system": "procrastinate",
            "messaging.message.id": str(job_id),
        },
    )


def current_trace_id() -> str | None:
    """The active trace's id in hex (as collectors show it), or None outside a trace."""
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None
